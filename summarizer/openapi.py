"""The OpenAPI 3.1 document of /api/v1, built from the settings' limits."""

from __future__ import annotations

from .config import Settings
from .libretranslate import libretranslate_paths
from .service import MAX_BEAM_SIZE

_NULLABLE_STR = {"type": ["string", "null"]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict:
    text = {
        400: "Invalid input",
        401: "No API key",
        403: "Invalid API key",
        413: "Body or text over the limit",
        415: "Unsupported content type",
        422: "Unsupported language",
        429: "Rate limit exceeded",
        503: "A model is unavailable, or the service is overloaded",
        504: "Deadline exceeded",
        500: "Internal error",
    }
    return {str(s): _json(_ref("Error"), text[s]) for s in statuses}


def openapi_document(settings: Settings) -> dict:
    """The document; limits (characters, texts per call) come from settings."""
    text = {"type": "string", "maxLength": settings.max_chars, "description": "UTF-8 text, Arabic or English"}
    request_body = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "text": text,
            "texts": {"type": "array", "items": text, "minItems": 1, "maxItems": settings.max_texts},
            "source_language": {"type": "string", "enum": ["auto", "ar", "en"], "default": "auto"},
            "summary_sentences": {"type": "integer", "minimum": 1, "maximum": 100},
            "summary_ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "summarizer": {"type": "string", "enum": ["extractive", "abstractive"]},
            "beam_size": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_BEAM_SIZE,
                "description": "Translation beam size; default: the service's setting (greedy, 1, unless "
                "configured). 1 is the fastest; 4, the opus-mt authors' setting, takes about twice the time",
            },
        },
        "oneOf": [
            {"required": ["text"], "not": {"required": ["texts"]}},
            {"required": ["texts"], "not": {"required": ["text"]}},
        ],
    }
    schemas = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "additionalProperties": False,
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "details": {"type": "object"},
                        "status": {"type": "integer"},
                    },
                }
            },
        },
        "Detection": {
            "type": "object",
            "required": ["language", "confidence", "script"],
            "properties": {
                "language": {"type": "string"},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                "script": {"type": "string"},
            },
        },
        "DetectResult": {
            "allOf": [
                _ref("Detection"),
                {"type": "object", "required": ["supported"], "properties": {"supported": {"type": "boolean"}}},
            ]
        },
        "AlignedSentence": {
            "type": "object",
            "required": ["index", "paragraph", "source", "translation"],
            "properties": {
                "index": {"type": "integer"},
                "paragraph": {"type": "integer"},
                "source": {"type": "string"},
                "translation": _NULLABLE_STR,
            },
        },
        "Summary": {
            "type": "object",
            "required": ["method", "english", "arabic", "sentence_indexes"],
            "properties": {
                "method": {"type": "string", "enum": ["extractive", "abstractive"]},
                "english": {"type": "string"},
                "arabic": _NULLABLE_STR,
                "sentence_indexes": {"type": ["array", "null"], "items": {"type": "integer"}},
            },
        },
        "Result": {
            "type": "object",
            "required": [
                "detected_language",
                "source_language",
                "translation",
                "sentences",
                "summary",
                "models",
                "timings_ms",
            ],
            "properties": {
                "detected_language": _ref("Detection"),
                "source_language": {"type": "string", "enum": ["ar", "en"]},
                "translation": _NULLABLE_STR,
                "sentences": {"type": "array", "items": _ref("AlignedSentence")},
                "summary": {"oneOf": [_ref("Summary"), {"type": "null"}]},
                "models": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["name", "engine"],
                        "properties": {"name": {"type": "string"}, "engine": {"type": "string"}},
                    },
                },
                "timings_ms": {"type": "object", "additionalProperties": {"type": "number"}},
            },
        },
        "ModelStatus": {
            "type": "object",
            "required": ["role", "name", "present", "loaded", "engine", "error"],
            "properties": {
                "role": {"type": "string"},
                "name": {"type": "string"},
                "present": {"type": "boolean"},
                "loaded": {"type": "boolean"},
                "engine": _NULLABLE_STR,
                "error": _NULLABLE_STR,
                "queue_depth": {"type": "integer"},
                "cache": {
                    "type": "object",
                    "properties": {k: {"type": "integer"} for k in ("entries", "max_entries", "hits", "misses")},
                },
            },
        },
    }

    def batch_of(name: str) -> dict:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "results": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["index"],
                        "properties": {
                            "index": {"type": "integer"},
                            "result": _ref(name),
                            "error": {
                                "type": "object",
                                "required": ["code", "message", "status"],
                                "properties": {
                                    "code": {"type": "string"},
                                    "message": {"type": "string"},
                                    "status": {"type": "integer"},
                                    "details": {"type": "object"},
                                },
                            },
                        },
                    },
                }
            },
        }

    def operation(summary: str, result: str, errors: tuple[int, ...]) -> dict:
        return {
            "summary": summary,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": request_body},
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "properties": {k: v for k, v in request_body["properties"].items() if k != "texts"},
                        }
                    },
                },
            },
            "responses": {
                "200": _json(
                    {"oneOf": [_ref(result), batch_of(result)]},
                    "The result, or with 'texts' one result or error per text",
                ),
                **_errors(*errors),
            },
        }

    access = (401, 403, 429)  # when API keys or rate limits are on
    common = (400, 413, 415, 422, 500, 503, 504) + access
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "summarizer",
            "version": "1.0.0",
            "description": "Detects the language of a text, translates Arabic to English with MarianMT and "
            "summarizes it; translation and summary in one response.",
        },
        "paths": {
            "/api/v1/summarize": {"post": operation("Detect, translate if Arabic, and summarize", "Result", common)},
            "/api/v1/translate": {"post": operation("Detect and translate, sentence-aligned", "Result", common)},
            "/api/v1/detect": {"post": operation("Detect the language", "DetectResult", (400, 413, 415, 500) + access)},
            "/api/v1/models": {
                "get": {
                    "summary": "Configured models and their state",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["models"],
                                "properties": {"models": {"type": "array", "items": _ref("ModelStatus")}},
                            },
                            "The models",
                        )
                    },
                }
            },
            **(libretranslate_paths(settings) if settings.libretranslate_api else {}),
        },
        "components": {"schemas": schemas},
    }
