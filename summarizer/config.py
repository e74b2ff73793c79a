"""Typed settings with defaults, overridable by SUMMARIZER_* environment variables."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, fields
from pathlib import Path

ENV_PREFIX = "SUMMARIZER_"


@dataclass(frozen=True)
class Settings:
    """Every knob of the service. Each field `name` is read from SUMMARIZER_NAME."""

    # Model store and model choice: a manifest name (see models/manifest.json)
    # or the path of a local model folder.
    models_dir: Path = Path(__file__).resolve().parent.parent / "models"
    translation_model: str = "opus-mt-ar-en"
    summarization_model: str = "distilbart-cnn-12-6"
    # "ctranslate2" (fast; converted from the transformers folder on first load) or "transformers" (reference).
    translation_engine: str = "ctranslate2"
    ct2_compute_type: str = "int8"
    # CTranslate2 sub-batches decoded in parallel, one per core by default (0); threads are shared among them.
    ct2_parallel_batches: int = 0

    # Decoding: beam size 1 (greedy) by default, the fastest and the one that scales with concurrent requests;
    # a request may ask for more (its "beam_size"). 0 means: the model's own generation config (4 for opus-mt).
    num_beams: int = 1
    # Output length bound: at most ratio * input tokens + offset new tokens.
    max_output_ratio: float = 2.0
    max_output_offset: int = 10
    # Guard against the repetition loops opus-mt models fall into (0 = off).
    no_repeat_ngram_size: int = 4
    batch_size: int = 16
    # Cross-request batching: wait this long for other requests' sentences; take up to
    # batch_size * batches_per_round sentences per round.
    batch_wait_ms: float = 5.0
    # ... and up to this long while requests that have arrived are still being prepared (detection, splitting).
    batch_gather_ms: float = 300.0
    batches_per_round: int = 8
    # Bounded queue in front of the model (503 + Retry-After when full) and a per-request deadline (504).
    max_queued_sentences: int = 2000
    request_timeout_s: float = 120.0
    translation_cache_size: int = 20_000
    # CPU threads for the model inside one worker (0 = all cores; the queue runs one batch at a time).
    threads: int = 0

    # Summaries.
    summarizer: str = "extractive"
    summary_sentences: int = 3
    # Load the abstractive model at start-up if it is present.
    load_abstractive: bool = True

    # Limits.
    max_chars: int = 20_000
    max_texts: int = 16
    max_body_bytes: int = 1_000_000

    # Language identification: langdetect's seed (its text cleaning is the only random part left).
    detect_seed: int = 0

    # Access. API keys are off unless a key file is named (manage it with `python -m summarizer keys`).
    api_keys_file: str = ""
    # Flask-Limiter syntax, per API key or client address, on the POST endpoints ("" = off).
    rate_limit: str = "120 per minute"
    rate_limit_storage: str = "memory://"
    cors_origins: str = ""  # comma-separated origins allowed to call /api/ from a browser ("" = CORS off)

    # Logs: JSON lines; the submitted text is never logged unless log_text is on.
    log_level: str = "INFO"
    log_text: bool = False

    # Serving (gunicorn): one worker holds one copy of the models; threads share it.
    bind: str = "127.0.0.1:8000"
    workers: int = 1
    http_threads: int = 8
    graceful_timeout: int = 30
    # A connection that has not delivered its whole request (head and body) in this long gets 408 and is closed;
    # until then it holds no HTTP thread (see summarizer/gunicorn_worker.py).
    request_read_timeout_s: float = 30.0

    @classmethod
    def from_env(cls, environ: os._Environ | dict | None = None, **overrides) -> "Settings":
        """Build settings from defaults, then SUMMARIZER_* variables, then overrides."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _parse(f, raw)
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes) -> "Settings":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def _parse(f: dataclasses.Field, raw: str):
    """Convert an environment string to the field's type; raise ValueError naming the variable."""
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    name = ENV_PREFIX + f.name.upper()
    try:
        if "None" in kind and raw.strip().lower() in ("", "none", "auto"):
            return None
        if kind.startswith("bool"):
            if raw.strip().lower() in ("1", "true", "yes", "on"):
                return True
            if raw.strip().lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
        if kind.startswith("Path"):
            return Path(raw)
        return raw
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a valid {kind}") from None
