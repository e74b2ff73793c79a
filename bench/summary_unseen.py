"""ROUGE of the extractive summary against the lead on news it never saw: the GEM XSum test articles in BIG-bench.

Usage: python bench/summary_unseen.py [--cache ~/.cache/summarizer-bench/registry] [--limit N]

Data: PyPI `bigbench==1.0.0` (the BIG-bench benchmark, Apache-2.0) ships
`bigbench/benchmark_tasks/gem/xsum/task.json`: 1,001 articles of the GEM
XSum test split (BBC news, 2010-2017; GEM gives the data as CC BY-SA 4.0),
each with its human summary, the one-sentence introduction the BBC's
journalists wrote above the article (XSum removed it from the article, so the
summary is abstractive and the article's first sentence is not it). The sdist
(358 MB) is downloaded once into the cache, the one file is taken out (its
SHA-256 is checked) and the archive deleted.

Nothing here is tuned: the weights of the shipped summarizer were fitted on
the 30 EASC dev articles (Arabic) and are only scored here. Sentences come
from the service's segmenter; summary length k = the reference's length in
sentences (as bench/easc_rouge.py does; 1 for almost every article); ROUGE
F1 x 100 with rouge-score's tokenizer and Porter stemmer (the usual XSum
setting; English only, so the Arabic-keeping tokenizer is not needed). Then
the per-article gain over the lead with a 95% bootstrap interval.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tarfile
from pathlib import Path

from rouge_score import rouge_scorer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from easc_rouge import BEFORE, interval, lead, mean_scores, sentences_of
from summarizer.segment import split_sentences
from summarizer.summarize.extractive import ExtractiveSummarizer

BIGBENCH = "bigbench==1.0.0"
MEMBER = "bigbench-1.0.0/bigbench/benchmark_tasks/gem/xsum/task.json"
SHA256 = "927d7a4c6ec326b79b41537538ac49525541a32e1e5bc0787bea3f2879ca8fb9"
# The same cache as bench/langid_udhr.py (outside git).
DEFAULT_CACHE = Path.home() / ".cache" / "summarizer-bench" / "registry"
METRICS = ("rouge1", "rouge2", "rougeL")
_SCORER = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)


def fetch(cache: Path) -> Path:
    """The GEM XSum task file of BIG-bench, taken out of the pinned sdist the first time."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / "bigbench-1.0.0-gem-xsum.json"
    if not path.exists():
        tarball = cache / "bigbench-1.0.0.tar.gz"
        if not tarball.exists():
            pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary=:all:", BIGBENCH]
            subprocess.run([*pip, "-d", str(cache)], check=True)
        with tarfile.open(tarball) as archive:
            member = archive.extractfile(MEMBER)
            assert member is not None, MEMBER
            path.write_bytes(member.read())
        tarball.unlink()  # 358 MB, of which only this file is read
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{path}: SHA-256 {digest}, expected {SHA256}")
    return path


def load(path: Path) -> list[tuple[str, str, str]]:
    """(id, article, reference summary) for every example."""
    task = json.loads(path.read_text(encoding="utf-8"))
    return [(e["comment"], e["input"], e["target"]) for e in task["examples"]]


def scores(sentences: list[str], reference: str, chosen: list[int]) -> dict[str, float]:
    """ROUGE F1 x100 of the chosen sentences against the reference."""
    summary = " ".join(sentences[i] for i in chosen)
    result = _SCORER.score(reference, summary)
    return {name: 100 * result[name].fmeasure for name in METRICS}


def oracle(sentences: list[str], reference: str, k: int) -> list[int]:
    """The k sentences picked greedily for the best ROUGE-1 against the reference: the extractive ceiling."""
    chosen: list[int] = []
    for _ in range(min(k, len(sentences))):
        rest = [i for i in range(len(sentences)) if i not in chosen]
        chosen.append(max(rest, key=lambda i: (scores(sentences, reference, sorted([*chosen, i]))["rouge1"], -i)))
    return sorted(chosen)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles (a quick look)")
    args = parser.parse_args(argv)
    data = load(fetch(args.cache))[: args.limit]
    methods = {
        "first-k (lead)": None,
        "ours, shipped defaults": ExtractiveSummarizer(),
        "before": ExtractiveSummarizer(**BEFORE),
    }
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in methods}
    picks: dict[str, list[int]] = {name: [] for name in methods}
    lengths = []
    for _, article, reference in data:
        sentences = sentences_of(article)
        k = max(1, len(split_sentences(reference)))
        lengths.append((len(sentences), k))
        for name, summarizer in methods.items():
            chosen = lead(sentences, k) if summarizer is None else summarizer.select(sentences, "en", k)
            rows[name].append(scores(sentences, reference, chosen))
            picks[name].append(chosen[0] if chosen else -1)
    n = len(data)
    print(
        f"GEM XSum test articles from {BIGBENCH}: {n} articles, {statistics.mean(s for s, _ in lengths):.1f} "
        f"sentences on average, k = 1 for {sum(k == 1 for _, k in lengths)}; ROUGE F1 x100 (rouge-score, stemmed)\n"
    )
    print("| method | R-1 | R-2 | R-L | first sentence kept |")
    print("|---|---|---|---|---|")
    for name, values in rows.items():
        m = mean_scores(values)
        first = sum(p == 0 for p in picks[name]) / n
        print(f"| {name} | {m['rouge1']:.2f} | {m['rouge2']:.2f} | {m['rougeL']:.2f} | {100 * first:.0f}% |")
    best = [oracle(sentences_of(article), reference, k) for (_, article, reference), (_, k) in zip(data, lengths)]
    m = mean_scores([scores(sentences_of(a), r, c) for (_, a, r), c in zip(data, best)])
    first = sum(bool(c) and c[0] == 0 for c in best) / n
    print(
        f"| oracle: best ROUGE-1 sentences (reads the reference; the ceiling) | {m['rouge1']:.2f} | "
        f"{m['rouge2']:.2f} | {m['rougeL']:.2f} | {100 * first:.0f}% |"
    )
    print()
    base = rows["first-k (lead)"]
    for name in ("ours, shipped defaults", "before"):
        for metric in METRICS:
            gains = [a[metric] - b[metric] for a, b in zip(rows[name], base)]
            wins, losses = sum(g > 1e-9 for g in gains), sum(g < -1e-9 for g in gains)
            label = interval(gains).replace("R-1", metric.replace("rouge", "R-"))
            print(f"{name} minus the lead, {label}; above on {wins}, below on {losses}, equal on {n - wins - losses}")
    gains = [a["rouge1"] - b["rouge1"] for a, b in zip(rows["ours, shipped defaults"], rows["before"])]
    print(f"ours minus before, {interval(gains)}")


if __name__ == "__main__":
    main()
