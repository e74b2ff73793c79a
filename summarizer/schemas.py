"""The API defined once: requests, responses and errors as pydantic models, and the checks on a text.

Validation, error messages, the OpenAPI components (summarizer.openapi) and the CLI's choices are all derived
from these definitions. Nothing here imports Flask.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    create_model,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass
from pydantic.fields import FieldInfo
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from .errors import InvalidInput, TextTooLong

SourceLanguage = Literal["auto", "ar", "en"]
SummarizerName = Literal["extractive", "abstractive"]
TargetLanguage = Literal["en", "ar"]
TranslateMode = Literal["summary", "full"]
TARGET_LANGUAGES: tuple[str, ...] = get_args(TargetLanguage)
TRANSLATE_MODES: tuple[str, ...] = get_args(TranslateMode)
SOURCE_LANGUAGES: tuple[str, ...] = get_args(SourceLanguage)
SUPPORTED_LANGUAGES: tuple[str, ...] = tuple(lang for lang in SOURCE_LANGUAGES if lang != "auto")
SUMMARIZERS: tuple[str, ...] = get_args(SummarizerName)
MAX_BEAM_SIZE = 8  # what one request may cost: decoding time grows about in proportion to the beam
MAX_SUMMARY_SENTENCES = 100
TEXT_FIELDS = ("text", "texts")
# A usable text: no control character other than tab, newline and carriage return, and at least one character
# that is not white space. The OpenAPI document carries the same pattern, so a generator of valid requests
# (schemathesis) and check_text agree on what "valid" means.
_CONTROL = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f"
TEXT_PATTERN = f"^[^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*$"
_CONTROL_RE = re.compile(f"[{_CONTROL}]")


# -- requests ----------------------------------------------------------------------------------------------

# A JSON null is taken as "not sent"; the document does not offer it (a form cannot send it).
Unset = SkipJsonSchema[None]


def _no_default(schema: dict) -> None:
    schema.pop("default", None)  # absent rather than null when not sent


class RequestOptions(BaseModel):
    """The options a request may set; None means the service's configured default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_language: SourceLanguage = Field(
        "auto",
        description="The text's language, or 'auto' to detect it (the detected language must be ar or en); a "
        "given language must fit the text's script (Arabic for ar, Latin for en), else 422",
    )
    target_language: TargetLanguage = Field(
        "en",
        description="The language of the translations: 'en' (Arabic text is translated to English, English is "
        "summarized as it is) or 'ar' (English text is translated to Arabic; Arabic text is still translated "
        "to English)",
    )
    translate: TranslateMode | Unset = Field(
        None,
        description="With English text and target_language 'ar': 'summary' translates only the summary's "
        "sentences, 'full' the whole text. Default: 'summary' when summarizing; only translating "
        "(/translate, task translate) always translates the whole text",
        json_schema_extra=_no_default,
    )
    summary_sentences: Annotated[int, Field(ge=1, le=MAX_SUMMARY_SENTENCES)] | Unset = Field(
        None,
        description="Sentences in an extractive summary (default: the service's setting); not with summary_ratio",
        json_schema_extra=_no_default,
    )
    summary_ratio: Annotated[float, Field(gt=0, le=1)] | Unset = Field(
        None,
        description="Share of the sentences kept in an extractive summary; not with summary_sentences",
        json_schema_extra=_no_default,
    )
    summarizer: SummarizerName | Unset = Field(
        None, description="Summary method (default: the service's setting)", json_schema_extra=_no_default
    )
    beam_size: Annotated[int, Field(ge=1, le=MAX_BEAM_SIZE)] | Unset = Field(
        None,
        description="Translation beam size (default: the service's setting, greedy 1). 1 is the fastest; 4, "
        "the opus-mt authors' setting, takes about twice the time",
        json_schema_extra=_no_default,
    )

    @field_validator("summary_sentences", "beam_size", mode="before")
    @classmethod
    def _whole_number(cls, value: Any) -> Any:
        """22.0 as 22: JSON Schema counts a number with a zero fraction as an integer, so we do too."""
        return int(value) if isinstance(value, float) and value.is_integer() else value

    @model_validator(mode="after")
    def _one_length(self):
        if self.summary_sentences is not None and self.summary_ratio is not None:
            raise PydanticCustomError(
                "not_both", "Give summary_sentences or summary_ratio, not both", {"field": "summary_sentences"}
            )
        return self

    def options(self, summarize: bool = True) -> Options:
        """These options as the pipeline's Options."""
        return Options(**self.model_dump(include=set(RequestOptions.model_fields)), summarize=summarize)


