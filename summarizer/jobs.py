"""Jobs: many texts submitted at once, worked on text by text, read back later.

A job is a list of texts, one task (summarize or translate) and its options. Its texts are worked on one by one,
by Celery workers when SUMMARIZER_REDIS_URL is set (any number of web replicas and workers share the job through
Redis) and by a small thread pool in the web process otherwise (lost at a restart).

Results are written idempotently: each text's result goes to its own slot, written once (`HSETNX`), so a text that
is delivered twice (a worker killed after finishing it but before acknowledging) is neither lost nor counted twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from .errors import DeadlineExceeded, InvalidInput, Overloaded, SummarizerError

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Summarizer-Signature"


@dataclass(frozen=True)
class JobSpec:
    """What a caller asked for: the task, its options, who asked, where to report."""

    task: str
    options: dict
    total: int
    owner: str | None = None
    callback_url: str | None = None


class JobStore(Protocol):
    """Where jobs live: their spec, texts, per-text results, attempts and cancellation."""

    def create(self, spec: JobSpec, texts: list[str], ready: dict[int, dict]) -> str: ...

    def spec(self, job_id: str) -> JobSpec | None: ...

    def text(self, job_id: str, index: int) -> str | None: ...

    def results(self, job_id: str) -> dict[int, dict]: ...

    def put_result(self, job_id: str, index: int, outcome: dict) -> bool: ...

    def attempt(self, job_id: str, index: int) -> int: ...

    def claim(self, job_id: str, index: int) -> tuple[JobSpec | None, str | None, str]: ...

    def started(self, job_id: str) -> int: ...

    def cancel(self, job_id: str) -> None: ...

    def cancelled(self, job_id: str) -> bool: ...

    def claim_finish(self, job_id: str) -> bool: ...

    def stats(self) -> dict: ...


class JobRunner(Protocol):
    """What runs a job's texts: in this process (LocalRunner) or on Celery workers (worker.CeleryDispatcher)."""

    def admit(self, count: int) -> None: ...

    def enqueue(self, job_id: str, indexes: list[int]) -> None: ...

    def close(self) -> None: ...


def new_job_id() -> str:
    """An unguessable job id."""
    return secrets.token_urlsafe(16)


def status_of(store: JobStore, job_id: str, spec: JobSpec) -> dict:
    """The job as the API shows it: id, status, done, total and the results so far, in index order."""
    results = store.results(job_id)
    done = len(results)
    if done >= spec.total:
        failed = all("error" in r for r in results.values())
        status = "failed" if failed else "done"
    elif store.cancelled(job_id):
        status = "cancelled"
    elif store.started(job_id):
        status = "running"
    else:
        status = "queued"
    return {
        "id": job_id,
        "status": status,
        "done": done,
        "total": spec.total,
        "results": [{"index": i, **results[i]} for i in sorted(results)],
    }


def run_item(store: JobStore, pipeline, job_id: str, index: int, timeouts: tuple = ()) -> str:
    """Work on one text of a job, once: skipped when cancelled or already done; its error is its own result.

    `timeouts` are the exception types that mean the text ran out of time (recorded as a 504 for that text).
    Returns what happened: "done", "skipped" or "cancelled".
    """
    spec, text, state = store.claim(job_id, index)
    if spec is None or state != "run":
        return state
    store.put_result(job_id, index, run_text(pipeline, spec, text, timeouts))
    return "done"


