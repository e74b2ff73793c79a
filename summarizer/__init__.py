"""Arabic->English translation and summaries: the application factory."""

from __future__ import annotations

from typing import cast

from .config import Settings

__all__ = ["Settings", "create_app"]


def create_app(settings: Settings | None = None, pipeline=None):
    """Build the Flask app: settings, models loaded once, blueprints, error handlers.

    `settings` defaults to Settings.from_env(); `pipeline` lets tests share one loaded pipeline (and its models).
    """
    from flask import Flask
    from flask.json.provider import DefaultJSONProvider

    from . import api, errors_http, health, jobs_api, libretranslate, observability, security, web
    from .models import Models
    from .service import Pipeline

    settings = settings or Settings.from_env()
    observability.configure_logging(settings.log_level)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes  # 413 before the body is read whole
    json_provider = cast(DefaultJSONProvider, app.json)
    json_provider.ensure_ascii = False
    json_provider.sort_keys = False
    app.extensions["summarizer.settings"] = settings
    pipeline = pipeline or Pipeline(settings, Models.load(settings))
    app.extensions["summarizer.pipeline"] = pipeline
    app.extensions["summarizer.models"] = pipeline.models
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(web.bp)
    if settings.libretranslate_api:
        app.register_blueprint(libretranslate.bp)
    jobs_api.init_app(app, settings, app.extensions["summarizer.pipeline"])
    errors_http.init_app(app)
    observability.init_app(app, log_text=settings.log_text)
    security.init_app(app, settings)
    return app
