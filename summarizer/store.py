"""The model store: the manifest of known models (package data) and their local snapshots in the models folder.

Models are pulled once (on a connected machine, or at Docker build time) and loaded from the local folder at
run time: nothing here touches the network except `pull`.

A pull never destroys a working model. It downloads into NAME.partial, writes the completeness marker
NAME.partial/SNAPSHOT.json last, then swaps: NAME -> NAME.old, NAME.partial -> NAME, delete NAME.old. At every
instant a complete model (old or new) is in place or can be put back, and `recover` does that after a crash.

CTranslate2 conversions live in a cache folder of their own (`converted`), so a read-only models folder works.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import ModelUnavailable

log = logging.getLogger(__name__)

# Files a transformers or CTranslate2 load needs; TF/Flax/Rust weights are skipped.
WANTED_FILES = [
    "*.json",
    "*.spm",
    "*.txt",
    "*.model",
    "*.safetensors",
    "pytorch_model.bin",
]
PULL_HINT = "python -m summarizer models pull {name}"
MARKER = "SNAPSHOT.json"
PARTIAL, OLD = ".partial", ".old"


class UnknownModel(ValueError):
    """A model name that the manifest does not know."""


@dataclass(frozen=True)
class ModelEntry:
    """One manifest entry: a hub repository pinned to a revision, with its role and licence."""

    name: str
    repo: str
    revision: str
    role: str
    license: str
    description: str = ""
    pull_by_default: bool = True
    # Multilingual opus-mt targets: the token each source sentence starts with (e.g. ">>ara<<").
    target_token: str = ""
    # Translation models: "ar-en" (SUMMARIZER_TRANSLATION_MODEL) or "en-ar" (SUMMARIZER_EN_AR_MODEL).
    direction: str = "ar-en"


def load_manifest() -> dict[str, ModelEntry]:
    """The known models, from the manifest shipped inside the package."""
    text = resources.files(__package__).joinpath("manifest.json").read_text(encoding="utf-8")
    return {name: ModelEntry(name=name, **spec) for name, spec in json.loads(text)["models"].items()}


def is_complete(folder: Path) -> bool:
    """True when `folder` holds a finished pull: its marker, and every file the marker lists at its size."""
    marker = read_marker(folder)
    if not marker:
        return False
    files = marker.get("files") or {"config.json": None}  # markers of older pulls list no files
    try:
        return all(
            (folder / name).is_file() and (size is None or (folder / name).stat().st_size == size)
            for name, size in files.items()
        )
    except (OSError, AttributeError, TypeError):
        return False


def read_marker(folder: Path) -> dict:
    """The completeness marker of a folder ({} if there is none or it is unreadable)."""
    try:
        data = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_marker(folder: Path, info: dict) -> None:
    """Write the completeness marker last and atomically, listing every file of the snapshot with its size.

    The files are flushed to disk first, so that the marker never outlives their content (a power cut)."""
    paths = [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MARKER and ".cache" not in p.relative_to(folder).parts
    ]
    for path in paths:
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    files = {str(p.relative_to(folder)): p.stat().st_size for p in paths}
    tmp = folder / (MARKER + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({**info, "files": files}, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(folder / MARKER)


# The swap, one rename or delete a step, so that a crash between any two leaves a recoverable state.
def set_aside(target: Path) -> None:
    """Step 1: move the model in place (if any) to NAME.old."""
    old = _sibling(target, OLD)
    if target.exists():
        _remove(old)
        target.rename(old)


def move_in(target: Path) -> None:
    """Step 2: move the complete NAME.partial to NAME."""
    _sibling(target, PARTIAL).rename(target)


def drop_old(target: Path) -> None:
    """Step 3: delete NAME.old."""
    _remove(_sibling(target, OLD))


SWAP_STEPS = (set_aside, move_in, drop_old)


def recover(target: Path) -> None:
    """Put the store back in a clean state after a pull or a swap was interrupted at any point.

    A model set aside is put back if nothing complete replaced it; a finished download whose swap had not
    begun is swapped in; incomplete downloads and old copies are deleted.
    """
    partial, old = _sibling(target, PARTIAL), _sibling(target, OLD)
    if not (partial.exists() or old.exists()):
        return
    if not is_complete(target) and is_complete(old):
        log.warning("restoring %s from %s (a pull was interrupted)", target, old)
        _remove(target)
        old.rename(target)
    _remove(old)
    if is_complete(partial):
        log.warning("finishing the interrupted swap of %s into %s", partial, target)
        for step in SWAP_STEPS:
            step(target)
    elif partial.exists():
        log.warning("deleting %s (an interrupted download)", partial)
        _remove(partial)


def _sibling(target: Path, suffix: str) -> Path:
    return target.with_name(target.name + suffix)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def missing_message(entry: ModelEntry, target: Path, cause: str) -> str:
    """The one plain message for a model that is not here: what is missing, why, and how to get it here."""
    if entry.role == "translation":
        variable = "SUMMARIZER_EN_AR_MODEL" if entry.direction == "en-ar" else "SUMMARIZER_TRANSLATION_MODEL"
    else:
        variable = "SUMMARIZER_SUMMARIZATION_MODEL"
    where = f"is incomplete in {target} (no {MARKER} of a finished pull)" if target.exists() else f"is not in {target}"
    return (
        f"The {entry.role} model '{entry.name}' ({entry.repo}@{entry.revision}) {where} ({cause}). "
        f"To get it onto this machine: run '{PULL_HINT.format(name=entry.name)}' on a machine that reaches the "
        f"Hugging Face hub and copy the folder it makes to {target}, or point {variable} at a local model folder. "
        f"Set HF_HUB_OFFLINE=1 (or use 'serve --no-pull') to skip trying the hub."
    )


class ModelStore:
    """The manifest and the local folders of the models folder."""

    def __init__(self, root: Path, entries: dict[str, ModelEntry] | None = None):
        self.root = Path(root)
        self.entries = load_manifest() if entries is None else dict(entries)

    def path(self, name: str) -> Path:
        """Where a manifest model lives locally (present or not)."""
        return self.root / name

    def is_present(self, name_or_path: str) -> bool:
        """True for a completely pulled manifest model, or a local folder holding a config.json."""
        if name_or_path in self.entries:
            return is_complete(self.path(name_or_path))
        return (Path(name_or_path) / "config.json").is_file()

    def resolve(self, name_or_path: str, role: str) -> Path:
        """The local folder of a model given by manifest name or by path.

        Raises ModelUnavailable naming the model and the command that gets it.
        """
        if self.is_present(name_or_path):
            return self.path(name_or_path) if name_or_path in self.entries else Path(name_or_path)
        if name_or_path in self.entries:
            entry, path = self.entries[name_or_path], self.path(name_or_path)
            state = (
                "is incomplete (no finished pull: its SNAPSHOT.json is missing or lists files that are not there)"
                if path.exists()
                else "is not there"
            )
            raise ModelUnavailable(
                f"The {role} model '{name_or_path}' ({entry.repo}) {state}: {path}. "
                f"Get it on a machine that reaches the Hugging Face hub with: {PULL_HINT.format(name=name_or_path)}",
                model=name_or_path,
                command=PULL_HINT.format(name=name_or_path),
            )
        raise ModelUnavailable(
            f"The {role} model '{name_or_path}' is neither a model folder (no config.json at {name_or_path}) "
            f"nor a known model name (known: {', '.join(sorted(self.entries))}).",
            model=name_or_path,
        )

    def listing(self) -> list[dict]:
        """Every manifest model with whether it is present locally and where."""
        return [
            {
                "name": e.name,
                "repo": e.repo,
                "revision": e.revision,
                "role": e.role,
                "license": e.license,
                "present": self.is_present(e.name),
                "path": str(self.path(e.name)),
                "commit": self.snapshot(e.name).get("commit"),
            }
            for e in self.entries.values()
        ]

    def snapshot(self, name: str) -> dict:
        """What `pull` recorded about a local model: repo, requested revision, resolved commit ({} if unknown)."""
        data = read_marker(self.path(name))
        return {k: data[k] for k in ("repo", "revision", "commit") if k in data}

    def chosen(self, names: list[str] | None) -> list[ModelEntry]:
        """The manifest entries for `names` (default: those pulled by default); UnknownModel lists the known."""
        if not names:
            return [e for e in self.entries.values() if e.pull_by_default]
        unknown = [n for n in names if n not in self.entries]
        if unknown:
            raise UnknownModel(
                f"Unknown model name(s): {', '.join(unknown)}. Known: {', '.join(self.entries)} "
                f"('python -m summarizer models list' shows them with their roles)."
            )
        return [self.entries[n] for n in names]

    def recover(self) -> None:
        """Clean up after interrupted pulls of every manifest model (a no-op, writing nothing, when all is clean)."""
        for name in self.entries:
            target = self.path(name)
            if _sibling(target, PARTIAL).exists() or _sibling(target, OLD).exists():
                with self.locked():
                    recover(target)

    def pull(self, names: list[str] | None = None) -> list[Path]:
        """Download the named models (default: those pulled by default) at their pinned revisions.

        Progress bars come from huggingface_hub. Raises UnknownModel for a name the manifest lacks, and
        ModelUnavailable (with the one plain message saying what to do instead) when the hub cannot be reached.
        """
        paths = []
        for entry in self.chosen(names):
            target = self.path(entry.name)
            if is_complete(target) and read_marker(target).get("commit") == entry.revision:
                log.info("%s is already here at its pinned commit %s", entry.name, entry.revision)
                paths.append(target)
                continue
            self.root.mkdir(parents=True, exist_ok=True)
            with self.locked():
                recover(target)
                commit = self.download(entry, _sibling(target, PARTIAL))
                for step in SWAP_STEPS:
                    step(target)
            log.info("%s is at commit %s (pin it as the manifest's revision to reproduce exactly)", entry.repo, commit)
            paths.append(target)
        return paths

    def download(self, entry: ModelEntry, folder: Path) -> str:
        """Download entry's snapshot into `folder` and mark it complete; return the commit.

        Each hub request is bounded by HF_HUB_ETAG_TIMEOUT (connect, metadata) and HF_HUB_DOWNLOAD_TIMEOUT
        (file reads) seconds, 10 by default; any failure to reach the hub becomes ModelUnavailable.
        """
        import huggingface_hub
        from huggingface_hub import constants

        command = PULL_HINT.format(name=entry.name)
        if constants.HF_HUB_OFFLINE:
            raise ModelUnavailable(
                missing_message(entry, self.path(entry.name), "HF_HUB_OFFLINE is set, so the hub was not tried"),
                model=entry.name,
                command=command,
            )
        log.info("pulling %s@%s into %s", entry.repo, entry.revision, folder)
        _remove(folder)  # never let the hub client "succeed" with files already there when it cannot list the repo
        try:
            # Resolve the revision to a commit first, so that the files all come from one snapshot.
            info = huggingface_hub.HfApi().model_info(
                entry.repo, revision=entry.revision, timeout=constants.HF_HUB_ETAG_TIMEOUT
            )
            commit = info.sha or entry.revision  # the hub always names the commit; keep mypy's None out
            huggingface_hub.snapshot_download(
                repo_id=entry.repo,
                revision=commit,
                local_dir=folder,
                allow_patterns=WANTED_FILES,
                etag_timeout=constants.HF_HUB_ETAG_TIMEOUT,
            )
        except Exception as exc:  # any failure to reach or use the hub: refused, DNS, timeout, HTTP, garbled answer
            log.debug("pull of %s failed", entry.repo, exc_info=True)
            _remove(folder)
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "no detail"
            cause = f"the download from the hub failed: {type(exc).__name__}: {detail}"
            target = self.path(entry.name)
            message = (
                f"Could not update '{entry.name}' ({cause}); the complete copy in {target} is kept."
                if is_complete(target)
                else missing_message(entry, target, cause)
            )
            raise ModelUnavailable(
                message,
                model=entry.name,
                command=command,
            ) from exc
        _remove(folder / ".cache")  # huggingface_hub's download bookkeeping, not part of the model
        write_marker(folder, {"repo": entry.repo, "revision": entry.revision, "commit": commit})
        return commit

    @contextlib.contextmanager
    def locked(self):
        """One pull or recovery at a time on this models folder (across processes)."""
        import fcntl

        with open(self.root / ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/summarizer, or ~/.cache/summarizer."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "summarizer"


# Part of every conversion's key: change one whenever the conversion it names changes (target_tokens' output,
# the map's format, how the cut is made), so that cached conversions are made again.
VOCABULARY_MAP_VERSION = "vmap1"
TARGET_CUT_VERSION = "cut2"
CUT_REFUSED = ".cut-refused"  # beside a cut's key: this CTranslate2 could not cut that snapshot (the error inside)
WORK = ".tmp-"  # a conversion under way: KEY.tmp-XXXX, locked by its process
ASIDE = ".old.tmp"  # an entry set aside to be deleted
LOCK_FILE = ".lock"  # in a conversion's work folder, locked by its process
UNLOCKED_AGE_S = 24 * 3600  # a work folder that cannot be locked is taken as abandoned after this long
SPECIAL_TOKENS = ("</s>", "<unk>", "<pad>")
LANGUAGE_TOKEN = re.compile(r">>.+<<")  # MarianTokenizer's: a target-language token (>>ara<<) leading a source
# How CTranslate2 decodes onto the target vocabulary (SUMMARIZER_CT2_TARGET_VOCABULARY): a conversion whose
# decoder holds only the target tokens, the whole conversion with a vocabulary map, or the whole vocabulary.
TARGET_VOCABULARIES = ("cut", "map", "full")


def target_tokens(path: Path) -> list[str] | None:
    """The tokens a correct output can hold: target.spm's pieces and the special tokens that are in vocab.json,
    in vocabulary order. None when the folder has no target.spm or no vocab.json."""
    loaded = _vocabulary_and_spm(path, "target.spm")
    if loaded is None:
        return None
    vocab, target = loaded
    pieces = {target.id_to_piece(i) for i in range(target.get_piece_size())} | set(SPECIAL_TOKENS)
    # CTranslate2 splits a map on spaces and tabs; pieces never hold them (sentencepiece writes U+2581).
    return sorted((p for p in pieces if p in vocab and p and not any(c.isspace() for c in p)), key=vocab.get)


def source_tokens(path: Path) -> list[str] | None:
    """The tokens of vocab.json the source side can be given, in vocabulary order: source.spm's pieces, the
    special and target-language tokens, and runs of characters source.spm has no piece for (it hands such a
    run over whole, and MarianTokenizer looks it up in vocab.json). None when the folder has no source.spm or
    no vocab.json."""
    loaded = _vocabulary_and_spm(path, "source.spm")
    if loaded is None:
        return None
    vocab, source = loaded
    pieces = {source.id_to_piece(i) for i in range(source.get_piece_size())} | set(SPECIAL_TOKENS)
    # A character is unknown unless it is a normal piece itself (control and unused pieces never match text).
    known = {
        source.id_to_piece(i)
        for i in range(source.get_piece_size())
        if not (source.is_control(i) or source.is_unknown(i) or source.is_unused(i))
    }

    def reachable(token: str) -> bool:
        return token in pieces or bool(LANGUAGE_TOKEN.fullmatch(token)) or not any(c in known for c in token)

    return sorted((t for t in vocab if t and reachable(t)), key=vocab.get)


def _vocabulary_and_spm(path: Path, spm_file: str):
    """A MarianMT folder's vocab.json (token -> id) and one of its SentencePiece models; None without either."""
    path = Path(path)
    if not (path / spm_file).is_file() or not (path / "vocab.json").is_file():
        return None
    import sentencepiece as spm

    vocab = json.loads((path / "vocab.json").read_text(encoding="utf-8"))
    return vocab, spm.SentencePieceProcessor(model_file=str(path / spm_file))


