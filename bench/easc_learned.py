"""Supervised sentence scorers (Kupiec-style) on EASC under nested cross-validation, beside the lead.

Usage: python bench/easc_learned.py [--eval-dir ../shared/eval/easc-dev] [--repeats 20] [--label contained|oracle]
                                    [--models NAME ...] [--bagged]

Tried against the shipped method of bench/easc_rouge.py and not kept (figures in bench/README.md). Each sentence
gets features that do not depend on the topic (position, centrality, similarity to the first sentence, length
against the article's mean, digits, words shared with the rest); its label is the share of the five reference
summaries that contain it (60% of its word bigrams), or with --label oracle the share of the references whose
greedy ROUGE-1 oracle of k sentences keeps it. An L2-regularised linear model is fitted with numpy: pointwise
(logistic regression on the soft label) or pairwise (logistic regression on the feature differences of two
sentences of one article whose labels differ by more than 0.2), optionally shrunk to the lead (its standardised
score plus a weight times the standardised lead prior). The top k sentences by score are kept with the
summarizer's near-duplicate rule; or ("expected F1") the k sentences whose expected ROUGE-1 F1 is best, the
pointwise model's probabilities standing for the chance that a reference contains each sentence, and the
reference taken as r times k mean sentences long. Everything is chosen inside the training articles of each
outer fold: the regularisation, the lead-prior weight, r and, for the compact models, the mix of position and
centrality, by the ROUGE-1 of an inner 5-fold cross-validation. Outer: leave-one-out and 20 random 5- and 3-fold splits (the seeds
of easc_rouge.py, so the shipped method's figures there are on the same splits), each model's gain also given
minus the shipped method's on the same folds. --bagged: the shipped method's grid choice bagged over bootstrap
samples of the training articles (the sentences kept most often win).
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import statistics
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import easc_rouge as er
from summarizer.summarize.extractive import ExtractiveSummarizer, _cosine, _tfidf
from summarizer.textnorm import content_words, rouge_tokens

FEATURES = (
    "lead",  # 1 / sqrt(position + 1), the shipped lead prior
    "first",  # the first sentence
    "relpos",  # position / (n - 1)
    "central",  # TF-IDF cosine to the article's centroid
    "sim_first",  # TF-IDF cosine to the first sentence (the headline or lead)
    "short",  # min(1, content words / 24)
    "long",  # max(0, log(length / mean length))
    "shortrel",  # max(0, -log(length / mean length))
    "digits",  # share of tokens with a digit
    "overlap",  # share of the sentence's content words found in another sentence
    "leadcent0.5",  # log(lead + c * central) for c = 0.5, 1, 2: the shipped score's mix, c chosen inside the fold
    "leadcent1",
    "leadcent2",
)
GENERIC = ("lead", "first", "relpos", "central", "sim_first", "short", "long", "shortrel", "digits", "overlap")
COMPACT = [(f"leadcent{c}", "short", "long", "shortrel") for c in ("0.5", "1", "2")]
# The weight of the lead prior added to the model's score (both standardised) when shrinking towards the lead.
SHRINK = (0.0, 0.5, 1.0, 2.0)
# name: (fit, alternative feature sets, lead-prior weights: the inner cross-validation chooses among them)
MODELS = {
    "pointwise, generic features": ("pointwise", [GENERIC], (0.0,)),
    "pairwise, generic features": ("pairwise", [GENERIC], (0.0,)),
    "pointwise, compact": ("pointwise", COMPACT, (0.0,)),
    "pairwise, compact": ("pairwise", COMPACT, (0.0,)),
    "pointwise, generic, shrunk to the lead": ("pointwise", [GENERIC], SHRINK),
    "pairwise, generic, shrunk to the lead": ("pairwise", [GENERIC], SHRINK),
    # pointwise probabilities, the k sentences chosen for the best expected F1; "alpha" is the reference length
    "pointwise, generic, expected F1": ("expected F1", [GENERIC], (0.5, 0.75, 1.0, 1.5)),
}
# The label of a sentence: the share of the references that contain it, or whose ROUGE-1 oracle keeps it.
LABELS = {"contained": lambda s, refs, k: labels(s, refs), "oracle": lambda s, refs, k: oracle_labels(s, refs, k)}
LAMBDAS = (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)


def features(sentences: list[str], language: str = "ar") -> tuple[np.ndarray, list[dict[str, float]]]:
    """One row of FEATURES per sentence, and the TF-IDF vectors."""
    n = len(sentences)
    words = [content_words(s, language) for s in sentences]
    vectors = _tfidf(words)
    centroid: dict[str, float] = {}
    for v in vectors:
        for w, x in v.items():
            centroid[w] = centroid.get(w, 0.0) + x
    mean_length = max(1.0, sum(len(w) for w in words) / n)
    df = Counter(w for ws in words for w in set(ws))
    rows = []
    for i, s in enumerate(sentences):
        rel = max(len(words[i]), 1) / mean_length
        tokens = s.split()
        lead, central = 1 / math.sqrt(i + 1), _cosine(vectors[i], centroid)
        rows.append(
            [
                lead,
                float(i == 0),
                i / max(1, n - 1),
                central,
                _cosine(vectors[i], vectors[0]) if i else 1.0,
                min(1.0, len(words[i]) / 24),
                max(0.0, math.log(rel)),
                max(0.0, -math.log(rel)),
                sum(any(c.isdigit() for c in t) for t in tokens) / max(1, len(tokens)),
                sum(df[w] > 1 for w in set(words[i])) / max(1, len(set(words[i]))),
                *(math.log(lead + c * central) for c in (0.5, 1.0, 2.0)),
            ]
        )
    return np.array(rows), vectors


def oracle_labels(sentences: list[str], refs: list[str], k: int) -> np.ndarray:
    """The share of the references whose greedy ROUGE-1 oracle of up to k sentences keeps the sentence."""
    tokens = [Counter(rouge_tokens(s)) for s in sentences]
    out = np.zeros(len(sentences))
    for ref in refs:
        target = Counter(rouge_tokens(ref))

        def f1(summary: Counter, target: Counter = target) -> float:
            overlap, total = sum((summary & target).values()), sum(summary.values())
            return 2 * overlap / (total + sum(target.values())) if total else 0.0

        chosen: list[int] = []
        summary: Counter = Counter()
        while len(chosen) < min(k, len(sentences)):
            best = max((i for i in range(len(sentences)) if i not in chosen), key=lambda i: f1(summary + tokens[i]))
            if f1(summary + tokens[best]) <= f1(summary):
                break
            chosen.append(best)
            summary += tokens[best]
        out[chosen] += 1 / len(refs)
    return out


def labels(sentences: list[str], refs: list[str]) -> np.ndarray:
    """The share of the references that contain the sentence (60% of its word bigrams or more)."""
    ref_bigrams = [set(itertools.pairwise(t)) for t in map(rouge_tokens, refs)]
    out = []
    for s in sentences:
        t = rouge_tokens(s)
        b = set(itertools.pairwise(t))
        out.append(statistics.mean(float(bool(b) and len(b & r) >= 0.6 * len(b)) for r in ref_bigrams))
    return np.array(out)


def choose(scores: np.ndarray, vectors, k: int, threshold: float = 0.8) -> tuple[int, ...]:
    """The top k by score without near-duplicates, in document order (the summarizer's rule)."""
    n = len(scores)
    if k >= n:
        return tuple(range(n))
    chosen: list[int] = []
    for i in sorted(range(n), key=lambda j: (-scores[j], j)):
        if len(chosen) == k:
            break
        if not any(_cosine(vectors[i], vectors[j]) >= threshold for j in chosen):
            chosen.append(i)
    chosen += [i for i in range(n) if i not in chosen][: k - len(chosen)]
    return tuple(sorted(chosen))


def fit_logistic(x: np.ndarray, y: np.ndarray, lam: float, iterations: int = 30) -> np.ndarray:
    """L2-regularised logistic regression on soft labels by Newton's method; the intercept is not penalised."""
    xb = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(xb.shape[1])
    penalty = np.full(xb.shape[1], lam)
    penalty[0] = 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-xb @ w))
        grad = xb.T @ (p - y) + penalty * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def fit_pairwise(articles: list[tuple[np.ndarray, np.ndarray]], lam: float) -> np.ndarray:
    """Logistic regression on feature differences of same-article pairs whose labels differ by more than 0.2."""
    diffs, ys = [], []
    for x, y in articles:
        for a in range(len(y)):
            for b in range(len(y)):
                if y[a] > y[b] + 0.2:
                    diffs += [x[a] - x[b], x[b] - x[a]]
                    ys += [1.0, 0.0]
    w = fit_logistic(np.array(diffs), np.array(ys), lam)
    w[0] = 0.0
    return w


