"""Probes: /healthz (the process answers) and /readyz (the models it needs are loaded)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from .errors_http import error_response

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Liveness: the process is up."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Readiness: 200 when the models the default request needs are loaded, else 503 with the reason."""
    models = current_app.extensions["summarizer.models"]
    missing = models.readiness_problems()
    if missing:
        return error_response(503, "not_ready", " ".join(missing), {"models": models.status()})
    return jsonify({"status": "ready", "models": models.status()})