def target_vocabulary_map(path: Path) -> str | None:
    """CTranslate2's vocabulary map (vmap.txt) restricting the output to target_tokens.

    One rule with an empty source n-gram: its tokens are candidates whatever the source. None when the folder
    has no target.spm.
    """
    tokens = target_tokens(path)
    return None if tokens is None else "\t" + " ".join(tokens) + "\n"


def conversion_variant(path: Path, target_vocabulary: str) -> str:
    """The conversion a target_vocabulary setting needs: "cut" (the decoder cut to target_tokens, the encoder to
    source_tokens) when the folder has a target.spm, else "full" (the whole vocabulary, with vmap.txt when there
    is a target.spm)."""
    if target_vocabulary not in TARGET_VOCABULARIES:
        raise ValueError(f"target_vocabulary must be one of {TARGET_VOCABULARIES}, not {target_vocabulary!r}")
    path = Path(path)
    has_target = (path / "target.spm").is_file() and (path / "vocab.json").is_file()
    return "cut" if target_vocabulary == "cut" and has_target else "full"


def conversion_key(path: Path, compute_type: str, target_vocabulary: str = "cut") -> str:
    """A folder name for the conversion of one model snapshot by this CTranslate2 version to one compute type and
    one conversion_variant.

    A pulled model is known by its folder name and commit; any other folder by its resolved path and the
    size and modification time of its files, so that a model replaced in place is converted again.
    """
    import ctranslate2

    version = TARGET_CUT_VERSION if conversion_variant(path, target_vocabulary) == "cut" else VOCABULARY_MAP_VERSION
    return f"{_model_identity(path)}-ct2-{_safe(ctranslate2.__version__)}-{_safe(compute_type)}-{version}"