def expected_f1_choice(p: np.ndarray, length: np.ndarray, vectors, k: int, reference: float) -> tuple[int, ...]:
    """The k sentences with the best expected ROUGE-1 F1, 2 sum(p n) / (sum(n) + R), by Dinkelbach's iteration.

    p: the predicted chance that a reference contains the sentence, n: its length in words, R: the reference's
    expected length, `reference` times k times the article's mean sentence length."""
    target = reference * k * float(length.mean())
    ratio = 0.0
    chosen: tuple[int, ...] = ()
    for _ in range(20):
        chosen = choose((p - ratio) * length, vectors, k)
        new = float(sum(p[i] * length[i] for i in chosen) / (sum(length[i] for i in chosen) + target))
        if abs(new - ratio) < 1e-9:
            break
        ratio = new
    return chosen


class Data:
    """The dev articles with their features, labels and ROUGE-1 of any choice (memoised)."""

    def __init__(self, eval_dir: Path, label: str = "contained"):
        self.arts = []
        for _, article, refs in er.load(eval_dir):
            s = er.sentences_of(article)
            x, vectors = features(s)
            counts = [Counter(rouge_tokens(r)) for r in refs]
            self.arts.append({"s": s, "refs": refs, "k": er.summary_length(refs), "x": x, "v": vectors,
                              "y": LABELS[label](s, refs, er.summary_length(refs)), "rc": counts,
                              "len": np.array([len(rouge_tokens(x)) for x in s], dtype=float)})  # fmt: skip
        self.n = len(self.arts)
        self._r1: dict[tuple[int, tuple[int, ...]], float] = {}

    def pick(self, i: int, model) -> tuple[int, ...]:
        """The sentences the fitted model keeps for article i."""
        cols, w, mu, sd, alpha, scale, lead_mu, lead_sd, fit = model
        a = self.arts[i]
        raw = np.hstack([np.ones((len(a["s"]), 1)), (a["x"][:, cols] - mu) / sd]) @ w
        if fit == "expected F1":
            return expected_f1_choice(1 / (1 + np.exp(-raw)), a["len"], a["v"], a["k"], alpha)
        return choose(raw / scale + alpha * (a["x"][:, 0] - lead_mu) / lead_sd, a["v"], a["k"])

    def r1(self, i: int, chosen: tuple[int, ...]) -> float:
        """ROUGE-1 of a choice for article i."""
        if (i, chosen) not in self._r1:
            self._r1[i, chosen] = er.fast_rouge1(self.arts[i]["s"], self.arts[i]["rc"], chosen)
        return self._r1[i, chosen]


