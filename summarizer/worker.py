"""Jobs on Celery and Redis: the shared job store, the tasks, and `python -m summarizer worker`.

Each text of a job, or a small chunk of a large job's texts, is one Celery task. A worker process loads the models once and runs the same pipeline code
as the web layer. Nothing is lost when a worker dies at any moment: tasks are acknowledged only after they ran
(`acks_late`), a task whose worker process died is handed back (`reject_on_worker_lost`), and a message whose
whole worker vanished is redelivered by the broker after the visibility timeout, which is longer than the
longest task (its hard time limit). A redelivered text that had already finished finds its result and is skipped.
"""

from __future__ import annotations

import json
import logging
import time

from .config import Settings
from .jobs import JobSpec, chunks, new_job_id, post_callback, run_item, status_of

log = logging.getLogger(__name__)

PREFIX = "summarizer:job:"
STATS = "summarizer:jobs:stats"
QUEUED = "summarizer:jobs:queued"  # sorted set: job id -> creation time, while its first text has not started
RUNNING = "summarizer:jobs:running"  # sorted set: job id -> time its first text started, until it is finished
QUEUE_NAME = "summarizer"
# Write a text's result once and count it in the same step: a script runs whole on the server, so a worker that
# dies after the write cannot leave the text done and uncounted.
_PUT_RESULT = """
local written = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
if written == 1 then redis.call('HINCRBY', KEYS[2], ARGV[4], 1) end
return written
"""
# Count a start of work on a text, and a second start as a redelivery, in one step for the same reason.
_ATTEMPT = """
local count = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], 'NX', ARGV[4], ARGV[3])
if count > 1 then redis.call('HINCRBY', KEYS[4], 'redelivered', 1) end
return count
"""