def _model_identity(path: Path) -> str:
    """The first part of a conversion's key: the model folder's name and its commit, or a digest of its files."""
    path = Path(path).resolve()
    commit = read_marker(path).get("commit")
    if commit:
        return _safe(f"{path.name}-{commit[:12]}")
    stats = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in path.iterdir() if p.is_file())
    digest = hashlib.sha256(json.dumps([str(path), stats]).encode()).hexdigest()[:12]
    return _safe(f"{path.name}-{digest}")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@-]", "_", name)


def converted(path: Path, compute_type: str, cache_dir: Path | None = None, target_vocabulary: str = "cut") -> Path:
    """The CTranslate2 conversion of a transformers MarianMT folder, made once in the cache folder.

    target_vocabulary "cut": the decoder holds only target_tokens (when the folder has a target.spm) and the
    encoder only source_tokens; "map" and "full": the whole vocabulary, with target_vocabulary_map as vmap.txt.
    The model folder is only read.
    Concurrent processes may convert at the same time; the first to finish wins and the others discard their
    copy.
    """
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    target = cache_dir / conversion_key(path, compute_type, target_vocabulary)
    if (target / "model.bin").is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    _best_effort(clean_conversions, cache_dir)
    variant = conversion_variant(path, target_vocabulary)
    refused = target.with_name(target.name + CUT_REFUSED)
    if variant == "cut" and refused.is_file():  # this CTranslate2 could not cut this snapshot: do not try again
        return converted(path, compute_type, cache_dir, "full")
    log.info("converting %s to CTranslate2 (%s, %s vocabulary) in %s", path, compute_type, variant, target)
    cut_failed: Exception | None = None
    with _work_folder(target) as work:
        tmp = work / "model"
        try:
            _convert(path, tmp, compute_type, variant)
        except Exception as error:
            if variant != "cut":
                raise
            cut_failed = error
        if cut_failed is None:
            _move_in(tmp, target, path)
    if cut_failed is not None:  # the whole vocabulary, once this attempt's files are gone
        # The cut relies on CTranslate2's private loader; the whole vocabulary serves the same translations.
        log.warning("cannot cut the target vocabulary of %s (%r): converting the whole vocabulary", path, cut_failed)
        if _refuses_cut(cut_failed):  # the next process (every gunicorn worker, say) goes straight to the whole
            try:
                refused.write_text(f"{cut_failed!r}\n", encoding="utf-8")
            except OSError as exc:
                log.warning("could not record that the cut failed in %s: %s", refused, exc)
        return converted(path, compute_type, cache_dir, "full")
    _best_effort(drop_outdated_conversions, cache_dir, path)
    return target