def fit_standardised(xs: list[np.ndarray], ys: list[np.ndarray], lam: float, fit: str):
    """Weights fitted on the documents' standardised features (pairwise within a document, else pointwise), and
    the standardisation (mean, sd)."""
    x = np.vstack(xs)
    mu, sd = x.mean(0), x.std(0) + 1e-9
    if fit == "pairwise":  # (anything else: pointwise)
        w = fit_pairwise([((xd - mu) / sd, yd) for xd, yd in zip(xs, ys)], lam)
    else:
        w = fit_logistic((x - mu) / sd, np.concatenate(ys), lam)
    return w, mu, sd


def train(data: Data, idx: list[int], cols: list[int], lam: float, alpha: float, fit: str):
    """The model fitted on articles idx: columns, weights, standardisation, lead-prior weight and scales."""
    xs = [data.arts[i]["x"][:, cols] for i in idx]
    w, mu, sd = fit_standardised(xs, [data.arts[i]["y"] for i in idx], lam, fit)
    x = np.vstack(xs)
    scale = float((((x - mu) / sd) @ w[1:]).std()) + 1e-9
    lead = np.concatenate([data.arts[i]["x"][:, 0] for i in idx])
    return cols, w, mu, sd, alpha, scale, float(lead.mean()), float(lead.std()), fit


