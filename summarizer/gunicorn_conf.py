"""gunicorn settings from SUMMARIZER_* variables.

`gunicorn -c python:summarizer.gunicorn_conf 'summarizer:create_app()'` (what `summarizer serve` runs).

One worker process holds one copy of the models; its threads share them (the
model itself uses SUMMARIZER_THREADS CPU threads), so a 2-core machine is not
oversubscribed by several model copies competing for the same cores.
"""

import sys

from summarizer.config import Settings, SettingsError

try:
    _settings = Settings.from_env()
except SettingsError as exc:  # a wrong setting stops the server before it starts, with one plain message
    print(f"summarizer: {exc}", file=sys.stderr)
    sys.exit(2)

bind = _settings.bind
workers = _settings.workers
worker_class = "gthread"
threads = _settings.http_threads
timeout = 300  # a worker busy translating a long article must not be killed as hung
graceful_timeout = _settings.graceful_timeout  # SIGTERM: requests in flight get this long to finish
accesslog = None  # the app logs each request once, as a JSON line; gunicorn's plain line would double it
errorlog = "-"