def chunks(indexes: list[int], max_size: int) -> list[list[int]]:
    """Indexes in chunks of at most max_size, at least 16 chunks when there are enough texts (so that many
    workers share a job while a large job pays the per-task cost once per chunk)."""
    size = max(1, min(max_size, len(indexes) // 16))
    return [indexes[i : i + size] for i in range(0, len(indexes), size)]


def run_text(pipeline, spec: JobSpec, text: Any, timeouts: tuple = ()) -> dict:
    """{"result": ...} or {"error": ...}: one text through the pipeline, as the synchronous batch API shows it."""
    from .service import Options

    options = Options(**spec.options)
    try:
        call = pipeline.process if spec.task == "summarize" else pipeline.translate
        return {"result": call(text, options).to_dict()}
    except SummarizerError as exc:
        return {"error": {**exc.to_dict(), "status": exc.status}}
    except timeouts:
        error = DeadlineExceeded("The text took longer than the job time limit (SUMMARIZER_JOB_TIME_LIMIT_S)")
        return {"error": {**error.to_dict(), "status": error.status}}
    except Exception:  # a fault in one text is that text's error, never the job's
        log.exception("job text failed")
        return {"error": {"code": "internal_error", "message": "Internal error; it has been logged", "status": 500}}


# -- callbacks --------------------------------------------------------------------------------------------------


def check_callback_url(url: Any, allowed_hosts: list[str]) -> str:
    """The callback URL if its host is listed in SUMMARIZER_CALLBACK_HOSTS; InvalidInput otherwise."""
    if not isinstance(url, str) or not url:
        raise InvalidInput("'callback_url' must be an http(s) URL", field="callback_url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("'callback_url' must be an http(s) URL", field="callback_url")
    host = parts.hostname.lower()
    hostport = f"{host}:{parts.port}" if parts.port else host
    if not allowed_hosts:
        raise InvalidInput("Callbacks are off: the server lists no SUMMARIZER_CALLBACK_HOSTS", field="callback_url")
    if host not in allowed_hosts and hostport not in allowed_hosts:
        raise InvalidInput(
            f"'callback_url' host {host!r} is not one the server may call (SUMMARIZER_CALLBACK_HOSTS)",
            field="callback_url",
        )
    return url


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A callback goes to the listed host only: a redirect elsewhere is a failed delivery, not followed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        """Never follow."""
        return


_NO_REDIRECTS = urllib.request.build_opener(_RefuseRedirects)


def sign(body: bytes, secret: str) -> str:
    """The signature header's value: sha256=<hex HMAC-SHA256 of the body>."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def post_callback(url: str, payload: dict, secret: str, timeout_s: float = 10.0) -> int:
    """POST the finished job to url, signed; returns the status; raises OSError on failure (the caller retries)."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)},
    )
    with _NO_REDIRECTS.open(request, timeout=timeout_s) as response:  # the host was checked at submit
        return response.status


# -- in-process jobs (no Redis) ---------------------------------------------------------------------------------


class MemoryJobStore:
    """Jobs in this process's memory, expiring after ttl_s; lost at a restart."""

    def __init__(self, ttl_s: float):
        self.ttl_s = ttl_s
        self._jobs: dict[str, dict] = {}
        self._lock = threading.Lock()

    def _job(self, job_id: str) -> dict | None:
        job = self._jobs.get(job_id)
        if job is not None and job["expires"] < time.monotonic():
            self._jobs.pop(job_id, None)
            return None
        return job

    def create(self, spec: JobSpec, texts: list[str], ready: dict[int, dict]) -> str:
        """Store a new job; `ready` holds results known at once (texts refused at submission)."""
        job_id = new_job_id()
        with self._lock:
            self._expire()
            self._jobs[job_id] = {
                "spec": spec,
                "texts": list(texts),
                "results": dict(ready),
                "attempts": {},
                "cancelled": False,
                "finished": False,
                "created": time.monotonic(),
                "expires": time.monotonic() + self.ttl_s,
            }
        return job_id

    def _expire(self) -> None:
        now = time.monotonic()
        for job_id in [j for j, job in self._jobs.items() if job["expires"] < now]:
            del self._jobs[job_id]

    def spec(self, job_id: str) -> JobSpec | None:
        """The job's spec, or None when unknown or expired."""
        with self._lock:
            job = self._job(job_id)
            return job["spec"] if job else None

    def text(self, job_id: str, index: int) -> str | None:
        """One text of the job."""
        with self._lock:
            job = self._job(job_id)
            return job["texts"][index] if job else None

    def results(self, job_id: str) -> dict[int, dict]:
        """The results so far by index."""
        with self._lock:
            job = self._job(job_id)
            return dict(job["results"]) if job else {}

    def put_result(self, job_id: str, index: int, outcome: dict) -> bool:
        """Record a text's result once; False when it was already there."""
        with self._lock:
            job = self._job(job_id)
            if job is None or index in job["results"]:
                return False
            job["results"][index] = outcome
            return True

    def attempt(self, job_id: str, index: int) -> int:
        """Count a start of work on a text; returns how many starts it has had."""
        with self._lock:
            job = self._job(job_id)
            if job is None:
                return 0
            job["attempts"][index] = job["attempts"].get(index, 0) + 1
            return job["attempts"][index]

    def claim(self, job_id: str, index: int) -> tuple[JobSpec | None, str | None, str]:
        """(spec, text, "run") counting a start of work on the text, or (spec, None, why not): "skipped" when
        unknown, expired or already done, "cancelled" when the job was cancelled."""
        with self._lock:
            job = self._job(job_id)
            if job is None or index in job["results"]:
                return (job["spec"] if job else None), None, "skipped"
            if job["cancelled"]:
                return job["spec"], None, "cancelled"
            job["attempts"][index] = job["attempts"].get(index, 0) + 1
            return job["spec"], job["texts"][index], "run"

    def started(self, job_id: str) -> int:
        """Texts whose work has started."""
        with self._lock:
            job = self._job(job_id)
            return len(job["attempts"]) if job else 0

    def cancel(self, job_id: str) -> None:
        """Mark the job cancelled: texts not started are never run."""
        with self._lock:
            job = self._job(job_id)
            if job:
                job["cancelled"] = True

    def cancelled(self, job_id: str) -> bool:
        """Whether the job was cancelled."""
        with self._lock:
            job = self._job(job_id)
            return bool(job and job["cancelled"])

    def claim_finish(self, job_id: str) -> bool:
        """True for exactly one caller once the job is complete (who then sends the callback)."""
        with self._lock:
            job = self._job(job_id)
            if job is None or job["finished"] or len(job["results"]) < job["spec"].total:
                return False
            job["finished"] = True
            job["texts"] = []  # every text has its result: only the results are kept until the job expires
            return True

    def stats(self) -> dict:
        """Counters of this process's jobs, and the age of the oldest job whose texts have not started."""
        with self._lock:  # the pool's threads write results and attempts: read them under the lock
            jobs = list(self._jobs.values())
            results = [r for job in jobs for r in job["results"].values()]
            unfinished = [j for j in jobs if not j["cancelled"] and len(j["results"]) < j["spec"].total]
            waiting = [j for j in unfinished if not j["attempts"]]
            running = len(unfinished) - len(waiting)
            ages = [time.monotonic() - j["created"] for j in waiting]
        return {
            "done": sum("result" in r for r in results),
            "failed": sum("error" in r for r in results),
            "redelivered": 0,
            "queued_jobs": len(waiting),
            "running_jobs": running,
            "oldest_queued_age_s": max(ages, default=0.0),
            "queued_texts": self.pending_texts(),
        }

    def pending_texts(self) -> int:
        """Texts without a result in unfinished, uncancelled jobs."""
        with self._lock:
            return sum(
                job["spec"].total - len(job["results"])
                for job in self._jobs.values()
                if not job["cancelled"] and not job["finished"]
            )


class LocalRunner:
    """Runs jobs' texts in this process on a small thread pool, bounded by max_pending texts."""

    def __init__(self, store: MemoryJobStore, pipeline, max_pending: int, callback_secret: str, threads: int = 2):
        self.store = store
        self.pipeline = pipeline
        self.max_pending = max_pending
        self.callback_secret = callback_secret
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="job")

    def admit(self, count: int) -> None:
        """Overloaded when count more texts would pass the bound."""
        pending = self.store.pending_texts()
        if pending + count > self.max_pending:
            raise Overloaded(
                f"Too many job texts waiting ({pending}); retry later or run workers (SUMMARIZER_REDIS_URL)",
                retry_after=30,
            )

    def enqueue(self, job_id: str, indexes: list[int]) -> None:
        """Queue the texts of a job."""
        for index in indexes:
            self._pool.submit(self._run, job_id, index)
        if not indexes:
            self._finish(job_id)

    def _run(self, job_id: str, index: int) -> None:
        run_item(self.store, self.pipeline, job_id, index)
        self._finish(job_id)

    def _finish(self, job_id: str) -> None:
        if not self.store.claim_finish(job_id):
            return
        spec = self.store.spec(job_id)
        if spec is not None and spec.callback_url:
            # a thread of its own: retries of a failing callback must not hold the threads that run job texts
            threading.Thread(target=self._callback, args=(job_id, spec.callback_url), daemon=True).start()

    def _callback(self, job_id: str, url: str, attempts: int = 5) -> None:
        for attempt in range(attempts):
            spec = self.store.spec(job_id)
            if spec is None:
                return
            try:
                post_callback(url, status_of(self.store, job_id, spec), self.callback_secret)
                return
            except OSError as exc:
                log.warning("callback for job %s failed (attempt %d): %s", job_id, attempt + 1, exc)
                if attempt + 1 < attempts:
                    time.sleep(min(60, 2**attempt))

    def close(self) -> None:
        """Stop taking work; running texts finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)
