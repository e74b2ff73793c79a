"""The web form at /: the same pipeline call as the API, rendered as HTML (with or without JavaScript)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from flask import Blueprint, current_app, render_template, request
from markupsafe import Markup, escape
from werkzeug.exceptions import RequestEntityTooLarge

from .errors import (
    DeadlineExceeded,
    InvalidInput,
    ModelUnavailable,
    Overloaded,
    SummarizerError,
    TextTooLong,
    UnsupportedLanguage,
)
from .inputs import parse_request, read_body
from .schemas import RequestOptions, Result, accepted, check_text

bp = Blueprint("web", __name__)

# What the detector may answer (langdetect's languages and a few named from their letters), as people say them.
LANGUAGE_NAMES = {
    "af": "Afrikaans", "ar": "Arabic", "bg": "Bulgarian", "bn": "Bengali", "ca": "Catalan", "ckb": "Kurdish (Sorani)",
    "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek", "en": "English", "es": "Spanish",
    "et": "Estonian", "fa": "Persian", "fi": "Finnish", "fr": "French", "gu": "Gujarati", "he": "Hebrew",
    "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "id": "Indonesian", "it": "Italian", "ja": "Japanese",
    "kn": "Kannada", "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "mk": "Macedonian", "ml": "Malayalam",
    "mr": "Marathi", "ne": "Nepali", "nl": "Dutch", "no": "Norwegian", "pa": "Punjabi", "pl": "Polish",
    "ps": "Pashto", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sd": "Sindhi", "sk": "Slovak",
    "sl": "Slovenian", "so": "Somali", "sq": "Albanian", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil",
    "te": "Telugu", "th": "Thai", "tl": "Tagalog", "tr": "Turkish", "ug": "Uyghur", "uk": "Ukrainian",
    "ur": "Urdu", "vi": "Vietnamese", "zh-cn": "Chinese", "zh-tw": "Chinese (traditional)",
    "und-Arab": "an Arabic-script language other than Arabic", "und": "undetermined",
}  # fmt: skip
# The direction control: one form field, the request's source and target languages.
DIRECTIONS = {"auto": ("auto", "en"), "ar-en": ("ar", "en"), "en-ar": ("en", "ar")}
DIRECTION_LABELS = {"auto": "Detect the language", "ar-en": "Arabic → English", "en-ar": "English → Arabic"}
FIELD_NAMES = {
    "summary_sentences": "Summary length",
    "beam_size": "Translation",
    "summarizer": "Summarizer",
    "translate": "Translate the whole text",
}
NOT_INSTALLED = "English → Arabic is not installed on this server; ask its operator."
BOTH_TEXT_AND_FILE = "You typed a text and chose a file: press 'Send the file' to use the file, or remove the file."
# Runs of Latin letters or digits inside Arabic text (names, figures, "C++"): isolated with <bdi> so that the
# right-to-left layout cannot move their punctuation to the wrong end. A run ending in an abbreviation with inner
# dots ("U.S.", "e.g.") keeps its final period, which would otherwise show at the wrong end (".U.S").
_LATIN_RUN = re.compile(
    r"[A-Za-z0-9\u00c0-\u024f](?:[A-Za-z0-9\u00c0-\u024f .,:/%'&+#@_-]*[A-Za-z0-9\u00c0-\u024f%+#])?"
    r"(?:(?<=[A-Za-z]\.[A-Za-z])\.)?"
)


@bp.app_template_filter("isolate_latin")
def isolate_latin(text: str | None) -> Markup:
    """Escaped text with each run of Latin letters or digits in a <bdi>, for showing inside right-to-left text."""
    if not text:
        return Markup("")
    out, last = [], 0
    for match in _LATIN_RUN.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(Markup("<bdi>%s</bdi>") % match.group())
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR as LF: browsers send a line break as CRLF but count (and cut at maxlength) one character."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@bp.get("/")
def index():
    """The empty form."""
    return _page()


@bp.post("/")
def submit():
    """Run the form's text through the pipeline; errors show inline and the form keeps the text."""
    settings = current_app.extensions["summarizer.settings"]
    pipeline = current_app.extensions["summarizer.pipeline"]
    form = {key: normalise_newlines(value) for key, value in request.form.items()}
    upload = request.files.get("file")
    filename = upload.filename if upload is not None and upload.filename else None
    try:
        # Without the script a chosen file is sent with the text box: it replaces a typed text only when asked to.
        if filename and form.get("text", "").strip() and "send_file" not in form:
            raise InvalidInput(BOTH_TEXT_AND_FILE, field="file")
        body = read_body(request, settings)
        # A JSON body's values may be of any type: checked here, before they are used, as parse_request would.
        text = body.get("text", "")
        if not isinstance(text, str):
            check_text(text, settings.max_chars)
        text = normalise_newlines(text)
        form["text"] = text
        direction = body.pop("direction", "auto")
        if not isinstance(direction, str) or direction not in DIRECTIONS:
            raise InvalidInput(
                "Choose a direction: detect the language, Arabic → English or English → Arabic", field="direction"
            )
        token = body.pop("submission", None)
        if token is not None and not isinstance(token, str):
            raise InvalidInput("'submission' must be the page's token, a string", field="submission")
        body.pop("send_file", None)  # the no-script button that sends a file without the text box's `required`
        body["text"] = text
        body = _with_direction(body, direction)
        if not text.strip():
            raise InvalidInput("Paste or type a text (Arabic or English), or choose a .txt file.", field="text")
        parsed = parse_request(body, settings, allow_many=False, from_form=True)
        result = (
            _submissions().run(_key(token, body), lambda: pipeline.process(parsed.texts[0], parsed.options))
            if token
            else pipeline.process(parsed.texts[0], parsed.options)
        )
    except SummarizerError as exc:
        size = _size(upload) if filename else None
        message = for_people(exc, filename, size, pipeline.models.public_name(settings.en_ar_model))
        return _page(form=form, error=exc, message=message), exc.status
    return _page(form=form, result=result, filename=filename)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge):
    """A body over the limit (a large file, in practice) as the form with the limit in KB; the body is unread."""
    limit_kb = current_app.config["MAX_CONTENT_LENGTH"] // 1024
    message = f"The file is too large: an upload can be at most {limit_kb:,} KB."
    return _page(error=exc, message=message, status=413), 413


