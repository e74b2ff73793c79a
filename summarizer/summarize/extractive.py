"""Extractive summarization: rank sentences, keep the best k in document order.

On news the position of a sentence is the strongest single signal (on EASC,
taking the first k sentences beats TextRank, LexRank, LSA and Luhn). We start
from that lead prior and let content move it: a sentence's TF-IDF similarity
to the whole document (centrality), a discount for very short sentences
(captions, bylines) and for lines that do not end like a sentence (photo
captions, source lines), a mild preference for shorter sentences among the
long ones (a summary of k sentences says more in k tight ones; human
summaries on EASC pick sentences a third shorter than those they leave), and
no near-duplicates. Two rules for news, fixed from principle rather than
fitted: a first line with no closing punctuation is the headline, and a
sentence that repeats most of its words is not kept beside it (the summary
would say the same thing twice); words inside quotation marks count half
(quotes carry reactions, the reporter's own sentences carry the facts).
The three fitted weights are the best point of bench/easc_rouge.py's grid on
the 30 EASC dev articles; the figures to quote are that script's nested
cross-validation (the same choice made inside each training fold), which it
prints beside the lead with how sharply the gain depends on each weight.
Works on Arabic and English through textnorm.content_words.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from ..textnorm import content_words

_TERMINATED = re.compile(r"[.!?؟…][\"'»”)\]]*\s*$")
# A quoted span: a pair of marks, or an unclosed mark up to the sentence's end (a quote running on), or the
# sentence's start up to an unopened closing mark (the end of a quote that began in an earlier sentence).
_QUOTED = re.compile(r'"[^"]*"?|“[^”]*”?|«[^»]*»?|^[^"“«]*[”»]')
_TOKEN = re.compile(r"\w+")
# Fewer quoted words than this are a name or a term in quotation marks, not a quote.
_QUOTE_WORDS = 3


@dataclass
class Article:
    """An article as the ranking reads it: content words, term vectors, flags. Only the term vectors and the
    headline echoes depend on the summarizer (term_vectors, headline_containment), not on the fitted weights."""

    words: list[list[str]]
    vectors: list[dict[str, float]]
    central: list[float]  # each sentence's cosine to the article's centroid
    mean_length: float  # content words per sentence
    terminated: list[bool]
    quoted: list[float]
    echoes: set[int]  # sentences that repeat the headline
    _similarity: dict[tuple[int, int], float] = field(default_factory=dict, init=False, repr=False, compare=False)

    def similarity(self, i: int, j: int) -> float:
        """The cosine between two sentences' term vectors (computed once: bench/ grids choose many times)."""
        if (i, j) not in self._similarity:
            self._similarity[i, j] = _cosine(self.vectors[i], self.vectors[j])
        return self._similarity[i, j]


