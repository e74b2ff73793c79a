"""The reference engine: transformers MarianMTModel with its MarianTokenizer."""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from transformers import MarianMTModel, MarianTokenizer

from ..config import Settings
from .base import Translator

log = logging.getLogger(__name__)


class MarianTranslator(Translator):
    """MarianMT through transformers, on the CPU, under inference mode."""

    engine = "transformers"

    def __init__(self, path: Path, settings: Settings, name: str | None = None):
        if settings.threads:
            torch.set_num_threads(settings.threads)
        self.tokenizer = MarianTokenizer.from_pretrained(path)
        self.model = MarianMTModel.from_pretrained(path).eval()
        limit = min(self.tokenizer.model_max_length, self.model.config.max_position_embeddings)
        super().__init__(name or Path(path).name, limit, settings.batch_size)
        self.settings = settings
        self.generation = generation_options(self.model.generation_config, settings)

    def count_tokens(self, text: str) -> int:
        """Source tokens of text, end-of-sentence included."""
        return len(self.tokenizer(text, verbose=False).input_ids)

    def _translate_batch(self, sentences: list[str]) -> list[str]:
        batch = self.tokenizer(sentences, return_tensors="pt", padding=True)
        max_new = int(batch.input_ids.shape[1] * self.settings.max_output_ratio) + self.settings.max_output_offset
        with torch.inference_mode():
            out = self.model.generate(**batch, **self.generation, max_new_tokens=max_new)
        return self.tokenizer.batch_decode(out, skip_special_tokens=True)


def generation_options(config, settings: Settings) -> dict:
    """Decoding settings: the model's generation config unless overridden by settings."""
    return {
        "num_beams": settings.num_beams or config.num_beams or 1,
        "no_repeat_ngram_size": settings.no_repeat_ngram_size or None,
        "max_length": None,  # the bound is max_new_tokens, relative to the input
    }
