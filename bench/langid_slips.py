"""Arabic typing slips that put a letter where Arabic never writes it: is the text still accepted as Arabic?

Usage: python bench/langid_slips.py [--eval-dir ../shared/eval] [--before REV ...] [--examples 3]

The slips are made systematically from real Arabic text (the langid-dev
Tatoeba sentences and the EASC articles' sentences), one slip per sentence,
at the first word where it can be made:

* yeh-suffix: ى typed for ي at the end of a stem before a suffix, as
  Egyptian and informal writing does (عليكم -> علىكم, فيه -> فىه);
* glued: no space after على, إلى, الى, حتى (إلى السوق -> إلىالسوق);
* pdf-space: a space inside a word before ئ after a letter that does not
  join (مسائل -> مسا ئل), as text copied from PDFs carries;
* pdf-space-waw: the same before ؤ (رؤساء -> ر ؤساء);
* zwj: a zero-width joiner there instead (مسا\u200dئل);
* hamza-above: ئ typed as ى and the combining hamza above (ى\u0654), which
  NFKC does not compose.

Each slipped text is detected from the slipped word on: 1, 2, 3 words
(a word split by the slip counts as one, glued words as one) and the rest of the sentence; the cell is the share
accepted as Arabic. The same windows without the slip ("typed right") say
what the slip costs. Each detector (a git revision's, then the working
tree's) in one run.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from langid_speed import module_at
from summarizer.detect import LanguageDetector

LENGTHS = (1, 2, 3, None)
_SUFFIXED_YEH = re.compile(r"^(\w{2,})ي(ه|ها|هم|هما|هن|ك|كم|كما|كن|نا|ني)$")
_GLUED = {"على", "إلى", "الى", "حتى"}
_SPLIT_HAMZA = re.compile(r"(?<=\w[اأإآدذرزو])ئ(?=\w)")
_SPLIT_WAW_HAMZA = re.compile(r"(?<=\w[اأإآدذرزو])ؤ(?=\w)")
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")


def _yeh_suffix(words: list[str], i: int) -> list[str] | None:
    match = _SUFFIXED_YEH.match(words[i])
    return None if match is None else [f"{match[1]}ى{match[2]}"]


def _glued(words: list[str], i: int) -> list[str] | None:
    if words[i] in _GLUED and i + 1 < len(words) and words[i + 1].isalpha():
        return [words[i] + words[i + 1], None]  # type: ignore[list-item]  # None: the next word is consumed
    return None


def _pdf_space(words: list[str], i: int, split: re.Pattern = _SPLIT_HAMZA) -> list[str] | None:
    match = split.search(words[i])
    return None if match is None else [words[i][: match.start()], words[i][match.start() :]]


def _pdf_space_waw(words: list[str], i: int) -> list[str] | None:
    return _pdf_space(words, i, _SPLIT_WAW_HAMZA)


def _zwj(words: list[str], i: int) -> list[str] | None:
    match = _SPLIT_HAMZA.search(words[i])
    return None if match is None else [words[i][: match.start()] + "\u200d" + words[i][match.start() :]]


def _hamza_above(words: list[str], i: int) -> list[str] | None:
    word = words[i]
    k = word.find("ئ", 1)
    return None if k < 0 else [word[:k] + "ى\u0654" + word[k + 1 :]]


SLIPS: dict[str, Callable[[list[str], int], list[str] | None]] = {
    "yeh-suffix": _yeh_suffix,
    "glued": _glued,
    "pdf-space": _pdf_space,
    "pdf-space-waw": _pdf_space_waw,
    "zwj": _zwj,
    "hamza-above": _hamza_above,
}


def sentences(eval_dir: Path) -> list[str]:
    """The langid-dev Arabic sentences and every sentence of the EASC dev articles."""
    found = (eval_dir / "langid-dev" / "ar.txt").read_text(encoding="utf-8").splitlines()
    for path in sorted((eval_dir / "easc-dev" / "Articles").glob("*/*.txt")):
        for paragraph in path.read_text(encoding="utf-8-sig").splitlines():
            found.extend(_SENTENCE_END.split(paragraph))
    return [s.strip() for s in found if s.strip()]


def slipped(sentence: str, slip: Callable[[list[str], int], list[str] | None]) -> tuple[list[str], list[str]] | None:
    """(words typed right, words with the slip) from the first word where the slip can be made, or None."""
    words = sentence.split()
    for i in range(len(words)):
        made = slip(words, i)
        if made is not None:
            consumed = 2 if made[-1] is None else 1
            made = [w for w in made if w is not None]
            return words[i:], made + words[i + consumed :]
    return None


def window(words: list[str], n: int | None, slip_words: int = 1) -> str:
    """The first n words (the words of the slip count as one when the slip splits a word)."""
    return " ".join(words if n is None else words[: n + slip_words - 1])


def measure(detector, cases: dict[str, list[tuple[list[str], list[str], int]]]) -> dict[tuple[str, int | None], tuple]:
    """Per slip and length: (share of right-typed windows accepted as Arabic, share of slipped windows)."""
    result = {}
    for name, found in cases.items():
        for n in LENGTHS:
            right = sum(detector.detect(window(r, n, 1)).language == "ar" for r, _, _ in found)
            slip = sum(detector.detect(window(s, n, k)).language == "ar" for _, s, k in found)
            result[name, n] = (right / len(found), slip / len(found))
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    if not (ROOT.parent / "shared").is_dir():
        parser.set_defaults(eval_dir=Path("/work/shared/eval"))
    parser.add_argument("--before", metavar="REV", action="append", default=[], help="also git revision REV, first")
    parser.add_argument("--examples", type=int, default=3, help="slipped texts refused now, shown per slip")
    args = parser.parse_args(argv)
    found = sentences(args.eval_dir)
    cases: dict[str, list[tuple[list[str], list[str], int]]] = {}
    for name, slip in SLIPS.items():
        cases[name] = []
        for sentence in found:
            pair = slipped(sentence, slip)
            if pair is not None:
                # A slip that splits a word makes two words of one: its windows take one more word.
                cases[name].append((pair[0], pair[1], max(1, len(pair[1]) - len(pair[0]) + 1)))
    print(f"{len(found)} Arabic sentences; slipped texts: " + ", ".join(f"{k} {len(v)}" for k, v in cases.items()))
    detectors = [(rev, module_at(rev).LanguageDetector()) for rev in args.before]
    detectors.append(("working tree", LanguageDetector()))
    results = [(rev, measure(detector, cases)) for rev, detector in detectors]
    print("\nAccepted as Arabic: typed right / with the slip; " + ", ".join(rev for rev, _ in results) + ".\n")
    print("| slip | texts | detector | first word | first 2 words | first 3 words | rest of the sentence |")
    print("|---|---|---|---|---|---|---|")
    for name in SLIPS:
        for rev, result in results:
            cells = " | ".join(f"{result[name, n][0]:.1%} / {result[name, n][1]:.1%}" for n in LENGTHS)
            print(f"| {name} | {len(cases[name])} | {rev} | {cells} |")
    detector = detectors[-1][1]
    print(f"\nslipped texts refused by the working tree (first {args.examples} per slip and length):")
    for name in SLIPS:
        for n in LENGTHS:
            refused = []
            for _, s, k in cases[name]:
                text = window(s, n, k)
                answer = detector.detect(text).language
                if answer != "ar":
                    refused.append(f"{text[:60]!r} -> {answer}")
            for line in refused[: args.examples]:
                print(f"  {name} [{n or 'rest'}] {line}")


if __name__ == "__main__":
    main()
