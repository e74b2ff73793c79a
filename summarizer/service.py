"""The pipeline: detect -> segment -> translate -> summarize -> one Result. No HTTP here."""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager, nullcontext

from .config import Settings
from .detect import Detection, LanguageDetector
from .errors import ModelUnavailable, UnsupportedLanguage
from .models import Models
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
from .summarize import ExtractiveSummarizer
from .translate import Ticket, Translator

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
    """Runs texts through the loaded models: `process` (detect -> segment -> translate -> summarize -> Result)."""

    def __init__(self, settings: Settings, models: Models):
        self.settings = settings
        self.models = models
        self.detector = LanguageDetector(seed=settings.detect_seed)
        self.extractive = ExtractiveSummarizer()

    def close(self) -> None:
        """Stop the models' worker threads."""
        self.models.close()

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
        # Announce the request to the translation queue on arrival, so that the rounds it shares with concurrent
        # requests wait for it while it is detected and segmented; leaving the block withdraws the announcement.
        translator = self.models.translator
        with translator.expecting() if translator is not None else nullcontext() as ticket:
            return self._run_announced(text, options, summarize, ticket)

    def _run_announced(self, text: str, options: Options, summarize: bool, ticket: Ticket | None) -> Result:
        timings: dict[str, float] = {}
        with _timed(timings, "detect"):
            detection = self.detector.detect(self.check_text(text))
        language = detection.language if options.source_language == "auto" else options.source_language
        if language != "ar" and ticket is not None:
            ticket.cancel()  # nothing to translate: the queue's rounds must not wait for this request
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
                translations = translator.translate_sentences(sources, options.beam_size, ticket=ticket)
            beam_size = options.beam_size or translator.default_beam_size
            models["translation"] = translator.describe() | {"beam_size": beam_size}
        sentences = [
            AlignedSentence(i, where[i], src, translations[i] if translations else None)
            for i, src in enumerate(sources)
        ]
        translation = None
        if translations is not None:
            by_paragraph: list[list[str]] = [[] for _ in paragraphs]
            for sentence in sentences:
                by_paragraph[sentence.paragraph].append(sentence.translation or "")
            translation = join_paragraphs(by_paragraph, [p.separator for p in paragraphs])
        summary = None
        if summarize:
            with _timed(timings, "summarize"):
                summary = self._summarize(sources, translations, language, options, models)
        timings["total"] = sum(timings.values())
        return Result(detection, language, translation, sentences, summary, models, timings)

    def _translator(self) -> Translator:
        if self.models.translator is None:
            raise self.models.load_errors.get("translation") or ModelUnavailable("No translation model is loaded")
        return self.models.translator

    def _summarize(self, sources, translations, language, options: Options, models: dict) -> Summary:
        english = translations if translations is not None else sources
        method = options.summarizer or self.settings.summarizer
        if method == "abstractive":
            abstractive = self.models.abstractive
            if abstractive is None:
                raise self.models.load_errors.get("summarization") or ModelUnavailable(
                    "No abstractive summarization model is loaded"
                )
            models["summarization"] = abstractive.describe()
            return Summary("abstractive", abstractive.summarize(english), None, None)
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
