"""ROUGE of the extractive summary against the lead on text it never saw: XSum, CNN/DailyMail, WikiLingua.

Usage: python bench/summary_unseen.py [--cache ~/.cache/summarizer-bench/registry]
                                      [--set xsum|cnn_dm|wikilingua_en ...] [--limit N] [--transfer | --pooled]

Data: PyPI `bigbench==1.0.0` (the BIG-bench benchmark, Apache-2.0) ships
English articles with human summaries in three tasks; two are GEM's (each the
first 1,001 of GEM's test split):

* `gem/xsum`: BBC news articles (2010-2017; GEM gives the data as CC BY-SA
  4.0), each with its human summary, the one-sentence introduction the BBC's
  journalists wrote above the article (XSum removed it from the article, so
  the summary is abstractive and the article's first sentence is not it).
* `factuality_of_summary/cnn_dm.json`: 150 CNN and Daily Mail articles with
  their highlights (the 3-4 bullet points the papers' journalists wrote above
  each, one a line; the task adds model summaries, which are not used). The
  Hugging Face card of CNN/DailyMail gives it as Apache-2.0 (TFDS: no known
  licence); the articles are the papers'. Captions ("Scroll down for
  video") are left in the text, as in the original set.
* `gem/wikilingua_en`: WikiHow guides (CC BY-NC-SA 3.0), each with its
  human summary, the headlines of its steps (3-6 sentences as a rule). Not
  news: the lead matters less there, so it shows the method off its home
  ground.

The sdist (358 MB) is downloaded once into the cache, the three files are taken
out (their SHA-256 checked) and the archive deleted.

Nothing here is tuned: the weights of the shipped summarizer were fitted on
the 30 EASC dev articles (Arabic) and are only scored here. Sentences come
from the service's segmenter; summary length k = the reference's length in
sentences (as bench/easc_rouge.py does); ROUGE F1 x 100 with rouge-score's
tokenizer and Porter stemmer (the usual setting for these sets; English only,
so the Arabic-keeping tokenizer is not needed). Then the per-article gain over
the lead with a 95% bootstrap interval, and the extractive ceiling (the k
sentences that best match the reference, chosen by reading it).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import statistics
import subprocess
import sys
import tarfile
import time
from collections import Counter
from pathlib import Path

from rouge_score import rouge_scorer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import easc_rouge
from easc_rouge import BEFORE, interval, lead, mean_scores, sentences_of
from summarizer.segment import split_sentences
from summarizer.summarize.extractive import ExtractiveSummarizer
from summarizer.textnorm import rouge_tokens

BIGBENCH = "bigbench==1.0.0"
# Set -> (file in the sdist, its SHA-256).
SETS = {
    "xsum": (
        "bigbench-1.0.0/bigbench/benchmark_tasks/gem/xsum/task.json",
        "927d7a4c6ec326b79b41537538ac49525541a32e1e5bc0787bea3f2879ca8fb9",
    ),
    "cnn_dm": (
        "bigbench-1.0.0/bigbench/benchmark_tasks/factuality_of_summary/cnn_dm.json",
        "bda75e253182ef78185688e7434bfcbb99c26164a6741b98fa14a7a8f826ecb3",
    ),
    "wikilingua_en": (
        "bigbench-1.0.0/bigbench/benchmark_tasks/gem/wikilingua_en/task.json",
        "f805809664173074f6d6ea942d5bd08d9b8b8eb7e1cefea2471c870a6217dd67",
    ),
}
TITLES = {
    "xsum": "GEM XSum (BBC news)",
    "cnn_dm": "CNN/DailyMail (the factuality task's articles)",
    "wikilingua_en": "GEM WikiLingua, English (WikiHow guides)",
}
# The same cache as bench/langid_udhr.py (outside git).
DEFAULT_CACHE = Path.home() / ".cache" / "summarizer-bench" / "registry"
METRICS = ("rouge1", "rouge2", "rougeL")
_SCORER = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)


def fetch(cache: Path) -> dict[str, Path]:
    """The task files of BIG-bench by set, taken out of the pinned sdist the first time."""
    cache.mkdir(parents=True, exist_ok=True)
    paths = {name: cache / f"bigbench-1.0.0-{name}.json" for name in SETS}
    if not all(path.exists() for path in paths.values()):
        tarball = cache / "bigbench-1.0.0.tar.gz"
        if not tarball.exists():
            pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary=:all:", BIGBENCH]
            subprocess.run([*pip, "-d", str(cache)], check=True)
        with tarfile.open(tarball) as archive:
            for name, (member, _) in SETS.items():
                data = archive.extractfile(member)
                assert data is not None, member
                paths[name].write_bytes(data.read())
        tarball.unlink()  # 358 MB, of which only these files are read
    for name, path in paths.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != SETS[name][1]:
            raise SystemExit(f"{path}: SHA-256 {digest}, expected {SETS[name][1]}")
    return paths


def load(path: Path) -> list[tuple[str, str, str]]:
    """(id, document, reference summary) for every example of a GEM task or of the factuality task's JSON lines."""
    text = path.read_text(encoding="utf-8")
    if text.startswith("#"):  # two comment lines (the canary), then one article a line
        rows = [json.loads(line) for line in text.splitlines() if line.strip() and not line.startswith("#")]
        return [(row["idx"], row["source"], row["true_cnd"]) for row in rows]
    return [(e["comment"], e["input"], e["target"]) for e in json.loads(text)["examples"]]


