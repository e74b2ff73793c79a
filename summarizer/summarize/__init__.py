"""Summarization: extractive (default, no weights) and abstractive (a seq2seq model)."""

from .abstractive import AbstractiveSummarizer
from .extractive import ExtractiveSummarizer

METHODS = ("extractive", "abstractive")

__all__ = ["METHODS", "AbstractiveSummarizer", "ExtractiveSummarizer"]