def choose_config(data: Data, idx: list[int], configs, fit: str, inner: int = 5):
    """The (columns, lambda, lead-prior weight) with the best inner 5-fold ROUGE-1 on the articles idx only."""
    folds = [idx[f::inner] for f in range(inner)]

    def value(config) -> float:
        total = 0.0
        for f in folds:
            model = train(data, [i for i in idx if i not in f], *config, fit)
            total += sum(data.r1(i, data.pick(i, model)) for i in f)
        return total

    return max(configs, key=value)


def nested(data: Data, fold: list[int], configs, fit: str):
    """For each article the sentences kept by a model chosen and fitted on the other folds only; the choices."""
    held: list[tuple[int, ...]] = [()] * data.n
    picks = []
    for f in sorted(set(fold)):
        train_idx = [i for i in range(data.n) if fold[i] != f]
        config = choose_config(data, train_idx, configs, fit)
        picks.append(config)
        model = train(data, train_idx, *config, fit)
        for i in range(data.n):
            if fold[i] == f:
                held[i] = data.pick(i, model)
    return held, picks


class Shipped:
    """The shipped method with its weights chosen as easc_rouge.py does (best grid point on the training folds)."""

    def __init__(self, data: Data):
        grid = er.GRID
        summarizers = [ExtractiveSummarizer(**dict(zip(grid, v))) for v in itertools.product(*grid.values())]
        self.chosen = [[tuple(m.select(a["s"], "ar", a["k"])) for a in data.arts] for m in summarizers]
        self.r1 = [[data.r1(i, c) for i, c in enumerate(row)] for row in self.chosen]

    def held(self, fold: list[int]) -> list[tuple[int, ...]]:
        """For each article the sentences kept with the weights chosen on the other folds."""
        return [self.chosen[c][i] for i, c in enumerate(er.nested(self.r1, fold)[0])]


