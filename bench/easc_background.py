"""Background word informativeness in place of TF-IDF for the extractive summary, under nested cross-validation.

Usage: python bench/easc_background.py [--eval-dir ../shared/eval/easc-dev] [--repeats 20] [--unseen]

Tried against the shipped method and not kept (figures in bench/README.md). The shipped summarizer weighs a
sentence's content words by TF-IDF over the article's own sentences. Here a word weighs instead by how rare it is
in the language at large (wordfreq's Zipf frequency z, the log10 of its frequency per billion words): the
information content -log10 p = 9 - z, or c - z for other offsets c, squared or square-rooted, or 1 (term counts
only); floored at 0.5 so the commonest words still count a little. Each weighting is run through
bench/easc_rouge.py's nested cross-validation with the shipped grid (the weights chosen on the training articles
only); then the weighting itself is made one more grid dimension and chosen inside the folds too, which is the
honest figure for "try several weightings and keep the best". --unseen: the information-content weighting with the
weights it chose on all 30 EASC articles, against the shipped summarizer, on bench/summary_unseen.py's English sets
(one look, nothing chosen there; English words weighed by their English Zipf frequency).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections import Counter
from functools import cache
from pathlib import Path

from wordfreq import zipf_frequency

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import easc_rouge as er
import summary_unseen
from summarizer.summarize.extractive import ExtractiveSummarizer
from summarizer.textnorm import content_word_forms, rouge_tokens

# Word weight from its Zipf frequency z; "tfidf" is the shipped weighting.
WEIGHTINGS = {
    "9 - z (information content)": lambda z: max(0.5, 9.0 - z),
    "8 - z": lambda z: max(0.5, 8.0 - z),
    "7 - z": lambda z: max(0.5, 7.0 - z),
    "6 - z": lambda z: max(0.5, 6.0 - z),
    "(7 - z)^2": lambda z: max(0.5, 7.0 - z) ** 2,
    "(7 - z)^0.5": lambda z: max(0.5, 7.0 - z) ** 0.5,
    "1 (term counts)": lambda z: 1.0,
}


@cache
def zipf(word: str, language: str) -> float:
    """wordfreq's Zipf frequency of a word (0 when unknown)."""
    return zipf_frequency(word, language)


@dataclasses.dataclass(frozen=True)
class BackgroundSummarizer(ExtractiveSummarizer):
    """The shipped summarizer with a word weighted by its rarity in the language (weighting "tfidf": shipped)."""

    weighting: str = "tfidf"

    def term_vectors(self, sentences: list[str], words: list[list[str]], language: str) -> list[dict[str, float]]:
        """Content words weighted by WEIGHTINGS[weighting] of their surface form's Zipf frequency."""
        if self.weighting == "tfidf":
            return super().term_vectors(sentences, words, language)
        weight = WEIGHTINGS[self.weighting]
        vectors = []
        for sentence in sentences:
            vector: Counter = Counter()
            for surface, stem in content_word_forms(sentence, language):
                vector[stem] += weight(zipf(surface, language))
            vectors.append(dict(vector))
        return vectors


def unseen_report() -> None:
    """The information-content weighting at its EASC choice against the shipped summarizer on the English sets."""
    methods = {
        "shipped": ExtractiveSummarizer(),
        "9 - z at its EASC choice": BackgroundSummarizer(
            weighting="9 - z (information content)", centrality_weight=0.2, full_length=24, length_exponent=0.75
        ),
    }
    paths = summary_unseen.fetch(summary_unseen.DEFAULT_CACHE)
    print("\nUnseen English sets (bench/summary_unseen.py): R-1 gain over the lead\n")
    for name in summary_unseen.SETS:
        gains: dict[str, list[float]] = {method: [] for method in methods}
        for _, document, reference in summary_unseen.load(paths[name]):
            sentences, k = er.sentences_of(document), summary_unseen.reference_length(reference)
            base = summary_unseen.scores(sentences, reference, er.lead(sentences, k))["rouge1"]
            for method, summarizer in methods.items():
                chosen = summarizer.select(sentences, "en", k)
                gains[method].append(summary_unseen.scores(sentences, reference, chosen)["rouge1"] - base)
        for method, values in gains.items():
            print(f"- {name}, {method}: {er.interval(values)}")
        difference = [a - b for a, b in zip(gains["9 - z at its EASC choice"], gains["shipped"])]
        print(f"- {name}, 9 - z minus shipped: {er.interval(difference)}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=er.default_eval_dir("easc-dev"))
    parser.add_argument("--repeats", type=int, default=20, help="random k-fold splits (default 20)")
    parser.add_argument("--unseen", action="store_true", help="only the look at the unseen English sets")
    args = parser.parse_args(argv)
    if args.unseen:
        unseen_report()
        return
    data = list(er.load(args.eval_dir))
    articles = [(er.sentences_of(article), refs, er.summary_length(refs)) for _, article, refs in data]
    ref_counts = [[Counter(rouge_tokens(r)) for r in refs] for _, refs, _ in articles]
    leads = [er.scores(s, refs, er.lead(s, k)) for s, refs, k in articles]
    rule = (("best point", False),)
    print(f"EASC dev: {len(data)} articles; R-1 gain over the lead, the shipped grid chosen inside the folds\n")
    for weighting in ("tfidf", *WEIGHTINGS):
        grid = {**er.GRID, "weighting": (weighting,)}
        er.nested_report(weighting, grid, rule, articles, ref_counts, leads, args.repeats, BackgroundSummarizer)
        print()
    grid = {**er.GRID, "weighting": ("tfidf", *WEIGHTINGS)}
    er.nested_report(
        "weighting chosen too", grid, rule, articles, ref_counts, leads, args.repeats, BackgroundSummarizer
    )


if __name__ == "__main__":
    main()
