"""The model store: a manifest of pinned hub models and their local snapshots in models/.

Models are pulled once (on a connected machine, or at Docker build time) and
loaded from the local folder at run time: nothing here touches the network
except `pull`.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
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


class ModelStore:
    """The manifest and the local folders of models/."""

    def __init__(self, root: Path):
        self.root = Path(root)
        manifest = self.root / "manifest.json"
        data = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {"models": {}}
        self.entries = {name: ModelEntry(name=name, **spec) for name, spec in data["models"].items()}

    def path(self, name: str) -> Path:
        """Where a manifest model lives locally (present or not)."""
        return self.root / name

    def is_present(self, name_or_path: str) -> bool:
        """True when the model folder holds a config.json."""
        return (self._local_path(name_or_path) / "config.json").is_file()

    def resolve(self, name_or_path: str, role: str) -> Path:
        """The local folder of a model given by manifest name or by path.

        Raises ModelUnavailable naming the model and the command that gets it.
        """
        path = self._local_path(name_or_path)
        if (path / "config.json").is_file():
            return path
        if name_or_path in self.entries:
            entry = self.entries[name_or_path]
            raise ModelUnavailable(
                f"The {role} model '{name_or_path}' ({entry.repo}) is not in the model store at {path}. "
                f"Get it on a machine that reaches the Hugging Face hub with: {PULL_HINT.format(name=name_or_path)}",
                model=name_or_path,
                command=PULL_HINT.format(name=name_or_path),
            )
        raise ModelUnavailable(
            f"The {role} model '{name_or_path}' is neither a model folder (no config.json at {path}) "
            f"nor a name in {self.root / 'manifest.json'} (known: {', '.join(sorted(self.entries))}).",
            model=name_or_path,
        )

    def _local_path(self, name_or_path: str) -> Path:
        return self.path(name_or_path) if name_or_path in self.entries else Path(name_or_path)

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

    def pull(self, names: list[str] | None = None) -> list[Path]:
        """Download the named models (default: those pulled by default) at their pinned revisions.

        Progress bars come from huggingface_hub. Raises ModelUnavailable when the
        hub cannot be reached, saying what to do instead.
        """
        import huggingface_hub
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

        if names:
            unknown = [n for n in names if n not in self.entries]
            if unknown:
                raise ValueError(f"Unknown model(s) {unknown}; the manifest names {sorted(self.entries)}")
            chosen = [self.entries[n] for n in names]
        else:
            chosen = [e for e in self.entries.values() if e.pull_by_default]
        paths = []
        for entry in chosen:
            target = self.path(entry.name)
            partial = target.with_name(target.name + ".partial")
            log.info("pulling %s@%s into %s", entry.repo, entry.revision, target)
            try:
                # Resolve the revision to a commit first, so that the files all come from one snapshot.
                commit = huggingface_hub.HfApi().model_info(entry.repo, revision=entry.revision).sha
                huggingface_hub.snapshot_download(
                    repo_id=entry.repo,
                    revision=commit,
                    local_dir=partial,
                    allow_patterns=WANTED_FILES,
                )
            except (OSError, HfHubHTTPError, LocalEntryNotFoundError) as exc:
                raise ModelUnavailable(
                    f"Could not download {entry.repo}@{entry.revision} from the Hugging Face hub ({type(exc).__name__}: "
                    f"{str(exc).splitlines()[0] if str(exc) else 'no detail'}). On a machine without access to the hub, "
                    f"copy a snapshot of {entry.repo} into {target}, or point SUMMARIZER_"
                    f"{'TRANSLATION' if entry.role == 'translation' else 'SUMMARIZATION'}_MODEL at a local folder.",
                    model=entry.name,
                ) from exc
            (partial / "SNAPSHOT.json").write_text(
                json.dumps({"repo": entry.repo, "revision": entry.revision, "commit": commit}, indent=2),
                encoding="utf-8",
            )
            shutil.rmtree(target, ignore_errors=True)
            partial.rename(target)  # an interrupted pull never leaves a half-written model in place
            log.info("%s is at commit %s (pin it in the manifest's revision to reproduce exactly)", entry.repo, commit)
            paths.append(target)
        return paths

    def snapshot(self, name: str) -> dict:
        """What `pull` recorded about a local model: repo, requested revision, resolved commit ({} if unknown)."""
        path = self.path(name) / "SNAPSHOT.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