def bagged_report(data: Data, repeats: int, bags: int = 25) -> str:
    """The shipped method's grid choice bagged: for each held-out article, `bags` bootstrap samples of the
    training articles each choose easc_rouge's best grid point, and the k sentences they keep most often win."""
    shipped = Shipped(data)
    chosen, r1 = shipped.chosen, shipped.r1

    def held_out(fold: list[int]) -> list[tuple[int, ...]]:
        rng = random.Random(0)
        held = []
        for i, a in enumerate(data.arts):
            train_idx = [j for j in range(data.n) if fold[j] != fold[i]]
            votes: Counter = Counter()
            for _ in range(bags):
                sample = [rng.choice(train_idx) for _ in train_idx]
                best = max(range(len(r1)), key=lambda c: (sum(r1[c][j] for j in sample), -c))
                votes.update(chosen[best][i])
            top = sorted(range(len(a["s"])), key=lambda j: (-votes[j], j))[: a["k"]]
            held.append(tuple(sorted(top)))
        return held

    lead = statistics.mean(data.r1(i, tuple(er.lead(a["s"], a["k"]))) for i, a in enumerate(data.arts))

    def gain(held) -> float:
        return statistics.mean(data.r1(i, c) for i, c in enumerate(held)) - lead

    line = [
        f"shipped method, grid choice bagged ({bags} bootstraps): leave-one-out {gain(held_out(list(range(data.n)))):+.2f}"
    ]
    for k in (5, 3):
        line.append(
            f"{k}-fold x {repeats} {er.spread([gain(held_out(f)) for f in er.random_folds(data.n, k, repeats)])}"
        )
    return "; ".join(line)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=er.default_eval_dir("easc-dev"))
    parser.add_argument("--repeats", type=int, default=20, help="random k-fold splits (default 20)")
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--label", default="contained", choices=list(LABELS))
    parser.add_argument("--bagged", action="store_true", help="also the shipped method's grid choice, bagged")
    args = parser.parse_args(argv)
    data = Data(args.eval_dir, args.label)

    def rouge(held) -> dict[str, float]:
        return er.mean_scores([er.scores(a["s"], a["refs"], c) for a, c in zip(data.arts, held)])

    shipped = Shipped(data)

    def versus_shipped(held: list[tuple[int, ...]], fold: list[int]) -> float:
        return statistics.mean(data.r1(i, c) - data.r1(i, s) for i, (c, s) in enumerate(zip(held, shipped.held(fold))))

    lead_choice = [tuple(er.lead(a["s"], a["k"])) for a in data.arts]
    lead = rouge(lead_choice)
    rows = {"first-k (lead)": lead}
    gains_text = []
    for name in args.models:
        fit, sets, alphas = MODELS[name]
        configs = [([FEATURES.index(f) for f in s], lam, a) for s in sets for lam in LAMBDAS for a in alphas]
        held, picks = nested(data, list(range(data.n)), configs, fit)
        rows[f"{name}, leave-one-out"] = loo = rouge(held)
        loo_fold = list(range(data.n))
        shipped_loo = shipped.held(loo_fold)
        paired = [data.r1(i, c) - data.r1(i, s) for i, (c, s) in enumerate(zip(held, shipped_loo))]
        line = [f"{name}: leave-one-out {loo['rouge1'] - lead['rouge1']:+.2f}"]
        versus = [f"  minus the shipped method (same folds): leave-one-out {er.interval(paired)}"]
        for k in (5, 3):
            splits, differences = [], []
            for fold in er.random_folds(data.n, k, args.repeats):
                held_k = nested(data, fold, configs, fit)[0]
                splits.append(rouge(held_k))
                differences.append(versus_shipped(held_k, fold))
            rows[f"{name}, {k}-fold x {args.repeats}"] = er.mean_scores(splits)
            line.append(f"{k}-fold x {args.repeats} {er.spread([s['rouge1'] - lead['rouge1'] for s in splits])}")
            versus.append(f"{k}-fold x {args.repeats} {er.spread(differences)}")
        cols, lam, alpha = choose_config(data, list(range(data.n)), configs, fit)
        w = train(data, list(range(data.n)), cols, lam, alpha, fit)[1]
        weights = ", ".join(f"{FEATURES[c]} {v:+.2f}" for c, v in zip(cols, w[1:]))
        gains_text.append(
            "; ".join(line)
            + "\n"
            + "; ".join(versus)
            + f"\n  leave-one-out choices {Counter((FEATURES[c[0]], lam, a) for c, lam, a in picks)}"
            f"\n  on all {data.n}: lambda {lam}, lead-prior weight (expected F1: reference length) {alpha}, standardised weights {weights}"
        )
        print(gains_text[-1], flush=True)
    if args.bagged:
        gains_text.append(bagged_report(data, args.repeats))
        print(gains_text[-1], flush=True)
    er.table("Nested cross-validation, ROUGE F1 x100 (mean over 5 references)", rows)
    print("\nR-1 gain over the lead (k-fold: mean, sd and range over the splits)\n")
    print("\n".join(gains_text))


if __name__ == "__main__":
    main()
