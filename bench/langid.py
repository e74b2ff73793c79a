"""Accuracy of language detection on Tatoeba sentences: whole sentences and their first 1, 2, 3 words.

Usage: python bench/langid.py [--eval-dir ../shared/eval/langid-dev]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from summarizer.detect import LanguageDetector  # noqa: E402

LANGUAGES = ("ar", "en", "fa", "ur")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared/eval/langid-dev")
    args = parser.parse_args(argv)
    detector = LanguageDetector()
    print("| language | sentences | full sentence | first word | first 2 words | first 3 words |")
    print("|---|---|---|---|---|---|")
    for lang in LANGUAGES:
        lines = [line.strip() for line in (args.eval_dir / f"{lang}.txt").open(encoding="utf-8") if line.strip()]
        cells = []
        for n in (None, 1, 2, 3):
            texts = lines if n is None else [" ".join(line.split()[:n]) for line in lines]
            right = sum(detector.detect(t).language == lang for t in texts)
            cells.append(f"{100 * right / len(texts):.1f}%")
        print(f"| {lang} | {len(lines)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
