"""The pipeline: detect -> segment -> translate -> summarize -> one Result. No HTTP here."""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager, nullcontext

from .config import Settings
from .detect import Detection, LanguageDetector
from .errors import ModelUnavailable, SummarizerError, UnsupportedLanguage
from .schemas import (  # the data classes live with the API's definition; imported here for callers
    MAX_BEAM_SIZE,
    SOURCE_LANGUAGES,
    SUPPORTED_LANGUAGES,
    AlignedSentence,
    Options,
    Result,
    Summary,
    check_text,
)
from .segment import join_paragraphs, split_paragraphs
from .store import ModelStore
from .summarize import AbstractiveSummarizer, ExtractiveSummarizer
from .translate import Translator, load_translator

log = logging.getLogger(__name__)
__all__ = [
    "MAX_BEAM_SIZE",
    "SOURCE_LANGUAGES",
    "SUPPORTED_LANGUAGES",
    "AlignedSentence",
    "Options",
    "Pipeline",
    "Result",
    "Summary",
]


class Pipeline:
    """Holds the loaded engines; `process` runs one text through them."""

    def __init__(
        self,
        settings: Settings,
        translator: Translator | None = None,
        abstractive: AbstractiveSummarizer | None = None,
        load_errors: dict | None = None,
        store: ModelStore | None = None,
    ):
        self.settings = settings
        self.store = store or ModelStore(settings.models_dir)
        self.detector = LanguageDetector(seed=settings.detect_seed)
        self.extractive = ExtractiveSummarizer()
        self.translator = translator
        self.abstractive = abstractive
        self.load_errors: dict[str, SummarizerError] = dict(load_errors or {})

    @classmethod
    def load(cls, settings: Settings) -> "Pipeline":
        """Load every configured model once; a missing or broken model is recorded, not fatal."""
        store = ModelStore(settings.models_dir)
        translator, abstractive, errors = None, None, {}
        try:
            translator = load_translator(settings, store)
        except ModelUnavailable as exc:
            errors["translation"] = exc
        except Exception as exc:  # corrupt or incompatible files: any loader error; recorded, never fatal
            log.exception("translation model failed to load")
            errors["translation"] = ModelUnavailable(
                f"The translation model '{settings.translation_model}' failed to load: {exc}",
                model=settings.translation_model,
            )
        if settings.load_abstractive or settings.summarizer == "abstractive":
            try:
                path = store.resolve(settings.summarization_model, role="summarization")
                abstractive = AbstractiveSummarizer(path, settings, name=settings.summarization_model)
            except ModelUnavailable as exc:
                errors["summarization"] = exc
            except Exception as exc:  # as above
                log.exception("summarization model failed to load")
                errors["summarization"] = ModelUnavailable(
                    f"The summarization model '{settings.summarization_model}' failed to load: {exc}",
                    model=settings.summarization_model,
                )
        for role, exc in errors.items():
            log.warning("%s model unavailable: %s", role, exc.message)
        return cls(settings, translator, abstractive, errors, store)

    # -- what the web layer and the CLI call -------------------------------------------------

    def check_text(self, text) -> str:
        """The text if it is usable, else InvalidInput or TextTooLong saying what to fix."""
        return check_text(text, self.settings.max_chars)

    def detect(self, text: str) -> Detection:
        """Language of a checked text."""
        return self.detector.detect(self.check_text(text))

    def process(self, text: str, options: Options = Options()) -> Result:
        """Detect, translate if Arabic, summarize. Raises SummarizerError subclasses."""
        return self._run(text, options.validated(), summarize=options.summarize)

    def translate(self, text: str, options: Options = Options()) -> Result:
        """Detect and translate (with sentence alignment), no summary."""
        return self._run(text, options.validated(), summarize=False)

    # -- the pipeline ------------------------------------------------------------------------

    def _run(self, text: str, options: Options, summarize: bool) -> Result:
        with self.translator.queue.expecting() if self.translator is not None else nullcontext():
            return self._run_announced(text, options, summarize)

    def _run_announced(self, text: str, options: Options, summarize: bool) -> Result:
        timings: dict[str, float] = {}
        with _timed(timings, "detect"):
            detection = self.detector.detect(self.check_text(text))
        language = detection.language if options.source_language == "auto" else options.source_language
        if language not in SUPPORTED_LANGUAGES:
            raise UnsupportedLanguage(
                _unsupported_message(detection),
                detected=detection.language,
                confidence=round(detection.confidence, 4),
                supported=list(SUPPORTED_LANGUAGES),
            )
        with _timed(timings, "segment"):
            paragraphs = split_paragraphs(text)
        sources = [s for p in paragraphs for s in p.sentences]
        where = [i for i, p in enumerate(paragraphs) for _ in p.sentences]
        models: dict = {}
        translations = None
        if language == "ar":
            translator = self._translator()
            with _timed(timings, "translate"):
                translations = translator.translate_sentences(sources, options.beam_size)
            models["translation"] = translator.describe() | {"beam_size": options.beam_size or translator.num_beams}
        sentences = [
            AlignedSentence(i, where[i], src, translations[i] if translations else None)
            for i, src in enumerate(sources)
        ]
        translation = None
        if translations is not None:
            by_paragraph: list[list[str]] = [[] for _ in paragraphs]
            for sentence in sentences:
                by_paragraph[sentence.paragraph].append(sentence.translation)
            translation = join_paragraphs(by_paragraph, [p.separator for p in paragraphs])
        summary = None
        if summarize:
            with _timed(timings, "summarize"):
                summary = self._summarize(sources, translations, language, options, models)
        timings["total"] = sum(timings.values())
        return Result(detection, language, translation, sentences, summary, models, timings)

    def _translator(self) -> Translator:
        if self.translator is None:
            raise self.load_errors.get("translation") or ModelUnavailable("No translation model is loaded")
        return self.translator

    def _summarize(self, sources, translations, language, options: Options, models: dict) -> Summary:
        english = translations if translations is not None else sources
        method = options.summarizer or self.settings.summarizer
        if method == "abstractive":
            if self.abstractive is None:
                raise self.load_errors.get("summarization") or ModelUnavailable(
                    "No abstractive summarization model is loaded"
                )
            models["summarization"] = self.abstractive.describe()
            return Summary("abstractive", self.abstractive.summarize(english), None, None)
        k = self._summary_length(len(sources), options)
        chosen = self.extractive.select(sources, language, k)
        models["summarization"] = {"name": "extractive", "engine": "builtin"}
        return Summary(
            "extractive",
            " ".join(english[i] for i in chosen),
            " ".join(sources[i] for i in chosen) if language == "ar" else None,
            chosen,
        )

    def _summary_length(self, n: int, options: Options) -> int:
        if options.summary_sentences is not None:
            k = options.summary_sentences
        elif options.summary_ratio is not None:
            k = round(options.summary_ratio * n)
        else:
            k = self.settings.summary_sentences
        return max(1, min(n, k))

    def readiness_problems(self) -> list[str]:
        """Why the default request cannot be served ([] when ready)."""
        needed = ["translation"] + (["summarization"] if self.settings.summarizer == "abstractive" else [])
        engines = {"translation": self.translator, "summarization": self.abstractive}
        return [
            (self.load_errors[role].message if role in self.load_errors else f"No {role} model is loaded.")
            for role in needed
            if engines[role] is None
        ]

    def models_status(self) -> list[dict]:
        """Each configured model: name, role, whether present on disk and loaded, and any load error."""
        rows = []
        for role, name, engine in (
            ("translation", self.settings.translation_model, self.translator),
            ("summarization", self.settings.summarization_model, self.abstractive),
        ):
            error = self.load_errors.get(role)
            rows.append(
                {
                    "role": role,
                    "name": name,
                    "present": self.store.is_present(name),
                    "loaded": engine is not None,
                    "engine": engine.describe()["engine"] if engine is not None else None,
                    "error": error.message if error else None,
                }
            )
        if self.translator is not None:
            rows[0]["cache"] = self.translator.cache.stats()
            rows[0]["queue_depth"] = self.translator.queue.depth
        return rows


@contextmanager
def _timed(timings: dict, stage: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + (time.perf_counter() - start) * 1000


def _unsupported_message(detection: Detection) -> str:
    if detection.language == "und":
        return (
            "Could not determine the language: the text has no letters. "
            f"Supported languages: {', '.join(SUPPORTED_LANGUAGES)}"
        )
    return (
        f"Detected language '{detection.language}' is not supported; "
        f"this service translates Arabic (ar) and summarizes Arabic and English (en)"
    )

