"""LibreTranslate's HTTP API at the root (/translate, /detect, /languages, /frontend/settings).

Mastodon, Discourse's translator plugin, Weblate and the `libretranslatepy` client talk to translation
servers this way; these routes answer as LibreTranslate 1.9 does, on our pipeline: Arabic to English, English to
Arabic (when the English->Arabic model is loaded; `GET /languages` lists `en -> ar` only then, so that clients
never offer a pair that can only fail), and a text already in the target language back as it came. Errors take LibreTranslate's shape, {"error": "message"}, with its statuses (400 bad input,
403 missing or wrong key, 429 rate limit); /api/v1 keeps its own. `api_key` (body or query) is one of our API
keys (security.KeyStore); the rate limit of /api/v1 applies too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from typing import Any, TypeVar, get_args

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from .errors import Forbidden, InvalidInput, Overloaded, SummarizerError, TextTooLong, UnsupportedLanguage
from .html_text import HtmlDocument
from .schemas import SourceLanguage
from .service import Options

log = logging.getLogger(__name__)
bp = Blueprint("libretranslate", __name__)

LANGUAGES = {"ar": "Arabic", "en": "English"}
TARGET_CODES = ("en", "ar")
SOURCES: tuple[SourceLanguage, ...] = get_args(SourceLanguage)  # "auto", then LANGUAGES
FORMATS = ("text", "html")
KEYED_ENDPOINTS = ("libretranslate.translate", "libretranslate.detect")
# Our errors that LibreTranslate's clients expect under another status.
STATUS = {TextTooLong: 400, UnsupportedLanguage: 400}
UNDETERMINED = {"language": "und", "confidence": 0.0}  # a text without letters
_Choice = TypeVar("_Choice", bound=str)


def _pipeline():
    return current_app.extensions["summarizer.pipeline"]


def _settings():
    return current_app.extensions["summarizer.settings"]


# -- the routes ---------------------------------------------------------------------------------


@bp.post("/translate")
def translate():
    """Translate q (a string or a list of strings), text or HTML, as LibreTranslate's /translate."""
    params = _params()
    texts, many = _texts(params)
    source = _choice(params, "source", SOURCES)
    target = _choice(params, "target", TARGET_CODES)
    text_format = _choice(params, "format", FORMATS, default="text")
    alternatives = _alternatives(params.get("alternatives"))
    results = [_translate_one(text, source, target, text_format) for text in texts]
    body: dict[str, Any] = {"translatedText": [r[0] for r in results] if many else results[0][0]}
    if source == "auto":
        body["detectedLanguage"] = [r[1] for r in results] if many else results[0][1]
    if alternatives:
        body["alternatives"] = [[] for _ in results] if many else []  # one translation per sentence: no others
    return jsonify(body)


@bp.post("/detect")
def detect():
    """The language of q: [{"language", "confidence" (0-100)}], best first."""
    q = _params().get("q")
    if q is None or q == "":
        raise InvalidInput("Invalid request: missing q parameter")
    if not isinstance(q, str):
        raise InvalidInput("'q' must be a string")
    detection = _pipeline().detect(q)
    return jsonify([_detected(detection)])


@bp.get("/languages")
def languages():
    """The languages we translate from, each with the languages it can be translated to."""
    return jsonify([{"code": code, "name": name, "targets": _targets(code)} for code, name in LANGUAGES.items()])


def _targets(code: str) -> list[str]:
    """What a source language can be translated to here: Arabic to English; English to itself, and to Arabic
    when the English->Arabic model is loaded."""
    if code == "en" and _pipeline().models.translator_en_ar is not None:
        return ["en", "ar"]
    return ["en"]


@bp.get("/frontend/settings")
def frontend_settings():
    """The settings LibreTranslate's web page and clients read: character limit, keys, languages."""
    keys_on = current_app.extensions.get("summarizer.keys") is not None
    return jsonify(
        {
            "charLimit": _settings().max_chars,
            "frontendTimeout": 500,
            "apiKeys": keys_on,
            "keyRequired": keys_on,
            "suggestions": False,
            "filesTranslation": False,
            "supportedFilesFormat": [],
            "language": {
                "source": {"code": "auto", "name": "Auto Detect"},
                "target": {"code": "en", "name": "English"},
            },
        }
    )


