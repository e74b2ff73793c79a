import json

import pytest

from summarizer.errors import ModelUnavailable
from summarizer.store import ModelStore


@pytest.fixture
def store(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"models": {"m": {
        "repo": "org/m", "revision": "abc123", "role": "translation", "license": "MIT"}}}))
    return ModelStore(tmp_path)


def test_missing_model_names_the_pull_command(store):
    with pytest.raises(ModelUnavailable) as err:
        store.resolve("m", role="translation")
    assert "python -m summarizer models pull m" in err.value.message
    assert err.value.details["command"] == "python -m summarizer models pull m"


def test_unknown_name_lists_the_manifest(store):
    with pytest.raises(ModelUnavailable) as err:
        store.resolve("nope", role="translation")
    assert "known: m" in err.value.message


def test_local_folder_resolves(store, tiny_models):
    assert store.resolve(str(tiny_models["translation"]), role="translation") == tiny_models["translation"]


def test_listing(store):
    (store.path("m")).mkdir()
    (store.path("m") / "config.json").write_text("{}")
    assert store.listing() == [{"name": "m", "repo": "org/m", "revision": "abc123", "role": "translation",
                                "license": "MIT", "present": True, "path": str(store.path("m"))}]


def test_pull_passes_the_pinned_revision_and_reports_failure(store, monkeypatch):
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    calls = []

    def offline(**kwargs):
        calls.append(kwargs)
        raise LocalEntryNotFoundError("no network")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", offline)
    with pytest.raises(ModelUnavailable) as err:
        store.pull(["m"])
    assert calls[0]["repo_id"] == "org/m" and calls[0]["revision"] == "abc123"
    assert "copy a snapshot of org/m" in err.value.message
    with pytest.raises(ValueError):
        store.pull(["other"])


def test_repository_manifest_is_valid():
    from pathlib import Path

    real = ModelStore(Path(__file__).resolve().parents[1] / "models")
    assert real.entries["opus-mt-ar-en"].repo == "Helsinki-NLP/opus-mt-ar-en"
    assert real.entries["opus-mt-tc-big-ar-en"].role == "translation"
    assert real.entries["distilbart-cnn-12-6"].role == "summarization"
