"""The fast engine: the same MarianMT model converted to CTranslate2 (int8 on CPU by default)."""

from __future__ import annotations

import itertools
import logging
import math
import os
from pathlib import Path

from ..store import conversion_key, conversion_variant, converted
from .marian import MarianModelBase

log = logging.getLogger(__name__)


# A decoding step's cost is a fixed part (chiefly the output projection's weights, read on every step whatever
# the rows) plus a part per row; the fixed part, in rows, measured by `bench/subbatch.py --step-cost`.
STEP_COST_ROWS = 12.0
# The exact split costs count x rows x batch_size steps of Python (a queue round of 128 rows: ~10 ms); beyond
# this, rows are split as equally as can be instead.
MAX_SPLIT_STEPS = 50_000


def split_by_work(steps: list[int], count: int, batch_size: int, fixed: float) -> list[int]:
    """Sizes of count consecutive sub-batches (each 1 to batch_size rows) of rows whose decoding steps are given
    longest first, such that the largest estimated work is least.

    A sub-batch decodes as many steps as its first (longest) row needs, each step costing fixed + its rows. Of
    equally good splits the one whose later sub-batches are larger wins. Very large inputs (MAX_SPLIT_STEPS) are
    split into sub-batches as equal in rows as can be, the later ones the larger.
    """
    n = len(steps)
    if count <= 1:
        return [n] if n else []
    if count * n * batch_size > MAX_SPLIT_STEPS:
        size, extra = divmod(n, count)
        return [size + (k >= count - extra) for k in range(count)]
    inf = float("inf")
    # best[g][j]: the least largest work of the first j rows in g sub-batches; cut[g][j]: where the last began.
    best = [[inf] * (n + 1) for _ in range(count + 1)]
    cut = [[0] * (n + 1) for _ in range(count + 1)]
    best[0][0] = 0.0
    for g in range(1, count + 1):
        for j in range(g, n - (count - g) + 1):
            for k in range(max(g - 1, j - batch_size), j):
                work = max(best[g - 1][k], steps[k] * (fixed + j - k))
                if work < best[g][j]:  # strict: the earliest cut, so later sub-batches are the larger
                    best[g][j], cut[g][j] = work, k
    sizes, j = [], n
    for g in range(count, 0, -1):
        sizes.append(j - cut[g][j])
        j = cut[g][j]
    return sizes[::-1]


class CTranslate2Engine(MarianModelBase):
    """MarianMT in CTranslate2, tokenized with sentencepiece exactly as MarianTokenizer does.

    compute_type: CTranslate2's quantization (int8, float32...; int8_float16 on a GPU); threads 0: all cores;
    parallel_batches 0: one sub-batch decoder per thread (on the CPU; a GPU decodes one batch at a time);
    cache_dir: where the conversion is kept (the model folder may be read-only);
    target_vocabulary: how the output is restricted to target.spm's pieces, which shrinks the output
    projection, the largest single cost of a decoding step: "cut" (a conversion whose decoder holds only
    them), "map" (the whole conversion with its vmap.txt) or "full" (not restricted).
    """

    engine = "ctranslate2"

    def __init__(
        self,
        path: Path,
        *,
        compute_type: str = "int8",
        threads: int = 0,
        parallel_batches: int = 0,
        cache_dir: Path | None = None,
        target_vocabulary: str = "cut",
        **options,
    ):
        import ctranslate2

        super().__init__(path, **options)
        self.compute_type = compute_type
        # Batch-level parallelism: each core decodes its own sub-batch with one thread (bench/subbatch.py and
        # bench/README.md measure it against one batch on all threads). A GPU decodes one batch at a time.
        threads = threads or os.cpu_count() or 1
        self.replicas = 1 if self.device == "cuda" else max(1, min(parallel_batches or threads, threads))
        model_dir = converted(self.path, self.compute_type, cache_dir, target_vocabulary)
        # A model without target.spm has no map and no cut: it decodes onto the whole vocabulary.
        self.use_vmap = target_vocabulary == "map" and (model_dir / "vmap.txt").is_file()
        variant = conversion_variant(self.path, target_vocabulary)
        if variant == "cut" and model_dir.name != conversion_key(self.path, self.compute_type, "cut"):
            variant = "full"  # converted() could not cut this model and fell back to the whole vocabulary
        self.target_vocabulary = variant if not self.use_vmap else "map"
        self.translator = ctranslate2.Translator(
            str(model_dir),
            device=self.device,
            compute_type=self.compute_type,
            inter_threads=self.replicas,
            intra_threads=max(1, threads // self.replicas),
        )

    def describe(self) -> dict:
        """Name and engine (with its compute type)."""
        return {"name": self.name, "engine": f"{self.engine}-{self.compute_type}"}

    def cache_key(self) -> tuple:
        """What, besides the sentence and the beam size, decides the translation."""
        return super().cache_key() + (self.compute_type, self.target_vocabulary)

    def _generate(self, sentences: list[str], beam_size: int) -> list[str]:
        """Everything at once: length-sorted sub-batches of at most batch_size (one per parallel decoder for a
        single text) are all handed to CTranslate2 together, the longest first, so its decoders stay busy with
        full batches when the queue hands over many requests' sentences in one round."""
        tokens = [self.source_tokens(s) for s in sentences]  # with the target-language token as a source prefix
        # Longest first: the decoders take sub-batches in the order given, so the longest ones start first and
        # the short ones fill in at the end (longest-processing-time-first scheduling).
        order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]), reverse=True)
        # As few sub-batches of at most batch_size as possible, in a multiple of the decoders, of equal estimated
        # work so that the decoders finish together.
        count = min(len(tokens), self.replicas * math.ceil(len(tokens) / (self.replicas * self.batch_size)))
        steps = [self.max_new_tokens(len(tokens[i])) for i in order]
        sizes = split_by_work(steps, count, self.batch_size, STEP_COST_ROWS / beam_size)
        ends = list(itertools.accumulate(sizes))
        batches = [order[start:end] for start, end in zip([0] + ends, ends)]
        pending = [
            self.translator.translate_batch(
                [tokens[i] for i in batch],
                beam_size=beam_size,
                no_repeat_ngram_size=self.no_repeat_ngram_size,
                max_input_length=0,
                use_vmap=self.use_vmap,
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
