"""What a wider beam buys: BLEU and chrF of greedy and beam 4 on real Arabic-English pairs, with their time.

Usage: python bench/beam_quality.py [--model opus-mt-ar-en] [--engine ctranslate2] [--limit 1000]

Data: the 1,000 aligned Arabic/English Tatoeba sentence pairs in ../shared/eval/langid-dev/ (ar.txt line N
translates to en.txt line N), read from there. The model is the service's (a manifest name or a local folder),
through the service's own translator (sentence splitting, batching, output bound, repetition guard), cache off.
It needs the real weights: `python -m summarizer models pull opus-mt-ar-en` on a machine that reaches the hub.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sacrebleu

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from summarizer.config import Settings
from summarizer.errors import ModelUnavailable
from summarizer.store import ModelStore
from summarizer.translate import load_translator

PAIRS = ROOT.parent / "shared" / "eval" / "langid-dev"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=Settings().translation_model, help="manifest name or local folder")
    parser.add_argument("--engine", default=Settings().translation_engine, choices=["ctranslate2", "transformers"])
    parser.add_argument("--beams", default="1,4", help="beam sizes to compare")
    parser.add_argument("--limit", type=int, default=1000, help="first N pairs")
    args = parser.parse_args(argv)
    arabic = (PAIRS / "ar.txt").read_text(encoding="utf-8").splitlines()[: args.limit]
    english = (PAIRS / "en.txt").read_text(encoding="utf-8").splitlines()[: args.limit]
    assert len(arabic) == len(english), "ar.txt and en.txt must be aligned line by line"
    settings = Settings.from_env(translation_model=args.model, translation_engine=args.engine, translation_cache_size=0)
    try:
        translator = load_translator(settings, ModelStore(settings.models_dir))
    except ModelUnavailable as exc:
        print(exc.message, file=sys.stderr)
        return 2
    print(f"{translator.describe()}, {len(arabic)} Tatoeba pairs\n")
    print("| beam | BLEU | chrF | seconds | sentences / s |")
    print("|---|---|---|---|---|")
    for beams in (int(b) for b in args.beams.split(",")):
        start = time.perf_counter()
        hypotheses = translator.translate_sentences(arabic, beams)
        seconds = time.perf_counter() - start
        bleu = sacrebleu.corpus_bleu(hypotheses, [english]).score
        chrf = sacrebleu.corpus_chrf(hypotheses, [english]).score
        print(f"| {beams} | {bleu:.1f} | {chrf:.1f} | {seconds:.1f} | {len(arabic) / seconds:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
