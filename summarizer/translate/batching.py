"""Cross-request batching and the translation cache.

`BatchQueue` is the one door to a model: requests put their sentences in a
bounded queue, a single worker thread takes whatever has arrived (waiting a
few milliseconds for more) and translates it in length-sorted batches. Sentences
of requests that arrive together share batches, so throughput rises with
concurrency, and the model never runs in two threads at once (no
oversubscribed cores). A full queue is `Overloaded` (503), a request that waits
past its deadline is `DeadlineExceeded` (504) and its sentences are dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

from ..errors import DeadlineExceeded, Overloaded

log = logging.getLogger(__name__)


@dataclass
class _Job:
    pieces: list[str]
    done: threading.Event = field(default_factory=threading.Event)
    results: list[str] | None = None
    error: BaseException | None = None


class BatchQueue:
    """A bounded queue of sentences in front of one model, drained by one worker thread."""

    def __init__(
        self,
        translate: Callable[[list[str]], list[str]],
        max_batch: int,
        max_wait_s: float,
        max_pending: int,
        name: str = "translation",
    ):
        self._translate = translate
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.max_pending = max_pending
        self._jobs: list[_Job] = []
        self._pending = 0
        self._cond = threading.Condition()
        self.batches = 0
        self.pieces_translated = 0
        self._worker = threading.Thread(target=self._run, name=f"{name}-batcher", daemon=True)
        self._worker.start()

    @property
    def depth(self) -> int:
        """Sentences waiting or being translated."""
        return self._pending

    def submit(self, pieces: list[str], timeout_s: float | None) -> list[str]:
        """Translate pieces with whatever else is queued; raises Overloaded or DeadlineExceeded."""
        if not pieces:
            return []
        job = _Job(pieces)
        with self._cond:
            if self._pending + len(pieces) > self.max_pending:
                raise Overloaded(
                    f"The translation queue is full ({self._pending} sentences waiting); retry shortly",
                    retry_after=max(1, round(self._pending / 50)),
                )
            self._jobs.append(job)
            self._pending += len(pieces)
            self._cond.notify()
        if not job.done.wait(timeout_s):
            with self._cond:
                if job in self._jobs:  # never started: free its place now
                    self._jobs.remove(job)
                    self._pending -= len(job.pieces)
            raise DeadlineExceeded(
                f"Translation did not finish within {timeout_s:g} s; "
                "send a shorter text or retry when the service is less busy"
            )
        if job.error is not None:
            raise job.error
        return job.results

    def _take(self) -> list[_Job]:
        with self._cond:
            while not self._jobs:
                self._cond.wait()
            deadline = time.monotonic() + self.max_wait_s
            while sum(len(j.pieces) for j in self._jobs) < self.max_batch:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            taken, total = [], 0
            while self._jobs and (not taken or total + len(self._jobs[0].pieces) <= self.max_batch):
                job = self._jobs.pop(0)
                taken.append(job)
                total += len(job.pieces)
            return taken

    def _run(self) -> None:
        while True:
            jobs = self._take()
            pieces = [p for j in jobs for p in j.pieces]
            try:
                results = self._translate(pieces)
                error = None
            except Exception as exc:  # handed to every waiting request, never kills the worker
                log.exception("translation batch failed")
                results, error = None, exc
            with self._cond:
                self._pending -= len(pieces)
            self.batches += 1
            self.pieces_translated += len(pieces)
            start = 0
            for job in jobs:
                if error is None:
                    job.results = results[start : start + len(job.pieces)]
                job.error = error
                start += len(job.pieces)
                job.done.set()


class TranslationCache:
    """A bounded LRU map from (model, settings, sentence) to its translation, with hit and miss counts."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key) -> str | None:
        """The cached translation, or None (counted as a miss)."""
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key, value: str) -> None:
        """Remember a translation, forgetting the least recently used past max_entries."""
        if self.max_entries <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def stats(self) -> dict:
        """Entries, capacity, hits and misses."""
        return {"entries": len(self._data), "max_entries": self.max_entries, "hits": self.hits, "misses": self.misses}