@dataclass(frozen=True)
class ExtractiveSummarizer:
    """Lead-prior + centrality ranking; needs no model weights."""

    # centrality_weight, full_length and length_exponent: fitted on the EASC dev articles (bench/easc_rouge.py).
    position_weight: float = 1.0
    position_exponent: float = 0.5  # the lead prior: 1 / (i + 1) ** exponent
    centrality_weight: float = 1.0
    # Near-duplicates (news boilerplate repeated) are not both kept.
    redundancy_threshold: float = 0.8
    # Lines with no closing punctuation after the first (photo captions, credits, source lines).
    unterminated_weight: float = 0.5
    # Sentences shorter than this many content words (captions, bylines) are discounted.
    full_length: int = 24
    # Score divided by (length / mean length) ** this: of two long sentences alike, the shorter wins.
    length_exponent: float = 0.5
    # ... with length / mean length taken as at least this: at 1 shorter sentences gain nothing (below 1 they
    # would, and two-word fragments with them).
    length_floor: float = 1.0
    # Score times 1 - this x the share of the sentence's words inside quotation marks.
    quote_discount: float = 0.5
    # A sentence holding this share of an unpunctuated first line's (the headline's) words repeats it.
    headline_containment: float = 0.8
    name: str = "extractive"

    def select(self, sentences: list[str], language: str, k: int) -> list[int]:
        """Indexes of the k best sentences, in document order."""
        if k >= len(sentences):
            return list(range(len(sentences)))
        article = self.read(sentences, language)
        return self.choose(article, self.scores(article), k)

    def read(self, sentences: list[str], language: str) -> Article:
        """What the ranking needs of an article before any weight applies (bench/ grids score it many times)."""
        words = [content_words(s, language) for s in sentences]
        vectors = self.term_vectors(sentences, words, language)
        centroid: dict[str, float] = {}
        for v in vectors:
            for w, x in v.items():
                centroid[w] = centroid.get(w, 0.0) + x
        terminated = [bool(_TERMINATED.search(s)) for s in sentences]
        # Sentences that repeat the headline (if the first line is one) are redundant with it, and it with them.
        headline = set(words[0]) if not terminated[0] else set()
        echoes = {
            i
            for i in range(1, len(words))
            if headline and _contains(set(words[i]), headline, self.headline_containment)
        }
        return Article(
            words=words,
            vectors=vectors,
            central=[_cosine(v, centroid) for v in vectors],
            mean_length=max(1.0, sum(len(w) for w in words) / len(words)),
            terminated=terminated,
            quoted=[quoted_share(s) for s in sentences],
            echoes=echoes,
        )

    def scores(self, article: Article, central: list[float] | None = None) -> list[float]:
        """Each sentence's score: the lead prior plus centrality (the article's, unless given), discounted."""
        central = article.central if central is None else central
        scores = []
        for i, words in enumerate(article.words):
            position = 1.0 / (i + 1) ** self.position_exponent
            score = self.position_weight * position + self.centrality_weight * central[i]
            score *= min(1.0, 0.5 + 0.5 * len(words) / self.full_length)
            score /= max(self.length_floor, len(words) / article.mean_length) ** self.length_exponent
            if i and not article.terminated[i]:
                score *= self.unterminated_weight
            score *= 1.0 - self.quote_discount * article.quoted[i]
            scores.append(score)
        return scores

    def choose(self, article: Article, scores: list[float], k: int) -> list[int]:
        """The k best-scoring sentences that do not repeat one already chosen, in document order."""

        def repeats(i: int, j: int) -> bool:
            if (i == 0 and j in article.echoes) or (j == 0 and i in article.echoes):
                return True
            return article.similarity(i, j) >= self.redundancy_threshold

        n = len(scores)
        chosen: list[int] = []
        for i in sorted(range(n), key=lambda j: (-scores[j], j)):
            if len(chosen) == k:
                break
            if not any(repeats(i, j) for j in chosen):
                chosen.append(i)
        for i in range(n):  # redundancy left us short: fill in document order
            if len(chosen) == k:
                break
            if i not in chosen:
                chosen.append(i)
        return sorted(chosen)

    def term_vectors(self, sentences: list[str], words: list[list[str]], language: str) -> list[dict[str, float]]:
        """Each sentence's weighted content words: TF-IDF over the article's sentences."""
        return _tfidf(words)


def quoted_share(sentence: str) -> float:
    """The share of a sentence's words inside quotation marks (spans of three words or more: quotes, not names)."""
    if not any(mark in sentence for mark in '"“”«»'):
        return 0.0
    total = len(_TOKEN.findall(sentence))
    if not total:
        return 0.0
    spans = (len(_TOKEN.findall(m.group())) for m in _QUOTED.finditer(sentence))
    quoted = sum(words for words in spans if words >= _QUOTE_WORDS)
    return min(1.0, quoted / total)


def _contains(words: set[str], headline: set[str], share: float) -> bool:
    return len(words & headline) >= share * len(headline)


def _tfidf(docs: list[list[str]]) -> list[dict[str, float]]:
    df = Counter(w for d in docs for w in set(d))
    n = len(docs)
    return [{w: c * math.log(1 + n / df[w]) for w, c in Counter(d).items()} for d in docs]


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(w, 0.0) for w, v in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0
