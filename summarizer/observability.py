"""Request ids, structured JSON logs and Prometheus metrics.

Logs never contain the submitted text unless SUMMARIZER_LOG_TEXT is on: a
request is logged by its size, language, status and timing.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, Response, g, has_request_context, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

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


class PipelineCollector:
    """Scrape-time metrics read from the pipeline's models: model state, queue, sentences and tokens, cache."""

    def __init__(self, pipeline):
        self.pipeline = pipeline

    def collect(self):
        """The metric families, read now."""
        models = self.pipeline.models
        loaded = GaugeMetricFamily("summarizer_model_loaded", "1 when the model is loaded", labels=["role", "name"])
        rows = models.status()
        for row in rows:
            loaded.add_metric([row["role"], row["name"]], 1.0 if row["loaded"] else 0.0)
        yield loaded
        device = GaugeMetricFamily(
            "summarizer_model_device", "1 for the device each loaded model runs on", labels=["role", "name", "device"]
        )
        for row in rows:
            if row["loaded"]:
                device.add_metric([row["role"], row["name"], row["device"]], 1.0)
        yield device
        translator = models.translator
        if translator is None:
            return
        yield GaugeMetricFamily(
            "summarizer_queue_depth", "Sentences waiting or being translated", value=translator.queue.depth
        )
        yield CounterMetricFamily(
            "summarizer_sentences_translated",
            "Sentences (pieces) translated by the model",
            value=translator.queue.pieces_translated,
        )
        yield CounterMetricFamily(
            "summarizer_tokens_generated", "Target tokens generated", value=translator.engine.tokens_out
        )
        yield CounterMetricFamily("summarizer_translation_batches", "Model batches run", value=translator.queue.batches)
        stats = translator.cache.stats()
        yield CounterMetricFamily("summarizer_cache_hits", "Translation cache hits", value=stats["hits"])
        yield CounterMetricFamily("summarizer_cache_misses", "Translation cache misses", value=stats["misses"])


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
    registry.register(PipelineCollector(app.extensions["summarizer.pipeline"]))
    if "summarizer.jobs" in app.extensions:
        from .jobs_api import JobsCollector

        registry.register(JobsCollector(app.extensions["summarizer.jobs"][0]))
    app.extensions["summarizer.metrics"] = registry

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
        """Prometheus metrics of this worker process."""
        return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4")
