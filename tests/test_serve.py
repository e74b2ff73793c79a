"""`serve` converts the translation models for CTranslate2 once, before gunicorn starts its workers, so that
several workers do not all convert the same model at once on their first start."""

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from helpers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[1]


def start_serve(tiny_models, tmp_path, cache: Path, port: int) -> tuple[subprocess.Popen, Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "SUMMARIZER_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        SUMMARIZER_MODELS_DIR=str(tmp_path / "models"),
        SUMMARIZER_CACHE_DIR=str(cache),
        SUMMARIZER_TRANSLATION_MODEL=str(tiny_models["translation"]),
        SUMMARIZER_EN_AR_MODEL=str(tiny_models["translation_en_ar"]),
        SUMMARIZER_SUMMARIZATION_MODEL=str(tiny_models["summarization"]),
        SUMMARIZER_TRANSLATION_ENGINE="ctranslate2",
        SUMMARIZER_WORKERS="2",
        SUMMARIZER_THREADS="1",
        SUMMARIZER_RATE_LIMIT="",
        SUMMARIZER_BIND=f"127.0.0.1:{port}",
    )
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "summarizer", "serve", "--no-pull"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return proc, log_path


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()  # gunicorn's workers exit by themselves once their master is gone
        proc.wait()


def answers(port: int, path: str) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def test_serve_converts_once_before_the_workers_start(tiny_models, tmp_path):
    port, cache = free_port(), tmp_path / "cache"
    proc, log_path = start_serve(tiny_models, tmp_path, cache, port)
    try:
        wait_until(lambda: proc.poll() is None and answers(port, "/readyz") == 200, 90, "serve ready", 0.3)
        wait_until(lambda: log_path.read_text().count("Booting worker") == 2, 30, "two workers booted")
    finally:
        stop(proc)
    output = log_path.read_text()
    assert "Traceback" not in output, output
    for model in ("translation", "translation_en_ar"):
        converting = f"converting {tiny_models[model]} to CTranslate2"
        assert output.count(converting) == 1, output
        assert output.index(converting) < output.index("Booting worker"), output  # made by serve, not a worker
    assert len([p for p in cache.iterdir() if (p / "model.bin").is_file()]) == 2


def test_serve_starts_when_it_cannot_convert_and_the_workers_say_why(tiny_models, tmp_path):
    port, cache = free_port(), tmp_path / "cache"
    cache.write_text("a file where the cache folder should be")
    proc, log_path = start_serve(tiny_models, tmp_path, cache, port)
    try:
        wait_until(lambda: proc.poll() is None and answers(port, "/healthz") == 200, 90, "serve up", 0.3)
        assert answers(port, "/readyz") == 503
    finally:
        stop(proc)
    output = log_path.read_text()
    assert f"could not convert {tiny_models['translation']} for CTranslate2 before starting" in output, output
    assert "Booting worker" in output