def reference_length(reference: str) -> int:
    """The reference's length in sentences (CNN/DailyMail's highlights are one a line, some unpunctuated)."""
    return max(1, sum(max(1, len(split_sentences(line))) for line in reference.splitlines() if line.strip()))


def scores(sentences: list[str], reference: str, chosen: list[int]) -> dict[str, float]:
    """ROUGE F1 x100 of the chosen sentences against the reference."""
    summary = " ".join(sentences[i] for i in chosen)
    result = _SCORER.score(reference, summary)
    return {name: 100 * result[name].fmeasure for name in METRICS}


def oracle(sentences: list[str], reference: str, k: int, rouge1=None) -> list[int]:
    """The k sentences picked greedily for the best ROUGE-1 against the reference: the extractive ceiling.
    rouge1(sorted indexes), when given, stands for rouge-score's ROUGE-1 (a faster equal one)."""
    if rouge1 is None:

        def rouge1(chosen: list[int]) -> float:
            return scores(sentences, reference, chosen)["rouge1"]

    chosen: list[int] = []
    for _ in range(min(k, len(sentences))):
        rest = [i for i in range(len(sentences)) if i not in chosen]
        chosen.append(max(rest, key=lambda i: (rouge1(sorted([*chosen, i])), -i)))
    return sorted(chosen)


