"""Typed settings with defaults, overridable by SUMMARIZER_* environment variables (pydantic-settings).

Each field carries its type, bounds and a description; from them come the validation at start-up (a wrong
value stops it with a message naming the variable and what it accepts) and the README's configuration table
(`python -m summarizer settings --markdown`).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from .schemas import MAX_BEAM_SIZE, MAX_SUMMARY_SENTENCES, accepted
from .store import TARGET_VOCABULARIES, default_cache_dir

ENV_PREFIX = "SUMMARIZER_"
# SUMMARIZER_* variables that are not settings of the service: the test suite's and the benchmarks' caches.
OTHER_VARIABLES = frozenset({"SUMMARIZER_TEST_CACHE", "SUMMARIZER_BENCH_CACHE"})
RENAMED = {
    "SUMMARIZER_NUM_BEAMS": "SUMMARIZER_BEAM_SIZE",
    "SUMMARIZER_CT2_VOCABULARY_MAP": "SUMMARIZER_CT2_TARGET_VOCABULARY",
}
CT2_COMPUTE_TYPES = ("int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16", "bfloat16", "float32")


class SettingsError(ValueError):
    """A setting is misspelt or out of range; the message names each variable and what it accepts."""


class Settings(BaseSettings):
    """Every knob of the service. Each field `name` is read from SUMMARIZER_NAME by from_env.

    `Settings(field=value)` takes defaults and the values given, and no environment (tests rely on that);
    `Settings.from_env()` reads the environment.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid", validate_default=False)

    # Model store and model choice.
    models_dir: Path = Field(
        Path("models"),
        description="folder of the model store, relative to the current directory unless absolute (models pull writes here; it may be mounted read-only)",
    )
    cache_dir: Path = Field(
        default_factory=default_cache_dir,
        description="writable folder for CTranslate2 conversions",
        json_schema_extra={"shown_default": "$XDG_CACHE_HOME/summarizer or ~/.cache/summarizer"},
    )
    translation_model: str = Field(
        "opus-mt-ar-en", description="Arabic->English model: a manifest name or the path of a local model folder"
    )
    en_ar_model: str = Field(
        "opus-mt-en-ar",
        description="English->Arabic model (requests with target_language ar): a manifest name "
        "(opus-mt-en-ar, opus-mt-tc-big-en-ar) or a local model folder",
    )
    summarization_model: str = Field(
        "distilbart-cnn-12-6", description="abstractive summary model: a manifest name or a local folder"
    )
    translation_engine: Literal["ctranslate2", "transformers"] = Field(
        "ctranslate2",
        description="ctranslate2 (fast; converted from the transformers folder on first load) or transformers",
    )
    ct2_compute_type: Literal[CT2_COMPUTE_TYPES] = Field(  # type: ignore[valid-type]
        "int8", description="CTranslate2 weight type of the conversion"
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto",
        description="where the translation model runs: cpu, cuda (a GPU), or auto (cuda when the engine sees a GPU)",
    )
    ct2_gpu_compute_type: Literal[CT2_COMPUTE_TYPES] = Field(  # type: ignore[valid-type]
        "int8_float16", description="CTranslate2 weight type on a GPU (instead of ct2_compute_type)"
    )
    ct2_target_vocabulary: Literal[TARGET_VOCABULARIES] = Field(  # type: ignore[valid-type]
        "cut",
        description="CTranslate2 scores only target.spm's pieces and the special tokens, not the whole shared "
        "vocabulary (a correct output never holds another piece): cut (a conversion whose decoder holds only "
        "them and whose encoder only the tokens the tokenizer can give: the smallest model), map (the whole "
        "conversion with a vocabulary map) or full",
    )
    ct2_parallel_batches: int = Field(
        0, ge=0, le=64, description="CTranslate2 sub-batches decoded in parallel (0: one per core)"
    )

    # Decoding.
    beam_size: int = Field(
        1,
        ge=0,
        le=MAX_BEAM_SIZE,
        description="default translation beam size (0: the model's own, 4 for opus-mt); "
        "a request may ask for another with beam_size",
    )
    max_output_ratio: float = Field(
        2.0, ge=0, le=100, description="a translation has at most ratio x input tokens + offset new tokens"
    )
    max_output_offset: int = Field(10, ge=0, le=10_000, description="see max_output_ratio")
    no_repeat_ngram_size: int = Field(
        4, ge=0, le=100, description="guard against the repetition loops of opus-mt models (0: off)"
    )
    batch_size: int = Field(16, ge=1, le=4096, description="sentences per model batch")
    batch_wait_ms: float = Field(
        5.0, ge=0, le=60_000, description="how long a round waits for other requests' sentences"
    )
    batch_gather_ms: float = Field(
        300.0, ge=0, le=60_000, description="... and how long while requests that arrived are still being prepared"
    )
    batches_per_round: int = Field(8, ge=1, le=1000, description="a round takes up to batch_size x this sentences")
    max_queued_sentences: int = Field(
        2000, ge=1, le=10_000_000, description="bounded queue in front of the model (503 + Retry-After when full)"
    )
    request_timeout_s: float = Field(120.0, gt=0, le=86_400, description="per-request deadline (504)")
    translation_cache_size: int = Field(20_000, ge=0, description="translated sentences kept in memory (0: off)")
    translation_cache_ttl_s: int = Field(
        7 * 86_400, ge=1, description="with redis_url, how long translations are shared through Redis"
    )
    threads: int = Field(0, ge=0, le=1024, description="CPU threads of the model in one worker (0: all cores)")

    # Summaries.
    summarizer: Literal["extractive", "abstractive"] = Field("extractive", description="default summary method")
    summary_sentences: int = Field(
        3, ge=1, le=MAX_SUMMARY_SENTENCES, description="default number of sentences in an extractive summary"
    )
    load_abstractive: bool = Field(True, description="load the abstractive model at start-up if it is present")

    # Limits.
    max_chars: int = Field(20_000, ge=1, le=10_000_000, description="characters per text (413 over it)")
    max_texts: int = Field(16, ge=1, le=10_000, description="texts per request")
    max_body_bytes: int = Field(1_000_000, ge=1, description="request body size (413 over it)")

    # Access.
    api_keys_file: str = Field(
        "", description="API key file (manage it with `python -m summarizer keys`); empty: keys off"
    )
    rate_limit: str = Field(
        "120 per minute", description="Flask-Limiter limit per API key or client address on POST (empty: off)"
    )
    rate_limit_storage: str = Field("memory://", description="where rate-limit counters live, e.g. redis://host:6379")
    cors_origins: str = Field("", description="comma-separated origins allowed to call /api/ from a browser")
    libretranslate_api: bool = Field(True, description="also serve LibreTranslate's API (/translate, /languages...)")

    # Logs.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field("INFO", description="log level")
    log_text: bool = Field(False, description="log the submitted texts (off: they are never logged)")

    # Jobs and shared state.
    redis_url: str = Field(
        "",
        description="redis://host:port/db: jobs run on Celery workers (`summarizer worker`), rate limits and the "
        "translation cache are shared; empty: jobs run in the web process (lost at a restart)",
    )
    max_job_texts: int = Field(1000, ge=1, le=1_000_000, description="texts per job")
    job_ttl_s: int = Field(86_400, ge=1, description="seconds a job and its results are kept")
    job_time_limit_s: int = Field(
        600, ge=2, le=86_400, description="seconds one job task (a text or a chunk of texts) may run on a worker"
    )
    job_visibility_timeout_s: int = Field(
        900,
        ge=3,
        description="seconds after which the broker hands the task of a vanished worker to another (longer than "
        "job_time_limit_s)",
    )
    job_chunk_texts: int = Field(
        8, ge=1, le=1000, description="a large job goes to workers in chunks of this many texts"
    )
    max_local_job_texts: int = Field(
        10_000, ge=1, description="without redis_url: job texts that may wait in the web process (503 over it)"
    )
    callback_hosts: str = Field("", description="comma-separated hosts (or host:port) job callbacks may go to")
    callback_secret: str = Field("", description="key of the callbacks' HMAC-SHA256 signature (empty: callbacks off)")

    # Serving (gunicorn): one worker holds one copy of the models; threads share it.
    bind: str = Field("127.0.0.1:8000", description="address:port gunicorn listens on")
    workers: int = Field(1, ge=1, le=64, description="gunicorn worker processes (each holds its own models)")
    http_threads: int = Field(8, ge=1, le=1024, description="HTTP threads per worker")
    graceful_timeout: int = Field(30, ge=0, le=3600, description="seconds requests in flight get on SIGTERM")
    request_read_timeout_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="a connection that has not sent its whole request in this long gets 408 and is closed; until "
        "then it holds no HTTP thread",
    )

    @model_validator(mode="after")
    def _redelivery_after_the_time_limit(self) -> Settings:
        if self.job_visibility_timeout_s <= self.job_time_limit_s:
            raise ValueError(
                "SUMMARIZER_JOB_VISIBILITY_TIMEOUT_S must be longer than SUMMARIZER_JOB_TIME_LIMIT_S "
                f"({self.job_visibility_timeout_s} <= {self.job_time_limit_s}), or a running text is handed out twice"
            )
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values given: the environment is read by from_env, from the mapping it is handed."""
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then SUMMARIZER_* variables, then overrides; SettingsError names every wrong variable."""
        environ = os.environ if environ is None else environ
        problems = _unknown_variables(environ)
        values = _EnvironSource(cls, environ)()
        try:
            settings = cls(**{**values, **overrides})
        except ValidationError as exc:
            problems += [_describe(error, set(overrides)) for error in exc.errors(include_url=False)]
            settings = None
        if problems:
            raise SettingsError("\n".join(problems))
        assert settings is not None
        return settings

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (validated)."""
        return type(self)(**{**{name: getattr(self, name) for name in type(self).model_fields}, **changes})


class _EnvironSource(EnvSettingsSource):
    """pydantic-settings' environment source, reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]):
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {key.lower(): value for key, value in self._environ.items()}


