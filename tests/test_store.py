"""The model store: the packaged manifest, completeness, the swap that survives a crash at any step, and the
CTranslate2 conversion cache that leaves the model folder untouched."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import require
from summarizer.errors import ModelUnavailable
from summarizer.store import (
    MARKER,
    SWAP_STEPS,
    ModelEntry,
    ModelStore,
    UnknownModel,
    clean_conversions,
    conversion_key,
    converted,
    is_complete,
    recover,
    write_marker,
)
from tinymodels import PAIRS

ROOT = Path(__file__).resolve().parents[1]

ENTRY = ModelEntry(name="m", repo="org/m", revision="abc123", role="translation", license="MIT")


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path / "models", entries={"m": ENTRY})


def snapshot(folder: Path, source: Path, commit: str) -> Path:
    """A complete pulled snapshot of the tiny model at `folder`, recorded as `commit`."""
    shutil.copytree(source, folder)
    write_marker(folder, {"repo": "org/m", "revision": "abc123", "commit": commit})
    return folder


def tree(folder: Path) -> dict:
    """Every file under folder with its size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def test_missing_model_names_the_pull_command(store):
    with pytest.raises(ModelUnavailable) as err:
        store.resolve("m", role="translation")
    assert "python -m summarizer models pull m" in err.value.message
    assert err.value.details["command"] == "python -m summarizer models pull m"


def test_unknown_name_lists_the_manifest(store):
    with pytest.raises(ModelUnavailable) as err:
        store.resolve("nope", role="translation")
    assert "known: m" in err.value.message
    with pytest.raises(UnknownModel, match="Known: m"):
        store.pull(["nope"])


def test_local_folder_resolves(store, tiny_models):
    assert store.resolve(str(tiny_models["translation"]), role="translation") == tiny_models["translation"]


def test_listing_of_a_present_model(store, tiny_models):
    snapshot(store.path("m"), tiny_models["translation"], "c" * 40)
    assert store.listing() == [
        {
            "name": "m",
            "repo": "org/m",
            "revision": "abc123",
            "role": "translation",
            "license": "MIT",
            "present": True,
            "path": str(store.path("m")),
            "commit": "c" * 40,
        }
    ]


def test_a_folder_without_its_marker_or_with_a_file_missing_is_not_present(store, tiny_models):
    shutil.copytree(tiny_models["translation"], store.path("m"))
    assert not store.is_present("m")
    with pytest.raises(ModelUnavailable, match="incomplete"):
        store.resolve("m", role="translation")
    write_marker(store.path("m"), {"commit": "c" * 40})
    assert store.resolve("m", role="translation") == store.path("m")
    (store.path("m") / "source.spm").unlink()  # e.g. a half-deleted folder
    assert not store.is_present("m")


def test_the_packaged_manifest_is_known_from_an_empty_models_folder(tmp_path):
    real = ModelStore(tmp_path)
    assert real.entries["opus-mt-ar-en"].repo == "Helsinki-NLP/opus-mt-ar-en"
    assert real.entries["opus-mt-ar-en"].revision == "f830c0f121521df2551726dd799a0c47b0f67841"
    en_ar = real.entries["opus-mt-en-ar"]
    assert (en_ar.repo, en_ar.revision, en_ar.role, en_ar.license) == (
        "Helsinki-NLP/opus-mt-en-ar",
        "be6759628ad2192438f2a32c814c35274045d02d",
        "translation",
        "CC-BY-4.0",
    )
    assert en_ar.target_token == ">>ara<<" and en_ar.pull_by_default
    assert real.entries["opus-mt-tc-big-ar-en"].role == "translation"
    assert real.entries["distilbart-cnn-12-6"].role == "summarization"
    with pytest.raises(ModelUnavailable) as err:
        real.resolve("opus-mt-ar-en", role="translation")
    assert err.value.details["command"] == "python -m summarizer models pull opus-mt-ar-en"


