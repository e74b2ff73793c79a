"""A sentence scorer learned on English human summaries, tested once on the EASC dev articles, which it never saw.

Usage: python bench/summary_transfer.py [--cache ~/.cache/summarizer-bench/registry] [--eval-dir ../shared/eval/easc-dev]
                                        [--limit N] [--skip-easc]

The scorers of bench/easc_learned.py (its features, which do not depend on the language or the topic; pointwise
and pairwise L2-regularised logistic regression; generic and compact feature sets; the top k sentences kept with
the summarizer's near-duplicate rule) are fitted on the English sets of bench/summary_unseen.py only: XSum,
CNN/DailyMail and WikiLingua. Label of a sentence: 1 if the greedy ROUGE-1 oracle of k sentences against the
English reference keeps it (summary_unseen.oracle's choice, rouge-score tokens, stemmed), else 0. The references
are abstractive (XSum's one-sentence introduction, CNN/DailyMail's highlights, WikiLingua's step headlines), so
easc_learned's "contained in the reference" label would be 0 almost everywhere; the oracle is the usual label for
extractive training against abstractive references, and it is the k-sentence set that the ROUGE-1 test rewards.

Two experiments, every choice made on English data only:

* EASC: per model, the training sets (any non-empty combination of the three), the compact set's mix of lead
  and centrality and the regularisation are chosen by ROUGE-1 on CNN/DailyMail documents held out of training
  (5 folds; the other folds and the other chosen sets train), CNN/DailyMail being the English set most like EASC
  (news, multi-sentence summaries, a strong lead). Each of the four models is then fitted on all of its chosen
  sets and scored once on the 30 EASC dev articles (features with language "ar", easc_rouge's Arabic-keeping
  ROUGE and summary length); the model with the best held-out CNN/DailyMail figure is the one to quote. All four
  EASC figures are printed: the choice among them is not made on EASC.
* CNN/DailyMail: trained on XSum and WikiLingua (features and regularisation chosen by 5-fold ROUGE-1 on their
  documents), scored on the 150 CNN/DailyMail articles (summary_unseen's rouge-score scorer).

Both beside the lead and the shipped ExtractiveSummarizer() on the same documents, with 95% bootstrap intervals
over documents. Documents of over MAX_TRAIN_SENTENCES sentences are left out of training (one XSum page, a
programme's list of clips, splits into 1,309), never out of a test.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import statistics
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rouge_score import tokenize
from rouge_score.tokenizers import porter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import easc_learned as el
import easc_rouge as er
import summary_unseen as su
from summarizer.summarize.extractive import ExtractiveSummarizer

SETS = ("xsum", "cnn_dm", "wikilingua_en")
SHORT = {"xsum": "XSum", "cnn_dm": "CNN/DM", "wikilingua_en": "WikiLingua"}
# Every non-empty combination of the English sets, as training data for the EASC model.
COMBOS = [c for r in (1, 2, 3) for c in itertools.combinations(SETS, r)]
# name: (fit, alternative feature sets); the cross-validation chooses among the sets and LAMBDAS.
MODELS = {
    "pointwise, generic": ("pointwise", [el.GENERIC]),
    "pairwise, generic": ("pairwise", [el.GENERIC]),
    "pointwise, compact": ("pointwise", el.COMPACT),
    "pairwise, compact": ("pairwise", el.COMPACT),
}
# easc_learned's values and a stronger one: the English training sets are 5 to 400 times larger than EASC's.
LAMBDAS = (*el.LAMBDAS, 10000.0)
MAX_TRAIN_SENTENCES = 200
FOLDS = 5


class _Stemmer:
    """rouge-score's Porter stemmer, memoised (stemming is most of the tokenizing time)."""

    def __init__(self) -> None:
        self.stem = functools.lru_cache(maxsize=None)(porter.PorterStemmer().stem)


def _tokens(text: str) -> Counter:
    """The ROUGE tokens of summary_unseen's scorer (rouge-score's tokenizer, stemmed), counted."""
    return Counter(tokenize.tokenize(text, _STEMMER))


_STEMMER = _Stemmer()