def report(name: str, data: list[tuple[str, str, str]]) -> None:
    """The lead, the shipped summarizer, the method before and the ceiling on one set; the gains over the lead."""
    methods = {
        "first-k (lead)": None,
        "ours, shipped defaults": ExtractiveSummarizer(),
        "before": ExtractiveSummarizer(**BEFORE),
    }
    rows: dict[str, list[dict[str, float]]] = {method: [] for method in [*methods, "ceiling"]}
    picks: dict[str, list[list[int]]] = {method: [] for method in rows}
    sizes = []
    for _, document, reference in data:
        sentences = sentences_of(document)
        k = reference_length(reference)
        sizes.append((len(sentences), k))
        for method, summarizer in methods.items():
            chosen = lead(sentences, k) if summarizer is None else summarizer.select(sentences, "en", k)
            rows[method].append(scores(sentences, reference, chosen))
            picks[method].append(chosen)
        best = oracle(sentences, reference, k)
        rows["ceiling"].append(scores(sentences, reference, best))
        picks["ceiling"].append(best)
    n = len(data)
    print(
        f"\n{name} from {BIGBENCH}: {n} documents, {statistics.mean(s for s, _ in sizes):.1f} sentences and "
        f"k = {statistics.mean(k for _, k in sizes):.2f} on average (k = 1 for {sum(k == 1 for _, k in sizes)}); "
        "ROUGE F1 x100 (rouge-score, stemmed)\n"
    )
    print("| method | R-1 | R-2 | R-L | same sentences as the lead |")
    print("|---|---|---|---|---|")
    leads = picks["first-k (lead)"]
    for method, values in rows.items():
        m = mean_scores(values)
        same = sum(p == q for p, q in zip(picks[method], leads)) / n
        label = "ceiling: the best ROUGE-1 sentences (reads the reference)" if method == "ceiling" else method
        print(f"| {label} | {m['rouge1']:.2f} | {m['rouge2']:.2f} | {m['rougeL']:.2f} | {100 * same:.0f}% |")
    print()
    base = rows["first-k (lead)"]
    for method in ("ours, shipped defaults", "before"):
        for metric in METRICS:
            gains = [a[metric] - b[metric] for a, b in zip(rows[method], base)]
            wins, losses = sum(g > 1e-9 for g in gains), sum(g < -1e-9 for g in gains)
            label = interval(gains).replace("R-1", metric.replace("rouge", "R-"))
            print(f"{method} minus the lead, {label}; above on {wins}, below on {losses}, equal on {n - wins - losses}")
    gains = [a["rouge1"] - b["rouge1"] for a, b in zip(rows["ours, shipped defaults"], rows["before"])]
    print(f"ours minus before, {interval(gains)}")


def transfer_report(data: list[tuple[str, str, str]], eval_dir: Path) -> None:
    """The grid's weights chosen on one English set, scored on the EASC dev articles (never seen by the choice)."""
    grid = easc_rouge.GRID
    configs = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    english = [(sentences_of(d), ref, reference_length(ref)) for _, d, ref in data]
    lead_r1 = [scores(s, ref, lead(s, k))["rouge1"] for s, ref, k in english]

    def fit(config: dict) -> float:
        summarizer = ExtractiveSummarizer(**config)
        ours = [scores(s, ref, summarizer.select(s, "en", k))["rouge1"] for s, ref, k in english]
        return statistics.mean(ours) - statistics.mean(lead_r1)

    fits = [fit(c) for c in configs]
    ranked = sorted(range(len(configs)), key=lambda c: (-fits[c], c))
    arabic = [(sentences_of(a), refs, easc_rouge.summary_length(refs)) for _, a, refs in easc_rouge.load(eval_dir)]
    print(f"\nWeights chosen on {len(data)} English documents, scored on the {len(arabic)} EASC dev articles\n")
    print("| rank on the English set | weights | R-1 gain there | R-1 gain on EASC (95% bootstrap) |")
    print("|---|---|---|---|")
    for rank, c in enumerate(ranked[:3], 1):
        summarizer = ExtractiveSummarizer(**configs[c])
        gains = [
            easc_rouge.scores(s, refs, summarizer.select(s, "ar", k))["rouge1"]
            - easc_rouge.scores(s, refs, lead(s, k))["rouge1"]
            for s, refs, k in arabic
        ]
        print(f"| {rank} | {configs[c]} | {fits[c]:+.2f} | {interval(gains)} |")


def grid_picks(sentences: list[str], language: str, k: int, summarizers: list) -> list[tuple[int, ...]]:
    """What summarizer.select(sentences, language, k) returns for each of summarizers (which differ only in
    centrality_weight, full_length and length_exponent), reading the article once."""
    if k >= len(sentences):
        return [tuple(range(len(sentences)))] * len(summarizers)
    article = summarizers[0].read(sentences, language)
    return [tuple(s.choose(article, s.scores(article), k)) for s in summarizers]


