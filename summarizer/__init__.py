"""Arabic->English translation and summaries: the pipeline, and the web app factory."""

from .config import Settings

__all__ = ["Settings"]
