"""MarianMT engines: what they share (vocabulary, input limit, decoding settings) and the transformers reference."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from ..config import Settings
from .base import Translator
from .vocab import MarianVocab

log = logging.getLogger(__name__)


class MarianBase(Translator):
    """A MarianMT folder's vocabulary, input limit and decoding settings, whatever engine runs the model."""

    def __init__(self, path: Path, settings: Settings, name: str | None = None):
        self.path = Path(path)
        self.settings = settings
        self.vocab = MarianVocab(self.path)
        config = _read_json(self.path / "config.json")
        generation = _read_json(self.path / "generation_config.json")
        limit = min(self.vocab.model_max_length, int(config.get("max_position_embeddings", 512)))
        super().__init__(name or self.path.name, limit, settings)
        self.num_beams = int(settings.beam_size or generation.get("num_beams") or config.get("num_beams") or 1)

    def count_tokens(self, text: str) -> int:
        """Source tokens of text, end-of-sentence included."""
        return len(self.vocab.encode(text))

    def max_new_tokens(self, input_tokens: int) -> int:
        """The output bound for an input of this many tokens.

        A batch is decoded up to the bound of its longest input, then every output is cut to its own input's
        bound: a sentence's translation never depends on the sentences that shared its batch (for greedy
        decoding exactly; a beam cut short can differ), whichever engine and batching produced it.
        """
        return int(input_tokens * self.settings.max_output_ratio) + self.settings.max_output_offset

    def cut(self, tokens: list, input_tokens: int) -> list:
        """An output's tokens (end-of-sentence excluded) cut to its own input's bound, whose last position
        belongs to the end-of-sentence token (both engines end an output that reaches the bound with it)."""
        return tokens[: max(0, self.max_new_tokens(input_tokens) - 1)]

    def cache_key(self) -> tuple:
        """What, besides the sentence, decides the translation."""
        s = self.settings
        return (
            self.engine,
            str(self.path.resolve()),
            s.max_output_ratio,
            s.max_output_offset,
            s.no_repeat_ngram_size,
        )


class MarianTranslator(MarianBase):
    """MarianMT through transformers (MarianTokenizer + MarianMTModel.generate), on the CPU, under inference mode."""

    engine = "transformers"

    def __init__(self, path: Path, settings: Settings, name: str | None = None):
        import torch
        from transformers import MarianMTModel, MarianTokenizer

        super().__init__(path, settings, name)
        if settings.threads:
            torch.set_num_threads(settings.threads)
        self.tokenizer = MarianTokenizer.from_pretrained(path)
        self.model = MarianMTModel.from_pretrained(path).eval()
        self.generation = {
            "no_repeat_ngram_size": settings.no_repeat_ngram_size or None,
            "max_length": None,  # the bound is max_new_tokens, relative to the input
        }

    def _translate_many(self, sentences: list[str], num_beams: int) -> list[str]:
        """Length-sorted batches of batch_size, one after another."""
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        results = [""] * len(sentences)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            for i, text in zip(batch, self._translate_batch([sentences[i] for i in batch], num_beams)):
                results[i] = text
        return results

    def _translate_batch(self, sentences: list[str], num_beams: int) -> list[str]:
        import torch

        batch = self.tokenizer(sentences, return_tensors="pt", padding=True)
        with torch.inference_mode():
            out = self.model.generate(
                **batch,
                **self.generation,
                num_beams=num_beams,
                max_new_tokens=self.max_new_tokens(batch.input_ids.shape[1]),
            )
        eos = self.model.config.eos_token_id
        outputs = []
        for row, length in zip(out.tolist(), batch.attention_mask.sum(dim=1).tolist()):
            new = row[1:]  # row[0] is the decoder start
            outputs.append(self.cut(new[: new.index(eos)] if eos in new else new, length))
        self.tokens_out += sum(map(len, outputs))
        return self.tokenizer.batch_decode(outputs, skip_special_tokens=True)


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