def counts_rouge1(counts: list[Counter], refs: list[Counter], chosen) -> float:
    """ROUGE-1 F1 x100 of the chosen sentences (their token counts) averaged over the references, as rouge-score."""
    summary: Counter = Counter()
    for i in chosen:
        summary.update(counts[i])
    total = sum(summary.values())
    values = []
    for ref in refs:
        overlap = sum((summary & ref).values())
        p, r = overlap / max(total, 1), overlap / max(sum(ref.values()), 1)
        values.append(2 * p * r / (p + r) if p + r > 0 else 0.0)
    return 100 * statistics.mean(values)


def pooled_domains(paths: dict[str, Path], eval_dir: Path, limit: int | None) -> dict[str, list[tuple]]:
    """Per domain, each document as (sentences, language, k, token counts per sentence, reference token counts,
    exact ROUGE-1 of chosen indexes): EASC with easc_rouge's ROUGE, the English sets with rouge-score's."""
    domains: dict[str, list[tuple]] = {"EASC dev (ar)": []}
    for _, article, refs in easc_rouge.load(eval_dir):
        s = sentences_of(article)
        exact = lambda chosen, s=s, refs=refs: easc_rouge.scores(s, refs, chosen)["rouge1"]
        counts = [Counter(rouge_tokens(x)) for x in s]
        domains["EASC dev (ar)"].append(
            (s, "ar", easc_rouge.summary_length(refs), counts, [Counter(rouge_tokens(r)) for r in refs], exact)
        )
    tokenize = _SCORER._tokenizer.tokenize  # rouge-score's own (stemmed), token by token: sentences can be summed
    for name, label in (("cnn_dm", "CNN/DailyMail"), ("xsum", "XSum"), ("wikilingua_en", "WikiLingua")):
        domains[label] = []
        for _, document, ref in load(paths[name])[:limit]:
            s = sentences_of(document)
            exact = lambda chosen, s=s, ref=ref: scores(s, ref, chosen)["rouge1"]
            counts = [Counter(tokenize(x)) for x in s]
            domains[label].append((s, "en", reference_length(ref), counts, [Counter(tokenize(ref))], exact))
    return domains