def _move_in(tmp: Path, target: Path, path: Path) -> None:
    """Put a finished conversion in place (atomic: a crashed conversion never looks finished), unless another
    process finished first."""
    try:
        if target.exists() and not (target / "model.bin").is_file():
            log.warning("replacing %s (a conversion without its model.bin)", target)
            _discard(target)
        tmp.rename(target)
    except OSError:
        if not (target / "model.bin").is_file():
            raise
        log.info("another process converted %s first", path)  # rename onto its finished folder failed


@contextlib.contextmanager
def _work_folder(target: Path):
    """A new folder beside target, of a unique name (several processes, or containers that are each process 1,
    may convert the same model at once), locked while the conversion runs so that clean_conversions leaves it,
    and deleted afterwards. Where the file system has no locks, it is left to age (clean_conversions)."""
    import fcntl

    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f"{target.name}{WORK}"))
    handle = os.open(work / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError as error:  # NFS without lock support, say
            log.warning("cannot lock %s (%s): converting without a lock", work, error)
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        os.close(handle)  # releases the lock


def _refuses_cut(error: Exception) -> bool:
    """Whether a failed cut will fail again with this CTranslate2: it refused the model, or its converter's
    internals are not what the cut expects. Anything else (memory, disk) may pass."""
    try:
        from .translate.ct2convert import CutUnsupported
    except ImportError:  # no torch: the whole conversion needs it too, and says so
        return False
    return isinstance(error, CutUnsupported)


def _convert(path: Path, output: Path, compute_type: str, variant: str) -> None:
    """Convert the MarianMT folder at path into output: cut to target_tokens and source_tokens ("cut") or
    whole."""
    import ctranslate2

    with tempfile.TemporaryDirectory() as scratch:
        vmap_file = None
        if variant == "cut":
            from .translate.ct2convert import TargetVocabularyConverter

            converter = TargetVocabularyConverter(str(path), target_tokens(path) or [], source_tokens(path))
        else:
            converter = ctranslate2.converters.TransformersConverter(str(path))
            vmap = target_vocabulary_map(path)
            if vmap is not None:  # copied into the conversion as vmap.txt, used when decoding with use_vmap
                vmap_file = Path(scratch) / "vmap.txt"
                vmap_file.write_text(vmap, encoding="utf-8")
        converter.convert(
            str(output), vmap=str(vmap_file) if vmap_file else None, quantization=compute_type, force=True
        )


def _best_effort(cleanup, *args) -> None:
    """Run a cache cleanup whose failure must not stop a model from loading: it is logged and tried again at the
    next conversion."""
    try:
        cleanup(*args)
    except OSError as error:
        log.warning("cleaning the conversion cache failed: %s", error)


def _discard(folder: Path, strict: bool = False) -> None:
    """Delete a cache entry that other processes may be deleting at the same time (strict: raise OSError when it
    cannot be deleted; else what is left stays for clean_conversions).

    It is first renamed aside to a unique name (atomic: of two processes, one gets it, the other finds it gone),
    then deleted. What a crash or an error leaves is an .old.tmp entry, which any cleaner may delete.
    """
    aside = folder.with_name(f"{folder.name}{ASIDE}{os.getpid()}-{os.urandom(4).hex()}")
    try:
        folder.rename(aside)
    except FileNotFoundError:
        return  # another process took it
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=not strict)
    else:
        aside.unlink(missing_ok=True)