@dataclass
class Doc:
    """An English document: sentences, k, features, TF-IDF vectors, oracle labels, ROUGE-1 of any choice."""

    sentences: list[str]
    reference: str
    k: int
    x: np.ndarray = field(init=False)
    vectors: list = field(init=False)
    y: np.ndarray = field(init=False)
    _r1: dict = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.x, self.vectors = el.features(self.sentences, "en")
        self.tokens = [_tokens(s) for s in self.sentences]
        self.target = _tokens(self.reference)
        self.y = np.zeros(len(self.sentences))
        self.y[list(self.oracle())] = 1.0

    def r1(self, chosen: tuple[int, ...]) -> float:
        """ROUGE-1 F1 x100 of the chosen sentences (equal to rouge-score's on the joined summary)."""
        if chosen not in self._r1:
            summary = sum((self.tokens[i] for i in chosen), Counter())
            overlap, total = sum((summary & self.target).values()), sum(summary.values())
            self._r1[chosen] = 200 * overlap / (total + sum(self.target.values())) if total else 0.0
        return self._r1[chosen]

    def oracle(self) -> tuple[int, ...]:
        """summary_unseen.oracle's choice (k sentences added greedily for the best ROUGE-1), with the memoised r1."""
        return tuple(su.oracle(self.sentences, self.reference, self.k, lambda chosen: self.r1(tuple(chosen))))


def english(paths: dict[str, Path], limit: int | None) -> dict[str, list[Doc]]:
    """The documents of each English set."""
    out = {}
    for name in SETS:
        data = su.load(paths[name])[:limit]
        out[name] = [Doc(er.sentences_of(d), ref, su.reference_length(ref)) for _, d, ref in data]
    return out


def train(docs: list[Doc], cols: list[int], lam: float, fit: str):
    """A model fitted on the documents (those of at most MAX_TRAIN_SENTENCES): columns, weights, standardisation."""
    docs = [d for d in docs if len(d.sentences) <= MAX_TRAIN_SENTENCES]
    w, mu, sd = el.fit_standardised([d.x[:, cols] for d in docs], [d.y for d in docs], lam, fit)
    return cols, w, mu, sd


def pick(model, x: np.ndarray, vectors, k: int) -> tuple[int, ...]:
    """The k sentences the model keeps (top scores, near-duplicates skipped, document order)."""
    cols, w, mu, sd = model
    return el.choose(((x[:, cols] - mu) / sd) @ w[1:], vectors, k)


def folds_of(n: int) -> list[int]:
    """A seeded random split of n documents into FOLDS folds, as each document's fold."""
    return er.random_folds(n, FOLDS, 1)[0]


def configs_of(sets) -> list[tuple[list[int], float]]:
    """Every (feature columns, lambda) the cross-validation chooses among."""
    return [([el.FEATURES.index(f) for f in s], lam) for s in sets for lam in LAMBDAS]


def cnn_cv(docs: dict[str, list[Doc]], combo, cols, lam, fit) -> float:
    """Mean ROUGE-1 on CNN/DailyMail documents held out of training (5 folds), trained on the combination."""
    cnn = docs["cnn_dm"]
    others = [d for name in combo if name != "cnn_dm" for d in docs[name]]
    if "cnn_dm" not in combo:  # nothing of CNN/DailyMail in training: one fit, every article held out
        model = train(others, cols, lam, fit)
        return statistics.mean(d.r1(pick(model, d.x, d.vectors, d.k)) for d in cnn)
    return pooled_cv(cnn, cols, lam, fit, others)


def pooled_cv(docs: list[Doc], cols, lam, fit, also: list[Doc] | None = None) -> float:
    """Mean ROUGE-1 over the documents, each scored by a model trained on the other folds (5 folds) and on also."""
    fold = folds_of(len(docs))
    total = 0.0
    for f in range(FOLDS):
        model = train([*(also or []), *(d for d, g in zip(docs, fold) if g != f)], cols, lam, fit)
        total += sum(d.r1(pick(model, d.x, d.vectors, d.k)) for d, g in zip(docs, fold) if g == f)
    return total / len(docs)


def weights_text(model) -> str:
    """The standardised weights by feature."""
    cols, w, _, _ = model
    return ", ".join(f"{el.FEATURES[c]} {v:+.2f}" for c, v in zip(cols, w[1:]))


