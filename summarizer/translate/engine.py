"""What a translation engine is: something that translates a list of sentences, and nothing more.

Engines know nothing of queues, caches or requests; `Translator` (translator.py) is the one front that puts
splitting, the cache and the batching queue in front of any of them.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol, runtime_checkable


@runtime_checkable
class TranslationEngine(Protocol):
    """One loaded model that translates sentences which each fit its input limit."""

    name: str  # what the model is called (a manifest name or a folder's name, never a server path)
    max_input_tokens: int  # the longest input, in source tokens, end-of-sentence included
    default_beam_size: int  # the beam used when a call gives none
    tokens_out: int  # target tokens generated so far

    def describe(self) -> dict:
        """Name and engine, for the result's list of models used."""
        ...

    def count_tokens(self, text: str) -> int:
        """Source tokens of text, end-of-sentence included."""
        ...

    def cache_key(self) -> Hashable:
        """What, besides the sentence and the beam size, decides a translation (model, engine, settings)."""
        ...

    def translate(self, sentences: list[str], beam_size: int | None = None) -> list[str]:
        """The translation of each sentence, in order (blank ones give ""); beam_size None: the default."""
        ...
