"""Translate HTML: the text of each block as whole sentences, the markup kept as it was.

The HTML is parsed with lxml's HTML parser (never regular expressions). Text is
gathered into blocks: a block is the text of a paragraph-like element together
with the text inside its inline elements (<a>, <b>, <em>, <span>...), so a
sentence that runs across an inline tag is translated as one sentence. Block
elements and <br> end a block. <script>, <style>, <pre>, <textarea> (and inline
<code>, <kbd>, <samp>, <var>, or anything marked translate="no" or
class="notranslate") are left untouched.

Each translated sentence goes back over the text nodes it came from: whole into
the node when the sentence lies in one node; else a node whose text the
translation copies (a number, a Latin name) gets those words and the others
share the rest in proportion to the source text each held, so every tag,
attribute and link stays where it was. The text is set on the tree and
escaped by the serializer: no translation can inject markup. The parser mends
malformed input (unclosed or stray tags), so the output is well-formed HTML.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

log = logging.getLogger(__name__)

# Elements that do not end a block: their text is part of the surrounding sentences.
INLINE = frozenset(
    {"a", "abbr", "b", "bdi", "bdo", "cite", "data", "del", "dfn", "em", "font", "i", "ins", "label", "mark", "q"}
    | {"rp", "rt", "ruby", "s", "small", "span", "strong", "sub", "sup", "time", "tt", "u"}
)
# Untouched elements that sit inside a sentence (their text is not translated; the sentence runs on).
UNTOUCHED_INLINE = frozenset({"code", "kbd", "samp", "var", "img", "wbr", "input"})
# Untouched elements that end a block.
UNTOUCHED_BLOCK = frozenset({"script", "style", "pre", "textarea", "template", "svg", "math", "iframe", "object"})
RAW_TEXT = frozenset({"script", "style"})


@dataclass
class _Slot:
    """One text node: an element's .text or .tail."""

    node: etree._Element
    attr: str

    @property
    def text(self) -> str:
        return getattr(self.node, self.attr) or ""


@dataclass
class _Block:
    """The text nodes of one block, their concatenation and where each begins in it."""

    slots: list[_Slot] = field(default_factory=list)

    def finish(self) -> None:
        self.source = "".join(s.text for s in self.slots)
        self.starts = []
        pos = 0
        for slot in self.slots:
            self.starts.append(pos)
            pos += len(slot.text)
        # Non-space characters and their positions: sentences are found by these, whatever the spacing.
        self.dense_pos = [i for i, ch in enumerate(self.source) if not ch.isspace()]
        self.dense = "".join(self.source[i] for i in self.dense_pos)
        self.spans: list[tuple[int, int, str]] = []  # (start, end, translation) in self.source

    @property
    def text(self) -> str:
        """The block's text with its spacing collapsed, as a browser shows it."""
        return " ".join(self.source.split())


