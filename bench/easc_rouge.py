"""ROUGE-1/2/L of our extractive summarizer against taking the first k sentences, on EASC; wrapped articles too.

Usage: python bench/easc_rouge.py [--eval-dir ../shared/eval/easc-dev] [--repeats 20]

Summary length = the mean length of the five reference summaries in sentences
(rounded); both sides are normalised (alef/ya/ta marbuta, diacritics) and
tokenised with a tokenizer that keeps Arabic, since rouge-score's default
deletes every non-Latin character.

Nested cross-validation: the weights in GRID are chosen on the training
articles of each fold only (the best point by ROUGE-1, or the point with the
best grid neighbourhood) and scored on the held-out ones, leave-one-out and over
repeated random 5- and 3-fold splits (mean and spread); the same for the method
before (BEFORE) on its old grid and on one as wide as ours. Then the gain of the
shipped defaults with one weight moved at a time (a lone peak is fitted to these
30 articles, a plateau is not), and the CPU milliseconds per article.

Wrapped: every article is hard-wrapped at typical column widths (paragraphs
still one a line) and must come out of the segmenter, and of the summarizer,
as the unwrapped article does; ROUGE is given with and without unwrapping.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import math
import random
import statistics
import sys
import textwrap
import time
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
# The weights searched by the cross-validation, in even steps (position_exponent stays 0.5: 1 / sqrt(position)).
GRID = {
    "centrality_weight": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.6),
    "full_length": (8, 12, 16, 20, 24, 32),
    "length_exponent": (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0),
}
# The method before: every score divided by its relative length (floor 0.2), weights from a coarser grid.
BEFORE = {"centrality_weight": 0.8, "full_length": 16, "length_exponent": 0.25, "length_floor": 0.2}
BEFORE_GRID = {
    "centrality_weight": (0.0, 0.4, 0.8, 1.6),
    "full_length": (8, 16, 32),
    "length_exponent": (0.0, 0.25, 0.5),
    "position_exponent": (0.5, 1.0),
    "length_floor": (0.2,),
}
# ... and the method before searched as widely as ours (its exponent over the range where it is not far worse).
BEFORE_WIDE_GRID = {**GRID, "length_exponent": (0.0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5), "length_floor": (0.2,)}
# For the sensitivity check: each default moved along its grid row (and the position exponent, not searched).
NEIGHBOURS = {**GRID, "position_exponent": (0.35, 0.5, 0.65, 0.8)}


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


def random_folds(n: int, k: int, repeats: int) -> list[list[int]]:
    """`repeats` random splits of n articles into k folds, as the fold of each article (seeded)."""
    rng = random.Random(0)
    splits = []
    for _ in range(repeats):
        order = list(range(n))
        rng.shuffle(order)
        fold = [0] * n
        for position, i in enumerate(order):
            fold[i] = position % k
        splits.append(fold)
    return splits


def grid_neighbours(configs: list[tuple[int, ...]]) -> list[list[int]]:
    """For each grid point (as value indexes), itself and the points one step away in any weights."""
    where = {c: i for i, c in enumerate(configs)}
    near = []
    for c in configs:
        steps = itertools.product((-1, 0, 1), repeat=len(c))
        near.append([where[t] for t in (tuple(x + d for x, d in zip(c, step)) for step in steps) if t in where])
    return near


def nested(r1: list[list[float]], fold: list[int], neighbours=None) -> tuple[list[int], list[int]]:
    """For each article the config chosen on the other folds only, and the picks.

    Without neighbours the config with the best mean ROUGE-1 on the training articles; with them the config whose
    grid neighbourhood has the best mean (a plateau rather than a lone peak)."""
    n = len(fold)
    held = [0] * n
    picks = []
    for f in sorted(set(fold)):
        train = [i for i in range(n) if fold[i] != f]
        fit = [sum(row[i] for i in train) for row in r1]
        if neighbours is not None:
            fit = [statistics.mean(fit[j] for j in near) for near in neighbours]
        best = max(range(len(r1)), key=lambda c: (fit[c], -c))
        picks.append(best)
        for i in range(n):
            if fold[i] == f:
                held[i] = best
    return held, picks


def spread(values: list[float]) -> str:
    """Mean, standard deviation and range of a list of figures."""
    return (
        f"{statistics.mean(values):+.2f} (sd {statistics.pstdev(values):.2f}, {min(values):+.2f} to {max(values):+.2f})"
    )


def cross_validated_report(data, repeats: int) -> None:
    """Nested cross-validation of ours and of the method before, beside the lead; then the sensitivity."""
    articles = [(sentences_of(article), refs, summary_length(refs)) for _, article, refs in data]
    ref_counts = [[Counter(rouge_tokens(r)) for r in refs] for _, refs, _ in articles]
    leads = [scores(s, refs, lead(s, k)) for s, refs, k in articles]
    rows = {"first-k (lead)": mean_scores(leads)}
    for label, summarizer in (
        ("ours, shipped defaults", ExtractiveSummarizer()),
        ("before", ExtractiveSummarizer(**BEFORE)),
    ):
        rows[f"{label} (fixed, in-sample)"] = mean_scores(
            [scores(s, refs, summarizer.select(s, "ar", k)) for s, refs, k in articles]
        )
    rules = {
        "ours": (("best point", False), ("plateau", True)),
        "before": (("best point", False),),
        "before, wide grid": (("best point", False), ("plateau", True)),
    }
    for label, grid in (("ours", GRID), ("before", BEFORE_GRID), ("before, wide grid", BEFORE_WIDE_GRID)):
        print(f"\n{label}: weights chosen among {math.prod(map(len, grid.values()))} combinations of {grid}")
        rows.update(nested_report(label, grid, rules[label], articles, ref_counts, leads, repeats))
    table("Nested cross-validation: the weights chosen on the training articles only", rows)
    sensitivity_report(articles, ref_counts, leads)


def nested_report(
    label, grid, rules, articles, ref_counts, leads, repeats: int, make=ExtractiveSummarizer
) -> dict[str, dict[str, float]]:
    """Leave-one-out and repeated k-fold figures of choosing the weights in grid by each rule (the summarizer made
    by make(**weights)); prints the gains."""
    points = list(itertools.product(*(range(len(v)) for v in grid.values())))
    configs = [{name: grid[name][j] for name, j in zip(grid, point)} for point in points]
    neighbours = grid_neighbours(points)
    chosen = [[make(**c).select(s, "ar", k) for s, _, k in articles] for c in configs]
    r1 = [[fast_rouge1(s, rc, ch) for (s, _, _), rc, ch in zip(articles, ref_counts, row)] for row in chosen]
    n = len(articles)
    lead_r1 = mean_scores(leads)["rouge1"]

    def held_scores(held: list[int]) -> list[dict[str, float]]:
        return [scores(articles[i][0], articles[i][1], chosen[c][i]) for i, c in enumerate(held)]

    def short(config: dict) -> str:
        return ", ".join(f"{name} {value}" for name, value in config.items() if len(grid[name]) > 1)

    rows = {}
    for rule, smooth in rules:
        near = neighbours if smooth else None
        name = f"{label}, {rule}"
        held, picks = nested(r1, list(range(n)), near)
        loo = held_scores(held)
        rows[f"{name}, leave-one-out"] = mean_scores(loo)
        gains = [h["rouge1"] - b["rouge1"] for h, b in zip(loo, leads)]
        wins, losses = sum(g > 1e-9 for g in gains), sum(g < -1e-9 for g in gains)
        print(
            f"{name}, leave-one-out: above the lead on {wins} articles, below on {losses}, equal on "
            f"{n - wins - losses}; gain {interval(gains)}; {len(set(picks))} distinct choice(s)"
        )
        for k in (5, 3):
            per_split = []
            all_picks: Counter = Counter()
            for fold in random_folds(n, k, repeats):
                held, picks = nested(r1, fold, near)
                all_picks.update(picks)
                per_split.append(mean_scores(held_scores(held)))
            rows[f"{name}, {k}-fold x {repeats}"] = mean_scores(per_split)
            print(
                f"{name}, {k}-fold x {repeats} random splits: R-1 gain over the lead "
                f"{spread([x['rouge1'] - lead_r1 for x in per_split])}; {len(all_picks)} distinct choice(s) in "
                f"{sum(all_picks.values())} folds, most often "
                + "; ".join(f"({short(configs[c])}) {m}x" for c, m in all_picks.most_common(2))
            )
        fit = [statistics.mean(row) for row in r1]
        if near is not None:
            fit = [statistics.mean(fit[j] for j in group) for group in near]
        print(
            f"{name}, chosen on all {n} articles: {short(configs[max(range(len(configs)), key=lambda c: (fit[c], -c))])}"
        )
    return rows


def sensitivity_report(articles, ref_counts, leads) -> None:
    """The gain over the lead with one default moved at a time: a broad plateau generalises, a lone peak does not."""
    lead_r1 = statistics.mean(b["rouge1"] for b in leads)
    base = ExtractiveSummarizer()
    print("\nSensitivity: R-1 gain over the lead (whole dev set) with one default moved (* = the default)\n")
    for name, values in NEIGHBOURS.items():
        cells = []
        for value in values:
            summarizer = dataclasses.replace(base, **{name: value})
            r1 = statistics.mean(
                fast_rouge1(s, rc, summarizer.select(s, "ar", k)) for (s, _, k), rc in zip(articles, ref_counts)
            )
            mark = "*" if value == getattr(base, name) else ""
            cells.append(f"{value}{mark}: {r1 - lead_r1:+.2f}")
        print(f"- {name}: " + ", ".join(cells))


def speed_report(data) -> None:
    """CPU milliseconds per article for select() (sentences already split), ours beside the method before."""
    articles = [(sentences_of(article), summary_length(refs)) for _, article, refs in data]
    times: dict[str, list[float]] = {"ours": [], "before": []}
    summarizers = {"ours": ExtractiveSummarizer(), "before": ExtractiveSummarizer(**BEFORE)}
    for round_ in range(10):  # alternated, CPU time: the machine may be shared
        for name in ("ours", "before") if round_ % 2 else ("before", "ours"):
            start = time.process_time()
            for sentences, k in articles:
                summarizers[name].select(sentences, "ar", k)
            times[name].append(1000 * (time.process_time() - start) / len(articles))
    print(
        "\nSpeed (CPU ms per article for select(), median of 10 rounds over the 30 articles): "
        + ", ".join(f"{name} {statistics.median(values):.2f}" for name, values in times.items())
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=default_eval_dir("easc-dev"))
    parser.add_argument("--repeats", type=int, default=20, help="random k-fold splits (default 20)")
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
    cross_validated_report(data, args.repeats)
    speed_report(data)
    wrapped_report(data, ours)


if __name__ == "__main__":
    main()