def pooled_report(paths: dict[str, Path], eval_dir: Path, limit: int | None) -> None:
    """The grid's weights chosen on all domains but one (best mean gain, best minimum gain), scored on that one."""
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    grid = easc_rouge.GRID
    assert set(grid) == {"centrality_weight", "full_length", "length_exponent"}, "grid_picks shares the rest"
    configs = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    summarizers = [ExtractiveSummarizer(**c) for c in configs]
    domains = pooled_domains(paths, eval_dir, limit)
    # gains[domain][config] = per-document R-1 gains over the lead; picks kept for the check below.
    gains: dict[str, list[list[float]]] = {}
    picks: dict[str, list[list[tuple[int, ...]]]] = {}
    for name, docs in domains.items():
        per_doc = [grid_picks(s, language, k, summarizers) for s, language, k, _, _, _ in docs]
        leads = [counts_rouge1(counts, refs, lead(s, k)) for s, _, k, counts, refs, _ in docs]
        memo: dict[tuple[int, tuple[int, ...]], float] = {}
        rows = []
        for c in range(len(configs)):
            row = []
            for d, (_, _, _, counts, refs, _) in enumerate(docs):
                key = (d, per_doc[d][c])
                if key not in memo:
                    memo[key] = counts_rouge1(counts, refs, per_doc[d][c])
                row.append(memo[key] - leads[d])
            rows.append(row)
        gains[name], picks[name] = rows, per_doc
    # The shortcut against the real thing: select() and the exact ROUGE on random (document, point) pairs.
    rng = random.Random(0)
    checked = 0
    for name, docs in domains.items():
        for _ in range(300):
            d, c = rng.randrange(len(docs)), rng.randrange(len(configs))
            s, language, k, counts, refs, exact = docs[d]
            chosen = summarizers[c].select(s, language, k)
            assert tuple(chosen) == picks[name][d][c], (name, d, configs[c])
            assert abs(exact(chosen) - counts_rouge1(counts, refs, chosen)) < 1e-9, (name, d, configs[c])
            assert abs(exact(chosen) - exact(lead(s, k)) - gains[name][c][d]) < 1e-9, (name, d, configs[c])
            checked += 1
    mean_gain = {name: [statistics.mean(row) for row in rows] for name, rows in gains.items()}
    names = list(domains)
    shipped = configs.index({name: getattr(ExtractiveSummarizer(), name) for name in grid})

    def short(c: int) -> str:
        return ", ".join(str(v) for v in configs[c].values())

    def cell(values: list[float]) -> str:
        return interval(values).replace(" R-1 (95% bootstrap interval ", " (")

    def best(over: list[str], rule) -> int:
        fits = [rule([mean_gain[name][c] for name in over]) for c in range(len(configs))]
        return max(range(len(configs)), key=lambda c: (fits[c], -c))

    rules = {"best mean": statistics.mean, "best minimum": min}
    sizes = ", ".join(f"{name} {len(docs)}" for name, docs in domains.items())
    print(f"\nWeights ({', '.join(grid)}) chosen among the {len(configs)} grid points on all domains but one")
    print("(each domain weighs the same), scored on the one left out; R-1 gain over the lead")
    print(f"Documents: {sizes}")
    print(f"({checked} random (document, point) pairs checked against select() and the exact ROUGE: all equal)\n")
    print(
        "| held out | rule | chosen on the others | there: mean / minimum | chosen, on the held-out domain (95%) "
        "| shipped defaults there (95%) | chosen minus shipped (95%) |"
    )
    print("|---|---|---|---|---|---|---|")
    english = [name for name in names if domains[name][0][1] == "en"]
    for held in names:
        others = [name for name in names if name != held]
        choices = [(rule, others, combine) for rule, combine in rules.items()]
        if held in english:  # weights for English input alone: chosen on the other English sets only
            choices.append(("best mean, English sets only", [n for n in english if n != held], statistics.mean))
        for rule, others, combine in choices:
            c = best(others, combine)
            there = [mean_gain[name][c] for name in others]
            diff = [a - b for a, b in zip(gains[held][c], gains[held][shipped])]
            print(
                f"| {held} | {rule} | {short(c)} | {statistics.mean(there):+.2f} / {min(there):+.2f} "
                f"| {cell(gains[held][c])} "
                f"| {cell(gains[held][shipped])} "
                f"| {cell(diff)} |"
            )
    print(f"\nIn-sample on all {len(names)} domains (mean R-1 gain over the lead per domain):\n")
    print(f"| point | weights | {' | '.join(names)} | mean | minimum | rank by mean |")
    print(f"|---|---|{'---|' * len(names)}---|---|---|")
    ranked = sorted(range(len(configs)), key=lambda c: (-statistics.mean(mean_gain[n][c] for n in names), c))
    for label, c in (
        ("shipped defaults (fitted on EASC)", shipped),
        *((f"{rule} over all four", best(names, combine)) for rule, combine in rules.items()),
    ):
        values = [mean_gain[name][c] for name in names]
        cells = " | ".join(f"{v:+.2f}" for v in values)
        print(
            f"| {label} | {short(c)} | {cells} | {statistics.mean(values):+.2f} | {min(values):+.2f} "
            f"| {ranked.index(c) + 1} of {len(configs)} |"
        )
    pooled_folds_report(gains, [short(c) for c in range(len(configs))])
    print(f"\nRun time: {time.perf_counter() - start_wall:.0f} s wall, {time.process_time() - start_cpu:.0f} s CPU")


