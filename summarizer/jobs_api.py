"""The jobs API under /api/v1/jobs: submit many texts, read the results later, cancel."""

from __future__ import annotations

import logging
from typing import cast

from flask import Blueprint, Flask, current_app, g, jsonify, request

from .errors import Conflict, NotFound, Overloaded
from .inputs import parse
from .jobs import JobRunner, JobSpec, JobStore, LocalRunner, MemoryJobStore, check_callback_url, status_of
from .schemas import JobRequest

bp = Blueprint("jobs", __name__)
log = logging.getLogger(__name__)


def init_app(app: Flask, settings, pipeline) -> None:
    """The job store and runner: Celery on Redis when SUMMARIZER_REDIS_URL is set, in-process otherwise."""
    store: JobStore
    runner: JobRunner
    if settings.redis_url:
        from .worker import CeleryDispatcher

        dispatcher = CeleryDispatcher(settings)
        store, runner = dispatcher.store, dispatcher
    else:
        memory = MemoryJobStore(settings.job_ttl_s)
        store, runner = memory, LocalRunner(memory, pipeline, settings.max_local_job_texts, settings.callback_secret)
    app.extensions["summarizer.jobs"] = (store, runner)
    app.register_blueprint(bp, url_prefix="/api/v1/jobs")


class JobsCollector:
    """Scrape-time job metrics from the job store (in Redis mode: what every worker recorded)."""

    def __init__(self, store: JobStore):
        self.store = store

    def collect(self):
        """Texts done, failed and redelivered; jobs waiting and running; texts waiting; the oldest waiting job's age."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        try:
            stats = self.store.stats()
        except Exception as exc:  # noqa: BLE001 - Redis unreachable: no job metrics this scrape, never a failed scrape
            log.warning("job metrics unavailable: %s", exc)
            return
        for name in ("done", "failed", "redelivered"):
            yield CounterMetricFamily(f"summarizer_job_texts_{name}", f"Job texts {name}", value=stats[name])
        yield GaugeMetricFamily("summarizer_jobs_queued", "Jobs none of whose texts has started", stats["queued_jobs"])
        yield GaugeMetricFamily("summarizer_jobs_running", "Jobs started and not finished", stats["running_jobs"])
        yield GaugeMetricFamily("summarizer_job_texts_queued", "Job texts waiting", value=stats["queued_texts"])
        yield GaugeMetricFamily(
            "summarizer_job_oldest_queued_age_seconds",
            "Age of the oldest job none of whose texts has started",
            value=stats["oldest_queued_age_s"],
        )


def _jobs() -> tuple[JobStore, JobRunner]:
    return current_app.extensions["summarizer.jobs"]


def _store_unavailable(view):
    """Redis or the broker out of reach is a 503 to retry, not a 500."""
    import functools

    from kombu.exceptions import OperationalError
    from redis.exceptions import RedisError

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except (RedisError, OperationalError) as exc:
            log.warning("job store or broker unavailable: %s", exc)
            raise Overloaded("The job store is unavailable; retry shortly", retry_after=10) from None

    return guarded


@bp.post("")
@_store_unavailable
def submit():
    """Queue a job of one or many texts; 202 with its id and a Location to poll. Bad input is refused here."""
    settings = current_app.extensions["summarizer.settings"]
    parsed = parse(request, settings, job=True)
    job = cast(JobRequest, parsed.request)
    callback = job.callback_url
    if callback is not None:
        hosts = [h.strip().lower() for h in settings.callback_hosts.split(",") if h.strip()]
        callback = check_callback_url(callback, hosts if settings.callback_secret else [])
    ready = {i: {"error": {**exc.to_dict(), "status": exc.status}} for i, exc in parsed.errors.items()}
    options = parsed.options.model_dump(exclude={"summarize"})
    spec = JobSpec(job.task, options, len(parsed.texts), g.get("api_key_name"), callback)
    store, runner = _jobs()
    runner.admit(len(parsed.texts) - len(ready))
    job_id = store.create(spec, parsed.texts, ready)
    try:
        runner.enqueue(job_id, [i for i in range(len(parsed.texts)) if i not in ready])
    except Exception:
        store.cancel(job_id)  # never left "queued" with nothing on its way
        raise
    response = jsonify({"id": job_id, "status": "queued", "total": len(parsed.texts)})
    response.status_code = 202
    response.headers["Location"] = f"/api/v1/jobs/{job_id}"
    return response


def _owned(job_id: str) -> JobSpec:
    store, _ = _jobs()
    spec = store.spec(job_id)
    if spec is None or spec.owner != g.get("api_key_name"):
        raise NotFound(f"No job {job_id!r}: unknown, expired, or created with another key")
    return spec


@bp.get("/<job_id>")
@_store_unavailable
def read(job_id: str):
    """The job's status and the results finished so far."""
    spec = _owned(job_id)
    store, _ = _jobs()
    return jsonify(status_of(store, job_id, spec))


@bp.delete("/<job_id>")
@_store_unavailable
def cancel(job_id: str):
    """Cancel the texts that have not started; 409 when the job is already finished."""
    spec = _owned(job_id)
    store, _ = _jobs()
    state = status_of(store, job_id, spec)
    if state["status"] in ("done", "failed"):
        raise Conflict("The job has finished; there is nothing left to cancel", job_status=state["status"])
    store.cancel(job_id)
    return jsonify(status_of(store, job_id, spec))