class Options(RequestOptions):
    """What a caller of the pipeline may choose per request; invalid values raise InvalidInput."""

    summarize: bool = Field(True, description="False: translate only")

    def translate_mode(self) -> TranslateMode:
        """What English->Arabic translates: the summary's sentences or the whole text (always when not
        summarizing)."""
        if not self.summarize:
            return "full"
        return self.translate or "summary"

    @model_validator(mode="wrap")
    @classmethod
    def _as_invalid_input(cls, data, handler):
        try:
            return handler(data)
        except ValidationError as exc:  # the pipeline's callers expect our error vocabulary, not pydantic's
            raise invalid_input(exc, cls) from None

    def validated(self) -> Options:
        """Self: an Options is validated when it is made."""
        return self


def text_schema(max_chars: int) -> dict:
    """The JSON schema of one text, with the configured character limit."""
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": max_chars,
        "pattern": TEXT_PATTERN,
        "description": "UTF-8 text, Arabic or English; tab, newline and carriage return are the only control "
        "characters allowed",
    }


class TextRequest(RequestOptions):
    """A request body: exactly one of `text` or `texts`, and options.

    The texts themselves are typed loosely here and checked one by one by check_text, so that one bad text in a
    batch fails alone; the OpenAPI document says what each must be (see request_model).
    """

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["text"], "not": {"required": ["texts"]}},
                {"required": ["texts"], "not": {"required": ["text"]}},
            ],
            "not": {"required": ["summary_sentences", "summary_ratio"]},
        }
    )

    text: Any = None
    texts: Any = None

    @model_validator(mode="after")
    def _exactly_one(self):
        sent = [name for name in TEXT_FIELDS if name in self.model_fields_set]
        if len(sent) != 1:
            raise PydanticCustomError(
                "text_or_texts",
                "Send exactly one of 'text' (a string) or 'texts' (a list of strings)",
                {"field": "text"},
            )
        if "texts" in sent and (not isinstance(self.texts, list) or not self.texts):
            raise PydanticCustomError("texts", "'texts' must be a non-empty list of strings", {"field": "texts"})
        return self


class SingleTextRequest(RequestOptions):
    """A request of one `text` and options: the web form's, and what the document offers form-encoded."""

    model_config = ConfigDict(
        json_schema_extra={"required": ["text"], "not": {"required": ["summary_sentences", "summary_ratio"]}}
    )

    text: Any = None

    @model_validator(mode="after")
    def _has_text(self):
        if "text" not in self.model_fields_set:
            raise PydanticCustomError("text", "Send the field 'text' (a string)", {"field": "text"})
        return self


class JobRequest(TextRequest):
    """A job's body: a request of one or many texts, the task, and where to report when it is finished."""

    task: Literal["summarize", "translate"] = Field("summarize", description="What to do with each text")
    callback_url: Annotated[str, Field(pattern="^https?://", max_length=2048)] | Unset = Field(
        None,
        description="POSTed the finished job, signed (X-Summarizer-Signature: sha256=HMAC of the body); its host "
        "must be one of the server's SUMMARIZER_CALLBACK_HOSTS",
        json_schema_extra=_no_default,
    )


@functools.lru_cache(maxsize=16)
def request_model(max_chars: int, max_texts: int, many: bool = True, job: bool = False) -> type[RequestOptions]:
    """The request model with the configured limits in its JSON schema (and `texts` when many is true; a job's
    task and callback when job is true)."""
    one = Annotated[Any, WithJsonSchema(text_schema(max_chars)), Field(json_schema_extra=_no_default)]
    if not many:
        return create_model(
            "SingleTextRequest", __base__=SingleTextRequest, text=(one, Field(None, description="The text"))
        )
    several = Annotated[
        Any,
        WithJsonSchema(
            {"type": "array", "items": text_schema(max_chars), "minItems": 1, "maxItems": max_texts},
        ),
        Field(json_schema_extra=_no_default),
    ]
    return create_model(
        "JobRequest" if job else "TextRequest",
        __base__=JobRequest if job else TextRequest,
        text=(one, Field(None, description="One text")),
        texts=(several, Field(None, description=f"Up to {max_texts} texts, each answered on its own")),
    )


# -- checks on a text and pydantic's errors as ours ---------------------------------------------------------


def check_text(text: Any, max_chars: int, field: str = "text") -> str:
    """The text if it is usable, else InvalidInput or TextTooLong naming the field and saying what to fix."""
    if not isinstance(text, str):
        raise InvalidInput(f"'{field}' must be a string, not {json_type(text)}", field=field, reason="type")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate, e.g. "\ud800" in JSON: no UTF-8 text can hold it
        raise InvalidInput(
            f"'{field}' contains a lone surrogate (U+{ord(text[exc.start]):04X}) at character {exc.start}; "
            "send valid UTF-8 text",
            field=field,
            reason="unreadable",
        ) from None
    if _CONTROL_RE.search(text):
        raise InvalidInput(
            f"'{field}' contains NUL or other control characters; send plain UTF-8 text", field=field, reason="control"
        )
    if not text.strip():
        raise InvalidInput(f"'{field}' is empty; send the text to translate and summarize", field=field)
    if len(text) > max_chars:
        raise TextTooLong(
            f"'{field}' has {len(text)} characters; the limit is {max_chars}",
            field=field,
            limit=max_chars,
            length=len(text),
        )
    return text


