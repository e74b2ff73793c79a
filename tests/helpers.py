"""Helpers the tests share: test data, free ports, readiness polling, a real gunicorn, required programs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
ARTIFACTS = ROOT / "artifacts"


def article_text() -> str:
    """Our own Arabic news-style test article (tests/data/article_ar.txt)."""
    return (DATA / "article_ar.txt").read_text(encoding="utf-8")


def in_ci() -> bool:
    """True when running under CI (the CI variable is set and not "false"/"0"), where nothing may be skipped."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def require(present: bool, missing: str) -> None:
    """Skip (outside CI) or fail (in CI) the current test when a program it needs is missing; say which."""
    if present:
        return
    if in_ci():
        pytest.fail(f"{missing}; CI must install it (.ci/setup-test)", pytrace=False)
    pytest.skip(missing)


def skip_as_failure(longrepr) -> str:
    """The failure text CI shows for a skipped test (its location and reason)."""
    # A skip's longrepr is (path, line, "Skipped: reason").
    where = f"{longrepr[0]}:{longrepr[1]}: {longrepr[2]}" if isinstance(longrepr, tuple) else str(longrepr)
    return f"CI (the CI variable is set) runs every test, and this one was skipped: {where}"


def wait_until(ready: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll ready() until it returns a true value (returned) or raise TimeoutError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = ready()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(interval)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def accepts_connections(port: int) -> bool:
    """True when something listens on this loopback port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    """A real redis-server on a free loopback port, keeping nothing on disk; (process, redis:// URL) once it listens."""
    import shutil

    server = shutil.which("redis-server")
    require(server is not None, "redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(lambda: accepts_connections(port), 10, f"redis-server listening on port {port}")
    return proc, f"redis://127.0.0.1:{port}/0"


def start_gunicorn(settings, log_name: str, **env_overrides: str) -> tuple[subprocess.Popen, str, Path]:
    """Start gunicorn serving wsgi:app on a free loopback port; returns (process, url, log path) once ready."""
    port = free_port()
    env = dict(
        os.environ,
        SUMMARIZER_BIND=f"127.0.0.1:{port}",
        SUMMARIZER_TRANSLATION_MODEL=settings.translation_model,
        SUMMARIZER_RATE_LIMIT="",
        SUMMARIZER_SUMMARIZATION_MODEL=settings.summarization_model,
        SUMMARIZER_THREADS="1",
    )
    env.update(env_overrides)  # may replace the defaults above (a rate limit, say)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / log_name
    with log.open("w") as out:  # the child keeps its own copy of the file
        proc = subprocess.Popen(
            [str(gunicorn), "-c", "python:summarizer.gunicorn_conf", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_until(ready, 60, f"gunicorn ready at {url} (see {log})", interval=0.2)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc, url, log


class HeldEngine:
    """A real engine of the interface: the tiny model's engine, each call held until `release` is set."""

    def __init__(self, engine):
        self.engine = engine
        self.name, self.max_input_tokens = engine.name, engine.max_input_tokens
        self.default_beam_size, self.tokens_out = engine.default_beam_size, 0
        self.started, self.release = threading.Event(), threading.Event()

    def describe(self) -> dict:
        return self.engine.describe()

    def count_tokens(self, text: str) -> int:
        return self.engine.count_tokens(text)

    def cache_key(self):
        return self.engine.cache_key()

    def translate(self, sentences, beam_size=None):
        self.started.set()
        assert self.release.wait(60), "the test never released the engine"
        return self.engine.translate(sentences, beam_size)
