"""MarianMT engines: what they share (vocabulary, input limit, output bound) and the transformers reference."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from .vocab import MarianVocab

log = logging.getLogger(__name__)


class MarianModelBase:
    """A MarianMT folder's vocabulary, input limit and decoding parameters, whatever engine runs the model.

    beam_size 0 means the model's own generation config; the output of an input of n tokens is bounded to
    int(n * output_ratio) + output_offset new tokens; no_repeat_ngram_size 0 is off; device: cpu or cuda.
    target_token: the token a multi-target model (opus-mt-en-ar) needs at the start of every source sentence
    to choose the output language, such as ">>ara<<" ("" for a single-target model); it must be in vocab.json.
    """

    engine = "abstract"

    def __init__(
        self,
        path: Path,
        *,
        name: str | None = None,
        batch_size: int = 16,
        beam_size: int = 0,
        output_ratio: float = 2.0,
        output_offset: int = 10,
        no_repeat_ngram_size: int = 0,
        device: str = "cpu",
        target_token: str = "",
    ):
        self.path = Path(path)
        self.device = device
        self.name = name or self.path.name
        self.batch_size = max(1, batch_size)
        self.output_ratio = output_ratio
        self.output_offset = output_offset
        self.no_repeat_ngram_size = no_repeat_ngram_size
        self.vocab = MarianVocab(self.path)
        if target_token and target_token not in self.vocab.encoder:
            raise ValueError(f"The target-language token {target_token!r} is not in {self.path.name}/vocab.json")
        self.target_token = target_token
        config = _read_json(self.path / "config.json")
        generation = _read_json(self.path / "generation_config.json")
        self.max_input_tokens = min(self.vocab.model_max_length, int(config.get("max_position_embeddings", 512)))
        self.default_beam_size = int(beam_size or generation.get("num_beams") or config.get("num_beams") or 1)
        self.tokens_out = 0  # target tokens generated (translate runs in one thread at a time: the queue's worker)

    def describe(self) -> dict:
        """Name and engine, for the result's list of models used."""
        return {"name": self.name, "engine": self.engine}

    def source_tokens(self, text: str) -> list[str]:
        """The model's input for text: the target-language token if any, the pieces, end-of-sentence."""
        return ([self.target_token] if self.target_token else []) + self.vocab.encode(text)

    def count_tokens(self, text: str) -> int:
        """Source tokens of text, the target-language token and end-of-sentence included."""
        return len(self.source_tokens(text))

    def max_new_tokens(self, input_tokens: int) -> int:
        """The output bound for an input of this many tokens.

        A batch is decoded up to the bound of its longest input, then every output is cut to its own input's
        bound: a sentence's translation never depends on the sentences that shared its batch (for greedy
        decoding exactly; a beam cut short can differ), whichever engine and batching produced it.
        """
        return int(input_tokens * self.output_ratio) + self.output_offset

    def cut(self, tokens: list, input_tokens: int) -> list:
        """An output's tokens (end-of-sentence excluded) cut to its own input's bound, whose last position
        belongs to the end-of-sentence token (both engines end an output that reaches the bound with it)."""
        return tokens[: max(0, self.max_new_tokens(input_tokens) - 1)]

    def cache_key(self) -> tuple:
        """What, besides the sentence and the beam size, decides the translation."""
        return (
            self.engine,
            str(self.path.resolve()),
            self.output_ratio,
            self.output_offset,
            self.no_repeat_ngram_size,
            self.device,  # a GPU's arithmetic may round differently
            self.target_token,
        )

    def translate(self, sentences: list[str], beam_size: int | None = None) -> list[str]:
        """The translation of each sentence, in order; blank ones give "" without the model."""
        results = [""] * len(sentences)
        todo = [i for i, sentence in enumerate(sentences) if sentence.strip()]
        if todo:
            texts = self._generate([sentences[i] for i in todo], beam_size or self.default_beam_size)
            for i, text in zip(todo, texts):
                results[i] = text.strip()
        return results

    def _generate(self, sentences: list[str], beam_size: int) -> list[str]:
        """Translations of non-blank sentences that each fit the input limit; the engine batches them."""
        raise NotImplementedError


class MarianEngine(MarianModelBase):
    """MarianMT through transformers (MarianTokenizer + MarianMTModel.generate) under inference mode, on the CPU
    or a GPU (device cuda)."""

    engine = "transformers"

    def __init__(self, path: Path, *, threads: int = 0, **options):
        import torch
        from transformers import MarianMTModel, MarianTokenizer

        super().__init__(path, **options)
        if threads:
            torch.set_num_threads(threads)
        self.tokenizer = MarianTokenizer.from_pretrained(self.path)
        self.model = MarianMTModel.from_pretrained(self.path).eval()
        if self.device != "cpu":
            self.model.to(self.device)

    def _generate(self, sentences: list[str], beam_size: int) -> list[str]:
        """Length-sorted batches of batch_size, one after another."""
        import torch

        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        results = [""] * len(sentences)
        eos = self.model.config.eos_token_id
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            # MarianTokenizer keeps a leading >>xxx<< whole (looked up in vocab.json), as the model cards ask.
            prefix = f"{self.target_token} " if self.target_token else ""
            batch = self.tokenizer([prefix + sentences[i] for i in rows], return_tensors="pt", padding=True)
            if self.device != "cpu":
                batch = batch.to(self.device)
            with torch.inference_mode():
                out = self.model.generate(
                    **batch,
                    num_beams=beam_size,
                    no_repeat_ngram_size=self.no_repeat_ngram_size or None,
                    max_length=None,  # the bound is max_new_tokens, relative to the input
                    max_new_tokens=self.max_new_tokens(batch.input_ids.shape[1]),
                )
            outputs = []
            for row, length in zip(out.tolist(), batch.attention_mask.sum(dim=1).tolist()):
                new = row[1:]  # row[0] is the decoder start
                outputs.append(self.cut(new[: new.index(eos)] if eos in new else new, length))
            self.tokens_out += sum(map(len, outputs))
            for i, text in zip(rows, self.tokenizer.batch_decode(outputs, skip_special_tokens=True)):
                results[i] = text
        return results


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