def test_pull_pins_the_resolved_commit_and_swaps_a_new_snapshot_over_the_old(store, tiny_models, monkeypatch):
    """The hub is out of reach here: its two calls are replaced by a copy of the tiny model; the store's own
    download, marker and swap run for real."""
    import types

    import huggingface_hub

    calls = []
    commits = iter(["1" * 40, "2" * 40])
    monkeypatch.setattr(
        huggingface_hub.HfApi,
        "model_info",
        lambda self, repo_id, revision=None, timeout=None: types.SimpleNamespace(sha=next(commits)),
    )

    def download(**kwargs):
        calls.append(kwargs)
        shutil.copytree(tiny_models["translation"], kwargs["local_dir"], dirs_exist_ok=True)
        (Path(kwargs["local_dir"]) / ".cache" / "huggingface").mkdir(parents=True)
        return str(kwargs["local_dir"])

    monkeypatch.setattr(huggingface_hub, "snapshot_download", download)
    assert store.pull(["m"]) == [store.path("m")]
    assert calls[0]["repo_id"] == "org/m" and calls[0]["revision"] == "1" * 40
    assert store.is_present("m")
    assert store.snapshot("m") == {"repo": "org/m", "revision": "abc123", "commit": "1" * 40}
    assert not (store.path("m") / ".cache").exists()
    store.pull(["m"])
    assert store.snapshot("m")["commit"] == "2" * 40
    assert sorted(p.name for p in store.root.iterdir()) == [".lock", "m"]


def test_pull_of_a_model_already_at_its_pinned_commit_does_not_ask_the_hub(tiny_models, tmp_path, monkeypatch):
    import huggingface_hub

    def unreachable(*args, **kwargs):
        raise AssertionError("the hub was asked")

    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", unreachable)
    pinned = ModelEntry(name="m", repo="org/m", revision="c" * 40, role="translation", license="MIT")
    store = ModelStore(tmp_path, entries={"m": pinned})
    snapshot(store.path("m"), tiny_models["translation"], "c" * 40)
    before = tree(tmp_path)
    assert store.pull(["m"]) == [store.path("m")]
    assert tree(tmp_path) == before


def states(models: Path, tiny: Path):
    """Every state a pull of commit NEW over a complete commit OLD can be left in by a crash, with the commit
    that must be in place after recovery."""
    target, partial, old = models / "m", models / "m.partial", models / "m.old"

    def mid_download():
        shutil.copytree(tiny, partial)
        (partial / "pytorch_model.bin.incomplete").write_bytes(b"\0" * 100)

    def mid_marker():
        shutil.copytree(tiny, partial)
        (partial / (MARKER + ".tmp")).write_text('{"commit": "new', encoding="utf-8")

    def after_steps(count):
        def crash():
            snapshot(partial, tiny, "new")
            for step in SWAP_STEPS[:count]:
                step(target)

        return crash

    def mid_drop_old():
        after_steps(2)()
        for name in ("config.json", MARKER):  # rmtree had got this far
            (old / name).unlink()

    def damaged_target_after_set_aside():
        after_steps(1)()
        target.mkdir()  # something incomplete where the model was
        (target / "config.json").write_text("{}")

    yield "killed during the download", mid_download, "old"
    yield "killed while writing the marker", mid_marker, "old"
    for count in range(len(SWAP_STEPS) + 1):
        # Once the marker is written the new snapshot is complete: recovery finishes the swap.
        yield f"killed after {count} swap steps", after_steps(count), "new"
    yield "killed while deleting the old copy", mid_drop_old, "new"
    yield "incomplete folder in place of a set-aside model", damaged_target_after_set_aside, "new"


STATE_NAMES = [name for name, _, _ in states(Path("/"), Path("/"))]


@pytest.mark.parametrize("state", STATE_NAMES)
def test_recovery_after_a_crash_at_any_step_leaves_one_complete_model(store, tiny_models, state):
    snapshot(store.path("m"), tiny_models["translation"], "old")
    crash, expected = next((c, e) for n, c, e in states(store.root, tiny_models["translation"]) if n == state)
    crash()
    assert store.is_present("m") or is_complete(store.root / "m.old") or is_complete(store.root / "m.partial")
    store.recover()
    assert store.is_present("m")
    assert store.snapshot("m")["commit"] == expected
    assert sorted(p.name for p in store.root.iterdir() if p.name != ".lock") == ["m"]
    assert tree(store.path("m")).keys() == tree(tiny_models["translation"]).keys() | {MARKER}


