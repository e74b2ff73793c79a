"""MarianMT engines: transformers (the reference) and what both engines share (the tokenizer, the limits)."""

from __future__ import annotations

import logging
from pathlib import Path

from transformers import AutoConfig, GenerationConfig, MarianTokenizer

from ..config import Settings
from .base import Translator

log = logging.getLogger(__name__)


class MarianBase(Translator):
    """A MarianMT folder's tokenizer, input limit and decoding settings, whatever engine runs the model."""

    def __init__(self, path: Path, settings: Settings, name: str | None = None):
        self.path = Path(path)
        self.settings = settings
        self.tokenizer = MarianTokenizer.from_pretrained(path)
        config = AutoConfig.from_pretrained(path)
        limit = min(self.tokenizer.model_max_length, config.max_position_embeddings)
        super().__init__(name or self.path.name, limit, settings)
        try:
            generation = GenerationConfig.from_pretrained(path)
        except OSError:  # no generation_config.json: the model config's defaults
            generation = GenerationConfig.from_model_config(config)
        self.num_beams = settings.num_beams or generation.num_beams or 1

    def count_tokens(self, text: str) -> int:
        """Source tokens of text, end-of-sentence included."""
        return len(self.tokenizer(text, verbose=False).input_ids)

    def max_new_tokens(self, longest_input: int) -> int:
        """The output bound for a batch whose longest input has this many tokens."""
        return int(longest_input * self.settings.max_output_ratio) + self.settings.max_output_offset

    def cache_key(self) -> tuple:
        """What, besides the sentence, decides the translation."""
        s = self.settings
        return (self.engine, str(self.path.resolve()), self.num_beams, s.max_output_ratio, s.max_output_offset,
                s.no_repeat_ngram_size)


class MarianTranslator(MarianBase):
    """MarianMT through transformers, on the CPU, under inference mode."""

    engine = "transformers"

    def __init__(self, path: Path, settings: Settings, name: str | None = None):
        import torch
        from transformers import MarianMTModel

        super().__init__(path, settings, name)
        if settings.threads:
            torch.set_num_threads(settings.threads)
        self.model = MarianMTModel.from_pretrained(path).eval()
        self.generation = {
            "num_beams": self.num_beams,
            "no_repeat_ngram_size": settings.no_repeat_ngram_size or None,
            "max_length": None,  # the bound is max_new_tokens, relative to the input
        }

    def _translate_batch(self, sentences: list[str]) -> list[str]:
        import torch

        batch = self.tokenizer(sentences, return_tensors="pt", padding=True)
        with torch.inference_mode():
            out = self.model.generate(**batch, **self.generation,
                                      max_new_tokens=self.max_new_tokens(batch.input_ids.shape[1]))
        return self.tokenizer.batch_decode(out, skip_special_tokens=True)
