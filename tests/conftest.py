"""Shared fixtures: tiny real models built once per cache, settings and a loaded pipeline."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tinymodels  # noqa: E402

from summarizer.config import Settings  # noqa: E402
from summarizer.models import Models  # noqa: E402
from summarizer.service import Pipeline  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "samples" / "ar-news-ain-al-asad.txt"


@pytest.fixture(scope="session")
def tiny_models() -> dict[str, Path]:
    """Folders of the tiny MarianMT and BART models (built on first use, then cached)."""
    return tinymodels.build_all()


@pytest.fixture(scope="session")
def settings(tiny_models, tmp_path_factory) -> Settings:
    """Settings pointing at the tiny models, with an empty model store."""
    return Settings(
        models_dir=tmp_path_factory.mktemp("models"),
        translation_model=str(tiny_models["translation"]),
        summarization_model=str(tiny_models["summarization"]),
        summary_sentences=2,
        rate_limit="",  # tests call the API far more often than a client would; tests/test_security.py covers it
    )


@pytest.fixture(scope="session")
def pipeline(settings) -> Iterator[Pipeline]:
    """A pipeline with both tiny models loaded."""
    pipe = Pipeline(settings, Models.load(settings))
    assert not pipe.models.load_errors, pipe.models.load_errors
    yield pipe
    pipe.close()


@pytest.fixture(scope="session")
def sample_text() -> str:
    """The real Arabic news article from ../shared/samples."""
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} is not there")
    return SAMPLE.read_text(encoding="utf-8")


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(settings, log_name: str, **env_overrides):
    """Start gunicorn serving wsgi:app on a free loopback port; returns (process, url, log file) once ready."""
    import os
    import subprocess
    import time
    import urllib.request

    root = Path(__file__).resolve().parents[1]
    port = free_port()
    env = dict(
        os.environ,
        SUMMARIZER_BIND=f"127.0.0.1:{port}",
        SUMMARIZER_TRANSLATION_MODEL=settings.translation_model,
        SUMMARIZER_RATE_LIMIT="",
        SUMMARIZER_SUMMARIZATION_MODEL=settings.summarization_model,
        SUMMARIZER_THREADS="1",
        **env_overrides,
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    (root / "artifacts").mkdir(exist_ok=True)
    log = open(root / "artifacts" / log_name, "w")
    proc = subprocess.Popen(
        [str(gunicorn), "-c", "python:summarizer.gunicorn_conf", "wsgi:app"],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"gunicorn did not become ready; see {log.name}")
        time.sleep(0.2)
    return proc, url, log


@pytest.fixture(scope="session")
def live_server(settings):
    """The real service: gunicorn serving wsgi:app on a loopback port, on the tiny models."""
    proc, url, log = start_gunicorn(settings, "gunicorn.log")
    yield url
    proc.terminate()
    proc.wait(timeout=30)
    log.close()
