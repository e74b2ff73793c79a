import json
import os
import subprocess
import sys
from pathlib import Path

from summarizer.cli import models_to_pull
from summarizer.config import Settings
from summarizer.store import ModelStore
from tinymodels import ARTICLE, ARTICLE_TRANSLATION

ROOT = Path(__file__).resolve().parents[1]


def run(args, settings, stdin=None, extra_env=None):
    env = dict(
        os.environ,
        SUMMARIZER_TRANSLATION_MODEL=settings.translation_model,
        SUMMARIZER_MODELS_DIR=str(settings.models_dir),
        **(extra_env or {}),
    )
    return subprocess.run(
        [sys.executable, "-m", "summarizer", *args],
        input=stdin,
        check=False,  # the tests read the return code
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


def test_models_list_shows_a_present_model_with_its_commit(settings, tiny_models, tmp_path):
    import shutil

    from summarizer.store import write_marker

    models = tmp_path / "models"
    shutil.copytree(tiny_models["translation"], models / "opus-mt-ar-en")
    write_marker(models / "opus-mt-ar-en", {"repo": "Helsinki-NLP/opus-mt-ar-en", "commit": "0123456789ab" + "0" * 28})
    proc = run(["models", "list"], settings.replace(models_dir=models))
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line.split() for line in proc.stdout.splitlines()}
    assert rows["opus-mt-ar-en"][2] == "present" and "0123456789ab" in rows["opus-mt-ar-en"]
    assert rows["opus-mt-en-ar"][2] == "missing"
    assert rows["distilbart-cnn-12-6"][1:3] == ["summarization", "missing"]


def test_models_pull_of_an_unknown_name_lists_the_known_ones(settings):
    proc = run(["models", "pull", "nope"], settings)
    assert proc.returncode == 2
    assert "Unknown model name(s): nope" in proc.stderr and "opus-mt-ar-en, opus-mt-en-ar" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_empty_models_folder_still_knows_the_default_model(settings, tmp_path):
    proc = run(["summarize", "-"], settings.replace(models_dir=tmp_path, translation_model="opus-mt-ar-en"), ARTICLE)
    assert proc.returncode == 3
    error = json.loads(proc.stderr[proc.stderr.index("{") :])["error"]
    assert error["details"]["command"] == "python -m summarizer models pull opus-mt-ar-en"


def test_serve_pulls_the_models_it_is_configured_to_load(tmp_path):
    store = ModelStore(tmp_path)
    default = Settings.from_env({})
    assert models_to_pull(default, store) == ["opus-mt-ar-en", "opus-mt-en-ar"]
    chosen = default.replace(en_ar_model="opus-mt-tc-big-en-ar", summarizer="abstractive")
    assert models_to_pull(chosen, store) == ["opus-mt-ar-en", "opus-mt-tc-big-en-ar", "distilbart-cnn-12-6"]
    local = default.replace(translation_model=str(tmp_path / "my-model"))  # a folder: nothing to pull
    assert models_to_pull(local, store) == ["opus-mt-en-ar"]


def test_models_clean_deletes_only_what_no_pulled_model_loads(settings, tiny_models, tmp_path):
    import shutil

    import ctranslate2

    from summarizer.store import converted, write_marker

    models, cache = tmp_path / "models", tmp_path / "cache"
    pulled = shutil.copytree(tiny_models["translation"], models / "opus-mt-ar-en")
    write_marker(pulled, {"repo": "Helsinki-NLP/opus-mt-ar-en", "commit": "0123456789ab" + "0" * 28})
    local = tiny_models["translation_en_ar"]  # the configured English->Arabic model, a local folder
    loadable = [
        converted(pulled, "int8", cache).name,
        converted(pulled, "float32", cache, "full").name,  # another compute type and variant: still loadable
        converted(local, "int8", cache).name,
    ]
    version = ctranslate2.__version__
    stale = [  # of the pulled model
        f"opus-mt-ar-en-fedcba987654-ct2-{version}-int8-cut1",  # an older snapshot
        "opus-mt-ar-en-0123456789ab-ct2-4.0.0-int8-cut1",  # another CTranslate2 version
        f"opus-mt-ar-en-0123456789ab-ct2-{version}-int8-cut1.cut-refused",  # a refused cut: the next start retries
    ]
    of_others = [  # kept unless --all: another configuration sharing the cache may load them
        f"opus-mt-tc-big-ar-en-0123456789ab-ct2-{version}-int8-cut1",  # a model not in this store
        f"my-model-0a1b2c3d4e5f-ct2-{version}-int8-cut1",  # a local folder configured elsewhere
    ]
    for name in stale + of_others:
        if name.endswith(".cut-refused"):
            (cache / name).write_text("CutUnsupported()\n")
        else:
            (cache / name).mkdir()
            (cache / name / "model.bin").write_bytes(b"x" * 100_000)
    unrelated = ["notes.txt", f"x-ct2-{version}-int8.tmp{os.getpid()}"]  # not a conversion; one under way
    for name in unrelated:
        (cache / name).write_text("keep")
    settings = settings.replace(models_dir=models, cache_dir=cache, en_ar_model=str(local))
    env = {"SUMMARIZER_CACHE_DIR": str(cache), "SUMMARIZER_EN_AR_MODEL": str(local)}

    def listed(proc) -> list[str]:
        assert proc.returncode == 0, proc.stderr
        return sorted(Path(line.rsplit(" (", 1)[0].split()[-1]).name for line in proc.stdout.splitlines()[:-1])

    assert listed(run(["models", "clean", "--dry-run"], settings, extra_env=env)) == sorted(stale)
    assert len(list(cache.iterdir())) == len(loadable + stale + of_others + unrelated)  # nothing deleted
    proc = run(["models", "clean"], settings, extra_env=env)
    assert listed(proc) == sorted(stale)
    assert proc.stdout.splitlines()[-1].startswith("freed 0.2 MB")  # 2 × 100 KB and a record
    assert sorted(p.name for p in cache.iterdir()) == sorted(loadable + of_others + unrelated)
    assert listed(run(["models", "clean", "--all"], settings, extra_env=env)) == sorted(of_others)
    assert sorted(p.name for p in cache.iterdir()) == sorted(loadable + unrelated)


def test_models_clean_says_what_it_could_not_delete(settings, tiny_models, tmp_path):
    import ctranslate2

    from helpers import require

    cache = tmp_path / "cache"
    stuck, gone = (cache / f"m-0a1b2c3d4e5f-ct2-{v}-int8-cut1" for v in ("4.0.0", "4.1.0"))
    for folder in (stuck, gone):
        folder.mkdir(parents=True)
        (folder / "model.bin").write_bytes(b"x")
    # The immutable attribute refuses renaming and deleting even to root (chmod does not).
    immutable = subprocess.run(["chattr", "+i", str(stuck)], check=False, capture_output=True).returncode == 0
    require(immutable, "chattr +i is not permitted here (it needs root and a file system with the attribute)")
    try:
        proc = run(["models", "clean", "--all"], settings, extra_env={"SUMMARIZER_CACHE_DIR": str(cache)})
    finally:
        subprocess.run(["chattr", "-i", str(stuck)], check=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"could not delete {stuck}" in proc.stderr
    assert stuck.is_dir() and not gone.exists() and ctranslate2.__version__ not in proc.stdout