def json_type(value: Any) -> str:
    """The JSON name of a value's type, with its article ("a number", "null")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def printable(value: Any) -> str:
    """A string safe to put in a JSON answer: lone surrogates and other unencodable characters escaped."""
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


def accepted(info: FieldInfo) -> str:
    """What a field accepts, in words, from its type and bounds: "'a' or 'b'", "an integer from 1 to 8"."""
    phrases = []
    for kind, metadata in _union_members(info.annotation, list(info.metadata)):
        if kind is type(None):
            continue
        if get_origin(kind) is Literal:
            phrases.append(_either([repr(choice) for choice in get_args(kind)]))
        elif kind is bool:
            phrases.append("true or false")
        elif kind is int:
            phrases.append(f"an integer{_range(metadata)}")
        elif kind is float:
            phrases.append(f"a number{_range(metadata)}")
        elif kind is str:
            pattern = next((m.pattern for m in metadata if getattr(m, "pattern", None)), None)
            phrases.append(f"a string matching {pattern}" if pattern else "a string")
        else:
            phrases.append(f"a {getattr(kind, '__name__', str(kind)).lower()}")
    return _either(phrases) if phrases else "a value"


def invalid_input(exc: ValidationError, model: type[BaseModel]) -> InvalidInput:
    """Pydantic's first error on a request as our InvalidInput, naming the field and what it accepts."""
    errors = exc.errors(include_url=False)
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])  # a misspelt name first
    loc = error["loc"]
    ctx = error.get("ctx") or {}
    if error["type"] == "extra_forbidden":
        name = printable(loc[0])
        known = sorted(model.model_fields)
        hint = difflib.get_close_matches(name, known, n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; known fields: {', '.join(known)}"
        return InvalidInput(f"Unknown field '{name}'{suggestion}", field=name)
    if error["type"] == "string_unicode":  # a lone surrogate, e.g. "\ud800" in JSON: never echoed back
        where = f"'{loc[0]}'" if loc else "A field name"
        return InvalidInput(f"{where} contains a lone surrogate; send valid UTF-8 text", field=loc[0] if loc else None)
    if not loc or loc[0] not in model.model_fields:  # a rule across fields, with its own message
        return InvalidInput(error["msg"], field=ctx.get("field"))
    name = str(loc[0])
    value = error["input"]
    if isinstance(value, str):
        shown = repr(value) if len(value) <= 40 else repr(value[:40]) + "..."  # never echo a whole text back
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        shown = repr(value)
    else:
        shown = json_type(value)
    return InvalidInput(f"'{name}' must be {accepted(model.model_fields[name])}, not {shown}", field=name)


def _union_members(annotation: Any, metadata: list) -> list[tuple[Any, list]]:
    """(type, constraints) of each member of a union, Annotated unwrapped; one pair for a plain type."""
    if get_origin(annotation) is Annotated:
        inner, *extra = get_args(annotation)
        found = [m for item in extra for m in (item.metadata if isinstance(item, FieldInfo) else [item])]
        return _union_members(inner, metadata + found)
    if get_origin(annotation) in (Union, types.UnionType):
        return [member for arg in get_args(annotation) for member in _union_members(arg, metadata)]
    return [(annotation, metadata)]


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _range(metadata: list) -> str:
    bounds: dict[str, Any] = {}
    for item in metadata:
        for key in ("ge", "gt", "le", "lt"):
            if getattr(item, key, None) is not None:
                bounds[key] = getattr(item, key)
    low = ("ge", bounds["ge"]) if "ge" in bounds else ("gt", bounds["gt"]) if "gt" in bounds else None
    high = ("le", bounds["le"]) if "le" in bounds else ("lt", bounds["lt"]) if "lt" in bounds else None
    if low and high and low[0] == "ge" and high[0] == "le":
        return f" from {low[1]} to {high[1]}"
    parts = []
    if low:
        parts.append(f"of at least {low[1]}" if low[0] == "ge" else f"greater than {low[1]}")
    if high:
        parts.append(
            ("of at most" if not low else "at most") + f" {high[1]}" if high[0] == "le" else f"less than {high[1]}"
        )
    return " " + " and ".join(parts) if parts else ""


# -- responses ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Detection:
    """A language code (ISO 639, "und-Arab" or "und"), a confidence in [0, 1], the running text's script."""

    language: Annotated[
        str,
        Field(
            description="ISO 639 code (ug, sd, ps, ckb are named from their letters), 'und-Arab' for another "
            "Arabic-script language, 'und' when the text has no letters"
        ),
    ]
    confidence: Annotated[float, Field(json_schema_extra={"minimum": 0, "maximum": 1})]
    script: Annotated[str, Field(description="The script most letters are in (arabic, latin...), or 'none'")]

    @field_serializer("confidence")
    def _rounded(self, value: float) -> float:
        return round(float(value), 4)

    def to_dict(self) -> dict:
        """JSON form."""
        return _dump(self)


@dataclass(frozen=True)
class DetectResult(Detection):
    """What /detect answers for one text: the detection and whether this service serves that language."""

    supported: bool


@dataclass
class AlignedSentence:
    """One source sentence, its translation (None when not translated) and its paragraph."""

    index: int
    paragraph: int
    source: str
    translation: str | None


@dataclass
class Summary:
    """The summary in English and in Arabic: for Arabic text the Arabic sentences it came from (extractive), for
    English text with target_language 'ar' their Arabic translation (sentence-aligned); else None."""

    method: SummarizerName
    english: str
    arabic: str | None
    sentence_indexes: list[int] | None


ModelUsed = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "required": ["name", "engine"],
            "properties": {"name": {"type": "string"}, "engine": {"type": "string"}},
        }
    ),
]


