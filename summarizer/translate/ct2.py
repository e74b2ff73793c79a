"""The fast engine: the same MarianMT model converted to CTranslate2 (int8 on CPU by default)."""

from __future__ import annotations

import itertools
import logging
import math
import os
from pathlib import Path

from ..config import Settings
from ..store import converted
from .marian import MarianBase

log = logging.getLogger(__name__)


class CTranslate2Translator(MarianBase):
    """MarianMT in CTranslate2, tokenized with sentencepiece exactly as MarianTokenizer does."""

    engine = "ctranslate2"

    def __init__(self, path: Path, settings: Settings, name: str | None = None):
        import ctranslate2

        super().__init__(path, settings, name)
        self.compute_type = settings.ct2_compute_type
        # Batch-level parallelism: each core decodes its own sub-batch with one thread. Measured on 2 cores
        # (bench/speed.py model, beam 4): one article 3.56 s vs 3.90 s with one batch on two threads, and 8
        # concurrent articles 2.88 s each vs 3.39 s.
        threads = settings.threads or os.cpu_count() or 1
        self.replicas = max(1, min(settings.ct2_parallel_batches or threads, threads))
        self.translator = ctranslate2.Translator(
            str(converted(self.path, self.compute_type, settings.cache_dir)),
            device="cpu",
            compute_type=self.compute_type,
            inter_threads=self.replicas,
            intra_threads=max(1, threads // self.replicas),
        )

    def describe(self) -> dict:
        """Name and engine (with its compute type)."""
        return {"name": self.name, "engine": f"{self.engine}-{self.compute_type}"}

    def cache_key(self) -> tuple:
        """What, besides the sentence, decides the translation."""
        return super().cache_key() + (self.compute_type,)

    def _translate_many(self, sentences: list[str], num_beams: int) -> list[str]:
        """Everything the queue took, at once: length-sorted sub-batches of at most batch_size (one per parallel
        decoder for a single text) are all handed to CTranslate2 together, the longest first, so its decoders stay
        busy with full batches when many requests arrive (raw CTranslate2 on the bench/speed.py model, greedy:
        8 articles in one round 1.66x the throughput of one article in the run where sequential batches of 16
        split in two gave 1.22x; 1.3x to 1.6x in later runs on this noisy 2-core machine, README "Speed")."""
        if not sentences:
            return []
        tokens = [self.vocab.encode(s) for s in sentences]
        # Longest first: the decoders take sub-batches in the order given, so the longest ones start first and
        # the short ones fill in at the end (longest-processing-time-first scheduling).
        order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]), reverse=True)
        # As few sub-batches of at most batch_size as possible, in a multiple of the decoders, sizes at most one
        # apart; the larger ones hold the shortest sentences.
        count = min(len(tokens), self.replicas * math.ceil(len(tokens) / (self.replicas * self.batch_size)))
        size, extra = divmod(len(tokens), count)
        ends = list(itertools.accumulate(size + (k >= count - extra) for k in range(count)))
        batches = [order[start:end] for start, end in zip([0] + ends, ends)]
        pending = [
            self.translator.translate_batch(
                [tokens[i] for i in batch],
                beam_size=num_beams,
                no_repeat_ngram_size=self.settings.no_repeat_ngram_size,
                max_input_length=0,
                max_decoding_length=self.max_new_tokens(max(len(tokens[i]) for i in batch)),
                asynchronous=True,
            )
            for batch in batches
        ]
        results = [""] * len(tokens)
        for batch, futures in zip(batches, pending):
            for i, future in zip(batch, futures):
                hypothesis = self.cut(future.result().hypotheses[0], len(tokens[i]))
                self.tokens_out += len(hypothesis)
                results[i] = self.vocab.decode(hypothesis)
        return results
