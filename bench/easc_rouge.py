"""ROUGE-1/2/L of our extractive summarizer against taking the first k sentences, on EASC; wrapped articles too.

Usage: python bench/easc_rouge.py [--eval-dir ../shared/eval/easc-dev]

Summary length = the mean length of the five reference summaries in sentences
(rounded); both sides are normalised (alef/ya/ta marbuta, diacritics) and
tokenised with a tokenizer that keeps Arabic, since rouge-score's default
deletes every non-Latin character.

Wrapped: every article is hard-wrapped at typical column widths (paragraphs
still one a line) and must come out of the segmenter, and of the summarizer,
as the unwrapped article does; ROUGE is given with and without unwrapping.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import random
import statistics
import sys
import textwrap
from collections import Counter
from pathlib import Path
from unittest import mock

from rouge_score import rouge_scorer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from summarizer import segment
from summarizer.segment import split_paragraphs, split_sentences
from summarizer.summarize.extractive import ExtractiveSummarizer
from summarizer.textnorm import rouge_tokens

WIDTHS = (40, 50, 60, 72, 80)
# The summarizer's weights searched by the cross-validation (everything else stays at its default).
GRID = {
    "centrality_weight": (0.0, 0.4, 0.8, 1.6),
    "full_length": (8, 16, 32),
    "length_exponent": (0.0, 0.25, 0.5),
    "position_exponent": (0.5, 1.0),
}


def default_eval_dir(name: str) -> Path:
    """../shared/eval/NAME from the repository, or from the folder that holds the worktrees."""
    for parent in ROOT.parents:
        if (parent / "shared" / "eval" / name).is_dir():
            return parent / "shared" / "eval" / name
    return ROOT.parent / "shared" / "eval" / name


class ArabicTokenizer:
    """rouge-score tokenizer interface: normalised words, Arabic kept."""

    def tokenize(self, text: str) -> list[str]:
        return rouge_tokens(text)


def sentences_of(article: str) -> list[str]:
    """The article's sentences as the service splits them."""
    return [s for p in split_paragraphs(article) for s in p.sentences]


def load(eval_dir: Path):
    """(topic, article text, [reference texts]) for every topic."""
    for topic in sorted((eval_dir / "Articles").iterdir(), key=lambda p: int(p.name.removeprefix("Topic"))):
        article = next(topic.glob("*.txt")).read_text(encoding="utf-8-sig")
        refs = [f.read_text(encoding="utf-8-sig") for f in sorted((eval_dir / "Summaries" / topic.name).iterdir())]
        yield topic.name, article, refs


def summary_length(refs: list[str]) -> int:
    """Mean length of the references in sentences."""
    return max(1, round(statistics.mean(len(split_sentences(r)) for r in refs)))


def wrap(article: str, width: int) -> str:
    """The article hard-wrapped at width, its paragraphs (lines) kept apart by a line break."""
    return "\n".join(textwrap.fill(line, width) if line.strip() else line for line in article.split("\n"))


_SCORER = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], tokenizer=ArabicTokenizer())


_CACHE: dict[tuple[str, ...], dict[str, float]] = {}


def scores(sentences: list[str], refs: list[str], chosen) -> dict[str, float]:
    """ROUGE F1 x100 of the chosen sentences, averaged over the references (cached: rouge-score is slow)."""
    summary = " ".join(sentences[i] for i in chosen)
    key = (summary, *refs)
    if key not in _CACHE:
        _CACHE[key] = {
            name: 100 * statistics.mean(_SCORER.score(r, summary)[name].fmeasure for r in refs)
            for name in ("rouge1", "rouge2", "rougeL")
        }
    return _CACHE[key]


def mean_scores(rows: list[dict[str, float]]) -> dict[str, float]:
    """Mean of per-article scores."""
    return {key: statistics.mean(r[key] for r in rows) for key in rows[0]}


def lead(sentences: list[str], k: int) -> list[int]:
    """The first k sentences."""
    return list(range(min(k, len(sentences))))


def table(title: str, rows: dict[str, dict[str, float]]) -> None:
    """Print a markdown table of ROUGE rows."""
    print(f"\n{title}\n")
    print(f"| {'method':<40} | R-1  | R-2  | R-L  |")
    print(f"|{'-' * 42}|------|------|------|")
    for name, r in rows.items():
        print(f"| {name:<40} | {r['rouge1']:.1f} | {r['rouge2']:.1f} | {r['rougeL']:.1f} |")


def wrapped_report(data, summarizer: ExtractiveSummarizer) -> None:
    """Segmentation and summaries of wrapped articles beside the unwrapped ones."""
    print("\nWrapped articles: same sentences / same paragraphs / same summary as the unwrapped article\n")
    print("| width | articles | same sentences | same paragraphs | same summary |")
    print("|---|---|---|---|---|")
    rouge = {"unwrapped": [], "wrapped, lines joined": [], "wrapped, without unwrapping": []}
    lead_rouge = {"unwrapped": [], "wrapped, lines joined": [], "wrapped, without unwrapping": []}
    for width in WIDTHS:
        same = [0, 0, 0]
        for _, article, refs in data:
            k = summary_length(refs)
            plain, folded = split_paragraphs(article), split_paragraphs(wrap(article, width))
            plain_s, folded_s = [s for p in plain for s in p.sentences], [s for p in folded for s in p.sentences]
            same[0] += plain_s == folded_s
            same[1] += [p.sentences for p in plain] == [p.sentences for p in folded]
            summary = [plain_s[i] for i in summarizer.select(plain_s, "ar", k)]
            same[2] += summary == [folded_s[i] for i in summarizer.select(folded_s, "ar", k)]
            with mock.patch.object(segment, "unwrap", lambda text: text):
                broken = sentences_of(wrap(article, width))
            for name, sents in (
                ("unwrapped", plain_s),
                ("wrapped, lines joined", folded_s),
                ("wrapped, without unwrapping", broken),
            ):
                rouge[name].append(scores(sents, refs, summarizer.select(sents, "ar", k)))
                lead_rouge[name].append(scores(sents, refs, lead(sents, k)))
        print(f"| {width} | {len(data)} | {same[0]} | {same[1]} | {same[2]} |")
    rows = {}
    for name, values in rouge.items():
        rows[f"ours, {name}"] = mean_scores(values)
        rows[f"first-k, {name}"] = mean_scores(lead_rouge[name])
    table(f"ROUGE over all widths {WIDTHS} (articles x widths)", rows)


