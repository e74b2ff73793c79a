"""The JSON API under /api/v1: parse, call the pipeline, shape the response."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from .errors import SummarizerError
from .inputs import parse_request, read_body
from .openapi import openapi_document

bp = Blueprint("api", __name__)


def _pipeline():
    return current_app.extensions["summarizer.pipeline"]


def _settings():
    return current_app.extensions["summarizer.settings"]


def _run(call):
    """One text -> its result; many texts -> each its own result or error, in order."""
    texts, options, many = parse_request(read_body(request, _settings()), _settings())
    if not many:
        return jsonify(call(texts[0], options))
    results = []
    for index, item in enumerate(texts):
        try:
            results.append({"index": index, "result": call(item, options)})
        except SummarizerError as exc:
            results.append({"index": index, "error": {**exc.to_dict(), "status": exc.status}})
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
    from .service import SUPPORTED_LANGUAGES

    def call(text, _options):
        detection = _pipeline().detect(text)
        return {**detection.to_dict(), "supported": detection.language in SUPPORTED_LANGUAGES}

    return _run(call)


@bp.get("/models")
def models():
    """Configured models: present on disk, loaded, and any load error."""
    return jsonify({"models": current_app.extensions["summarizer.models"].status()})


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 description of this API."""
    return jsonify(openapi_document(_settings()))