def env_name(field: str) -> str:
    """The environment variable of a settings field."""
    return ENV_PREFIX + field.upper()


def _describe(error: ErrorDetails, overrides: set[str]) -> str:
    if not error["loc"]:  # a rule across settings: its message names the variables
        return str(error["msg"]).removeprefix("Value error, ")
    name = str(error["loc"][0])
    if error["type"] == "extra_forbidden":
        return f"{name}: not a setting"
    label = name if name in overrides else env_name(name)
    field = Settings.model_fields.get(name)
    what = accepted(field) if field is not None else "a valid value"
    return f"{label}: must be {what}, got {error['input']!r}"


def _unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """A message for each SUMMARIZER_* variable that is no setting (a misspelt name), with a did-you-mean."""
    known = [env_name(name) for name in Settings.model_fields]
    problems = []
    for variable in sorted(environ):
        if not variable.upper().startswith(ENV_PREFIX) or variable.upper() in known or variable in OTHER_VARIABLES:
            continue
        if variable.upper() in RENAMED:
            problems.append(f"{variable}: renamed; use {RENAMED[variable.upper()]}")
            continue
        # compare what follows the prefix: every name shares the prefix, which would make anything look close
        hint = difflib.get_close_matches(
            variable.upper()[len(ENV_PREFIX) :], [k[len(ENV_PREFIX) :] for k in known], n=1
        )
        where = f"did you mean {ENV_PREFIX}{hint[0]}?" if hint else "see `python -m summarizer settings` for the list"
        problems.append(f"{variable}: not a setting; {where}")
    return problems


def settings_table(markdown: bool = True) -> str:
    """The configuration table, from the fields: variable, accepted values, default, description."""
    rows = [("Variable", "Accepts", "Default", "Description")]
    for name, field in Settings.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if "shown_default" in extra:
            default = str(extra["shown_default"])
        else:
            value = field.get_default(call_default_factory=True)
            default = "(empty)" if value == "" else str(value).lower() if isinstance(value, bool) else str(value)
            if name == "models_dir":
                default = "./models"
        rows.append((env_name(name), accepted(field), default, field.description or ""))
    if not markdown:
        width = [max(len(row[i]) for row in rows) for i in range(3)]
        return "\n".join(f"{r[0]:<{width[0]}}  {r[1]:<{width[1]}}  {r[2]:<{width[2]}}  {r[3]}" for r in rows)
    lines = [f"| `{r[0]}` | {r[1]} | `{r[2]}` | {r[3]} |" for r in rows[1:]]
    return "\n".join(["| Variable | Accepts | Default | Description |", "|---|---|---|---|", *lines])