# -- keys and errors -----------------------------------------------------------------------------


@bp.before_request
def _check_key():
    """With API keys on, /translate and /detect need one, as `api_key` in the body or the query."""
    keys = current_app.extensions.get("summarizer.keys")
    if keys is None or request.endpoint not in KEYED_ENDPOINTS:
        return
    key = _params().get("api_key")
    if not key or not isinstance(key, str):
        raise Forbidden("An API key is required: send it as 'api_key'")
    g.api_key_name = keys.name_of(key)  # the rate limit then counts per key


def _error(status: int, message: str, headers: dict | None = None):
    response = jsonify({"error": message})
    response.status_code = status
    response.headers.update(headers or {})
    return response


@bp.errorhandler(SummarizerError)
def _summarizer_error(exc: SummarizerError):
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Overloaded) else None
    return _error(STATUS.get(type(exc), exc.status), exc.message, headers)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    if exc.code == 429:
        return _error(429, f"Slow down: too many requests (limit: {exc.description})")
    if exc.code == 413:
        return _error(400, f"The request body is over the limit of {current_app.config['MAX_CONTENT_LENGTH']} bytes")
    return _error(exc.code or 500, exc.description or exc.name)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _error(500, "Internal error; it has been logged")


# -- reading the request -------------------------------------------------------------------------