def drop_outdated_conversions(cache_dir: Path, path: Path) -> None:
    """Delete the conversions of the model at path that no current key names: those of another CTranslate2
    version or of an older conversion_key (their key changed, so they would never be loaded again).

    Conversions of other models, and of this model to other compute types or variants, are kept.
    """
    import ctranslate2

    prefix = f"{_model_identity(path)}-ct2-"
    current = re.compile(
        re.escape(f"{prefix}{_safe(ctranslate2.__version__)}-")
        + rf"[A-Za-z0-9_]+-({TARGET_CUT_VERSION}|{VOCABULARY_MAP_VERSION})"
    )
    # What follows the prefix in any key so far: a version, a compute type, and a variant or nothing (so a
    # folder of another model whose name happens to begin with the prefix never matches).
    key = re.compile(re.escape(prefix) + r"[0-9][0-9A-Za-z.]*-[A-Za-z0-9_]+(-[a-z]+[0-9]+)?")
    for folder in Path(cache_dir).glob(f"{glob.escape(prefix)}*"):
        # a .tmp folder is a conversion under way (or left by a dead process: clean_conversions)
        name = folder.name.removesuffix(CUT_REFUSED)
        if key.fullmatch(name) and not current.fullmatch(name):
            log.info("deleting %s (an outdated conversion)", folder)
            _best_effort(_discard, folder)


