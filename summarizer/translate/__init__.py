"""Translation: one interface (`Translator`), engines behind it."""

from __future__ import annotations

from ..config import Settings
from ..store import ModelStore
from .base import Translator

ENGINES = ("transformers", "ctranslate2")


def load_translator(settings: Settings, store: ModelStore) -> Translator:
    """Load the configured translation model with the configured engine.

    Raises ModelUnavailable when the model is not in the store, ValueError for an unknown engine.
    """
    path = store.resolve(settings.translation_model, role="translation")
    if settings.translation_engine == "transformers":
        from .marian import MarianTranslator

        return MarianTranslator(path, settings, name=settings.translation_model)
    if settings.translation_engine == "ctranslate2":
        from .ct2 import CTranslate2Translator

        return CTranslate2Translator(path, settings, name=settings.translation_model)
    raise ValueError(f"SUMMARIZER_TRANSLATION_ENGINE must be one of {ENGINES}, not {settings.translation_engine!r}")


__all__ = ["Translator", "load_translator", "ENGINES"]