class RedisJobStore:
    """Jobs in Redis, shared by every web replica and worker; every key expires after ttl_s."""

    def __init__(self, client, ttl_s: int):
        self.redis = client
        self.ttl_s = int(ttl_s)
        self._put_result = client.register_script(_PUT_RESULT)
        self._attempt = client.register_script(_ATTEMPT)

    def _key(self, job_id: str, part: str) -> str:
        return f"{PREFIX}{job_id}:{part}"

    def create(self, spec: JobSpec, texts: list[str], ready: dict[int, dict]) -> str:
        """Store a new job; `ready` holds results known at once (texts refused at submission)."""
        job_id = new_job_id()
        pipe = self.redis.pipeline()
        pipe.set(self._key(job_id, "spec"), json.dumps(spec.__dict__), ex=self.ttl_s)
        pipe.rpush(self._key(job_id, "texts"), *texts)
        pipe.expire(self._key(job_id, "texts"), self.ttl_s)
        if ready:
            pipe.hset(self._key(job_id, "results"), mapping={str(i): json.dumps(r) for i, r in ready.items()})
            pipe.expire(self._key(job_id, "results"), self.ttl_s)
        if len(ready) < spec.total:
            pipe.zadd(QUEUED, {job_id: time.time()})
        pipe.execute()
        return job_id

    def spec(self, job_id: str) -> JobSpec | None:
        """The job's spec, or None when unknown or expired."""
        raw = self.redis.get(self._key(job_id, "spec"))
        return JobSpec(**json.loads(raw)) if raw else None

    def text(self, job_id: str, index: int) -> str | None:
        """One text of the job."""
        raw = self.redis.lindex(self._key(job_id, "texts"), index)
        return raw.decode("utf-8") if raw is not None else None

    def results(self, job_id: str) -> dict[int, dict]:
        """The results so far by index."""
        return {int(k): json.loads(v) for k, v in self.redis.hgetall(self._key(job_id, "results")).items()}

    def put_result(self, job_id: str, index: int, outcome: dict) -> bool:
        """Record a text's result once (HSETNX) and count it done or failed; False when it was already there."""
        counter = "failed" if "error" in outcome else "done"
        keys = [self._key(job_id, "results"), STATS]
        args = [str(index), json.dumps(outcome, ensure_ascii=False), self.ttl_s, counter]
        return bool(self._put_result(keys=keys, args=args))

    def attempt(self, job_id: str, index: int) -> int:
        """Count a start of work on a text; a second start is a redelivery."""
        keys = [self._key(job_id, "attempts"), QUEUED, RUNNING, STATS]
        count = int(self._attempt(keys=keys, args=[str(index), self.ttl_s, job_id, time.time()]))
        if self.cancelled(job_id):  # cancelled while this text was claimed: not a running job
            self.redis.zrem(RUNNING, job_id)
        return count

    def claim(self, job_id: str, index: int) -> tuple[JobSpec | None, str | None, str]:
        """(spec, text, "run") counting a start of work on the text, or (spec, None, why not): "skipped" when
        unknown, expired or already done, "cancelled" when the job was cancelled. One round trip to look."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(self._key(job_id, "spec"))
        pipe.hexists(self._key(job_id, "results"), str(index))
        pipe.exists(self._key(job_id, "cancelled"))
        pipe.lindex(self._key(job_id, "texts"), index)
        raw, done, cancelled, text = pipe.execute()
        spec = JobSpec(**json.loads(raw)) if raw else None
        if spec is None or done:
            return spec, None, "skipped"
        if cancelled:
            return spec, None, "cancelled"
        self.attempt(job_id, index)
        return spec, text.decode("utf-8"), "run"

    def started(self, job_id: str) -> int:
        """Texts whose work has started."""
        return int(self.redis.hlen(self._key(job_id, "attempts")))

    def cancel(self, job_id: str) -> None:
        """Mark the job cancelled: texts not started are never run."""
        self.redis.set(self._key(job_id, "cancelled"), "1", ex=self.ttl_s)
        self.redis.zrem(QUEUED, job_id)
        self.redis.zrem(RUNNING, job_id)

    def cancelled(self, job_id: str) -> bool:
        """Whether the job was cancelled."""
        return bool(self.redis.exists(self._key(job_id, "cancelled")))

    def claim_finish(self, job_id: str, spec: JobSpec | None = None) -> bool:
        """True for exactly one caller once the job is complete (who then sends the callback)."""
        spec = spec or self.spec(job_id)
        if spec is None or self.redis.hlen(self._key(job_id, "results")) < spec.total:
            return False
        first = bool(self.redis.set(self._key(job_id, "finished"), "1", nx=True, ex=self.ttl_s))
        if first:
            self.redis.zrem(RUNNING, job_id)
        return first

    def stats(self) -> dict:
        """Counters shared by all workers, and the age of the oldest job whose texts have not started."""
        counts = {k.decode(): int(v) for k, v in self.redis.hgetall(STATS).items()}
        expired = time.time() - self.ttl_s  # jobs that expired unfinished leave the sets
        self.redis.zremrangebyscore(QUEUED, "-inf", expired)
        self.redis.zremrangebyscore(RUNNING, "-inf", expired)
        oldest = self.redis.zrange(QUEUED, 0, 0, withscores=True)
        queued_jobs = int(self.redis.zcard(QUEUED))
        return {
            "running_jobs": int(self.redis.zcard(RUNNING)),
            "done": counts.get("done", 0),
            "failed": counts.get("failed", 0),
            "redelivered": counts.get("redelivered", 0),
            "queued_jobs": queued_jobs,
            "oldest_queued_age_s": max(0.0, time.time() - oldest[0][1]) if oldest else 0.0,
            "queued_texts": self.queue_length(),
        }

    def queue_length(self) -> int:
        """Messages waiting in the broker's queue."""
        return int(self.redis.llen(QUEUE_NAME))


def redis_client(url: str):
    """A Redis client for url."""
    import redis

    # bounded: a Redis that stops answering fails the call (a cache miss, a 5xx on the jobs API), never hangs it
    return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)