def test_recovered_model_loads_and_translates(store, tiny_models, settings):
    """A model put back from NAME.old after a crash between the first two swap steps is a working model."""
    from summarizer.translate.marian import MarianEngine

    snapshot(store.path("m"), tiny_models["translation"], "old")
    SWAP_STEPS[0](store.path("m"))
    assert not store.path("m").exists()
    store.recover()
    engine = MarianEngine(store.resolve("m", role="translation"), beam_size=1)
    assert engine.translate([s for s, _ in PAIRS]) == [t for _, t in PAIRS]


def test_recover_on_a_clean_store_writes_nothing(store, tiny_models):
    snapshot(store.path("m"), tiny_models["translation"], "old")
    before = tree(store.root)
    store.recover()
    recover(store.path("m"))
    assert tree(store.root) == before


def test_a_read_only_model_folder_loads_with_ctranslate2(tiny_models, settings, tmp_path):
    """The conversion goes to the cache folder; nothing under the model folder is written (we run as root,
    so chmod alone would not stop a write: the folder's listing is compared before and after)."""
    from summarizer.translate.ct2 import CTranslate2Engine

    model = tmp_path / "ro-model"
    shutil.copytree(tiny_models["translation"], model)
    before = tree(model)
    subprocess.run(["chmod", "-R", "a-w", str(model)], check=True)
    try:
        engine = CTranslate2Engine(model, compute_type="int8", cache_dir=tmp_path / "cache")
        assert engine.translate([src for src, _ in PAIRS]) == [t for _, t in PAIRS]
        assert tree(model) == before
        [folder] = (tmp_path / "cache").iterdir()
        assert folder.name == conversion_key(model, "int8") and (folder / "model.bin").is_file()
        stamp = (folder / "model.bin").stat().st_mtime_ns
        CTranslate2Engine(model, compute_type="int8", cache_dir=tmp_path / "cache")
        assert (folder / "model.bin").stat().st_mtime_ns == stamp  # converted once
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(model)], check=True)


def test_conversion_key_follows_the_model_identity(tiny_models, tmp_path):
    model = shutil.copytree(tiny_models["translation"], tmp_path / "m")
    first = conversion_key(model, "int8")
    assert conversion_key(model, "float32") != first
    (model / "config.json").write_text((model / "config.json").read_text() + " ")  # replaced in place
    assert conversion_key(model, "int8") != first
    write_marker(model, {"repo": "org/m", "commit": "abcdef" * 7})
    import ctranslate2

    assert conversion_key(model, "int8") == f"m-abcdefabcdef-ct2-{ctranslate2.__version__}-int8-cut2"
    assert conversion_key(model, "int8", "full") == f"m-abcdefabcdef-ct2-{ctranslate2.__version__}-int8-vmap1"


def test_outdated_conversions_of_the_model_are_deleted_others_kept(tiny_models, tmp_path):
    import ctranslate2

    model = shutil.copytree(tiny_models["translation"], tmp_path / "m")
    write_marker(model, {"repo": "org/m", "commit": "abcdef" * 7})
    cache = tmp_path / "cache"
    version = ctranslate2.__version__
    whole = converted(model, "int8", cache, "full")
    outdated = [
        f"m-abcdefabcdef-ct2-{version}-int8",  # the key before the vocabulary map
        f"m-abcdefabcdef-ct2-{version}-int8-vmap0",  # an older map
        "m-abcdefabcdef-ct2-4.0.0-int8-cut1",  # another CTranslate2 version
    ]
    kept = [
        f"m-abcdefabcdef-ct2-{version}-float32-vmap1",  # another compute type
        f"m-abcdefabcdef-ct2-{version}-int8-cut1.tmp1",  # a conversion under way (process 1 runs)
        f"m-0123456789ab-ct2-{version}-int8",  # another snapshot of the model: its own key, not ours to judge
        f"m-abcdefabcdef-ct2-x-0123456789ab-ct2-{version}-int8",  # another model whose name begins alike
    ]
    for name in outdated + kept:
        (cache / name).mkdir()
        (cache / name / "model.bin").write_bytes(b"")
    # What another CTranslate2 version could not cut says nothing about this one: its record goes too.
    outdated.append("m-abcdefabcdef-ct2-4.0.0-int8-cut1.cut-refused")
    (cache / outdated[-1]).write_text("ValueError()\n")
    cut = converted(model, "int8", cache)
    assert cut.name == conversion_key(model, "int8", "cut") != whole.name
    assert sorted(p.name for p in cache.iterdir()) == sorted(kept + [whole.name, cut.name])


