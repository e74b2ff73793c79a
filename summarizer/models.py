"""The loaded models: loaded once at start-up, with their status and what keeps the service from being ready.

A missing or broken model is recorded, never fatal: the service serves what it can and says what is missing.
What is shown to clients (status rows, readiness, load errors) names models, never server paths.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from .config import Settings
from .errors import ModelUnavailable
from .store import ModelStore
from .summarize import AbstractiveSummarizer
from .translate import Translator, load_translator

log = logging.getLogger(__name__)

# An absolute POSIX path (not the path part of a URL): shown to clients as its last component only.
_PATH = re.compile(r"(?<![\w.:/~-])~?/(?:[^\s/'\"`,;()]+/)*([^\s/'\"`,;()]+)")


# Roles in status rows and load_errors. English->Arabic is optional: without it the service is still ready.
EN_AR = "translation_en_ar"
ROLE_NAMES = {EN_AR: "English->Arabic translation"}  # what messages call a role whose key is not plain words


class Models:
    """The translators (Arabic->English, English->Arabic), the abstractive summarizer (each None when
    unavailable) and why any is missing."""

    def __init__(
        self,
        settings: Settings,
        translator: Translator | None = None,
        abstractive: AbstractiveSummarizer | None = None,
        load_errors: dict[str, ModelUnavailable] | None = None,
        store: ModelStore | None = None,
        translator_en_ar: Translator | None = None,
    ):
        self.settings = settings
        self.store = store or ModelStore(settings.models_dir)
        self.translator = translator
        self.translator_en_ar = translator_en_ar
        self.abstractive = abstractive
        self.load_errors: dict[str, ModelUnavailable] = dict(load_errors or {})

    def translators(self) -> list[Translator]:
        """The loaded translators (for counters and closing)."""
        return [t for t in (self.translator, self.translator_en_ar) if t is not None]

    @classmethod
    def load(cls, settings: Settings) -> Models:
        """Load every configured model once; a missing or broken model is recorded in load_errors."""
        store = ModelStore(settings.models_dir)
        models = cls(settings, store=store)
        name = models.public_name(settings.translation_model)
        try:
            models.translator = load_translator(settings, store, name=name)
        except Exception as exc:  # noqa: BLE001 - missing, corrupt or incompatible files: recorded, never fatal
            models._record("translation", settings.translation_model, exc)
        name = models.public_name(settings.en_ar_model)
        try:
            models.translator_en_ar = load_translator(
                settings,
                store,
                name=name,
                model=settings.en_ar_model,
                role="English->Arabic translation",
                target_language="ar",
            )
        except Exception as exc:  # noqa: BLE001 - as above; English->Arabic requests then get 503
            models._record(EN_AR, settings.en_ar_model, exc)
        from .sharedcache import attach

        # A Redis tier behind each cache, with SUMMARIZER_REDIS_URL.
        for model, translator in (
            (settings.translation_model, models.translator),
            (settings.en_ar_model, models.translator_en_ar),
        ):
            if translator is not None:
                attach(translator, settings, store, model)
        if settings.load_abstractive or settings.summarizer == "abstractive":
            name = models.public_name(settings.summarization_model)
            try:
                path = store.resolve(settings.summarization_model, role="summarization")
                models.abstractive = AbstractiveSummarizer(path, settings, name=name)
            except Exception as exc:  # noqa: BLE001 - as above
                models._record("summarization", settings.summarization_model, exc)
        return models

    def _record(self, role: str, model: str, exc: Exception) -> None:
        """Keep a load error as a ModelUnavailable that names the model, not where it lives on this server."""
        if isinstance(exc, ModelUnavailable):
            log.warning("%s model unavailable: %s", ROLE_NAMES.get(role, role), exc.message)
            message, details = exc.message, dict(exc.details)
        else:
            log.error("%s model failed to load", ROLE_NAMES.get(role, role), exc_info=exc)
            message, details = f"The {ROLE_NAMES.get(role, role)} model '{model}' failed to load: {exc}", {}
        details["model"] = self.public_name(model)
        self.load_errors[role] = ModelUnavailable(
            without_paths(message), **{k: without_paths(v) if isinstance(v, str) else v for k, v in details.items()}
        )

    def public_name(self, name_or_path: str) -> str:
        """What clients see a model called: its manifest name, or the name of its folder."""
        return name_or_path if name_or_path in self.store.entries else Path(name_or_path).name

    def readiness_problems(self) -> list[str]:
        """Why the default request cannot be served ([] when ready)."""
        needed = ["translation"] + (["summarization"] if self.settings.summarizer == "abstractive" else [])
        loaded = {"translation": self.translator, "summarization": self.abstractive}
        return [
            (self.load_errors[role].message if role in self.load_errors else f"No {role} model is loaded.")
            for role in needed
            if loaded[role] is None
        ]

    def status(self) -> list[dict]:
        """Each configured model: name, revision, whether present and loaded, its engine and device, any load error."""
        rows = []
        for role, name, model in (
            ("translation", self.settings.translation_model, self.translator),
            ("summarization", self.settings.summarization_model, self.abstractive),
            (EN_AR, self.settings.en_ar_model, self.translator_en_ar),
        ):
            entry = self.store.entries.get(name)
            error = self.load_errors.get(role)
            rows.append(
                {
                    "role": role,
                    "name": self.public_name(name),
                    "revision": entry.revision if entry else None,
                    "commit": self.store.snapshot(name).get("commit") if entry else None,
                    "present": self.store.is_present(name),
                    "loaded": model is not None,
                    "engine": model.describe()["engine"] if model is not None else None,
                    # where the model runs: the translation engine's device (the summarizer runs on the CPU)
                    "device": _device(model) if model is not None else None,
                    "error": error.message if error else None,
                }
            )
            if isinstance(model, Translator):  # its cache and queue, for /api/v1/models
                rows[-1] |= {"cache": model.cache.stats(), "queue_depth": model.queue.depth}
        return rows

    def close(self) -> None:
        """Stop the translators' queue workers (requests still queued fail with QueueClosed)."""
        for translator in self.translators():
            translator.close()


def _device(model) -> str:
    engine = getattr(model, "engine", None)  # the translator's engine; the abstractive summarizer has none
    return getattr(engine, "device", None) or "cpu"


def without_paths(text: str) -> str:
    """text with every absolute path shortened to its last component (for what clients see)."""
    return _PATH.sub(lambda m: m.group(1), text)
