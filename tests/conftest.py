"""Shared fixtures (tiny real models, settings, a loaded pipeline, a live server) and, in CI, skips as failures.

Helper functions live in tests/helpers.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import helpers
import tinymodels
from summarizer import create_app
from summarizer.config import Settings
from summarizer.models import Models
from summarizer.service import Pipeline


@pytest.fixture(scope="session")
def tiny_models() -> dict[str, Path]:
    """Folders of the tiny MarianMT and BART models (built on first use, then cached)."""
    return tinymodels.build_all()


@pytest.fixture(scope="session")
def settings(tiny_models, tmp_path_factory) -> Settings:
    """Settings pointing at the tiny models, with an empty model store."""
    return Settings(
        models_dir=tmp_path_factory.mktemp("models"),
        cache_dir=tmp_path_factory.mktemp("cache"),  # CTranslate2 conversions of this run, not the user's cache
        translation_model=str(tiny_models["translation"]),
        en_ar_model=str(tiny_models["translation_en_ar"]),
        summarization_model=str(tiny_models["summarization"]),
        summary_sentences=2,
        rate_limit="",  # tests call the API far more often than a client would; tests/test_security.py covers it
    )


@pytest.fixture(scope="session")
def pipeline(settings) -> Iterator[Pipeline]:
    """A pipeline with the tiny models loaded (both translation directions and the summarizer)."""
    pipe = Pipeline(settings, Models.load(settings))
    assert not pipe.models.load_errors, pipe.models.load_errors
    yield pipe
    pipe.close()


@pytest.fixture(scope="session")
def article_text() -> str:
    """Our own Arabic news-style article (tests/data/article_ar.txt): headline, captions, quotes, a list."""
    return helpers.article_text()


@pytest.fixture(scope="session")
def sample_text(article_text) -> str:
    """The same article under its older name (tests/test_ct2.py and tests/test_vocab.py use it)."""
    return article_text


@pytest.fixture(scope="session")
def live_server(settings):
    """The real service: gunicorn serving wsgi:app on a loopback port, on the tiny models (both directions)."""
    proc, url, _ = helpers.start_gunicorn(settings, "gunicorn.log", SUMMARIZER_EN_AR_MODEL=settings.en_ar_model)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped test is a failed test: a lost browser or server must not pass silently."""
    report = yield
    if report.skipped and helpers.in_ci() and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = helpers.skip_as_failure(report.longrepr)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """In CI a module skipped at collection is a failure too."""
    report = yield
    if report.skipped and helpers.in_ci():
        report.outcome = "failed"
        report.longrepr = helpers.skip_as_failure(report.longrepr)
    return report


@pytest.fixture(scope="module")
def app(settings, pipeline):
    """The app on the shared tiny-model pipeline."""
    return create_app(settings, pipeline=pipeline)


@pytest.fixture
def client(app):
    """A Flask test client of that app."""
    return app.test_client()


@pytest.fixture
def redis_url(tmp_path):
    """A real redis-server of this test's own."""
    proc, url = helpers.start_redis(tmp_path)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
