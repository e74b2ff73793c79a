"""What every translation engine shares: sentence splitting to the model's limit and batching."""

from __future__ import annotations

import abc

from ..config import Settings
from ..segment import split_clauses
from .batching import BatchQueue, TranslationCache


class Translator(abc.ABC):
    """Translates sentences; engines implement token counting and one batch of generation.

    Every call goes through the cache, then through one BatchQueue per model
    (cross-request batching, bounded queue, deadline).
    """

    engine = "abstract"
    num_beams = 1  # the default beam size; engines set it from settings or the model

    def __init__(self, name: str, max_input_tokens: int, settings: Settings):
        self.name = name
        self.max_input_tokens = max_input_tokens
        self.batch_size = max(1, settings.batch_size)
        self.timeout_s = settings.request_timeout_s or None
        self.cache = TranslationCache(settings.translation_cache_size)
        self.tokens_out = 0  # target tokens generated, counted by the engines (in the queue's one worker)
        self.queue = BatchQueue(
            self.translate_sorted,
            max_batch=self.batch_size * settings.batches_per_round,
            max_wait_s=settings.batch_wait_ms / 1000,
            max_pending=settings.max_queued_sentences,
            name=name,
            max_gather_s=settings.batch_gather_ms / 1000,
        )

    @abc.abstractmethod
    def count_tokens(self, text: str) -> int:
        """Source tokens of text, end-of-sentence included."""

    def cache_key(self) -> tuple:
        """What, besides the sentence and the beam size, decides the translation (model, engine, settings)."""
        return (self.engine, self.name)

    @abc.abstractmethod
    def _translate_many(self, sentences: list[str], num_beams: int) -> list[str]:
        """Translate non-empty sentences that each fit the model's input limit, with this beam size, in order;
        the engine decides how to batch them."""

    def describe(self) -> dict:
        """Name and engine, for the result's list of models used."""
        return {"name": self.name, "engine": self.engine}

    def translate_sentences(self, sentences: list[str], num_beams: int | None = None) -> list[str]:
        """Translate each sentence (beam size: num_beams, else the configured one); one longer than the model's
        limit is split, never truncated."""
        pieces: list[str] = []
        owners: list[int] = []
        for i, sentence in enumerate(sentences):
            for chunk in self.split_to_limit(sentence):
                pieces.append(chunk)
                owners.append(i)
        translated = self.translate_pieces(pieces, num_beams)
        out: list[list[str]] = [[] for _ in sentences]
        for owner, text in zip(owners, translated):
            if text:
                out[owner].append(text)
        return [" ".join(parts) for parts in out]

    def translate_pieces(self, pieces: list[str], num_beams: int | None = None) -> list[str]:
        """Translate pieces that fit the limit: cached ones from the cache, the rest through the queue."""
        beams = num_beams or self.num_beams
        prefix = self.cache_key() + (beams,)
        results: list[str | None] = [self.cache.get((prefix, p)) if p.strip() else "" for p in pieces]
        todo = list(dict.fromkeys(p for p, r in zip(pieces, results) if r is None))
        fresh = dict(zip(todo, self.queue.submit(todo, self.timeout_s, key=beams)))
        for piece, text in fresh.items():
            self.cache.put((prefix, piece), text)
        return [r if r is not None else fresh[p] for p, r in zip(pieces, results)]

    def translate_sorted(self, pieces: list[str], num_beams: int | None = None) -> list[str]:
        """Translate pieces with the engine's batching, keeping their order; no cache, no queue."""
        beams = num_beams or self.num_beams
        results = [""] * len(pieces)
        todo = [i for i in range(len(pieces)) if pieces[i].strip()]
        for i, text in zip(todo, self._translate_many([pieces[i] for i in todo], beams)):
            results[i] = text.strip()
        return results

    def split_to_limit(self, sentence: str) -> list[str]:
        """Pieces of sentence that each fit the input limit: at clauses, then words, then characters."""
        if self.count_tokens(sentence) <= self.max_input_tokens:
            return [sentence]
        units: list[str] = []
        for clause in split_clauses(sentence):
            if self.count_tokens(clause) <= self.max_input_tokens:
                units.append(clause)
                continue
            for word in clause.split():
                units.extend(self._split_word(word))
        return self._pack(units)

    def _split_word(self, word: str) -> list[str]:
        if self.count_tokens(word) <= self.max_input_tokens:
            return [word]
        parts, current = [], ""
        for ch in word:
            if current and self.count_tokens(current + ch) > self.max_input_tokens:
                parts.append(current)
                current = ""
            current += ch
        return parts + ([current] if current else [])

    def _pack(self, units: list[str]) -> list[str]:
        """Greedily join consecutive units while the joined text fits the limit."""
        chunks: list[str] = []
        for unit in units:
            if chunks and self.count_tokens(chunks[-1] + " " + unit) <= self.max_input_tokens:
                chunks[-1] = chunks[-1] + " " + unit
            else:
                chunks.append(unit)
        return chunks