def _params() -> dict:
    """The request's fields from a JSON body, or from form fields and the query (q may repeat)."""
    if "lt_params" in g:
        return g.lt_params
    if request.is_json:
        try:
            params = json.loads(request.get_data(cache=True).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise InvalidInput("The body is not valid JSON") from None
        if not isinstance(params, dict):
            raise InvalidInput(
                'The JSON body must be an object, such as {"q": "...", "source": "auto", "target": "en"}'
            )
        if params.get("api_key") is None and request.args.get("api_key"):
            params["api_key"] = request.args["api_key"]
    else:
        values = request.values  # form fields, then the query string
        form: dict[str, Any] = values.to_dict()
        qs = values.getlist("q")
        if len(qs) > 1:
            form["q"] = qs
        params = form
    g.lt_params = params
    return params


def _texts(params: dict) -> tuple[list[str], bool]:
    """(texts, whether q was a list); InvalidInput for a missing, mistyped or too long q."""
    q = params.get("q")
    if q is None or q == "" or q == []:
        raise InvalidInput("Invalid request: missing q parameter")
    many = isinstance(q, list)
    texts = q if many else [q]
    if not all(isinstance(t, str) for t in texts):
        raise InvalidInput("'q' must be a string or a list of strings")
    settings = _settings()
    if len(texts) > settings.max_texts:
        raise InvalidInput(f"Invalid request: 'q' has {len(texts)} texts; the limit is {settings.max_texts}")
    chars = sum(len(t) for t in texts)
    if chars > settings.max_chars:
        raise InvalidInput(f"Invalid request: 'q' has {chars} characters; the limit is {settings.max_chars}")
    return texts, many


def _choice(params: dict, name: str, allowed: Collection[_Choice], default: _Choice | None = None) -> _Choice:
    value = params.get(name)
    if value is None or value == "":
        if default is None:
            raise InvalidInput(f"Invalid request: missing {name} parameter")
        return default
    if value not in allowed:
        raise InvalidInput(f"'{name}' must be one of {list(allowed)}, not {value!r}")
    return value


def _alternatives(value) -> int:
    if value is None or value == "":
        return 0
    try:
        count = int(value)
        if isinstance(value, (bool, float)) or count < 0:
            raise ValueError
    except (TypeError, ValueError):
        raise InvalidInput("'alternatives' must be a whole number, 0 or more") from None
    return count


# -- translating ---------------------------------------------------------------------------------


def _detected(detection) -> dict:
    return {"language": detection.language, "confidence": round(float(detection.confidence) * 100, 2)}


def _translate_one(text: str, source: SourceLanguage, target: str, text_format: str) -> tuple[str, dict | None]:
    """(translation, detected language when source is auto); text without letters, or already in the target
    language, comes back as it is."""
    if not text.strip():
        return text, UNDETERMINED if source == "auto" else None
    pipeline = _pipeline()
    pipeline.check_text(text)  # control characters, length: InvalidInput / TextTooLong
    if source == target:
        return text, None
    if text_format == "html":
        return translate_html(pipeline, text, source, _settings().max_chars, target)
    if not any(ch.isalpha() for ch in text):
        return text, UNDETERMINED if source == "auto" else None
    detected = None
    if source == "auto" and target == "ar":  # Arabic text asked in Arabic stays as it is: detect first
        detection = pipeline.detect(text)
        detected = _detected(detection)
        if detection.language == "ar":
            return text, detected
    result = pipeline.translate(text, Options(source_language=source, target_language=target))
    if source == "auto":
        detected = _detected(result.detection)
    if result.target_language != target:  # English asked in English
        return text, detected
    return (result.translation if result.translation is not None else text), detected


def translate_html(pipeline, html: str, source: str, limit: int, target: str = "en") -> tuple[str, dict | None]:
    """Translate the text of an HTML fragment or document to target, keep its markup; (html, detected if source
    auto). `limit` is the most characters one pipeline call takes.
    """
    document = HtmlDocument(html)
    texts = document.texts()
    if not texts:
        return html, UNDETERMINED if source == "auto" else None
    detected, language = None, source
    if source == "auto":
        detection = pipeline.detect("\n".join(texts)[:limit])
        detected, language = _detected(detection), detection.language
        if language not in LANGUAGES:
            raise UnsupportedLanguage(
                f"Detected language '{language}' is not supported; source languages: {', '.join(LANGUAGES)}"
            )
    if language == target:
        return html, detected
    document.apply(_translate_blocks(pipeline, texts, limit, language, target))
    return document.serialize(), detected


def _translate_blocks(
    pipeline, texts: list[str], limit: int, source: str = "ar", target: str = "en"
) -> list[tuple[str, str]]:
    """(source sentence, translation) pairs of blocks, one block a line, as few pipeline calls as fit."""
    pairs: list[tuple[str, str]] = []
    chunk: list[str] = []
    for text in texts + [None]:
        if chunk and (text is None or sum(map(len, chunk)) + len(chunk) + len(text) > limit):
            pairs.extend(_sentence_pairs(pipeline, chunk, source, target))
            chunk = []
        if text is not None:
            chunk.append(text)
    return pairs


def _sentence_pairs(pipeline, blocks: list[str], source: str, target: str) -> list[tuple[str, str]]:
    """(source sentence, translation) pairs of blocks, in one pipeline call. Blocks whose running text is in
    another script than the source language's (a block of code, an English note under an Arabic post) are kept
    as they are: when the blocks together are refused, each is tried alone."""
    try:
        result = pipeline.translate("\n".join(blocks), Options(source_language=source, target_language=target))
    except UnsupportedLanguage:
        if len(blocks) == 1:
            return []
        return [pair for block in blocks for pair in _sentence_pairs(pipeline, [block], source, target)]
    # A "sentence" without letters (a lone "&" or number) stays as it is: there is nothing to translate.
    return [(s.source, s.translation if any(ch.isalpha() for ch in s.source) else s.source) for s in result.sentences]


# -- the OpenAPI description ---------------------------------------------------------------------


def libretranslate_paths(settings) -> dict:
    """The OpenAPI paths of these routes (their schemas inline), for the service's OpenAPI document."""
    error = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
    detected = {
        "type": "object",
        "required": ["language", "confidence"],
        "properties": {"language": {"type": "string"}, "confidence": {"type": "number", "minimum": 0, "maximum": 100}},
    }

    def json_body(schema: dict, description: str) -> dict:
        return {"description": description, "content": {"application/json": {"schema": schema}}}

    def errors(*statuses: int) -> dict:
        text = {
            400: "Invalid input (missing or wrong field, text over the limit, unsupported language)",
            403: "Missing or invalid API key (when keys are on)",
            429: "Rate limit exceeded",
            500: "Internal error",
            503: "The model is unavailable or the service is overloaded",
            504: "Deadline exceeded",
        }
        return {str(s): json_body(error, text[s]) for s in statuses}

    def request_body(properties: dict, required: list[str]) -> dict:
        form = {k: ({"type": "string", "minLength": 1} if k == "q" else v) for k, v in properties.items()}
        return {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object", "required": required, "properties": properties}},
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "required": required, "properties": form}
                },
            },
        }

    text = {"type": "string", "maxLength": settings.max_chars}
    api_key = {"type": ["string", "null"], "description": "An API key (when keys are on); also accepted in the query"}
    translate_properties = {
        "q": {
            "oneOf": [text, {"type": "array", "items": text, "minItems": 1, "maxItems": settings.max_texts}],
            "description": f"Text or HTML, or a list of them; {settings.max_chars} characters in all at most",
        },
        "source": {"type": "string", "enum": list(SOURCES)},
        "target": {
            "type": "string",
            "enum": list(TARGET_CODES),
            "description": "en, or ar for English text (when the English->Arabic model is loaded)",
        },
        "format": {"type": "string", "enum": list(FORMATS), "default": "text"},
        "alternatives": {"type": "integer", "minimum": 0, "description": "Accepted; no alternatives are given"},
        "api_key": api_key,
    }
    translated = {
        "type": "object",
        "required": ["translatedText"],
        "properties": {
            "translatedText": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "detectedLanguage": {"oneOf": [detected, {"type": "array", "items": detected}]},
            "alternatives": {"type": "array"},
        },
    }
    language: dict[str, Any] = {
        "type": "object",
        "required": ["code", "name"],
        "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
    }
    access = (403, 429)
    return {
        "/translate": {
            "post": {
                "summary": "LibreTranslate-compatible translation (text or HTML)",
                "tags": ["LibreTranslate"],
                "requestBody": request_body(translate_properties, ["q", "source", "target"]),
                "responses": {
                    "200": json_body(translated, "The translation; a list for a list"),
                    **errors(400, *access, 500, 503, 504),
                },
            }
        },
        "/detect": {
            "post": {
                "summary": "LibreTranslate-compatible language detection",
                "tags": ["LibreTranslate"],
                "requestBody": request_body({"q": text, "api_key": api_key}, ["q"]),
                "responses": {
                    "200": json_body({"type": "array", "items": detected}, "Languages, best first"),
                    **errors(400, *access, 500),
                },
            }
        },
        "/languages": {
            "get": {
                "summary": "The languages served, each with its targets",
                "tags": ["LibreTranslate"],
                "responses": {
                    "200": json_body(
                        {
                            "type": "array",
                            "items": {
                                **language,
                                "required": ["code", "name", "targets"],
                                "properties": {
                                    **language["properties"],
                                    "targets": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                        },
                        "Source languages and their targets",
                    )
                },
            }
        },
        "/frontend/settings": {
            "get": {
                "summary": "Settings LibreTranslate's clients read",
                "tags": ["LibreTranslate"],
                "responses": {
                    "200": json_body(
                        {
                            "type": "object",
                            "required": ["charLimit", "keyRequired", "suggestions", "language"],
                            "properties": {
                                "charLimit": {"type": "integer"},
                                "frontendTimeout": {"type": "integer"},
                                "apiKeys": {"type": "boolean"},
                                "keyRequired": {"type": "boolean"},
                                "suggestions": {"type": "boolean"},
                                "filesTranslation": {"type": "boolean"},
                                "supportedFilesFormat": {"type": "array", "items": {"type": "string"}},
                                "language": {
                                    "type": "object",
                                    "properties": {"source": language, "target": language},
                                },
                            },
                        },
                        "The settings",
                    )
                },
            }
        },
    }