def test_conversions_left_by_dead_processes_are_cleaned(tiny_models, tmp_path):
    child = subprocess.Popen(["true"])
    child.wait()
    dead = child.pid  # a process that has ended
    cache = tmp_path / "cache"
    # Named by process id (earlier versions): that id may be another container's, so only a day-old one goes.
    old, recent, ours = (cache / f"x-ct2-int8.tmp{pid}" for pid in (dead, dead + 100_000, os.getpid()))
    for folder in (old, recent, ours):
        folder.mkdir(parents=True, exist_ok=True)
    for folder in (old, ours):
        os.utime(folder, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    clean_conversions(cache)
    assert sorted(p.name for p in cache.iterdir()) == sorted([recent.name, ours.name])
    shutil.rmtree(recent)
    path = converted(tiny_models["translation"], "int8", cache)
    assert path.parent == cache and (path / "model.bin").is_file()
    assert json.loads((path / "config.json").read_text())  # a CTranslate2 model folder


HOLD_A_CONVERSION = """
import sys, time
from pathlib import Path
from summarizer.store import _work_folder
with _work_folder(Path(sys.argv[1])) as work:
    print(work, flush=True)
    time.sleep(600)
"""


def test_a_conversion_under_way_is_left_alone_until_its_process_is_gone(tmp_path):
    """A conversion's folder has a name of its own (containers sharing a cache are each process 1) and is locked
    by its process: a cleaner leaves it while that process lives, and deletes it after a crash."""
    cache = tmp_path / "cache"
    cache.mkdir()
    target = cache / "x-0a1b2c3d4e5f-ct2-4.0.0-int8-cut1"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    holders = [
        subprocess.Popen(
            [sys.executable, "-c", HOLD_A_CONVERSION, str(target)], stdout=subprocess.PIPE, text=True, env=env
        )
        for _ in range(2)
    ]
    try:
        works = [Path(holder.stdout.readline().strip()) for holder in holders]
        assert works[0] != works[1] and all(w.parent == cache for w in works)
        for work in works:
            os.utime(work, (time.time() - 60, time.time() - 60))  # past the grace period of a new folder
        clean_conversions(cache)
        assert all(work.is_dir() for work in works)
        holders[0].kill()  # a crash: its folder stays behind, unlocked
        holders[0].wait()
        clean_conversions(cache)
        assert not works[0].exists() and works[1].is_dir()
    finally:
        for holder in holders:
            holder.kill()
            holder.wait()


CLEAN_AND_CONVERT = """
import sys, time
from pathlib import Path
from summarizer.store import converted, drop_outdated_conversions
model, cache, go = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
(cache.parent / f"ready{sys.argv[4]}").touch()
while not go.exists():
    time.sleep(0.001)
drop_outdated_conversions(cache, model)
print(converted(model, "int8", cache))
"""


def outdated_conversion(cache: Path, model: Path) -> Path:
    """A folder of the model's conversion by another CTranslate2 version, with enough files that deleting it
    takes a while."""
    folder = cache / f"{model.name}-abcdefabcdef-ct2-4.0.0-int8-cut1"
    for part in range(20):
        (folder / str(part)).mkdir(parents=True)
        for index in range(100):
            (folder / str(part) / str(index)).write_bytes(b"x")
    (folder / "model.bin").write_bytes(b"")
    return folder


def test_two_processes_deleting_the_same_outdated_conversion_both_load(tiny_models, tmp_path):
    model = snapshot(tmp_path / "m", tiny_models["translation"], "abcdef" * 7)
    cache = tmp_path / "cache"
    outdated = outdated_conversion(cache, model)
    env = os.environ | {"PYTHONPATH": str(Path(__file__).parents[1])}
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", CLEAN_AND_CONVERT, str(model), str(cache), str(go), str(n)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    while not all((tmp_path / f"ready{n}").exists() for n in range(2)):
        assert all(worker.poll() is None for worker in workers), [w.communicate() for w in workers]
    go.touch()  # both start deleting at once
    results = [worker.communicate(timeout=300) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], results
    assert {out.strip() for out, _ in results} == {str(cache / conversion_key(model, "int8"))}
    assert not outdated.exists()
    assert sorted(p.name for p in cache.iterdir()) == [conversion_key(model, "int8")]


def test_an_undeletable_outdated_conversion_does_not_stop_the_model_loading(tiny_models, tmp_path, caplog):
    model = snapshot(tmp_path / "m", tiny_models["translation"], "abcdef" * 7)
    cache = tmp_path / "cache"
    outdated = cache / "m-abcdefabcdef-ct2-4.0.0-int8-cut1"
    outdated.mkdir(parents=True)
    # The immutable attribute refuses renaming and deleting even to root (chmod does not).
    immutable = subprocess.run(["chattr", "+i", str(outdated)], check=False, capture_output=True).returncode == 0
    require(immutable, "chattr +i is not permitted here (it needs root and a file system with the attribute)")
    try:
        with caplog.at_level("WARNING", logger="summarizer.store"):
            path = converted(model, "int8", cache)
        assert (path / "model.bin").is_file()
        assert outdated.is_dir() and "cleaning the conversion cache failed" in caplog.text
    finally:
        subprocess.run(["chattr", "-i", str(outdated)], check=True)


def test_a_conversion_folder_without_its_model_bin_is_converted_again(tiny_models, tmp_path):
    cache = tmp_path / "cache"
    target = cache / conversion_key(tiny_models["translation"], "int8")
    target.mkdir(parents=True)
    (target / "config.json").write_text("{")  # what a crash while deleting it may leave
    path = converted(tiny_models["translation"], "int8", cache)
    assert path == target and (path / "model.bin").is_file()
    assert json.loads((path / "config.json").read_text())  # the new conversion's
    assert sorted(p.name for p in cache.iterdir()) == [target.name]


@pytest.mark.parametrize("engine", ["transformers", "ctranslate2"])
def test_a_pickled_pytorch_model_bin_with_renormalized_logits_loads_in_both_engines(
    tiny_models, settings, tmp_path, engine
):
    """Like the hub's opus-mt repositories: pytorch_model.bin, no safetensors, renormalize_logits in the
    generation config. The CTranslate2 converter reads it through transformers."""
    from summarizer.translate import load_translator

    folder = tiny_models["translation_bin"]
    assert not list(folder.glob("*.safetensors"))
    assert json.loads((folder / "generation_config.json").read_text())["renormalize_logits"] is True
    s = settings.replace(
        translation_model=str(folder), translation_engine=engine, cache_dir=tmp_path / "cache", beam_size=4
    )
    translator = load_translator(s, ModelStore(s.models_dir))
    assert translator.translate_sentences([src for src, _ in PAIRS]) == [t for _, t in PAIRS]
    translator.close()


def test_pickles_are_loaded_weights_only(tiny_models, tmp_path):
    """transformers loads pytorch_model.bin with torch.load(weights_only=True) (its default): a pickle that
    would run code on load is refused and the code never runs."""
    import torch
    from transformers import MarianMTModel

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'pwned'}",))

    folder = shutil.copytree(tiny_models["translation_bin"], tmp_path / "evil")
    torch.save({"model.shared.weight": Payload()}, folder / "pytorch_model.bin")
    with pytest.raises(Exception, match="[Ww]eights.only|Unsupported global|WeightsUnpickler"):
        MarianMTModel.from_pretrained(folder)
    assert not (tmp_path / "pwned").exists()
