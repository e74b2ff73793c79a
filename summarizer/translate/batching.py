"""Cross-request batching and the translation cache.

`BatchQueue` is the one door to a model: requests put their sentences in a
bounded queue, a single worker thread takes whatever has arrived (waiting a
few milliseconds for more) and translates it in length-sorted batches. Sentences
of requests that arrive together share batches when they ask for the same
decoding (a job's key, such as its beam size, is handed to the translate call),
so throughput rises with concurrency, and the model never runs in two threads at
once (no oversubscribed cores). Requests announce themselves when they arrive
(`expecting`): while announced requests are still on their way (language
detection, segmentation), the worker waits for them, up to max_gather_s, so that
concurrent requests share one round instead of alternating small and large ones;
a lone request waits for no one. A full queue is `Overloaded` (503), a request
that waits past its deadline is `DeadlineExceeded` (504) and its sentences are
dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Hashable

from ..errors import DeadlineExceeded, Overloaded

log = logging.getLogger(__name__)


@dataclass
class _Job:
    pieces: list[str]
    key: Hashable = None
    done: threading.Event = field(default_factory=threading.Event)
    results: list[str] | None = None
    error: BaseException | None = None


class BatchQueue:
    """A bounded queue of sentences in front of one model, drained by one worker thread."""

    def __init__(
        self,
        translate: Callable[[list[str], Hashable], list[str]],
        max_batch: int,
        max_wait_s: float,
        max_pending: int,
        name: str = "translation",
        max_gather_s: float = 0.0,
    ):
        self._translate = translate
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.max_gather_s = max(max_gather_s, max_wait_s)
        self.max_pending = max_pending
        self._jobs: list[_Job] = []
        self._pending = 0
        self._incoming = 0  # announced requests that have not submitted yet
        self._announced = threading.local()
        self._cond = threading.Condition()
        self.batches = 0
        self.pieces_translated = 0
        self._worker = threading.Thread(target=self._run, name=f"{name}-batcher", daemon=True)
        self._worker.start()

    @property
    def depth(self) -> int:
        """Sentences waiting or being translated."""
        return self._pending

    @contextmanager
    def expecting(self):
        """Announce that this thread's request will probably submit soon (until it does, or the block ends)."""
        with self._cond:
            self._incoming += 1
        self._announced.active = True
        try:
            yield
        finally:
            self._arrived()

    def _arrived(self) -> None:
        with self._cond:
            self._arrived_locked()

    def _arrived_locked(self) -> None:
        if getattr(self._announced, "active", False):
            self._announced.active = False
            self._incoming -= 1
            self._cond.notify()

    def submit(self, pieces: list[str], timeout_s: float | None, key: Hashable = None) -> list[str]:
        """Translate pieces with whatever else is queued under the same key; raises Overloaded or DeadlineExceeded."""
        if not pieces:
            self._arrived()
            return []
        job = _Job(pieces, key)
        with self._cond:
            # the announcement ends where the job is queued, in one step: the worker never sees this request
            # as neither on its way nor queued, and never starts a round without it
            self._arrived_locked()
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
            key = self._jobs[0].key  # the oldest job decides what this round decodes
            start = time.monotonic()
            while sum(len(j.pieces) for j in self._jobs if j.key == key) < self.max_batch:
                # a short wait for whoever arrives; longer while announced requests are still on their way
                left = start + (self.max_gather_s if self._incoming else self.max_wait_s) - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            taken, total = [], 0
            for job in [j for j in self._jobs if j.key == key]:
                if taken and total + len(job.pieces) > self.max_batch:
                    break
                self._jobs.remove(job)
                taken.append(job)
                total += len(job.pieces)
            return taken

    def _run(self) -> None:
        while True:
            jobs = self._take()
            pieces = [p for j in jobs for p in j.pieces]
            try:
                results = self._translate(pieces, jobs[0].key)
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
