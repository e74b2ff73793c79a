"""Abstractive summarization with a seq2seq model (BART/DistilBART style) from the model store."""

from __future__ import annotations

from pathlib import Path

from ..config import Settings


class AbstractiveSummarizer:
    """English-only summaries written by a seq2seq model, loaded from a local folder."""

    def __init__(self, path: Path, settings: Settings, name: str | None = None):
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer  # torch only when this model is used

        self.name = name or Path(path).name
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModelForSeq2SeqLM.from_pretrained(path).eval()
        self.max_input_tokens = min(self.tokenizer.model_max_length, self.model.config.max_position_embeddings)

    def describe(self) -> dict:
        """Name and engine, for the result's list of models used."""
        return {"name": self.name, "engine": "transformers"}

    def summarize(self, sentences: list[str]) -> str:
        """A summary of the English sentences; a text over the model's limit is summarized in parts."""
        parts = self.windows(sentences)
        import torch

        batch = self.tokenizer(parts, return_tensors="pt", padding=True)
        with torch.inference_mode():
            out = self.model.generate(**batch)
        return " ".join(s.strip() for s in self.tokenizer.batch_decode(out, skip_special_tokens=True))

    def windows(self, sentences: list[str]) -> list[str]:
        """Consecutive sentences grouped so that each group fits the model's input limit."""
        windows: list[str] = []
        for sentence in sentences:
            candidate = f"{windows[-1]} {sentence}" if windows else sentence
            if windows and self.count_tokens(candidate) <= self.max_input_tokens:
                windows[-1] = candidate
            else:
                windows.append(sentence)
        return windows

    def count_tokens(self, text: str) -> int:
        """Input tokens of text, special tokens included."""
        return len(self.tokenizer(text, verbose=False).input_ids)
