"""Position-aware directed centrality (PacSum) in the extractive summary: nested cross-validation on EASC, unseen English.

Usage: python bench/summary_directed.py [--eval-dir ../shared/eval/easc-dev] [--cache ~/.cache/summarizer-bench/registry]
                                        [--repeats 20] [--limit N]

Tried against the shipped method and not kept (figures in bench/README.md). PacSum (Zheng and Lapata, ACL 2019,
"Sentence Centrality Revisited for Unsupervised Summarization") scores a sentence by its edges in the sentence
similarity graph, split by direction: lambda1 x the edges to earlier sentences + lambda2 x the edges to later ones
(lambda1 + lambda2 = 1; lambda1 small or negative, so a sentence that later ones echo is central and one that echoes
earlier ones is not). Edges: the TF-IDF cosine between sentences (the shipped term vectors), less a threshold
min + beta x (max - min) over the article's pairs, floored at 0. The directed score is scaled to [0, 1] per article
(min-max: with lambda1 < 0 it can be negative, and the shipped discounts multiply the score, which would turn them
into bonuses on a negative one). Two variants, every other shipped rule kept (short-sentence and length
preferences, unterminated lines and quotes, redundancy, headline echo):

* (a) the directed score in place of the cosine to the article's centroid, beside the lead prior;
* (b) pure PacSum: no lead prior (position_weight 0), the directed score alone.

(a) is also run with the length weights searched too, and with the directed score divided by its largest
magnitude instead of min-max (a check that the scaling is not what decides).

EASC: each grid run through bench/easc_rouge.py's nested cross-validation (best point on the training articles,
leave-one-out and the same seeded 5- and 3-fold x 20 splits), beside the shipped method's own 336-point grid on
the same folds (paired differences) and the shipped centroid on (a)'s centrality weights alone. Unseen: the
configuration each chooses on all 30 EASC articles, scored once on bench/summary_unseen.py's English sets; and
turned round, the configuration chosen on CNN/DailyMail scored on EASC.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import itertools
import statistics
import sys
import time
import types
from collections import Counter
from pathlib import Path

import numpy as np
from rouge_score import tokenize
from rouge_score.tokenizers import porter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import easc_rouge as er
import summary_unseen as su
from summarizer.summarize.extractive import Article, ExtractiveSummarizer
from summarizer.textnorm import rouge_tokens

# lambda1 (edges to earlier sentences; lambda2 = 1 - lambda1) and the edge threshold beta, as in the paper's search.
DIRECTED = {"lambda1": (-1.0, -0.5, 0.0, 0.5), "beta": (0.0, 0.3, 0.6)}
FIXED = {"full_length": (24,), "length_exponent": (0.5,)}
GRIDS = {
    "shipped (centroid), its 336-point grid": er.GRID,
    "shipped (centroid), centrality 0.6/1.0/1.4 only": {"centrality_weight": (0.6, 1.0, 1.4), **FIXED},
    "(a) directed in place of the centroid": {"centrality_weight": (0.6, 1.0, 1.4), **DIRECTED, **FIXED},
    "(a) directed, length weights searched too": {
        "centrality_weight": (0.6, 1.0, 1.4),
        **DIRECTED,
        "full_length": (16, 24, 32),
        "length_exponent": (0.25, 0.5, 0.75),
    },
    "(a) directed, scaled by its largest magnitude": {
        "centrality_weight": (0.6, 1.0, 1.4),
        **DIRECTED,
        **FIXED,
        "scale": ("max",),
    },
    "(b) pure PacSum (no lead prior)": {"position_weight": (0.0,), **DIRECTED, **FIXED},
}
SHIPPED = "shipped (centroid), its 336-point grid"


@dataclasses.dataclass
class Prepared:
    """What select() needs of an article whatever the weights: the shipped reading, the sentence similarity matrix,
    the directed scores computed so far."""

    article: Article
    similarity: np.ndarray
    directed: dict[tuple[float, float, str], np.ndarray] = dataclasses.field(default_factory=dict)


_PREPARED: dict[tuple[str, tuple[str, ...]], Prepared] = {}


@dataclasses.dataclass(frozen=True)
class DirectedSummarizer(ExtractiveSummarizer):
    """The shipped summarizer with PacSum's directed centrality in place of the centroid cosine (centroid: shipped)."""

    centrality: str = "directed"
    lambda1: float = 0.0
    beta: float = 0.0
    # "minmax": the directed score scaled to [0, 1]; "max": divided by its largest magnitude (kept signed).
    scale: str = "minmax"
    name: str = "directed"

    def prepare(self, sentences: list[str], language: str) -> Prepared:
        """The article's weight-independent parts, computed once (the grid reuses them)."""
        key = (language, tuple(sentences))
        if key not in _PREPARED:
            article = self.read(sentences, language)
            n = len(sentences)
            similarity = np.zeros((n, n))
            for i in range(n):
                for j in range(i + 1, n):
                    similarity[i, j] = similarity[j, i] = article.similarity(i, j)
            _PREPARED[key] = Prepared(article, similarity)
        return _PREPARED[key]

    def directed_centrality(self, prepared: Prepared) -> np.ndarray:
        """lambda1 x thresholded edges to earlier sentences + (1 - lambda1) x those to later ones, scaled."""
        key = (self.lambda1, self.beta, self.scale)
        if key not in prepared.directed:
            sim = prepared.similarity
            n = len(sim)
            pairs = sim[~np.eye(n, dtype=bool)]
            low, high = pairs.min(), pairs.max()
            edges = np.clip(sim - (low + self.beta * (high - low)), 0.0, None)
            score = self.lambda1 * np.tril(edges, -1).sum(axis=1) + (1 - self.lambda1) * np.triu(edges, 1).sum(axis=1)
            if self.scale == "max":
                top = np.abs(score).max()
                prepared.directed[key] = score / top if top > 0 else score
            else:
                span = score.max() - score.min()
                prepared.directed[key] = (score - score.min()) / span if span > 0 else np.zeros(n)
        return prepared.directed[key]

    def select(self, sentences: list[str], language: str, k: int) -> list[int]:
        """Indexes of the k best sentences, in document order (the shipped rules, the centrality term swapped)."""
        if k >= len(sentences):
            return list(range(len(sentences)))
        p = self.prepare(sentences, language)
        central = None if self.centrality == "centroid" else list(self.directed_centrality(p))
        return self.choose(p.article, self.scores(p.article, central), k)