def make_celery(settings: Settings):
    """The Celery app on settings.redis_url, with the delivery guarantees the jobs rely on."""
    from celery import Celery

    app = Celery("summarizer", broker=settings.redis_url, set_as_current=False)
    app.conf.update(
        task_default_queue=QUEUE_NAME,
        task_acks_late=True,  # acknowledge after the text ran: a worker that dies mid-text loses nothing
        task_reject_on_worker_lost=True,  # a pool process killed mid-text: the message goes back at once
        worker_prefetch_multiplier=1,  # take one text at a time, so other workers share a job
        task_ignore_result=True,  # results go to the job store, idempotently
        task_time_limit=settings.job_time_limit_s,
        task_soft_time_limit=max(1, settings.job_time_limit_s - 5),
        broker_transport_options={
            "visibility_timeout": settings.job_visibility_timeout_s,
            # sweep for texts of vanished workers often enough that they come back soon after the timeout
            "unacked_restore_interval": max(1, min(10, settings.job_visibility_timeout_s // 3)),
            "unacked_restore_throttle": 1,
        },
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    state: dict = {}

    def resources():
        if "store" not in state:
            state["store"] = RedisJobStore(redis_client(settings.redis_url), settings.job_ttl_s)
        return state["store"]

    def pipeline():
        if "pipeline" not in state:  # once per worker process
            from .models import Models
            from .service import Pipeline

            state["pipeline"] = Pipeline(settings, Models.load(settings))
        return state["pipeline"]

    from celery.exceptions import SoftTimeLimitExceeded

    @app.task(name="summarizer.run_texts")
    def run_texts(job_id: str, indexes: list[int]) -> list[str]:
        store = resources()
        outcomes = [run_item(store, pipeline(), job_id, i, timeouts=(SoftTimeLimitExceeded,)) for i in indexes]
        if store.claim_finish(job_id):
            spec = store.spec(job_id)
            if spec is not None and spec.callback_url:
                send_callback.delay(job_id)
        return outcomes

    @app.task(
        name="summarizer.send_callback",
        autoretry_for=(OSError,),
        retry_backoff=2,
        retry_backoff_max=600,
        max_retries=8,
    )
    def send_callback(job_id: str) -> None:
        store = resources()
        spec = store.spec(job_id)
        if spec is None or not spec.callback_url:
            return
        post_callback(spec.callback_url, status_of(store, job_id, spec), settings.callback_secret)

    from celery.signals import worker_process_init

    @worker_process_init.connect(weak=False)
    def _load(**_):
        pipeline()

    return app


class CeleryDispatcher:
    """The web side in Redis mode: jobs go to the shared store, their texts to the Celery queue."""

    def __init__(self, settings: Settings):
        self.celery = make_celery(settings)
        self.chunk_size = settings.job_chunk_texts
        self.store = RedisJobStore(redis_client(settings.redis_url), settings.job_ttl_s)

    def admit(self, count: int) -> None:
        """Workers scale out: nothing is bounded here but the request's own limits."""

    def enqueue(self, job_id: str, indexes: list[int]) -> None:
        """One task per text or per small chunk of texts, sent over one connection."""
        task = self.celery.tasks["summarizer.run_texts"]
        with self.celery.producer_or_acquire() as producer:
            for chunk in chunks(indexes, self.chunk_size):
                task.apply_async((job_id, chunk), producer=producer)
        if not indexes and self.store.claim_finish(job_id):
            spec = self.store.spec(job_id)
            if spec is not None and spec.callback_url:
                self.celery.tasks["summarizer.send_callback"].apply_async((job_id,))

    def close(self) -> None:
        """Release the broker connections."""
        self.celery.close()


def run_worker(settings: Settings, concurrency: int, extra: list[str] | None = None) -> int:
    """Start a Celery worker on settings.redis_url (blocks)."""
    if not settings.redis_url:
        raise SystemExit("Set SUMMARIZER_REDIS_URL (redis://host:port/db) to run workers")
    app = make_celery(settings)
    argv = ["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--pool=prefork", "-Q", QUEUE_NAME]
    app.worker_main(argv + (extra or []))
    return 0


def __getattr__(name: str):
    """`celery -A summarizer.worker ...` (such as compose's health check, `inspect ping`) finds the app here,
    built from the environment's settings when asked for, never at import."""
    if name == "app":
        return make_celery(Settings.from_env())
    raise AttributeError(name)