def for_people(
    exc: SummarizerError, filename: str | None = None, size: int | None = None, en_ar_model: str | None = None
) -> str:
    """The error in words for people using the form: language names, field labels, limits in KB."""
    details = exc.details
    if isinstance(exc, TextTooLong):
        what = f"The file {filename}" if filename else "The text"
        kb = f" ({round(size / 1024):,} KB)" if size else ""
        return (
            f"{what}{kb} has {details['length']:,} characters; the limit is {details['limit']:,}. "
            "Shorten it and send it again."
        )
    if isinstance(exc, UnsupportedLanguage):
        code = details.get("detected", "und")
        if code == "und":
            return "This text has no letters. Paste or type a text in Arabic or English."
        name = LANGUAGE_NAMES.get(code, code)
        forced = details.get("source_language")
        if forced:  # a chosen direction the text's script cannot be in
            return (
                f"This text is not in {LANGUAGE_NAMES[forced]}: it looks like {name}. "
                "Choose “Detect the language”, or the direction that starts from the text's language."
            )
        if details.get("script") == "arabic":  # not Arabic, in its letters: no direction would help
            return f"This text looks like {name}. The service reads Arabic and English only."
        return (
            f"This text looks like {name}. The service reads Arabic and English only; if the text is in one "
            "of them, choose its direction above instead of detecting it."
        )
    if isinstance(exc, Overloaded):
        return f"The service is busy. Try again in {exc.retry_after} seconds."
    if isinstance(exc, DeadlineExceeded):
        return "This text took too long. Try a shorter text, or the fast translation."
    if isinstance(exc, ModelUnavailable):
        # The operator's command stays in the API's answer; people using the form cannot run it.
        if en_ar_model and details.get("model") == en_ar_model:
            return NOT_INSTALLED
        return "A model this request needs is not installed on this server; ask its operator."
    field = details.get("field")
    reason = details.get("reason")  # check_text's words are for API callers: say the same for people
    if field == "text" and reason == "control":
        return "The text contains control characters (such as NUL) that cannot be translated; paste plain text."
    if field == "text" and reason in ("type", "unreadable"):
        return "The text could not be read: paste or type plain text."
    if isinstance(exc, InvalidInput) and field in FIELD_NAMES:
        return f"{FIELD_NAMES[field]} must be {accepted(RequestOptions.model_fields[field])}."
    return exc.message


def _with_direction(body: dict, direction: str) -> dict:
    """The request's fields with the direction as source and target languages ("translate" only English->Arabic)."""
    source, target = DIRECTIONS[direction]
    body = dict(body, source_language=source)
    if target != "en":
        body["target_language"] = target
    else:
        body.pop("translate", None)  # the checkbox only applies to English -> Arabic
    return body


def _size(upload) -> int | None:
    """The uploaded file's size in bytes (its part of the body was read whole)."""
    try:
        upload.stream.seek(0, 2)
        return upload.stream.tell()
    except (AttributeError, OSError):
        return None


def _key(token: str, body: dict) -> str:
    return hashlib.sha256(json.dumps([token, body], sort_keys=True).encode("utf-8", "surrogatepass")).hexdigest()


