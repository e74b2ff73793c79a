"""Sentence and paragraph splitting for Arabic and English text.

Sentences end at `. ! ? ؟ …` and at line ends. The Arabic comma and semicolon
do not end sentences, nor do full stops inside quotes, in abbreviations
(U.S., Dr.), in decimals or after the number of a list item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

END_PUNCT = ".!?؟…"
CLOSERS = "»”\"')]’"
QUOTE_PAIRS = {"«": "»", "“": "”", "„": "“", "‹": "›", '"': '"'}
ABBREVIATIONS = {
    "dr",
    "mr",
    "mrs",
    "ms",
    "prof",
    "st",
    "jr",
    "sr",
    "vs",
    "no",
    "inc",
    "ltd",
    "co",
    "gen",
    "col",
    "lt",
    "sgt",
    "capt",
    "gov",
    "sen",
    "rep",
    "rev",
    "fig",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "e.g",
    "i.e",
    "approx",
    "dept",
    "est",
    "mt",
    "ft",
}
_DOTTED = re.compile(r"^(?:[A-Za-z]\.)*[A-Za-z]$")  # U.S, e.g, single initials
_LIST_NUMBER = re.compile(r"^[\(\[]?[0-9٠-٩]{1,3}$|^[a-zA-Z]$")
_PARAGRAPH_BREAK = re.compile(r"[ \t\u00a0]*\n(?:[ \t\u00a0\u200f\u200e]*\n)*")


@dataclass(frozen=True)
class Paragraph:
    """One block of text and the separator that followed it ("\\n\\n", "\\n" or "")."""

    sentences: list[str]
    separator: str


def split_paragraphs(text: str) -> list[Paragraph]:
    """Split text into paragraphs (one per line) of sentences, keeping the kind of break."""
    paragraphs: list[Paragraph] = []
    pos = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        _add(paragraphs, text[pos : match.start()], "\n\n" if match.group().count("\n") > 1 else "\n")
        pos = match.end()
    _add(paragraphs, text[pos:], "")
    if paragraphs:  # the last paragraph ends the text
        last = paragraphs[-1]
        paragraphs[-1] = Paragraph(last.sentences, "")
    return paragraphs


def _add(paragraphs: list[Paragraph], block: str, separator: str) -> None:
    sentences = split_sentences(block)
    if sentences:
        paragraphs.append(Paragraph(sentences, separator))
    elif paragraphs and separator.count("\n") > paragraphs[-1].separator.count("\n"):
        # An empty line (e.g. only spaces) widens the previous break.
        paragraphs[-1] = Paragraph(paragraphs[-1].sentences, separator)


def join_paragraphs(paragraphs: list[list[str]], separators: list[str]) -> str:
    """Rebuild text from paragraphs of sentences and their separators."""
    return "".join(" ".join(s) + sep for s, sep in zip(paragraphs, separators))


def split_sentences(text: str) -> list[str]:
    """Split one paragraph (no newlines expected, but they are honoured) into sentences."""
    sentences = []
    for line in text.split("\n"):
        line = " ".join(line.split())
        if not line:
            continue
        protected = _quoted_spans(line)
        start = 0
        for end in _candidate_ends(line):
            if any(a < end - 1 < b for a, b in protected):
                continue
            if _is_false_end(line, start, end):
                continue
            piece = line[start:end].strip()
            if piece:
                sentences.append(piece)
            start = end
        rest = line[start:].strip()
        if rest:
            sentences.append(rest)
    return sentences


def _candidate_ends(line: str):
    """Indexes just past a run of end punctuation (and closing quotes) followed by a space."""
    for match in re.finditer(rf"[{re.escape(END_PUNCT)}]+[{re.escape(CLOSERS)}]*(?=\s)", line):
        yield match.end()


def _quoted_spans(line: str) -> list[tuple[int, int]]:
    """(open, close) index pairs of balanced quotes; unbalanced quotes protect nothing."""
    spans, stack = [], []
    for i, ch in enumerate(line):
        if stack and ch == QUOTE_PAIRS[line[stack[-1]]]:
            spans.append((stack.pop(), i))
        elif ch in QUOTE_PAIRS:
            stack.append(i)
    return spans


def _is_false_end(line: str, start: int, end: int) -> bool:
    """True for a full stop that ends an abbreviation or a list number, not a sentence."""
    segment = line[start:end].rstrip(CLOSERS)
    if not segment.endswith("."):
        return False
    words = segment[:-1].split()
    if not words:
        return True
    last = words[-1].lstrip("(«“\"'")
    if last.lower() in ABBREVIATIONS or _DOTTED.match(last):
        return True
    # "1. First item": a lone number at the start of the sentence is a list marker.
    return len(words) == 1 and bool(_LIST_NUMBER.match(last))


def split_clauses(sentence: str) -> list[str]:
    """Split a sentence at clause punctuation (، ؛ , ; :), keeping it on the left piece."""
    pieces = re.split(r"(?<=[،؛,;:])\s+", sentence)
    return [p for p in pieces if p]
