"""The web form at /: the same pipeline call as the API, rendered as HTML (with or without JavaScript)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from .errors import SummarizerError
from .inputs import parse

bp = Blueprint("web", __name__)
LANGUAGE_NAMES = {"ar": "Arabic", "en": "English", "fa": "Persian", "ur": "Urdu", "und": "undetermined"}


@bp.get("/")
def index():
    """The empty form."""
    return _page()


@bp.post("/")
def submit():
    """Run the form's text through the pipeline; errors show inline and the form keeps the text."""
    settings = current_app.extensions["summarizer.settings"]
    pipeline = current_app.extensions["summarizer.pipeline"]
    form = dict(request.form)
    try:
        parsed = parse(request, settings, allow_many=False)
        form["text"] = parsed.texts[0]
        result = pipeline.process(parsed.texts[0], parsed.options)
    except SummarizerError as exc:
        return _page(form=form, error=exc), exc.status
    return _page(form=form, result=result)


def _page(form: dict | None = None, result=None, error: SummarizerError | None = None):
    settings = current_app.extensions["summarizer.settings"]
    pipeline = current_app.extensions["summarizer.pipeline"]
    template = "_result.html" if request.args.get("partial") else "index.html"
    return render_template(
        template,
        form=form or {},
        result=result,
        error=error,
        max_chars=settings.max_chars,
        abstractive=pipeline.models.abstractive is not None,
        default_sentences=settings.summary_sentences,
        language_names=LANGUAGE_NAMES,
    )
