"""Sentence and paragraph splitting for Arabic and English text.

Sentences end at `. ! ? ؟ …` and at line ends. The Arabic comma and semicolon
do not end sentences, nor do full stops inside quotes, in abbreviations
(U.S., Dr.), in decimals or after the number of a list item.

Hard-wrapped text (newspaper columns, PDF and e-mail copies) breaks lines in
the middle of sentences; `unwrap` first joins the lines of a paragraph that
were only wrapped, so that a line end is a sentence end only where the text
says so (see `unwrap` for the evidence used).
"""

from __future__ import annotations

import itertools
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
# Unwrapping: a block is a wrapped column when its longest line is within these widths (characters).
MIN_WRAP_WIDTH = 30
MAX_WRAP_WIDTH = 150
WRAP_SLACK = 0.8  # the next word would not have fitted, with room for proportional fonts (see unwrap)
ITEM_SLACK = 0.95  # ... after a block's first line or before an item: the little room of a character-wrapped column
FULL_SHARE = 0.85  # or the line fills this share of the width
CONTINUATION_SHARE = 0.5  # a lower-case next line continues a line at least this long
_BLANK = " \t\u00a0\u200f\u200e\r"
_SENTENCE_END = re.compile(rf"[{re.escape(END_PUNCT)}][{re.escape(CLOSERS)}]*$")
_HYPHENATED = re.compile(r"[A-Za-z]-$")
_BULLET = re.compile(r"^(?:[•*·▪◦‣●○]|\(?[0-9٠-٩]{1,3}[.)])\s")
_PUNCTUATED = re.compile(r"[.:;!?…،؛,؟][\"'»”)\]]*$")
_LIST_ITEM = re.compile(r"^(?:[-–—]\s|[0-9٠-٩]{1,3}-\s|\(?[A-Za-z\u0621-\u064a][.)]\s)")
# Lines that start like an item of a help text or a table: an option (-l, --all) or a placeholder (%s, [FILE],
# <name>); or a number after a line that starts with a number.
_ITEM_START = re.compile(r"^(?:-{1,2}[A-Za-z0-9]|[%\[<])")
_ITEM_NUMBER = re.compile(r"^[0-9٠-٩]{1,3}\b")
_DIRECTION_MARKS = str.maketrans({"\u200f": " ", "\u200e": " "})
_PARAGRAPH_BREAK = re.compile(r"[ \t\u00a0]*\n(?:[ \t\u00a0\u200f\u200e]*\n)*")


@dataclass(frozen=True)
class Paragraph:
    """One block of text and the separator that followed it ("\\n\\n", "\\n" or "")."""

    sentences: list[str]
    separator: str


def split_paragraphs(text: str) -> list[Paragraph]:
    """Split text into paragraphs (one per line once wrapped lines are joined) of sentences, keeping the breaks."""
    text = unwrap(text)
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


def unwrap(text: str) -> str:
    """Join the lines that were only wrapped; keep blank lines and real line structure.

    A text wrapped at a column width W (greedily, as editors, mailers and
    newspapers do) has lines the next word would not have fitted on. In a
    proportional font (PDFs, newspaper columns) W is a width in points, not
    characters: in 99% of the breaks of Arabic and English articles set in
    six fonts, a line and the next word take at least 0.85 of the longest
    line's characters, hence WRAP_SLACK, 0.8 (bench/unwrap_fonts.py). A
    block's first line (it may be a headline or a caption over the text) and
    a line before one that starts like an item (an option, a placeholder, a
    number under a number) get only ITEM_SLACK's narrower room. A break
    after such a "full" line joins the lines unless the next line starts a
    list item; a line that ends with sentence punctuation is joined only when
    most breaks of its block are wraps. Short lines (headings, addresses,
    verse, the last line of a paragraph), blocks where no line ends a sentence
    (captions, a heading, an address), lists, blocks of three or more
    lines that each start with a capital letter (verse, lists), and blocks
    whose longest line is narrower than MIN_WRAP_WIDTH or wider than MAX_WRAP_WIDTH (a paragraph
    a line, not a wrapped column) keep their breaks. In English a next line
    that starts in lower case is a continuation even after a shorter line.
    """
    if "\n" not in text:
        return text
    lines = text.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    block: list[str] = []
    for line in lines + [""]:
        if line.strip(_BLANK):
            block.append(line)
            continue
        if block:
            out.append(_unwrap_block(block))
            block = []
        out.append(line)
    return "\n".join(out[:-1])


def _unwrap_block(lines: list[str]) -> str:
    """One block of non-blank lines with its soft breaks joined."""
    # Direction marks (copied from word processors and chat apps) are not part of a line's first word.
    stripped = [" ".join(line.translate(_DIRECTION_MARKS).split()) for line in lines]
    width = max(len(line) for line in stripped)
    if len(lines) < 2 or not MIN_WRAP_WIDTH <= width <= MAX_WRAP_WIDTH:
        return "\n".join(lines)
    if not any(_SENTENCE_END.search(line) for line in stripped):
        return "\n".join(lines)  # no line ends a sentence: captions, headings, an address, not a wrapped paragraph
    initials = [line[0] for line in stripped[1:] if line[0].isupper() or line[0].islower()]
    if len(initials) >= max(2, len(lines) - 1) and all(c.isupper() for c in initials):
        return "\n".join(lines)  # every line capitalised: verse or a list, not wrapped prose
    soft, ended = [], []
    for i, (a, b) in enumerate(itertools.pairwise(stripped)):
        next_word = len(b.split()[0])
        ended.append(bool(_SENTENCE_END.search(a)))
        if _BULLET.match(b) or (_LIST_ITEM.match(b) and _PUNCTUATED.search(a)):
            soft.append(False)  # a list item (a dash after a full unpunctuated line is running text)
        elif ended[-1]:  # a paragraph's last line: only when the next word could not have fitted
            soft.append(len(a) + 1 + next_word > width)
        else:
            # Length alone cannot tell an item, or a headline or caption over the text, from a wrapped line.
            item = _ITEM_START.match(b) or (_ITEM_NUMBER.match(a) and _ITEM_NUMBER.match(b))
            slack = ITEM_SLACK if item or i == 0 else WRAP_SLACK
            full = len(a) + 1 + next_word > width * slack or len(a) >= width * FULL_SHARE
            soft.append(full or (b[0].islower() and len(a) >= width * CONTINUATION_SHARE))
    wrapped_block = sum(s and not e for s, e in zip(soft, ended)) * 2 >= len(soft)
    text = lines[0].rstrip()
    for i, line in enumerate(lines[1:]):
        if soft[i] and (not ended[i] or wrapped_block):
            glue = "" if _HYPHENATED.search(text) else " "
            text = text + glue + line.strip()
        else:
            text = text + "\n" + line.rstrip()
    return text


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
    spans: list[tuple[int, int]] = []
    stack: list[int] = []
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