def summarizers(grid: dict) -> list[DirectedSummarizer]:
    """One summarizer per grid point, in easc_rouge's order (the last weight varies fastest)."""
    centrality = "directed" if "lambda1" in grid else "centroid"
    return [DirectedSummarizer(centrality=centrality, **dict(zip(grid, v))) for v in itertools.product(*grid.values())]


def label(summarizer: DirectedSummarizer, grid: dict) -> str:
    """The searched weights of a grid point."""
    return ", ".join(f"{name} {getattr(summarizer, name)}" for name in grid if len(grid[name]) > 1)


# rouge-score's Porter stemmer, memoised (stemming is most of the tokenizing time).
_STEMMER = types.SimpleNamespace(stem=functools.lru_cache(maxsize=None)(porter.PorterStemmer().stem))


@functools.cache
def english_tokens(text: str) -> Counter:
    """summary_unseen's ROUGE tokens (rouge-score's tokenizer, Porter-stemmed), counted."""
    return Counter(tokenize.tokenize(text, _STEMMER))


def english_r1(sentences: list[str], reference: str, chosen: list[int]) -> float:
    """ROUGE-1 F1 x100 as summary_unseen.scores computes it, faster (for the choice on CNN/DailyMail)."""
    summary = sum((english_tokens(sentences[i]) for i in chosen), Counter())
    target = english_tokens(reference)
    overlap, total = sum((summary & target).values()), sum(summary.values())
    return 200 * overlap / (total + sum(target.values())) if total else 0.0


def check_equal(articles, docs) -> None:
    """The centroid variant must choose exactly what the shipped summarizer does (only centrality is swapped)."""
    shipped, mine = ExtractiveSummarizer(), DirectedSummarizer(centrality="centroid")
    for s, _, k in articles:
        assert shipped.select(s, "ar", k) == mine.select(s, "ar", k)
    for s, _, k in docs:
        assert shipped.select(s, "en", k) == mine.select(s, "en", k)


