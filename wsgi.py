"""WSGI entry point for gunicorn from a source checkout: `gunicorn wsgi:app` (installed: 'summarizer:create_app()')."""

from summarizer import create_app

app = create_app()
