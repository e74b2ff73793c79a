"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

from summarizer import create_app

app = create_app()