def easc_report(articles, repeats: int) -> dict[str, DirectedSummarizer]:
    """Nested cross-validation of every grid on EASC, paired with the shipped grid on the same folds."""
    n = len(articles)
    ref_counts = [[Counter(rouge_tokens(r)) for r in refs] for _, refs, _ in articles]
    lead = [er.scores(s, refs, er.lead(s, k)) for s, refs, k in articles]
    lead_r1 = statistics.mean(er.fast_rouge1(s, rc, er.lead(s, k)) for (s, _, k), rc in zip(articles, ref_counts))
    splits = {"leave-one-out": [list(range(n))]}
    for folds in (5, 3):
        splits[f"{folds}-fold x {repeats}"] = er.random_folds(n, folds, repeats)
    held: dict[str, dict[str, list[list[dict]]]] = {}
    on_all = {}
    print(
        f"EASC dev: {n} articles, ROUGE F1 x100 (mean over 5 references); the lead: R-1 {er.mean_scores(lead)['rouge1']:.2f}"
    )
    for name, grid in GRIDS.items():
        models = summarizers(grid)
        chosen = [[m.select(s, "ar", k) for s, _, k in articles] for m in models]
        r1 = [[er.fast_rouge1(s, rc, ch) for (s, _, _), rc, ch in zip(articles, ref_counts, row)] for row in chosen]
        held[name] = {}
        for split, folds in splits.items():
            held[name][split] = []
            for fold in folds:
                configs = er.nested(r1, fold)[0]
                held[name][split].append(
                    [er.scores(s, refs, chosen[c][i]) for i, (c, (s, refs, _)) in enumerate(zip(configs, articles))]
                )
        fit = [statistics.mean(row) for row in r1]
        on_all[name] = models[max(range(len(models)), key=lambda c: (fit[c], -c))]
        loo_picks = Counter(label(models[c], grid) for c in er.nested(r1, list(range(n)))[1])
        print(f"\n{name}: {len(models)} grid points {grid}")
        print(f"  chosen on all {n}: {label(on_all[name], grid)} (in-sample gain {max(fit) - lead_r1:+.2f})")
        print(f"  leave-one-out choices: {dict(loo_picks.most_common(3))}")
        for split, runs in held[name].items():
            gains = [statistics.mean(h["rouge1"] - b["rouge1"] for h, b in zip(run, lead)) for run in runs]
            versus = [
                statistics.mean(h["rouge1"] - s["rouge1"] for h, s in zip(run, ship))
                for run, ship in zip(runs, held[SHIPPED][split])
            ]
            means = er.mean_scores([er.mean_scores(run) for run in runs])
            figures = f"R-1/R-2/R-L {means['rouge1']:.2f} / {means['rouge2']:.2f} / {means['rougeL']:.2f}"
            if split == "leave-one-out":
                run, ship = runs[0], held[SHIPPED][split][0]
                gain = er.interval([h["rouge1"] - b["rouge1"] for h, b in zip(run, lead)])
                minus = er.interval([h["rouge1"] - s["rouge1"] for h, s in zip(run, ship)])
                print(f"  {split}: {figures}; minus the lead {gain}; minus shipped {minus}")
            else:
                print(f"  {split}: {figures}; minus the lead {er.spread(gains)}; minus shipped {er.spread(versus)}")
    return on_all