def fast_rouge1(sentences: list[str], refs: list[Counter], chosen) -> float:
    """ROUGE-1 F1 x100 averaged over the references, as rouge-score computes it, for the grid search."""
    summary = Counter(t for i in chosen for t in rouge_tokens(sentences[i]))
    total = sum(summary.values())
    values = []
    for ref in refs:
        overlap = sum((summary & ref).values())
        p, r = overlap / total if total else 0.0, overlap / sum(ref.values())
        values.append(2 * p * r / (p + r) if p + r else 0.0)
    return 100 * statistics.mean(values)


def interval(gains: list[float], rounds: int = 2000) -> str:
    """Mean gain and its 95% bootstrap interval over articles (seeded: the same figures every run)."""
    rng = random.Random(0)
    means = sorted(statistics.mean(rng.choices(gains, k=len(gains))) for _ in range(rounds))
    return f"{statistics.mean(gains):+.2f} R-1 (95% bootstrap interval {means[rounds // 40]:+.2f} to {means[-rounds // 40]:+.2f})"


def cross_validated_report(data) -> None:
    """Leave-one-out and 5-fold figures: weights chosen on the other articles, scored on the held-out one."""
    articles = [(sentences_of(article), refs, summary_length(refs)) for _, article, refs in data]
    ref_counts = [[Counter(rouge_tokens(r)) for r in refs] for _, refs, _ in articles]
    configs = [dict(zip(GRID, values)) for values in itertools.product(*GRID.values())]
    chosen = [[ExtractiveSummarizer(**c).select(s, "ar", k) for s, _, k in articles] for c in configs]
    r1 = [[fast_rouge1(s, rc, ch) for (s, _, _), rc, ch in zip(articles, ref_counts, row)] for row in chosen]
    n = len(articles)
    rows = {}
    for name, fold_of in (("leave-one-out", lambda i: i), ("5-fold", lambda i: i % 5)):
        held: list = [None] * n  # by article
        picks = []
        for fold in sorted({fold_of(i) for i in range(n)}):
            train = [i for i in range(n) if fold_of(i) != fold]
            best = max(range(len(configs)), key=lambda c: (statistics.mean(r1[c][i] for i in train), -c))
            picks.append(best)
            for i in range(n):
                if fold_of(i) == fold:
                    held[i] = scores(articles[i][0], articles[i][1], chosen[best][i])
        rows[f"ours, {name} (held-out)"] = mean_scores(held)
        leads = [scores(s, refs, lead(s, k))["rouge1"] for s, refs, k in articles]
        wins = sum(h["rouge1"] > b + 1e-9 for h, b in zip(held, leads))
        losses = sum(h["rouge1"] < b - 1e-9 for h, b in zip(held, leads))
        print(
            f"{name}: R-1 above the lead on {wins} articles, below on {losses}, equal on {n - wins - losses}; "
            f"gain {interval([h['rouge1'] - b for h, b in zip(held, leads)])}"
        )
        common = Counter(picks).most_common(1)[0]
        print(
            f"{name}: weights chosen {len(set(picks))} distinct way(s); most often ({common[1]}x) {configs[common[0]]}"
        )
        for pick in sorted(set(picks) - {common[0]}):
            print(f"{name}: also chosen ({picks.count(pick)}x) {configs[pick]}")
    best = max(range(len(configs)), key=lambda c: (statistics.mean(r1[c]), -c))
    rows["ours, best on all 30 (in-sample)"] = mean_scores(
        [scores(s, refs, ch) for (s, refs, _), ch in zip(articles, chosen[best])]
    )
    rows["first-k (lead)"] = mean_scores([scores(s, refs, lead(s, k)) for s, refs, k in articles])
    print(f"in-sample best: {configs[best]}")
    table("Cross-validated: weights chosen without the article scored", rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=default_eval_dir("easc-dev"))
    args = parser.parse_args(argv)
    data = list(load(args.eval_dir))
    ours = ExtractiveSummarizer()
    per_article = {"first-k (lead)": [], "ours (extractive)": []}
    for _, article, refs in data:
        sentences, k = sentences_of(article), summary_length(refs)
        per_article["first-k (lead)"].append(scores(sentences, refs, lead(sentences, k)))
        per_article["ours (extractive)"].append(scores(sentences, refs, ours.select(sentences, "ar", k)))
    print(f"EASC dev: {len(data)} articles, ROUGE F1 x100, mean over 5 references")
    defaults = {f.name: getattr(ours, f.name) for f in dataclasses.fields(ours) if f.name in GRID}
    table(
        f"Shipped defaults {defaults}, whole dev set", {name: mean_scores(rows) for name, rows in per_article.items()}
    )
    print()
    cross_validated_report(data)
    wrapped_report(data, ours)


if __name__ == "__main__":
    main()