def stale_conversions(cache_dir: Path, models: list[Path], names: list[str] | None) -> list[Path]:
    """The conversions in cache_dir that none of the model folders `models` can load with this CTranslate2 (those
    of older snapshots, of other CTranslate2 versions), and every record of a refused cut (removing it makes the
    next start try the cut again). Only those of the manifest models `names`; of every model when names is None.

    Entries that are not conversions, and conversions under way, are never listed.
    """
    import ctranslate2

    version = _safe(ctranslate2.__version__)
    loadable = tuple(f"{_model_identity(path)}-ct2-{version}-" for path in models)
    shape = re.compile(r".+-ct2-[0-9][0-9A-Za-z.]*-[A-Za-z0-9_]+(-[a-z]+[0-9]+)?")
    # A manifest model's conversions are named NAME-<commit>-ct2-...: the commit's first 12 hex digits.
    of_names = None if names is None else re.compile(rf"({'|'.join(map(re.escape, names))})-[0-9a-f]{{12}}-ct2-.+")
    return sorted(
        entry
        for entry in Path(cache_dir).iterdir()
        if shape.fullmatch(entry.name.removesuffix(CUT_REFUSED))
        and (of_names is None or of_names.fullmatch(entry.name))
        and (entry.name.endswith(CUT_REFUSED) or not entry.name.startswith(loadable))
    )


