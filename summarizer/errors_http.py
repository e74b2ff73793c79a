"""Errors to HTTP in one place: JSON for the API and probes, an HTML page for people."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from .errors import Overloaded, SummarizerError
from .schemas import error_body

log = logging.getLogger(__name__)
JSON_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics")


def error_response(status: int, code: str, message: str, details: dict | None = None, headers: dict | None = None):
    """The one JSON error shape: {"error": {"code", "message", "details"?}} with its status."""
    response = jsonify(error_body(code, message, details))
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def wants_json() -> bool:
    """API and probe paths always answer JSON; elsewhere, what the client accepts decides."""
    if request.path.startswith(JSON_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def html_error(status: int, message: str):
    """The error as a page, or as the result fragment when the form's script asked for one."""
    if request.args.get("partial"):
        return render_template("_error.html", status=status, message=message), status
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    """Register the handlers for our errors, HTTP errors and unexpected exceptions."""

    @app.errorhandler(SummarizerError)
    def _summarizer_error(exc: SummarizerError):
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Overloaded) else None
        if wants_json():
            return error_response(exc.status, exc.code, exc.message, exc.details, headers)
        return html_error(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        message = exc.description or exc.name
        if exc.code == 413:
            message = f"The request body is over the limit of {app.config['MAX_CONTENT_LENGTH']} bytes"
        if wants_json():
            response = error_response(exc.code or 500, code, message)
            allowed = getattr(exc, "valid_methods", None)  # MethodNotAllowed's own attribute
            if exc.code == 405 and allowed:
                response.headers["Allow"] = ", ".join(allowed)
            return response
        return html_error(exc.code or 500, message)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _http_error(InternalServerError("Internal error; it has been logged"))