def held_out_choices(rows: list[list[float]], others: list[list[float]], fold: list[int], parts: int) -> dict:
    """Per rule, the mean held-out gain of the grid points chosen on the training parts (on them alone, or pooled
    with the other domains' mean gains, others), and the point chosen for each part: {rule: (gain, [points])}."""
    n, configs = len(rows[0]), range(len(rows))
    rules = ("alone", "best mean", "best minimum")
    picked: dict[str, list[int]] = {rule: [0] * n for rule in rules}
    per_part: dict[str, list[int]] = {rule: [] for rule in rules}
    for f in range(parts):
        train = [i for i in range(n) if fold[i] != f]
        mean = [statistics.mean(row[i] for i in train) for row in rows]
        fits = {
            "alone": mean,
            "best mean": [statistics.mean([mean[c], *(o[c] for o in others)]) for c in configs],
            "best minimum": [min(mean[c], *(o[c] for o in others)) for c in configs],
        }
        for rule, fit in fits.items():
            best = max(configs, key=lambda c: (fit[c], -c))
            per_part[rule].append(best)
            for i in range(n):
                if fold[i] == f:
                    picked[rule][i] = best
    return {rule: (statistics.mean(rows[c][i] for i, c in enumerate(picked[rule])), per_part[rule]) for rule in rules}


def pooled_folds_report(gains: dict[str, list[list[float]]], labels: list[str], repeats: int = 20) -> None:
    """Each domain's weights chosen inside 5-fold cross-validation on its own documents: on its training folds
    alone (as the shipped weights were chosen on EASC), or with the other domains pooled in; scored on the rest;
    labels name the grid points (the most frequent choice is shown). EASC also leave-one-out and 3-fold."""
    names = list(gains)
    print(f"\nCross-validated inside each domain (5-fold x {repeats} random splits, seeded; mean and sd of the R-1")
    print("gain over the lead on the held-out folds): the weights chosen on the training folds alone, or on them")
    print("pooled with the other three domains (whole; each domain weighs the same)\n")
    print("| domain | training folds alone | pooled, best mean | pooled, best minimum |")
    print("|---|---|---|---|")
    easc: list[str] = []
    for held in names:
        rows = gains[held]
        others = [[statistics.mean(row) for row in gains[name]] for name in names if name != held]
        n = len(rows[0])
        schemes = [(5, "5-fold")] + ([(n, "leave-one-out"), (3, "3-fold")] if held.startswith("EASC") else [])
        for parts, scheme in schemes:
            folds = [list(range(n))] if parts == n else easc_rouge.random_folds(n, parts, repeats)
            results: dict[str, list[float]] = {}
            choices: dict[str, Counter] = {}
            for fold in folds:
                for rule, (gain, chosen) in held_out_choices(rows, others, fold, parts).items():
                    results.setdefault(rule, []).append(gain)
                    choices.setdefault(rule, Counter()).update(chosen)
            cells = []
            for rule, values in results.items():
                top, times = choices[rule].most_common(1)[0]
                sd = f" (sd {statistics.pstdev(values):.2f})" if len(values) > 1 else ""
                cells.append(f"{statistics.mean(values):+.2f}{sd}; {labels[top]} in {times} of {choices[rule].total()}")
            if scheme == "5-fold":
                print(f"| {held} | {' | '.join(cells)} |")
            else:
                easc.append(f"| {held}, {scheme} | {' | '.join(cells)} |")
    print("\nThe same on EASC, leave-one-out and 3-fold x 20:\n")
    print("| domain | training folds alone | pooled, best mean | pooled, best minimum |")
    print("|---|---|---|---|")
    print("\n".join(easc))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--set", choices=sorted(SETS), action="append", help="one set (default: all three)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N documents of each (a quick look)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--transfer", action="store_true", help="weights chosen on CNN/DailyMail (whatever --set says), scored on EASC"
    )
    mode.add_argument(
        "--pooled", action="store_true", help="weights chosen on EASC and the three sets but one, scored on that one"
    )
    parser.add_argument("--eval-dir", type=Path, default=easc_rouge.default_eval_dir("easc-dev"))
    args = parser.parse_args(argv)
    paths = fetch(args.cache)
    if args.pooled:
        pooled_report(paths, args.eval_dir, args.limit)
        return
    if args.transfer:
        transfer_report(load(paths["cnn_dm"])[: args.limit], args.eval_dir)
        return
    for name in args.set or list(SETS):
        report(TITLES[name], load(paths[name])[: args.limit])


if __name__ == "__main__":
    main()