def delete_conversion(entry: Path) -> None:
    """Delete one cache entry (a conversion or a record) now, or raise OSError; another process deleting it at
    the same time is fine."""
    _discard(entry, strict=True)


def clean_conversions(cache_dir: Path) -> None:
    """Delete what conversions and deletions left when their process ended (or crashed)."""
    for entry in Path(cache_dir).glob("*.tmp*"):
        if _abandoned(entry):
            log.warning("deleting %s (an interrupted conversion or deletion)", entry)
            _best_effort(_discard, entry)


def _abandoned(entry: Path) -> bool:
    """Whether no process works on a temporary cache entry any more."""
    if ASIDE in entry.name:
        return True  # set aside to be deleted: whoever deletes it first, deleting twice is harmless
    owner = entry.name.rsplit(".tmp", 1)[1]
    if not owner.isdigit() and not owner.startswith("-"):
        return False
    import errno
    import fcntl
    import time

    try:
        age = time.time() - entry.stat().st_mtime
    except OSError:
        return False  # gone
    if owner.isdigit():
        # The process-id names of earlier versions: that id may be another container's process (each has its
        # own ids), so only an old one is surely abandoned.
        return age > UNLOCKED_AGE_S and not _running(int(owner))
    if age < 10:  # so new that its converter may not have locked it yet
        return False
    try:
        handle = os.open(entry / LOCK_FILE, os.O_RDWR)
    except OSError:
        return age > UNLOCKED_AGE_S  # a crash between making the folder and its lock file; or gone
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return False  # its conversion runs
        return age > UNLOCKED_AGE_S  # no locks on this file system: only an old one is surely abandoned
    finally:
        os.close(handle)
    return True


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