class RecentSubmissions:
    """Identical form posts (same page token, same fields) run once: a second click on the submit button without
    JavaScript, or a reload that resends the form, waits for the first run's result instead of running the text
    again. Errors are not kept, so that trying again runs again.

    De-duplication is per process: with several workers, a resubmission that reaches another worker runs again.
    """

    def __init__(self, size: int = 32, ttl_s: float = 120.0, wait_s: float = 120.0):
        self.size, self.ttl_s, self.wait_s = size, ttl_s, wait_s
        self.lock = threading.Lock()
        self.entries: OrderedDict[str, _Entry] = OrderedDict()

    def run(self, key: str, work: Callable[[], Result]) -> Result:
        """work()'s result, or the result of the identical submission already running or recently finished."""
        with self.lock:
            now = time.monotonic()
            for old in [k for k, e in self.entries.items() if e.done.is_set() and now - e.finished > self.ttl_s]:
                del self.entries[old]
            entry = self.entries.get(key)
            owner = entry is None
            if entry is None:
                entry = self.entries[key] = _Entry()
            # Over the size, the oldest finished entries go; a running one stays, or its resubmission would run the
            # text a second time (running entries are bounded by the worker's threads).
            finished = [k for k, e in self.entries.items() if e.done.is_set()]
            for old in finished[: max(0, len(self.entries) - self.size)]:
                del self.entries[old]
        if not owner:
            # At most the request deadline: the first run has answered (or failed) by then.
            if not entry.done.wait(self.wait_s):
                raise DeadlineExceeded("The identical submission before this one is still running")
            if entry.result is not None:
                return entry.result
            if entry.error is not None:
                raise entry.error
            return work()
        try:
            entry.result = work()
            return entry.result
        except BaseException as exc:
            entry.error = exc if isinstance(exc, SummarizerError) else None
            with self.lock:
                self.entries.pop(key, None)
            raise
        finally:
            entry.finished = time.monotonic()
            entry.done.set()


class _Entry:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Result | None = None
        self.error: SummarizerError | None = None
        self.finished = 0.0


def _submissions() -> RecentSubmissions:
    settings = current_app.extensions["summarizer.settings"]
    return current_app.extensions.setdefault(
        "summarizer.form_submissions", RecentSubmissions(wait_s=settings.request_timeout_s)
    )


def _page(
    form: dict | None = None,
    result: Result | None = None,
    error: Exception | None = None,
    message: str | None = None,
    status: int | None = None,
    filename: str | None = None,
):
    settings = current_app.extensions["summarizer.settings"]
    pipeline = current_app.extensions["summarizer.pipeline"]
    template = "_result.html" if request.args.get("partial") else "index.html"
    form = form or {}
    en_ar_available = pipeline.models.translator_en_ar is not None
    direction = form.get("direction") if form.get("direction") in DIRECTIONS else "auto"
    if direction == "en-ar" and not en_ar_available:
        direction = "auto"  # its choice is disabled: one of the others must be checked
    return render_template(
        template,
        form=form,
        direction=direction,
        directions=DIRECTION_LABELS,
        result=result,
        filename=filename,
        downloads=_downloads(result) if result is not None else None,
        error=error,
        message=message,
        status=status or getattr(error, "status", None) or getattr(error, "code", None),
        max_chars=settings.max_chars,
        max_upload_bytes=current_app.config.get("MAX_CONTENT_LENGTH") or 0,
        abstractive=pipeline.models.abstractive is not None,
        en_ar_available=en_ar_available,
        default_sentences=settings.summary_sentences,
        language_names=LANGUAGE_NAMES,
        submission=secrets.token_urlsafe(12),
    )


def _downloads(result: Result) -> dict[str, str]:
    """The result as data: URLs (JSON and plain text), so that downloading needs no script and no second run."""
    as_json = json.dumps(result.to_dict(), ensure_ascii=False, indent=2)
    return {
        "json": "data:application/json;charset=utf-8;base64," + base64.b64encode(as_json.encode()).decode(),
        "txt": "data:text/plain;charset=utf-8;base64," + base64.b64encode(as_text(result).encode()).decode(),
    }


def as_text(result: Result) -> str:
    """The result as plain text: detection, the summary in each language, the translation."""
    target = result.target_language
    source = result.source_language
    lines = [f"Detected language: {LANGUAGE_NAMES.get(result.detection.language, result.detection.language)}"]
    if source != target:
        lines.append(f"Direction: {LANGUAGE_NAMES[source]} → {LANGUAGE_NAMES[target]}")
    if result.summary is not None:
        lines += ["", "Summary (English)", result.summary.english]
        if result.summary.arabic:
            lines += ["", "Summary (Arabic)", result.summary.arabic]
    if result.translation is not None:
        lines += ["", f"Translation ({LANGUAGE_NAMES[target]})", result.translation]
    return "\n".join(lines) + "\n"
