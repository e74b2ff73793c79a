"""ROUGE-1/2/L of our extractive summarizer against taking the first k sentences, on EASC.

Usage: python bench/easc_rouge.py [--eval-dir ../shared/eval/easc-dev]

Summary length = the mean length of the five reference summaries in sentences
(rounded); both sides are normalised (alef/ya/ta marbuta, diacritics) and
tokenised with a tokenizer that keeps Arabic, since rouge-score's default
deletes every non-Latin character.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from rouge_score import rouge_scorer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from summarizer.segment import split_paragraphs, split_sentences  # noqa: E402
from summarizer.summarize.extractive import ExtractiveSummarizer  # noqa: E402
from summarizer.textnorm import rouge_tokens  # noqa: E402


class ArabicTokenizer:
    """rouge-score tokenizer interface: normalised words, Arabic kept."""

    def tokenize(self, text: str) -> list[str]:
        return rouge_tokens(text)


def load(eval_dir: Path):
    """(article sentences, [reference texts]) for every topic."""
    for topic in sorted((eval_dir / "Articles").iterdir()):
        article = next(topic.glob("*.txt")).read_text(encoding="utf-8-sig")
        sentences = [s for p in split_paragraphs(article) for s in p.sentences]
        refs = [f.read_text(encoding="utf-8-sig") for f in sorted((eval_dir / "Summaries" / topic.name).iterdir())]
        yield topic.name, sentences, refs


def evaluate(data, choose) -> dict[str, float]:
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], tokenizer=ArabicTokenizer())
    totals = {"rouge1": [], "rouge2": [], "rougeL": []}
    for _, sentences, refs in data:
        k = max(1, round(statistics.mean(len(split_sentences(r)) for r in refs)))
        summary = " ".join(sentences[i] for i in choose(sentences, k))
        for key in totals:
            totals[key].append(statistics.mean(scorer.score(r, summary)[key].fmeasure for r in refs))
    return {k: 100 * statistics.mean(v) for k, v in totals.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared/eval/easc-dev")
    args = parser.parse_args(argv)
    data = list(load(args.eval_dir))
    ours = ExtractiveSummarizer()
    rows = {
        "first-k (lead)": evaluate(data, lambda s, k: range(min(k, len(s)))),
        "ours (extractive)": evaluate(data, lambda s, k: ours.select(s, "ar", k)),
    }
    print(f"EASC dev: {len(data)} articles, ROUGE F1 x100, mean over 5 references")
    print(f"| {'method':<18} | R-1  | R-2  | R-L  |")
    print(f"|{'-' * 20}|------|------|------|")
    for name, r in rows.items():
        print(f"| {name:<18} | {r['rouge1']:.1f} | {r['rouge2']:.1f} | {r['rougeL']:.1f} |")


if __name__ == "__main__":
    main()
