import json
from pathlib import Path

import pytest

from summarizer.errors import ModelUnavailable
from summarizer.store import ModelStore


@pytest.fixture
def store(tmp_path):
    (tmp_path / "manifest.json").write_text(
        json.dumps({"models": {"m": {"repo": "org/m", "revision": "abc123", "role": "translation", "license": "MIT"}}})
    )
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
    assert store.listing() == [
        {
            "name": "m",
            "repo": "org/m",
            "revision": "abc123",
            "role": "translation",
            "license": "MIT",
            "present": True,
            "path": str(store.path("m")),
            "commit": None,
        }
    ]


def test_pull_reports_failure_and_leaves_nothing_behind(store, monkeypatch):
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    def offline(self, repo_id, revision=None):
        raise LocalEntryNotFoundError("no network")

    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", offline)
    with pytest.raises(ModelUnavailable) as err:
        store.pull(["m"])
    assert "copy a snapshot of org/m" in err.value.message
    assert not store.path("m").exists()
    with pytest.raises(ValueError):
        store.pull(["other"])


def test_repository_manifest_is_valid():
    from pathlib import Path

    real = ModelStore(Path(__file__).resolve().parents[1] / "models")
    assert real.entries["opus-mt-ar-en"].repo == "Helsinki-NLP/opus-mt-ar-en"
    assert real.entries["opus-mt-tc-big-ar-en"].role == "translation"
    assert real.entries["distilbart-cnn-12-6"].role == "summarization"


def test_pull_pins_the_resolved_commit_and_swaps_in_atomically(store, monkeypatch):
    """The hub is out of reach here: its two calls are replaced, the store's own logic runs for real."""
    import types

    import huggingface_hub

    calls = []
    monkeypatch.setattr(
        huggingface_hub.HfApi, "model_info", lambda self, repo_id, revision=None: types.SimpleNamespace(sha="f" * 40)
    )

    def download(**kwargs):
        calls.append(kwargs)
        (Path(kwargs["local_dir"])).mkdir(parents=True)
        (Path(kwargs["local_dir"]) / "config.json").write_text("{}")
        return str(kwargs["local_dir"])

    monkeypatch.setattr(huggingface_hub, "snapshot_download", download)
    assert store.pull(["m"]) == [store.path("m")]
    assert calls[0]["repo_id"] == "org/m" and calls[0]["revision"] == "f" * 40
    assert store.is_present("m")
    assert store.snapshot("m") == {"repo": "org/m", "revision": "abc123", "commit": "f" * 40}
    assert store.listing()[0]["commit"] == "f" * 40
    assert not store.path("m").with_name("m.partial").exists()