def unseen_report(paths, chosen: dict[str, DirectedSummarizer], limit: int | None) -> None:
    """The configurations chosen on all of EASC, scored once on the English sets, minus the lead and the shipped."""
    # The shipped rows choose the shipped defaults on EASC: one row for them.
    methods = {"shipped defaults": ExtractiveSummarizer(), **{n: m for n, m in chosen.items() if n.startswith("(")}}
    for name in su.SETS:
        docs = [(er.sentences_of(d), ref, su.reference_length(ref)) for _, d, ref in su.load(paths[name])[:limit]]
        lead = [su.scores(s, ref, er.lead(s, k)) for s, ref, k in docs]
        rows, same = {}, {}
        for method, summarizer in methods.items():
            picks = [summarizer.select(s, "en", k) for s, _, k in docs]
            rows[method] = [su.scores(s, ref, c) for (s, ref, _), c in zip(docs, picks)]
            same[method] = sum(c == er.lead(s, k) for (s, _, k), c in zip(docs, picks)) / len(docs)
        print(
            f"\n{su.TITLES[name]}: {len(docs)} documents; lead R-1/R-2/R-L {' / '.join(f'{v:.2f}' for v in er.mean_scores(lead).values())}"
        )
        for method, values in rows.items():
            m = er.mean_scores(values)
            line = f"- {method}: {m['rouge1']:.2f} / {m['rouge2']:.2f} / {m['rougeL']:.2f} (the lead's sentences {100 * same[method]:.0f}%); "
            line += f"minus the lead {er.interval([v['rouge1'] - b['rouge1'] for v, b in zip(values, lead)])}"
            if method != "shipped defaults":
                diff = [v["rouge1"] - s["rouge1"] for v, s in zip(values, rows["shipped defaults"])]
                line += f"; minus shipped {er.interval(diff)}"
            print(line)


def transfer_report(cnn_docs, articles) -> None:
    """Each grid's best point on CNN/DailyMail, scored on the EASC articles (which that choice never saw)."""
    print(
        f"\nTurned round: chosen on the {len(cnn_docs)} CNN/DailyMail articles, scored on the {len(articles)} EASC articles"
    )
    lead_en = statistics.mean(english_r1(s, ref, er.lead(s, k)) for s, ref, k in cnn_docs)
    lead = [er.scores(s, refs, er.lead(s, k))["rouge1"] for s, refs, k in articles]
    picked = {}
    for name, grid in GRIDS.items():
        models = summarizers(grid)
        fit = [statistics.mean(english_r1(s, ref, m.select(s, "en", k)) for s, ref, k in cnn_docs) for m in models]
        best = max(range(len(models)), key=lambda c: (fit[c], -c))
        picked[name] = [er.scores(s, refs, models[best].select(s, "ar", k))["rouge1"] for s, refs, k in articles]
        line = f"- {name}: chosen {label(models[best], grid)} (on CNN/DM {fit[best] - lead_en:+.2f} in-sample); on EASC minus the lead {er.interval([a - b for a, b in zip(picked[name], lead)])}"
        if name != SHIPPED:
            line += f"; minus shipped (its grid chosen on CNN/DM) {er.interval([a - b for a, b in zip(picked[name], picked[SHIPPED])])}"
        print(line)


def speed_report(articles) -> None:
    """CPU milliseconds per EASC article for select(), shipped beside directed (its article cache emptied first)."""
    shipped, directed = ExtractiveSummarizer(), DirectedSummarizer(lambda1=-0.5)
    times: dict[str, list[float]] = {"shipped": [], "directed": []}
    for round_ in range(10):  # alternated, CPU time: the machine may be shared
        for name in ("shipped", "directed") if round_ % 2 else ("directed", "shipped"):
            _PREPARED.clear()
            start = time.process_time()
            for s, _, k in articles:
                (shipped if name == "shipped" else directed).select(s, "ar", k)
            times[name].append(1000 * (time.process_time() - start) / len(articles))
    print(
        "\nSpeed (CPU ms per EASC article for select(), median of 10 rounds): "
        + ", ".join(f"{name} {statistics.median(values):.2f}" for name, values in times.items())
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=er.default_eval_dir("easc-dev"))
    parser.add_argument("--cache", type=Path, default=su.DEFAULT_CACHE)
    parser.add_argument("--repeats", type=int, default=20, help="random k-fold splits (default 20)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N documents of each English set")
    args = parser.parse_args(argv)
    start = time.time()
    articles = [(er.sentences_of(a), refs, er.summary_length(refs)) for _, a, refs in er.load(args.eval_dir)]
    paths = su.fetch(args.cache)
    cnn = [(er.sentences_of(d), ref, su.reference_length(ref)) for _, d, ref in su.load(paths["cnn_dm"])[: args.limit]]
    check_equal(articles, cnn)
    chosen = easc_report(articles, args.repeats)
    print(f"\n({time.time() - start:.0f} s)")
    unseen_report(paths, chosen, args.limit)
    print(f"\n({time.time() - start:.0f} s)")
    transfer_report(cnn, articles)
    speed_report(articles)
    print(f"\nRun time {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
