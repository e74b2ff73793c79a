"""The pipeline: detect -> segment -> translate -> summarize -> one Result. No HTTP here."""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager, nullcontext

from .config import Settings
from .detect import Detection, LanguageDetector
from .errors import ModelUnavailable, UnsupportedLanguage
from .models import EN_AR, Models
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
from .store import PULL_HINT
from .summarize import ExtractiveSummarizer
from .translate import Ticket, Translator

log = logging.getLogger(__name__)
SCRIPTS = {"ar": "arabic", "en": "latin"}  # the script each served language's running text is in
SCRIPT_NAMES = {"ar": "Arabic", "en": "Latin"}
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
        self.detector = LanguageDetector()
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
        """Detect, translate (Arabic to English; English to Arabic with target_language ar), summarize.
        Raises SummarizerError subclasses."""
        return self._run(text, options.validated(), summarize=options.summarize)

    def translate(self, text: str, options: Options = Options()) -> Result:
        """Detect and translate (with sentence alignment), no summary."""
        return self._run(text, options.validated(), summarize=False)

    # -- the pipeline ------------------------------------------------------------------------

    def _run(self, text: str, options: Options, summarize: bool) -> Result:
        # Announce the request to the translation queue it will probably use on arrival, so that the rounds it
        # shares with concurrent requests wait for it while it is detected and segmented; leaving the block
        # withdraws the announcement.
        likely = options.source_language
        if likely == "auto":
            likely = "en" if options.target_language == "ar" else "ar"
        translator = self._queue_for(likely, options.target_language)
        with translator.expecting() if translator is not None else nullcontext() as ticket:
            return self._run_announced(text, options, summarize, ticket, translator)

    def _run_announced(
        self, text: str, options: Options, summarize: bool, ticket: Ticket | None, announced: Translator | None
    ) -> Result:
        timings: dict[str, float] = {}
        with _timed(timings, "detect"):
            detection = self.detector.detect(self.check_text(text))
        language = detection.language if options.source_language == "auto" else options.source_language
        if ticket is not None and self._queue_for(language, options.target_language) is not announced:
            ticket.cancel()  # not this queue's request: its rounds must not wait for it
            ticket = None
        refusal = {
            "detected": detection.language,
            "script": detection.script,
            "confidence": round(detection.confidence, 4),
            "supported": list(SUPPORTED_LANGUAGES),
        }
        if language not in SUPPORTED_LANGUAGES:
            raise UnsupportedLanguage(_unsupported_message(detection), **refusal)
        if options.source_language != "auto" and detection.script != SCRIPTS[language]:  # cannot be in it
            raise UnsupportedLanguage(
                f"source_language is '{language}' but the text is not written in {SCRIPT_NAMES[language]} "
                f"script (its running text is {detection.script}); send it with source_language 'auto'",
                source_language=language,
                **refusal,
            )
        # Arabic is always translated to English; English only when Arabic is asked for.
        role = _translation_role(language, options.target_language)
        target = "ar" if role == EN_AR else "en"
        with _timed(timings, "segment"):
            paragraphs = split_paragraphs(text)
        sources = [s for p in paragraphs for s in p.sentences]
        where = [i for i, p in enumerate(paragraphs) for _ in p.sentences]
        models: dict = {}
        translator = self._translator(role) if role is not None else None
        if translator is not None:
            beam_size = options.beam_size or translator.default_beam_size
            models["translation"] = translator.describe() | {"beam_size": beam_size}
        # English->Arabic for the summary only translates the chosen sentences, after the summary.
        whole = language == "ar" or not summarize or options.translate_mode() == "full"
        translations: list[str | None] | None = None
        if translator is not None and whole:
            with _timed(timings, "translate"):
                translations = list(translator.translate_sentences(sources, options.beam_size, ticket=ticket))
        elif ticket is not None and (options.summarizer or self.settings.summarizer) == "abstractive":
            ticket.cancel()  # the queue's rounds must not wait through seconds of abstractive summarizing
            ticket = None
        english = sources if language == "en" else translations
        summary = None
        if summarize:
            with _timed(timings, "summarize"):
                summary = self._summarize(sources, english, language, options, models)
        if target == "ar" and summary is not None and translator is not None:
            with _timed(timings, "translate"):
                translations = self._arabic_summary(summary, sources, translations, translator, options, ticket)
        sentences = [
            AlignedSentence(i, where[i], src, translations[i] if translations else None)
            for i, src in enumerate(sources)
        ]
        translation = None
        if translations is not None and whole:
            by_paragraph: list[list[str]] = [[] for _ in paragraphs]
            for sentence in sentences:
                by_paragraph[sentence.paragraph].append(sentence.translation or "")
            translation = join_paragraphs(by_paragraph, [p.separator for p in paragraphs])
        timings["total"] = sum(timings.values())
        return Result(detection, language, translation, sentences, summary, models, timings, target)

    def _arabic_summary(
        self,
        summary: Summary,
        sources: list[str],
        translations: list[str | None] | None,
        translator: Translator,
        options: Options,
        ticket: Ticket | None,
    ) -> list[str | None] | None:
        """Put the Arabic of an English summary in summary.arabic, sentence-aligned: the chosen sentences'
        translations (translating them now when only the summary is translated), or for an abstractive summary
        the translation of its sentences. Returns the sentences' translations (None where not translated)."""
        if summary.sentence_indexes is None:  # abstractive: its own English sentences
            pieces = [s for p in split_paragraphs(summary.english) for s in p.sentences]
            summary.arabic = " ".join(translator.translate_sentences(pieces, options.beam_size, ticket=ticket))
            return translations
        if translations is None:
            chosen = summary.sentence_indexes
            done = translator.translate_sentences([sources[i] for i in chosen], options.beam_size, ticket=ticket)
            translations = [None] * len(sources)
            for i, text in zip(chosen, done):
                translations[i] = text
        summary.arabic = " ".join(translations[i] or "" for i in summary.sentence_indexes)
        return translations

    def _queue_for(self, language: str, target_language: str) -> Translator | None:
        """The translator a text in language goes through (None: nothing to translate, or not loaded)."""
        role = _translation_role(language, target_language)
        return self._loaded(role) if role is not None else None

    def _loaded(self, role: str) -> Translator | None:
        return self.models.translator_en_ar if role == EN_AR else self.models.translator

    def _translator(self, role: str) -> Translator:
        """The loaded translator of role, else the ModelUnavailable saying which model and how to get it."""
        translator = self._loaded(role)
        if translator is not None:
            return translator
        if role != EN_AR:
            raise self.models.load_errors.get(role) or ModelUnavailable("No translation model is loaded")
        hint = PULL_HINT.format(name=self.settings.en_ar_model)
        raise self.models.load_errors.get(EN_AR) or ModelUnavailable(
            f"No English->Arabic translation model is loaded. Get it with: {hint}",
            model=self.settings.en_ar_model,
            command=hint,
        )

    def _summarize(self, sources, english, language, options: Options, models: dict) -> Summary:
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


def _translation_role(language: str, target_language: str) -> str | None:
    """Which translation a text in language needs: Arabic->English ("translation", whatever the target: Arabic
    input always gives English), English->Arabic (EN_AR) when Arabic is asked for, else none."""
    if language == "ar":
        return "translation"
    return EN_AR if language == "en" and target_language == "ar" else None


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
