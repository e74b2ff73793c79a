import json
import os
import subprocess
import sys
from pathlib import Path

from tinymodels import ARTICLE, ARTICLE_TRANSLATION

ROOT = Path(__file__).resolve().parents[1]


def run(args, settings, stdin=None):
    env = dict(
        os.environ,
        SUMMARIZER_TRANSLATION_MODEL=settings.translation_model,
        SUMMARIZER_MODELS_DIR=str(settings.models_dir),
    )
    return subprocess.run(
        [sys.executable, "-m", "summarizer", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )


def test_summarize_stdin(settings):
    proc = run(["summarize", "-", "--summary-sentences", "1"], settings, stdin=ARTICLE)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["translation"] == ARTICLE_TRANSLATION
    assert result["summary"]["sentence_indexes"] == [0]


def test_summarize_beam_size(settings):
    proc = run(["summarize", "-", "--beam-size", "4", "--no-summary"], settings, stdin=ARTICLE)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["translation"] == ARTICLE_TRANSLATION
    assert result["models"]["translation"]["beam_size"] == 4
    bad = run(["summarize", "-", "--beam-size", "9"], settings, stdin=ARTICLE)
    assert bad.returncode == 2
    assert json.loads(bad.stderr[bad.stderr.index("{") :])["error"]["details"]["field"] == "beam_size"


def test_summarize_file_missing_model(settings, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    proc = run(["summarize", str(path)], settings.replace(translation_model=str(tmp_path / "none")))
    assert proc.returncode == 3
    assert json.loads(proc.stderr[proc.stderr.index("{") :])["error"]["code"] == "model_unavailable"


def test_models_list(settings):
    proc = run(["models", "list"], settings)
    assert proc.returncode == 0
    assert "opus-mt-ar-en" not in proc.stdout or "missing" in proc.stdout
