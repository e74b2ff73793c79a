"""Cross-request batching and the translation cache.

`BatchQueue` is the one door to a model: requests put their sentences in a
bounded queue, a single worker thread takes whatever has arrived (waiting a
few milliseconds for more) and hands it to the translate function in one call.
Sentences of requests that arrive together share that call when they ask for the
same decoding (a job's key, such as its beam size, is handed to the translate
function), so throughput rises with concurrency, and the model never runs in two
threads at once (no oversubscribed cores).

A request announces itself when it arrives (`ticket = queue.expecting()`) and
hands the ticket to `submit`: while announced requests are still on their way
(language detection, segmentation), the worker waits for them, up to
max_gather_s, so that concurrent requests share one round instead of alternating
small and large ones; a lone request waits for no one, and a ticket that is
cancelled (a text with nothing to translate) is waited for no longer.

A request is admitted in parts of at most one round (max_batch sentences, and no
more than the queue holds): it is refused with `Overloaded` (503) when its first
part does not fit in the queue now, or while an admitted request is still
waiting for room for its parts (those come first); its later parts wait for
room. So one request that fits the service's limits is served on an idle queue
however many sentences it holds, while a queue kept full by other requests still
answers 503. A request that
waits past its deadline is `DeadlineExceeded` (504) and its parts not yet
started are dropped. `close()` stops the worker; what is still queued then fails
with `QueueClosed`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Self

from ..errors import DeadlineExceeded, ModelUnavailable, Overloaded

log = logging.getLogger(__name__)


class QueueClosed(ModelUnavailable):
    """The queue was closed (the service is stopping): nothing more is translated."""


class Ticket:
    """An announced request: the worker waits for it (up to max_gather_s) until it submits or is cancelled."""

    def __init__(self, queue: BatchQueue):
        self._queue = queue
        self.active = True

    def cancel(self) -> None:
        """Stop being waited for (idempotent); `submit` does this itself when the request's job is queued."""
        with self._queue._cond:
            self._queue._withdraw(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.cancel()


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
        translate: Callable[[list[str], Any], list[str]],
        max_batch: int,
        max_wait_s: float,
        max_pending: int,
        name: str = "translation",
        max_gather_s: float = 0.0,
    ):
        self._translate = translate
        self.max_batch = max(1, max_batch)
        self.max_wait_s = max_wait_s
        self.max_gather_s = max(max_gather_s, max_wait_s)
        self.max_pending = max(1, max_pending)
        self._jobs: list[_Job] = []
        self._pending = 0
        self._incoming = 0  # announced requests that have neither submitted nor cancelled
        self._feeding = 0  # admitted requests still queueing their parts
        self._closed = False
        self._cond = threading.Condition()
        self.batches = 0
        self.pieces_translated = 0
        self._worker = threading.Thread(target=self._run, name=f"{name}-batcher", daemon=True)
        self._worker.start()

    @property
    def depth(self) -> int:
        """Sentences waiting or being translated."""
        return self._pending

    def expecting(self) -> Ticket:
        """Announce a request that will probably submit soon; hand the ticket to `submit`, or cancel it."""
        ticket = Ticket(self)
        with self._cond:
            self._incoming += 1
        return ticket

    def _withdraw(self, ticket: Ticket | None) -> None:
        """End an announcement (the caller holds the lock)."""
        if ticket is not None and ticket.active:
            ticket.active = False
            self._incoming -= 1
            self._cond.notify_all()

    def submit(
        self, pieces: list[str], timeout_s: float | None, key: Hashable = None, ticket: Ticket | None = None
    ) -> list[str]:
        """Translate pieces with whatever else is queued under the same key, in parts of at most one round.

        Raises Overloaded when the first part does not fit now, DeadlineExceeded past timeout_s, QueueClosed
        after close(), or what the translate function raised.
        """
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        size = min(self.max_batch, self.max_pending)
        parts = [pieces[i : i + size] for i in range(0, len(pieces), size)]
        jobs = [_Job(part, key) for part in parts]
        with self._cond:
            # the announcement ends where the first part is queued, in one step: the worker never sees this
            # request as neither on its way nor queued, and never starts a round without it
            self._withdraw(ticket)
            if self._closed:
                raise QueueClosed("The translation queue is closed: the service is stopping")
            # admitted requests still feeding their parts come first: a newcomer is refused while any waits
            if jobs and (self._feeding or self._pending + len(jobs[0].pieces) > self.max_pending):
                raise Overloaded(
                    f"The translation queue is full ({self._pending} sentences waiting); retry shortly",
                    retry_after=max(1, round(self._pending / 50)),
                )
            self._feeding += 1
            try:
                for job in jobs:
                    # later parts wait for room: the request was admitted, the queue stays bounded
                    while not self._closed and self._pending + len(job.pieces) > self.max_pending:
                        left = _left(deadline)
                        if left == 0:
                            self._drop(jobs)
                            raise self._deadline_exceeded(timeout_s)
                        self._cond.wait(left)
                    if self._closed:
                        self._drop(jobs)
                        raise QueueClosed("The translation queue is closed: the service is stopping")
                    self._jobs.append(job)
                    self._pending += len(job.pieces)
                    self._cond.notify_all()
            finally:
                self._feeding -= 1
        results: list[str] = []
        for job in jobs:
            if not job.done.wait(_left(deadline)):
                with self._cond:
                    self._drop(jobs)
                raise self._deadline_exceeded(timeout_s)
            if job.error is not None:
                with self._cond:
                    self._drop(jobs)
                raise job.error
            results += job.results or []
        return results

    def _drop(self, jobs: list[_Job]) -> None:
        """Free the places of a request's jobs that have not started (the caller holds the lock)."""
        for job in jobs:
            if job in self._jobs:
                self._jobs.remove(job)
                self._pending -= len(job.pieces)
        self._cond.notify_all()

    @staticmethod
    def _deadline_exceeded(timeout_s: float | None) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"Translation did not finish within {timeout_s:g} s; "
            "send a shorter text or retry when the service is less busy"
        )

    def close(self, timeout_s: float | None = 30.0) -> None:
        """Stop the worker after its current round; queued requests fail with QueueClosed (idempotent)."""
        with self._cond:
            self._closed = True
            jobs, self._jobs = self._jobs, []
            for job in jobs:
                self._pending -= len(job.pieces)
                job.error = QueueClosed("The translation queue was closed before this text was translated")
                job.done.set()
            self._cond.notify_all()
        if self._worker is not threading.current_thread():
            self._worker.join(timeout_s)

    def _take(self) -> list[_Job]:
        """The jobs of the next round ([] once closed)."""
        with self._cond:
            while not self._jobs and not self._closed:
                self._cond.wait()
            if self._closed:
                return []
            key = self._jobs[0].key  # the oldest job decides what this round decodes
            start = time.monotonic()
            while sum(len(j.pieces) for j in self._jobs if j.key == key) < self.max_batch and not self._closed:
                # a short wait for whoever arrives; longer while announced requests are still on their way
                left = start + (self.max_gather_s if self._incoming else self.max_wait_s) - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            taken: list[_Job] = []
            total = 0
            for job in [j for j in self._jobs if j.key == key]:
                if taken and total + len(job.pieces) > self.max_batch:
                    break
                self._jobs.remove(job)
                taken.append(job)
                total += len(job.pieces)
            return taken

    def _run(self) -> None:
        while jobs := self._take():
            pieces = [p for j in jobs for p in j.pieces]
            results: list[str] = []
            error: BaseException | None = None
            try:
                results = self._translate(pieces, jobs[0].key)
            except Exception as exc:  # handed to every waiting request, never kills the worker
                log.exception("translation batch failed")
                error = exc
            with self._cond:
                self._pending -= len(pieces)
                self._cond.notify_all()  # room for parts waiting to be queued
            self.batches += 1
            self.pieces_translated += len(pieces)
            start = 0
            for job in jobs:
                if error is None:
                    job.results = results[start : start + len(job.pieces)]
                job.error = error
                start += len(job.pieces)
                job.done.set()


def _left(deadline: float | None) -> float | None:
    """Seconds until deadline (None: no deadline), never negative."""
    return None if deadline is None else max(0.0, deadline - time.monotonic())


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
