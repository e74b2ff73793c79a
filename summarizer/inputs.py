"""Read a request body (JSON, form fields or an uploaded .txt) and check it against the request model."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import Request
from pydantic import ValidationError

from .config import Settings
from .errors import InvalidInput, SummarizerError, UnsupportedMediaType
from .schemas import Options, RequestOptions, check_text, invalid_input, request_model


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


@dataclass
class Parsed:
    """A checked request: its texts, the errors of the texts that failed (by index), its options."""

    texts: list[str]
    errors: dict[int, SummarizerError]
    options: Options
    many: bool
    request: RequestOptions | None = None  # the validated body, for fields beyond the texts and options


def parse(request: Request, settings: Settings, allow_many: bool = True, job: bool = False) -> Parsed:
    """Read and check a request body: see read_body and parse_request."""
    body = read_body(request, settings)
    return parse_request(body, settings, allow_many, from_form=not request.is_json, job=job)


def parse_request(
    body: dict, settings: Settings, allow_many: bool = True, from_form: bool = False, job: bool = False
) -> Parsed:
    """Validate body fields against the request model; unknown or mistyped fields are InvalidInput.

    JSON values must have their documented types; form values are strings and are converted. One text that
    fails its checks raises; in a `texts` batch each bad text is recorded in `errors` and fails alone.
    """
    max_texts = settings.max_job_texts if job else settings.max_texts
    model = request_model(settings.max_chars, max_texts, allow_many, job)
    try:
        request = model.model_validate(body, strict=not from_form)
    except ValidationError as exc:
        raise invalid_input(exc, model) from None
    options = request.options()
    fields = dict(request)
    if "texts" not in request.model_fields_set:
        return Parsed([check_text(fields["text"], settings.max_chars)], {}, options, False, request)
    texts = fields["texts"]
    if len(texts) > max_texts:
        raise InvalidInput(
            f"'texts' has {len(texts)} items; at most {max_texts} per {'job' if job else 'request'}",
            field="texts",
            limit=max_texts,
        )
    checked: list[str] = []
    errors: dict[int, SummarizerError] = {}
    for index, text in enumerate(texts):
        try:
            checked.append(check_text(text, settings.max_chars, field=f"texts[{index}]"))
        except SummarizerError as exc:
            errors[index] = exc
            checked.append("")
    return Parsed(checked, errors, options, True, request)