class HtmlDocument:
    """A parsed HTML fragment or document whose blocks of text can be replaced by translations."""

    def __init__(self, html: str):
        self._document = html.lstrip()[:15].lower().startswith(("<!doctype", "<html"))
        self._doctype = "<!doctype" in html[:200].lower()
        try:
            if self._document:
                self.root = lxml.html.document_fromstring(html)
            else:
                self.root = lxml.html.fragment_fromstring(html, create_parent="div")
        except etree.ParserError:  # nothing the parser could build (e.g. only a comment)
            self.root = None
        self.blocks: list[_Block] = []
        if self.root is not None:
            current = _Block()
            current = self._walk(self.root, current)
            self._flush(current)

    # -- reading the blocks ------------------------------------------------------------------

    def _flush(self, block: _Block) -> _Block:
        if any(ch.isalpha() for slot in block.slots for ch in slot.text):  # only blocks with words
            block.finish()
            self.blocks.append(block)
        return _Block()

    def _walk(self, element, block: _Block) -> _Block:
        """Visit element and its children in document order; return the block still open after it."""
        tag = element.tag if isinstance(element.tag, str) else None  # comments, PIs, entities have no name
        if tag is not None and element is not self.root:
            untouched = tag in UNTOUCHED_BLOCK or tag in UNTOUCHED_INLINE or _marked_untranslatable(element)
            ends_block = tag not in INLINE and tag not in UNTOUCHED_INLINE  # <br> and block elements
            if ends_block:
                block = self._flush(block)
            if not untouched:
                if element.text:
                    block.slots.append(_Slot(element, "text"))
                for child in element:
                    block = self._walk(child, block)
            if ends_block:
                block = self._flush(block)
        elif tag is not None:  # the root
            if element.text:
                block.slots.append(_Slot(element, "text"))
            for child in element:
                block = self._walk(child, block)
        if element is not self.root and element.tail:
            block.slots.append(_Slot(element, "tail"))
        return block

    def texts(self) -> list[str]:
        """The text of every block that has words in it, spacing collapsed, in document order."""
        return [block.text for block in self.blocks]

    # -- writing the translations back -------------------------------------------------------

    def apply(self, sentences: list[tuple[str, str]]) -> None:
        """Put translations back: (source sentence, translation) pairs in document order.

        Each source sentence is looked up in the blocks (ignoring spacing) from where the last one ended; one
        that cannot be found is left untranslated and logged.
        """
        b, offset = 0, 0
        for source, translation in sentences:
            key = "".join(source.split())
            if not key:
                continue
            found, resume = False, (b, offset)
            while b < len(self.blocks):
                block = self.blocks[b]
                at = block.dense.find(key, offset)
                if at >= 0:
                    end = at + len(key)
                    block.spans.append((block.dense_pos[at], block.dense_pos[end - 1] + 1, translation))
                    offset, found = end, True
                    break
                b, offset = b + 1, 0
            if not found:
                log.warning("a translated sentence was not found in the HTML blocks; left untranslated")
                b, offset = resume
        for block in self.blocks:
            _rewrite(block)

    def serialize(self) -> str:
        """The HTML with its translated text, well-formed."""
        if self.root is None:
            return ""
        if self._document:
            html = etree.tostring(
                self.root.getroottree() if self._doctype else self.root, method="html", encoding="unicode"
            )
        else:
            html = lxml.html.tostring(self.root, method="html", encoding="unicode")
            html = html[html.index(">") + 1 : html.rindex("</div>")]  # drop the parent the parser was given
        # Non-breaking spaces were &nbsp; (or typed): write them as the entity again, except in raw text
        # (script, style) where an entity would not be decoded.
        if not any("\xa0" in (el.text or "") for el in self.root.iter(*RAW_TEXT)):
            html = html.replace("\xa0", "&nbsp;")
        return html


def _marked_untranslatable(element) -> bool:
    """translate="no", class="notranslate", or a link that is a handle, hashtag or address, not words."""
    classes = element.get("class", "").split()
    if element.get("translate", "").lower() == "no" or "notranslate" in classes:
        return True
    if element.tag != "a":
        return False
    text = element.text_content().strip()
    return bool({"mention", "hashtag"} & set(classes)) or (
        not any(ch.isspace() for ch in text) and text.startswith(("@", "#", "http://", "https://", "www."))
    )


def _rewrite(block: _Block) -> None:
    """Replace the source text of each translated sentence in the block's text nodes."""
    if not block.spans:
        return
    # Per slot: the (start, end, replacement) pieces inside it, in slot coordinates.
    pieces: list[list[tuple[int, int, str]]] = [[] for _ in block.slots]
    for start, end, translation in block.spans:
        regions = []  # (slot index, region start, region end) of the sentence in each slot it touches
        for i, slot in enumerate(block.slots):
            a = block.starts[i]
            lo, hi = max(start, a), min(end, a + len(slot.text))
            if lo < hi:
                regions.append((i, lo - a, hi - a))
        texts = [block.slots[i].text[lo:hi] for i, lo, hi in regions]
        weights = [sum(not ch.isspace() for ch in t) for t in texts]
        worded = [(block.slots[i], t.strip(), w) for (i, _, _), t, w in zip(regions, texts, weights) if w]
        # The text of an inline element (a link's words) must not be left empty; other text nodes may.
        required = [slot.attr == "text" and slot.node.tag in INLINE for slot, _, _ in worded]
        shares = iter(_share(translation.split(), [t for _, t, _ in worded], [w for _, _, w in worded], required))
        parts = []
        for text, weight in zip(texts, weights):
            if not weight:
                parts.append([text, "", ""])  # spacing only: kept as it was
                continue
            core = text.strip()
            lead, trail = text[: text.index(core[0])], text[len(text.rstrip()) :]
            parts.append([lead, " ".join(next(shares)), trail])
        _space_words_apart(parts)
        for (i, lo, hi), (lead, core, trail) in zip(regions, parts):
            pieces[i].append((lo, hi, lead + core + trail))
    for slot, replacements in zip(block.slots, pieces):
        if not replacements:
            continue
        text, out, pos = slot.text, [], 0
        for lo, hi, new in replacements:
            out.append(text[pos:lo])
            out.append(new)
            pos = hi
        out.append(text[pos:])
        setattr(slot.node, slot.attr, "".join(out))


