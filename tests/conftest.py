"""Shared fixtures: tiny real models built once per cache, settings and a loaded pipeline."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tinymodels  # noqa: E402

from summarizer.config import Settings  # noqa: E402
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
    )


@pytest.fixture(scope="session")
def pipeline(settings) -> Pipeline:
    """A pipeline with both tiny models loaded."""
    pipe = Pipeline.load(settings)
    assert not pipe.load_errors, pipe.load_errors
    return pipe


@pytest.fixture(scope="session")
def sample_text() -> str:
    """The real Arabic news article from ../shared/samples."""
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} is not there")
    return SAMPLE.read_text(encoding="utf-8")