@dataclass(config=ConfigDict(json_schema_serialization_defaults_required=True))
class Result:
    """Everything one text gives: detection, translation, alignment, summary, models, timings."""

    detection: Annotated[Detection, Field(serialization_alias="detected_language")]
    source_language: Annotated[str, Field(json_schema_extra={"enum": list(SUPPORTED_LANGUAGES)})]
    translation: str | None
    sentences: list[AlignedSentence]
    summary: Summary | None
    models: dict[str, ModelUsed] = dataclasses.field(default_factory=dict)
    timings_ms: dict[str, float] = dataclasses.field(default_factory=dict)
    target_language: Annotated[
        str,
        Field(
            json_schema_extra={"enum": list(TARGET_LANGUAGES)},
            description="The language of the translations in this result ('en' for Arabic text)",
        ),
    ] = "en"

    @field_serializer("timings_ms")
    def _rounded(self, timings: dict[str, float]) -> dict[str, float]:
        return {stage: round(ms, 2) for stage, ms in timings.items()}

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return _dump(self)


class ErrorInfo(BaseModel):
    """One error: a stable machine code, a message for people, and details where useful."""

    code: str = Field(description="Stable machine-readable code, e.g. invalid_input")
    message: str = Field(description="What went wrong and what to do about it")
    details: dict[str, Any] | None = Field(None, description="e.g. the field at fault, a limit, a command to run")


class Error(BaseModel):
    """The one error body of every non-2xx JSON answer."""

    error: ErrorInfo


class ItemError(ErrorInfo):
    """The error of one text in a batch, with the status it would have had alone."""

    status: int


class ResultItem(BaseModel):
    """One text's result in a batch."""

    index: int
    result: Result


class DetectItem(BaseModel):
    """One text's detection in a batch."""

    index: int
    result: DetectResult


class ErrorItem(BaseModel):
    """One text's error in a batch."""

    index: int
    error: ItemError


class ResultBatch(BaseModel):
    """The answer to `texts`: one result or error per text, in order."""

    results: list[ResultItem | ErrorItem]


class DetectBatch(BaseModel):
    """The answer to `texts` on /detect: one detection or error per text, in order."""

    results: list[DetectItem | ErrorItem]


class JobCreated(BaseModel):
    """The answer to a job's submission (202, with a Location header to poll)."""

    id: str
    status: Literal["queued"]
    total: int


class JobState(BaseModel):
    """A job: its status, how many of its texts are finished, and their results so far, by index."""

    id: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    done: int
    total: int
    results: list[ResultItem | ErrorItem]


class ModelStatus(BaseModel):
    """One configured model: whether it is on disk and loaded, and why not."""

    model_config = ConfigDict(extra="allow")

    role: str
    name: str
    present: bool
    loaded: bool
    engine: str | None
    error: str | None


class ModelsListing(BaseModel):
    """The answer of /models."""

    models: list[ModelStatus]


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    """The JSON error body {"error": {"code", "message", "details"?}}, built through the Error model."""
    return Error(error=ErrorInfo(code=code, message=message, details=details or None)).model_dump(
        mode="json", exclude_none=True
    )


_ADAPTERS: dict[type, TypeAdapter] = {}


def _dump(value: Any) -> dict:
    kind = type(value)
    adapter = _ADAPTERS.get(kind) or _ADAPTERS.setdefault(kind, TypeAdapter(kind))
    return adapter.dump_python(value, mode="json", by_alias=True)