def _space_words_apart(parts: list[list[str]]) -> None:
    """Where two text nodes' words would touch (no space between them in the source), add one."""
    previous = None
    gap = ""
    for part in parts:
        lead, core, trail = part
        gap += lead
        if core:
            if previous is not None and not any(ch.isspace() for ch in gap):
                previous[2] += " "
            previous, gap = part, trail
        else:
            gap += trail


def _share(words: list[str], texts: list[str], weights: list[int], required: list[bool]) -> list[list[str]]:
    """The words of a translated sentence for each text node it came from, in order.

    A node whose text the translation copies as it is (a number, a name in Latin letters) gets exactly those words;
    the others share the rest in proportion to their weights. When the copies would leave a `required` node
    without words, or words without a node, the copies are ignored and all words are shared by proportion.
    """
    pins = _copied(words, texts)
    shares: list[list[str]] = [[] for _ in texts]
    start, first = 0, 0  # the words and nodes not yet given out
    for node, (lo, hi) in [*pins, (len(texts), (len(words), len(words)))]:
        between = list(range(first, node))
        if len(words[start:lo]) < len(between):  # too few words for every node: only the required ones get some
            between = [i for i in between if required[i]]
        if len(words[start:lo]) < sum(required[i] for i in between) or (lo > start and not between):
            return _distribute(words, weights)
        for i, share in zip(between, _distribute(words[start:lo], [weights[i] for i in between])):
            shares[i] = share
        if node < len(texts):
            shares[node] = words[lo:hi]
        start, first = hi, node + 1
    return shares


def _copied(words: list[str], texts: list[str]) -> list[tuple[int, tuple[int, int]]]:
    """(node, (first word, end)) for nodes in Latin letters or digits whose words appear as they are, in order."""
    key = [w.strip(_EDGE_PUNCTUATION).casefold() for w in words]
    pins, start = [], 0
    for node, text in enumerate(texts):
        wanted = [w.strip(_EDGE_PUNCTUATION).casefold() for w in text.split()]
        if not text.isascii() or not all(wanted) or not any(ch.isalnum() for ch in text):
            continue
        for i in range(start, len(key) - len(wanted) + 1):
            if key[i : i + len(wanted)] == wanted:
                pins.append((node, (i, i + len(wanted))))
                start = i + len(wanted)
                break
    return pins


_EDGE_PUNCTUATION = ".,;:!?\"'()[]«»“”‘’،؛؟"


def _distribute(words: list[str], weights: list[int]) -> list[list[str]]:
    """Split words, in order, into len(weights) runs sized in proportion to weights (each at least one word
    while there are enough)."""
    n, k = len(words), len(weights)
    total = sum(weights)
    bounds, cumulative = [0], 0
    for i, weight in enumerate(weights[:-1], start=1):
        cumulative += weight
        bound = round(n * cumulative / total)
        if n >= k:
            bound = min(max(bound, bounds[-1] + 1), n - (k - i))
        bounds.append(max(bound, bounds[-1]))
    bounds.append(n)
    return [words[bounds[i] : bounds[i + 1]] for i in range(k)]
