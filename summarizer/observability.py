"""Request ids, structured JSON logs and Prometheus metrics.

Logs never contain the submitted text unless SUMMARIZER_LOG_TEXT is on: a
request is logged by its size, language, status and timing.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import uuid

from flask import Flask, Response, g, has_request_context, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = logging.getLogger("summarizer.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any `extra` fields."""

    STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id
        entry.update({k: v for k, v in record.__dict__.items() if k not in self.STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for the whole process (idempotent)."""
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root.handlers = [handler]
    root.setLevel(level)


class PipelineMetrics:
    """The pipeline's own counters (sentences, tokens, batches, cache) and gauges (queue, models) as metrics.

    The queue, engine and cache count in plain integers; `sync` adds what they counted since the last sync
    to the metrics, after every request and before every scrape. With several gunicorn workers
    (PROMETHEUS_MULTIPROC_DIR) prometheus_client keeps each process's values in a shared folder, and a scrape
    of any worker sums them; without it they live in this process.
    """

    COUNTERS = (
        ("sentences_translated", "Sentences (pieces) translated by the model"),
        ("tokens_generated", "Target tokens generated"),
        ("translation_batches", "Model batches run"),
        ("cache_hits", "Translation cache hits"),
        ("cache_misses", "Translation cache misses"),
    )

    def __init__(self, pipeline, registry: CollectorRegistry):
        self.pipeline = pipeline
        self.counters = {name: Counter(f"summarizer_{name}", text, registry=registry) for name, text in self.COUNTERS}
        self.queue_depth = Gauge(
            "summarizer_queue_depth",
            "Sentences waiting or being translated",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.loaded = Gauge(
            "summarizer_model_loaded",
            "1 when the model is loaded (in every live worker process)",
            ["role", "name"],
            registry=registry,
            multiprocess_mode="min",
        )
        self.device = Gauge(
            "summarizer_model_device",
            "1 for the device each loaded model runs on",
            ["role", "name", "device"],
            registry=registry,
            multiprocess_mode="max",
        )
        self._seen = dict.fromkeys(self.counters, 0)
        self._lock = threading.Lock()
        # What is loaded, and where, is settled at start-up: set once, not read from the model store per request.
        for row in pipeline.models.status():
            self.loaded.labels(row["role"], row["name"]).set(1.0 if row["loaded"] else 0.0)
            if row["loaded"]:
                self.device.labels(row["role"], row["name"], row["device"]).set(1.0)

    def _now(self) -> dict[str, int]:
        now = dict.fromkeys(self.counters, 0)
        for translator in self.pipeline.models.translators():  # both directions' counts, summed
            stats = translator.cache.stats()
            now["sentences_translated"] += translator.queue.pieces_translated
            now["tokens_generated"] += translator.engine.tokens_out
            now["translation_batches"] += translator.queue.batches
            now["cache_hits"] += stats["hits"]
            now["cache_misses"] += stats["misses"]
        return now

    def sync(self) -> None:
        """Add what was counted since the last sync; set the queue's depth."""
        with self._lock:
            now = self._now()
            for name, value in now.items():
                if value > self._seen[name]:
                    self.counters[name].inc(value - self._seen[name])
                self._seen[name] = value
        self.queue_depth.set(sum(t.queue.depth for t in self.pipeline.models.translators()))


# Metric labels take a bounded set of values: each new value is a new time series kept for the life of the
# worker, so a label copied from the request (any method name a client invents) would grow /metrics and memory
# without bound. Endpoints are the app's own URL rules, or "unmatched".
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"})


def _method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else "other"


def _status_label(status: int) -> str:
    return str(status) if 100 <= status <= 599 else "other"


def init_app(app: Flask, log_text: bool = False) -> None:
    """Request ids, the access log line, HTTP metrics and /metrics."""
    registry = CollectorRegistry()
    multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")  # set by gunicorn_conf for several workers
    requests_total = Counter(
        "summarizer_http_requests", "HTTP requests", ["endpoint", "method", "status"], registry=registry
    )
    latency = Histogram(
        "summarizer_http_request_duration_seconds",
        "HTTP request latency",
        ["endpoint"],
        registry=registry,
        buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
    )
    pipeline_metrics = PipelineMetrics(app.extensions["summarizer.pipeline"], registry)
    exposed = registry
    if multiprocess_dir:  # a scrape of any worker shows every worker's values, summed
        exposed = CollectorRegistry()
        multiprocess.MultiProcessCollector(exposed, path=multiprocess_dir)
    if "summarizer.jobs" in app.extensions:
        from .jobs_api import JobsCollector

        exposed.register(JobsCollector(app.extensions["summarizer.jobs"][0]))  # read from the job store
    app.extensions["summarizer.metrics"] = exposed

    @app.before_request
    def _start():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        requests_total.labels(endpoint, _method_label(request.method), _status_label(response.status_code)).inc()
        latency.labels(endpoint).observe(elapsed)
        pipeline_metrics.sync()
        fields = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(elapsed * 1000, 2),
            "bytes_in": request.content_length or 0,
        }
        if log_text and request.is_json:
            fields["body"] = request.get_data(as_text=True)[:10_000]
        access_log.info("request", extra=fields)
        return response

    @app.get("/metrics")
    def metrics():
        """Prometheus metrics of the service (every gunicorn worker's, with several)."""
        pipeline_metrics.sync()
        return Response(generate_latest(exposed), mimetype="text/plain; version=0.0.4")