def easc_experiment(docs: dict[str, list[Doc]], eval_dir: Path | None) -> None:
    """Each model's training sets and settings chosen on CNN/DailyMail held out, then one look at EASC (if given)."""
    cnn = docs["cnn_dm"]
    cnn_lead = statistics.mean(d.r1(tuple(er.lead(d.sentences, d.k))) for d in cnn)
    print("\n## The EASC model: choices by ROUGE-1 on CNN/DailyMail held out of training (5 folds)\n")
    shipped_cnn = statistics.mean(d.r1(tuple(ExtractiveSummarizer().select(d.sentences, "en", d.k))) for d in cnn)
    print(
        "R-1 gain over the lead on the held-out CNN/DailyMail articles, best features and lambda per cell "
        f"(the shipped summarizer on the same articles: {shipped_cnn - cnn_lead:+.2f}):\n"
    )
    print("| training sets | " + " | ".join(MODELS) + " |")
    print("|---|" + "---|" * len(MODELS))
    best: dict[str, tuple] = {}
    cells: dict[tuple, str] = {}
    for combo in COMBOS:
        for name, (fit, sets) in MODELS.items():
            values = [(cnn_cv(docs, combo, cols, lam, fit), combo, cols, lam) for cols, lam in configs_of(sets)]
            top = max(values, key=lambda v: v[0])  # ties: the first (smaller lambda, first set)
            cells[combo, name] = f"{top[0] - cnn_lead:+.2f} (λ {top[3]:g}, {el.FEATURES[top[2][0]]})"
            if name not in best or top[0] > best[name][0]:
                best[name] = top
        print(f"| {' + '.join(SHORT[c] for c in combo)} | " + " | ".join(cells[combo, n] for n in MODELS) + " |")
    chosen_model = max(MODELS, key=lambda n: best[n][0])
    if eval_dir is None:
        return
    arabic = [(er.sentences_of(a), refs, er.summary_length(refs)) for _, a, refs in er.load(eval_dir)]
    shipped = ExtractiveSummarizer()
    lead_rows = [er.scores(s, refs, er.lead(s, k)) for s, refs, k in arabic]
    shipped_rows = [er.scores(s, refs, shipped.select(s, "ar", k)) for s, refs, k in arabic]
    rows = {"first-k (lead)": (er.mean_scores(lead_rows), "", "", "")}
    rows["shipped ExtractiveSummarizer()"] = (
        er.mean_scores(shipped_rows),
        er.interval([a["rouge1"] - b["rouge1"] for a, b in zip(shipped_rows, lead_rows)]),
        "",
        f"{sum(tuple(shipped.select(s, 'ar', k)) == tuple(er.lead(s, k)) for s, _, k in arabic)}",
    )
    notes = []
    for name, (fit, _) in MODELS.items():
        value, combo, cols, lam = best[name]
        model = train([d for c in combo for d in docs[c]], cols, lam, fit)
        picks = []
        for s, _, k in arabic:
            x, vectors = el.features(s, "ar")
            picks.append(pick(model, x, vectors, k))
        ours = [er.scores(s, refs, c) for (s, refs, _), c in zip(arabic, picks)]
        label = f"{name}{' **(chosen on CNN/DM)**' if name == chosen_model else ''}"
        same = sum(c == tuple(er.lead(s, k)) for c, (s, _, k) in zip(picks, arabic))
        rows[label] = table_row(ours, lead_rows, shipped_rows, str(same))
        notes.append(
            f"- {name}: trained on {' + '.join(SHORT[c] for c in combo)}, λ {lam:g}, held-out CNN/DM gain "
            f"{value - cnn_lead:+.2f}; standardised weights {weights_text(model)}"
        )
    rows = {label: (m, gain, versus, same or str(len(arabic))) for label, (m, gain, versus, same) in rows.items()}
    title = f"Scored once on the {len(arabic)} EASC dev articles (never seen; all four models shown)"
    print_table(title, f"same as the lead (of {len(arabic)})", rows, notes)


