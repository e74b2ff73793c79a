"""The OpenAPI 3.1 document of /api/v1: paths and statuses here, every schema from summarizer.schemas."""

from __future__ import annotations

import re
from typing import Any

from pydantic.json_schema import JsonSchemaMode, models_json_schema

from .config import Settings
from .libretranslate import libretranslate_paths
from .schemas import (
    DetectBatch,
    DetectResult,
    Error,
    JobCreated,
    JobState,
    ModelsListing,
    Result,
    ResultBatch,
    request_model,
)

REF = "#/components/schemas/{model}"
# What each error status means. For a request the document calls valid, only 413, 422 and 503 can still come
# back (besides 401/403/429 when keys or rate limits are on): a JSON schema cannot bound a body's size in bytes
# (413), nor say which language a text is in (422), nor whether a model is loaded or the queue full (503).
ERRORS = {
    400: "Invalid input: a field is missing, unknown, mistyped or out of range (details.field names it)",
    401: "No API key, while keys are required",
    403: "The API key is not valid",
    413: "The body is over the byte limit, or a text over the character limit",
    415: "Unsupported content type",
    422: "The text's language is not served (only Arabic and English are)",
    429: "Rate limit exceeded",
    500: "Internal error",
    503: "A model the request needs is not loaded, or the service is overloaded (see Retry-After)",
    504: "The request took longer than the deadline",
    404: "No such job (unknown, expired, or another API key's)",
    409: "The job has finished: nothing left to cancel",
}
ACCESS = (401, 403, 429)  # when API keys or rate limits are on


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def openapi_document(settings: Settings) -> dict:
    """The document; limits (characters, texts per call) come from settings."""
    json_request = request_model(settings.max_chars, settings.max_texts, many=True)
    form_request = request_model(settings.max_chars, settings.max_texts, many=False)
    job_request = request_model(settings.max_chars, settings.max_job_texts, many=True, job=True)
    entries: list[tuple[Any, JsonSchemaMode]] = [
        (json_request, "validation"),
        (form_request, "validation"),
        (Result, "serialization"),
        (ResultBatch, "serialization"),
        (DetectResult, "serialization"),
        (DetectBatch, "serialization"),
        (ModelsListing, "serialization"),
        (Error, "serialization"),
        (job_request, "validation"),
        (JobCreated, "serialization"),
        (JobState, "serialization"),
    ]
    refs, definitions = models_json_schema(entries, ref_template=REF)
    _callbacks_as_configured(definitions["$defs"][job_request.__name__], settings)

    def ref(model: Any, mode: JsonSchemaMode = "serialization") -> dict:
        return refs[(model, mode)]

    def errors(*statuses: int) -> dict:
        return {str(status): _json(ref(Error), ERRORS[status]) for status in statuses}

    def operation(summary: str, result, batch, statuses: tuple[int, ...]) -> dict:
        return {
            "summary": summary,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": ref(json_request, "validation")},
                    "application/x-www-form-urlencoded": {"schema": ref(form_request, "validation")},
                },
            },
            "responses": {
                "200": _json(
                    {"oneOf": [ref(result), ref(batch)]},
                    "The result; with 'texts', one result or error per text",
                ),
                **errors(*statuses),
            },
        }

    common = (400, 413, 415, 422, 500, 503, 504) + ACCESS
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "summarizer",
            "version": "1.0.0",
            "description": "Detects the language of a text, translates Arabic to English (and, with "
            "target_language 'ar', English to Arabic) with MarianMT and summarizes it; translation and summary in "
            "one response.",
        },
        "paths": {
            "/api/v1/summarize": {
                "post": operation(
                    "Detect, translate (Arabic to English; English to Arabic with target_language ar), summarize",
                    Result,
                    ResultBatch,
                    common,
                )
            },
            "/api/v1/translate": {
                "post": operation("Detect and translate, sentence-aligned", Result, ResultBatch, common)
            },
            "/api/v1/detect": {
                "post": operation("Detect the language", DetectResult, DetectBatch, (400, 413, 415, 500) + ACCESS)
            },
            "/api/v1/models": {
                "get": {
                    "summary": "Configured models and their state",
                    "responses": {"200": _json(ref(ModelsListing), "The models")},
                }
            },
            **_job_paths(ref(job_request, "validation"), ref(JobCreated), ref(JobState), errors),
            **(libretranslate_paths(settings) if settings.libretranslate_api else {}),
        },
        "components": {"schemas": definitions["$defs"]},
    }


def _callbacks_as_configured(job_request: dict, settings: Settings) -> None:
    """A job's callback_url as this server accepts it: only its listed hosts, and none when callbacks are off."""
    hosts = [h.strip().lower() for h in settings.callback_hosts.split(",") if h.strip()]
    callback = job_request["properties"]["callback_url"]
    if not hosts or not settings.callback_secret:
        callback.clear()
        callback.update({"not": {}, "description": "Callbacks are off on this server (SUMMARIZER_CALLBACK_HOSTS)"})
        return
    names = "|".join(re.escape(h) for h in hosts)
    callback["pattern"] = f"^https?://({names})(:[0-9]+)?([/?#].*)?$"


def _job_paths(request: dict, created: dict, state: dict, errors) -> dict:
    """The jobs API: submit, read, cancel."""
    job_id = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
    location = {"Location": {"description": "Where to read the job", "schema": {"type": "string"}}}
    return {
        "/api/v1/jobs": {
            "post": {
                "summary": "Queue a job: one or many texts, read back later; bad items get their own errors",
                "requestBody": {"required": True, "content": {"application/json": {"schema": request}}},
                "responses": {
                    "202": {**_json(created, "Queued"), "headers": location},
                    **errors(400, 413, 415, 500, 503, *ACCESS),
                },
            }
        },
        "/api/v1/jobs/{job_id}": {
            "get": {
                "summary": "A job's status and its results so far",
                "parameters": [job_id],
                "responses": {"200": _json(state, "The job"), **errors(404, *ACCESS[:2])},
            },
            "delete": {
                "summary": "Cancel the texts of a job that have not started",
                "parameters": [job_id],
                "responses": {"200": _json(state, "The job, cancelled"), **errors(404, 409, *ACCESS[:2])},
            },
        },
    }
