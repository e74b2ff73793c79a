"""The JSON API under /api/v1: parse, call the pipeline, shape the response."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from .errors import SummarizerError
from .inputs import parse
from .openapi import openapi_document
from .schemas import SUPPORTED_LANGUAGES, DetectResult

bp = Blueprint("api", __name__)


def _pipeline():
    return current_app.extensions["summarizer.pipeline"]


def _settings():
    return current_app.extensions["summarizer.settings"]


def _item_error(index: int, exc: SummarizerError) -> dict:
    return {"index": index, "error": {**exc.to_dict(), "status": exc.status}}


def _run(call):
    """One text -> its result; many texts -> each its own result or error, in order."""
    parsed = parse(request, _settings())
    if not parsed.many:
        return jsonify(call(parsed.texts[0], parsed.options))
    results = []
    for index, item in enumerate(parsed.texts):
        if index in parsed.errors:
            results.append(_item_error(index, parsed.errors[index]))
            continue
        try:
            results.append({"index": index, "result": call(item, parsed.options)})
        except SummarizerError as exc:
            results.append(_item_error(index, exc))
    return jsonify({"results": results})


@bp.post("/summarize")
def summarize():
    """Detect, translate if Arabic, summarize."""
    return _run(lambda text, options: _pipeline().process(text, options).to_dict())


@bp.post("/translate")
def translate():
    """Detect and translate with sentence alignment; no summary."""
    return _run(lambda text, options: _pipeline().translate(text, options).to_dict())


@bp.post("/detect")
def detect():
    """Language of the text, with confidence and whether we serve it."""

    def call(text, _options):
        detection = _pipeline().detect(text)
        supported = detection.language in SUPPORTED_LANGUAGES
        return DetectResult(detection.language, detection.confidence, detection.script, supported).to_dict()

    return _run(call)


@bp.get("/models")
def models():
    """Configured models: present on disk, loaded, and any load error."""
    return jsonify({"models": current_app.extensions["summarizer.models"].status()})


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document(_settings()))