def table_row(ours: list[dict], lead_rows: list[dict], shipped_rows: list[dict], extra: str) -> tuple:
    """A print_table row: mean scores, per-document R-1 gain over the lead and over the shipped summarizer, extra."""
    return (
        er.mean_scores(ours),
        er.interval([a["rouge1"] - b["rouge1"] for a, b in zip(ours, lead_rows)]),
        er.interval([a["rouge1"] - b["rouge1"] for a, b in zip(ours, shipped_rows)]),
        extra,
    )


def print_table(title: str, last: str, rows: dict, notes: list[str]) -> None:
    """A markdown table of ROUGE rows (scores, gain over the lead, over the shipped summarizer, a last column)."""
    print(f"\n## {title}\n")
    print(f"| method | R-1 | R-2 | R-L | minus the lead, R-1 | minus shipped, R-1 | {last} |")
    print("|---|---|---|---|---|---|---|")
    for label, (m, gain, versus, extra) in rows.items():
        print(
            f"| {label} | {m['rouge1']:.2f} | {m['rouge2']:.2f} | {m['rougeL']:.2f} | {gain.replace(' R-1', '')} | "
            f"{versus.replace(' R-1', '')} | {extra} |"
        )
    print()
    print("\n".join(notes))


def cnn_experiment(docs: dict[str, list[Doc]]) -> None:
    """Trained on XSum and WikiLingua (settings by 5-fold cross-validation there), scored on CNN/DailyMail."""
    pool = docs["xsum"] + docs["wikilingua_en"]
    pool_lead = statistics.mean(d.r1(tuple(er.lead(d.sentences, d.k))) for d in pool)
    cnn = docs["cnn_dm"]
    shipped = ExtractiveSummarizer()

    def rouge(d: Doc, chosen) -> dict[str, float]:
        return su.scores(d.sentences, d.reference, list(chosen))

    lead_rows = [rouge(d, er.lead(d.sentences, d.k)) for d in cnn]
    shipped_rows = [rouge(d, shipped.select(d.sentences, "en", d.k)) for d in cnn]
    rows = {
        "first-k (lead)": (er.mean_scores(lead_rows), "", "", ""),
        "shipped ExtractiveSummarizer()": (
            er.mean_scores(shipped_rows),
            er.interval([a["rouge1"] - b["rouge1"] for a, b in zip(shipped_rows, lead_rows)]),
            "",
            "",
        ),
    }
    found = {}
    for name, (fit, sets) in MODELS.items():
        values = [(pooled_cv(pool, cols, lam, fit), cols, lam) for cols, lam in configs_of(sets)]
        found[name] = max(values, key=lambda v: v[0])
    chosen_model = max(MODELS, key=lambda n: found[n][0])
    notes = []
    for name, (fit, _) in MODELS.items():
        value, cols, lam = found[name]
        model = train(pool, cols, lam, fit)
        ours = [rouge(d, pick(model, d.x, d.vectors, d.k)) for d in cnn]
        label = f"{name}{' **(chosen by the XSum+WikiLingua cross-validation)**' if name == chosen_model else ''}"
        rows[label] = table_row(
            ours, lead_rows, shipped_rows, f"{value - pool_lead:+.2f} (λ {lam:g}, {el.FEATURES[cols[0]]})"
        )
        notes.append(f"- {name}: standardised weights {weights_text(model)}")
    title = f"Trained on XSum + WikiLingua, scored on the {len(cnn)} CNN/DailyMail articles (never seen)"
    print_table(title, "5-fold gain on XSum+WikiLingua", rows, notes)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=su.DEFAULT_CACHE)
    parser.add_argument("--eval-dir", type=Path, default=er.default_eval_dir("easc-dev"))
    parser.add_argument("--limit", type=int, default=None, help="only the first N documents of each English set")
    parser.add_argument("--skip-easc", action="store_true", help="the English choices only, EASC not looked at")
    args = parser.parse_args(argv)
    docs = english(su.fetch(args.cache), args.limit)
    sizes = ", ".join(f"{SHORT[n]} {len(d)}" for n, d in docs.items())
    print(f"English documents: {sizes}; label = membership in the greedy ROUGE-1 oracle of k sentences")
    cnn_experiment(docs)
    easc_experiment(docs, None if args.skip_easc else args.eval_dir)


if __name__ == "__main__":
    main()
