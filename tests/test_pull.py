"""`models pull` end to end against a local stand-in for the hub (tests/fakehub.py): huggingface_hub's own
client over real sockets, then the pulled model used by name; and a pull killed mid-download."""

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fakehub import FakeHub
from summarizer.store import MARKER, ModelStore, is_complete, write_marker
from tinymodels import ARTICLE, ARTICLE_TRANSLATION

ROOT = Path(__file__).resolve().parents[1]
NAME = "opus-mt-ar-en"


@pytest.fixture
def repo(tiny_models, tmp_path) -> Path:
    """The tiny model laid out like the hub's opus-mt repository, with the weights a pull must skip."""
    folder = shutil.copytree(tiny_models["translation_bin"], tmp_path / "repo")
    (folder / "rust_model.ot").write_bytes(b"\0" * 1000)
    (folder / "tf_model.h5").write_bytes(b"\0" * 1000)
    return folder


def cli(tmp_path, hub_url, *args, wait=True, input=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "SUMMARIZER_", "TRANSFORMERS_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        HF_ENDPOINT=hub_url,
        HF_HUB_DISABLE_XET="1",
        SUMMARIZER_MODELS_DIR=str(tmp_path / "models"),
        SUMMARIZER_CACHE_DIR=str(tmp_path / "cache"),
        SUMMARIZER_LOAD_ABSTRACTIVE="0",
    )
    argv = [sys.executable, "-m", "summarizer", *args]
    if not wait:
        return subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return subprocess.run(  # the tests read the return code
        argv, cwd=tmp_path, env=env, input=input, capture_output=True, text=True, timeout=300, check=False
    )


def test_pull_then_translate_by_name(repo, tmp_path):
    commit = "1" * 40
    with FakeHub(repo, commit) as hub:
        pulled = cli(tmp_path, hub.url, "models", "pull")
    assert pulled.returncode == 0, pulled.stderr
    assert f"pulled {NAME} into" in pulled.stdout and "converted for CTranslate2" in pulled.stdout
    folder = tmp_path / "models" / NAME
    wanted = sorted(p.name for p in repo.iterdir() if p.suffix not in (".ot", ".h5"))
    assert sorted(p.name for p in folder.iterdir()) == sorted([*wanted, MARKER])
    assert json.loads((folder / MARKER).read_text())["commit"] == commit
    # With no name, pull takes the models pulled by default: both translation directions.
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [".lock", NAME, "opus-mt-en-ar"]

    listed = cli(tmp_path, "http://127.0.0.1:9", "models", "list")
    assert listed.stdout.splitlines()[0].split()[:3] == [NAME, "translation", "present"]
    proc = cli(tmp_path, "http://127.0.0.1:9", "summarize", "-", "--no-summary", input=ARTICLE)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["translation"] == ARTICLE_TRANSLATION


def test_a_pull_killed_mid_download_keeps_the_old_model_and_the_next_pull_cleans_up(repo, tiny_models, tmp_path):
    models = tmp_path / "models"
    old = shutil.copytree(tiny_models["translation"], models / NAME)
    write_marker(old, {"repo": "Helsinki-NLP/opus-mt-ar-en", "commit": "0" * 40})
    with FakeHub(repo, "2" * 40, stall="pytorch_model.bin") as hub:
        proc = cli(tmp_path, hub.url, "models", "pull", NAME, wait=False)
        try:
            assert hub.stalled.wait(120), "the download never reached the stalled file"
            assert (models / f"{NAME}.partial").exists()
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
    store = ModelStore(models)
    assert store.is_present(NAME) and store.snapshot(NAME)["commit"] == "0" * 40
    assert not is_complete(models / f"{NAME}.partial")

    with FakeHub(repo, "2" * 40) as hub:
        again = cli(tmp_path, hub.url, "models", "pull", NAME)
    assert again.returncode == 0, again.stderr
    assert store.snapshot(NAME)["commit"] == "2" * 40
    assert sorted(p.name for p in models.iterdir()) == [".lock", NAME]
