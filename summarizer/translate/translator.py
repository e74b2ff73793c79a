"""The batching front in front of any engine: sentences split to the model's limit, the cache, the queue."""

from __future__ import annotations

from ..segment import split_clauses
from .batching import BatchQueue, Ticket, TranslationCache
from .engine import TranslationEngine


class Translator:
    """Translates sentences with one engine: each sentence split to the engine's input limit, cached pieces
    from the cache, the rest through one BatchQueue (cross-request batching, bounded queue, deadline).

    max_batch: sentences per round; batch_wait_s / gather_s: how long a round waits for more (for announced
    requests); max_queued: the queue's bound; timeout_s: a request's deadline (None or 0: none).
    """

    def __init__(
        self,
        engine: TranslationEngine,
        *,
        cache_size: int = 0,
        max_batch: int = 128,
        batch_wait_s: float = 0.005,
        gather_s: float = 0.0,
        max_queued: int = 2000,
        timeout_s: float | None = None,
    ):
        self.engine = engine
        self.timeout_s = timeout_s or None
        self.cache = TranslationCache(cache_size)
        self.queue = BatchQueue(
            engine.translate,
            max_batch=max_batch,
            max_wait_s=batch_wait_s,
            max_pending=max_queued,
            name=engine.name,
            max_gather_s=gather_s,
        )

    @property
    def name(self) -> str:
        """The engine's model name."""
        return self.engine.name

    @property
    def default_beam_size(self) -> int:
        """The beam used when a request gives none."""
        return self.engine.default_beam_size

    def describe(self) -> dict:
        """Name and engine, for the result's list of models used."""
        return self.engine.describe()

    def expecting(self) -> Ticket:
        """A ticket announcing a request that will probably translate soon (see BatchQueue.expecting)."""
        return self.queue.expecting()

    def translate_sentences(
        self, sentences: list[str], beam_size: int | None = None, ticket: Ticket | None = None
    ) -> list[str]:
        """Translate each sentence (beam_size None: the engine's default); one longer than the model's limit is
        split, never truncated. Raises Overloaded, DeadlineExceeded or QueueClosed from the queue."""
        beam = beam_size or self.engine.default_beam_size
        pieces: list[str] = []
        owners: list[int] = []
        for i, sentence in enumerate(sentences):
            for chunk in self.split_to_limit(sentence):
                pieces.append(chunk)
                owners.append(i)
        prefix = (self.engine.cache_key(), beam)
        cached: list[str | None] = [self.cache.get((prefix, p)) if p.strip() else "" for p in pieces]
        todo = list(dict.fromkeys(p for p, hit in zip(pieces, cached) if hit is None))
        fresh = dict(zip(todo, self.queue.submit(todo, self.timeout_s, key=beam, ticket=ticket)))
        for piece, text in fresh.items():
            self.cache.put((prefix, piece), text)
        out: list[list[str]] = [[] for _ in sentences]
        for owner, piece, hit in zip(owners, pieces, cached):
            text = hit if hit is not None else fresh[piece]
            if text:
                out[owner].append(text)
        return [" ".join(parts) for parts in out]

    def split_to_limit(self, sentence: str) -> list[str]:
        """Pieces of sentence that each fit the input limit: at clauses, then words, then characters."""
        if self._fits(sentence):
            return [sentence]
        units: list[str] = []
        for clause in split_clauses(sentence):
            if self._fits(clause):
                units.append(clause)
                continue
            for word in clause.split():
                units.extend(self._split_word(word))
        return self._pack(units)

    def close(self) -> None:
        """Stop the queue's worker; requests still queued fail with QueueClosed."""
        self.queue.close()

    def _fits(self, text: str) -> bool:
        return self.engine.count_tokens(text) <= self.engine.max_input_tokens

    def _split_word(self, word: str) -> list[str]:
        if self._fits(word):
            return [word]
        parts, current = [], ""
        for ch in word:
            if current and not self._fits(current + ch):
                parts.append(current)
                current = ""
            current += ch
        return parts + ([current] if current else [])

    def _pack(self, units: list[str]) -> list[str]:
        """Greedily join consecutive units while the joined text fits the limit."""
        chunks: list[str] = []
        for unit in units:
            if chunks and self._fits(chunks[-1] + " " + unit):
                chunks[-1] = chunks[-1] + " " + unit
            else:
                chunks.append(unit)
        return chunks
