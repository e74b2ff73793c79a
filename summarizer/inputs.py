"""Read a request body (JSON, form fields or an uploaded .txt) into texts and Options, strictly."""

from __future__ import annotations

import difflib
import json

from flask import Request

from .config import Settings
from .errors import InvalidInput, UnsupportedMediaType
from .service import Options

OPTION_FIELDS = {
    "source_language": str,
    "summary_sentences": int,
    "summary_ratio": float,
    "summarizer": str,
    "beam_size": int,
}
TEXT_FIELDS = ("text", "texts")


def read_body(request: Request, settings: Settings, allowed: tuple[str, ...] = ()) -> dict:
    """The request's fields as a dict, from JSON, form fields or an uploaded UTF-8 .txt file.

    Raises UnsupportedMediaType (415) or InvalidInput (400) saying what to send instead.
    """
    mimetype = request.mimetype
    if mimetype == "application/json" or mimetype.endswith("+json"):
        raw = request.get_data(cache=True)
        try:
            body = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise InvalidInput("The body is not valid UTF-8") from None
        except RecursionError:
            raise InvalidInput("The JSON body is nested too deeply") from None
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"The body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        if not isinstance(body, dict):
            raise InvalidInput('The JSON body must be an object, such as {"text": "..."}')
        return body
    if mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        body = {k: v for k, v in request.form.items() if v != ""}
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            if not upload.filename.lower().endswith(".txt"):
                raise InvalidInput("Only .txt files (UTF-8 text) can be uploaded", field="file")
            try:
                body["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise InvalidInput("The uploaded file is not UTF-8 text", field="file") from None
        return body
    raise UnsupportedMediaType(
        f"Send the body as application/json (or a form); got {mimetype or 'no content type'}",
        content_type=mimetype or None,
    )


def parse_request(body: dict, settings: Settings, allow_many: bool = True) -> tuple[list, Options, bool]:
    """(texts, Options, whether 'texts' was sent) from body fields; unknown or mistyped fields are InvalidInput.

    The texts themselves are checked later, one by one, so that one bad text in a batch fails alone.
    """
    known = set(OPTION_FIELDS) | set(TEXT_FIELDS if allow_many else ("text",))
    for key in body:
        if key not in known:
            hint = difflib.get_close_matches(key, known, n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; known fields: {', '.join(sorted(known))}"
            raise InvalidInput(f"Unknown field '{key}'{suggestion}", field=key)
    has_text, has_texts = "text" in body, "texts" in body
    if has_text == has_texts:
        raise InvalidInput(
            "Send exactly one of 'text' (a string) or 'texts' (a list of strings)"
            if allow_many
            else "Send the field 'text' (a string)",
            field="text",
        )
    options = Options(**{k: _typed(k, body[k]) for k in OPTION_FIELDS if k in body})
    if has_text:
        return [body["text"]], options.validated(), False
    texts = body["texts"]
    if not isinstance(texts, list) or not texts:
        raise InvalidInput("'texts' must be a non-empty list of strings", field="texts")
    if len(texts) > settings.max_texts:
        raise InvalidInput(
            f"'texts' has {len(texts)} items; at most {settings.max_texts} per request",
            field="texts",
            limit=settings.max_texts,
        )
    return texts, options.validated(), True


def _typed(name: str, value):
    """Coerce form strings; reject wrong JSON types with a message naming the field."""
    kind = OPTION_FIELDS[name]
    if isinstance(value, str) and kind is not str:
        try:
            return kind(value)
        except ValueError:
            raise InvalidInput(f"'{name}' must be a {kind.__name__}", field=name) from None
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InvalidInput(f"'{name}' must be {'a string' if kind is str else 'a ' + kind.__name__}", field=name)
    return value
