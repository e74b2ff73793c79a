"""gunicorn settings from SUMMARIZER_* variables.

`gunicorn -c python:summarizer.gunicorn_conf 'summarizer:create_app()'` (what `summarizer serve` runs).

One worker process holds one copy of the models; its threads share them (the
model itself uses SUMMARIZER_THREADS CPU threads), so the cores are not
oversubscribed by several model copies competing for them. Requests
are read whole by the worker's event loop before a thread takes them, so slow
clients cannot take the threads (summarizer/gunicorn_worker.py).
"""

import os
import sys
import tempfile

from summarizer.config import Settings, SettingsError
from summarizer.gunicorn_worker import BufferedThreadWorker

try:
    _settings = Settings.from_env()
except SettingsError as exc:  # a wrong setting stops the server before it starts, with one plain message
    print(f"summarizer: {exc}", file=sys.stderr)
    sys.exit(2)

bind = _settings.bind
workers = _settings.workers
# gthread, except that a request reaches a thread only once it has arrived whole (slow clients hold no thread)
worker_class = BufferedThreadWorker.configured(_settings.request_read_timeout_s, _settings.max_body_bytes)
threads = _settings.http_threads
timeout = 300  # a worker busy translating a long article must not be killed as hung
graceful_timeout = _settings.graceful_timeout  # SIGTERM: requests in flight get this long to finish
accesslog = None  # the app logs each request once, as a JSON line; gunicorn's plain line would double it
errorlog = "-"
# gunicorn's control socket (gunicornc) is one path per user: several instances on one machine would take it from
# each other, and the service does not use it.
control_socket_disable = True

if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Several worker processes: prometheus_client keeps each one's metrics in files here, and /metrics on any
    # worker sums them. Set before the workers (and prometheus_client in them) start.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="summarizer-metrics-")


def child_exit(server, worker):
    """A worker process ended: its gauges leave the sums (its counters stay counted)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
