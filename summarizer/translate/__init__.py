"""Translation: engines that translate lists of sentences, and one batching front (`Translator`) before them."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from ..config import Settings
from ..store import ModelStore, converted
from .batching import BatchQueue, QueueClosed, Ticket, TranslationCache
from .engine import TranslationEngine
from .translator import Translator

log = logging.getLogger(__name__)
ENGINES = ("transformers", "ctranslate2")


# The target-language token a multi-target opus-mt model expects for each output language.
TARGET_TOKENS = {"en": ">>eng<<", "ar": ">>ara<<"}
_LANGUAGE_TOKEN = re.compile(r"^>>[^<>\s]+<<$")


def load_engine(settings: Settings, path: Path, name: str | None = None, target_token: str = "") -> TranslationEngine:
    """The configured engine on the model folder at path (name: what results call it; default the folder's;
    target_token: what every source sentence starts with, "" for none).

    The one place that maps Settings to engine parameters. Raises ValueError for an unknown engine.
    """
    device = resolve_device(settings.device, settings.translation_engine)
    options: dict[str, Any] = {
        "name": name or Path(path).name,
        "device": device,
        "threads": settings.threads,
        "batch_size": settings.batch_size,
        "beam_size": settings.beam_size,
        "output_ratio": settings.max_output_ratio,
        "output_offset": settings.max_output_offset,
        "no_repeat_ngram_size": settings.no_repeat_ngram_size,
        "target_token": target_token,
    }
    if settings.translation_engine == "transformers":
        from .marian import MarianEngine

        return MarianEngine(path, **options)
    if settings.translation_engine == "ctranslate2":
        from .ct2 import CTranslate2Engine

        return CTranslate2Engine(
            path,
            compute_type=settings.ct2_gpu_compute_type if device == "cuda" else settings.ct2_compute_type,
            parallel_batches=settings.ct2_parallel_batches,
            cache_dir=settings.cache_dir,
            target_vocabulary=settings.ct2_target_vocabulary,
            **options,
        )
    raise ValueError(f"SUMMARIZER_TRANSLATION_ENGINE must be one of {ENGINES}, not {settings.translation_engine!r}")


def resolve_device(device: str, engine: str) -> str:
    """cpu or cuda: the setting, or for auto cuda when the engine's library sees a GPU, else cpu."""
    if device != "auto":
        return device
    if engine == "ctranslate2":
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def convert_ahead(settings: Settings, path: Path) -> Path:
    """The CTranslate2 conversion of the model folder at path that the engine will load (the GPU's compute type
    when it will run on one), made now if it is not in the cache."""
    gpu = resolve_device(settings.device, "ctranslate2") == "cuda"
    compute_type = settings.ct2_gpu_compute_type if gpu else settings.ct2_compute_type
    return converted(path, compute_type, settings.cache_dir, settings.ct2_target_vocabulary)


def convert_before_fork(settings: Settings, store: ModelStore) -> None:
    """With the CTranslate2 engine, convert the configured translation models that are present, once, before
    gunicorn or Celery starts its processes: otherwise each converts for itself at its first start, all at once,
    each at several times the memory of serving. A failure is logged; the processes try again and report it."""
    if settings.translation_engine != "ctranslate2":
        return
    for model in dict.fromkeys([settings.translation_model, settings.en_ar_model]):
        if not store.is_present(model):
            continue  # the processes report it missing, with the command that gets it
        try:
            convert_ahead(settings, store.path(model) if model in store.entries else Path(model))
        except Exception as exc:  # noqa: BLE001 - whatever stops it stops the processes' load too, and is reported there
            log.warning("could not convert %s for CTranslate2 before starting the processes: %s", model, exc)


def batching_translator(engine: TranslationEngine, settings: Settings) -> Translator:
    """The batching front (cache, queue, deadline) configured by settings, in front of engine."""
    return Translator(
        engine,
        cache_size=settings.translation_cache_size,
        max_batch=max(1, settings.batch_size) * settings.batches_per_round,
        batch_wait_s=settings.batch_wait_ms / 1000,
        gather_s=settings.batch_gather_ms / 1000,
        max_queued=settings.max_queued_sentences,
        timeout_s=settings.request_timeout_s,
    )


def load_translator(
    settings: Settings,
    store: ModelStore,
    name: str | None = None,
    model: str | None = None,
    role: str = "translation",
    target_language: str = "en",
) -> Translator:
    """The translation model `model` (a manifest name or a local folder; default the Arabic->English setting)
    on the configured engine, behind the batching front.

    Raises ModelUnavailable when the model is not in the store, ValueError for an unknown engine or a
    multi-target model whose target-language token cannot be told (see target_token).
    """
    model = model or settings.translation_model
    path = store.resolve(model, role=role)
    token = target_token(store, model, path, target_language)
    return batching_translator(load_engine(settings, path, name, target_token=token), settings)


def target_token(store: ModelStore, model: str, path: Path, target_language: str) -> str:
    """The token every source sentence starts with: the manifest entry's for a known model; for a local folder,
    from its vocabulary: none when it holds no >>xxx<< token, the token of target_language when it is among
    them (>>ara<< for Arabic), the only one when there is one. Raises ValueError when there are several and
    none is the target language's."""
    if model in store.entries:
        return store.entries[model].target_token
    vocab_file = Path(path) / "vocab.json"
    vocab = json.loads(vocab_file.read_text(encoding="utf-8")) if vocab_file.is_file() else {}
    tokens = sorted(t for t in vocab if _LANGUAGE_TOKEN.match(t))
    wanted = TARGET_TOKENS.get(target_language, "")
    if not tokens:
        return ""
    if wanted in tokens:
        return wanted
    if len(tokens) == 1:
        return tokens[0]
    raise ValueError(
        f"{Path(path).name} is a multi-target model ({len(tokens)} target-language tokens such as "
        f"{', '.join(tokens[:3])}) but its vocabulary has no {wanted or 'token for ' + target_language}: "
        "it cannot be told which language to write"
    )


__all__ = [
    "ENGINES",
    "TARGET_TOKENS",
    "BatchQueue",
    "QueueClosed",
    "Ticket",
    "TranslationCache",
    "TranslationEngine",
    "Translator",
    "batching_translator",
    "load_engine",
    "load_translator",
    "resolve_device",
    "target_token",
]
