"""Language identification on Tatoeba sentences: whole sentences and their first 1, 2, 3 words, cross-validated.

Usage: python bench/langid.py [--eval-dir ../shared/eval/langid-dev] [--folds 5] [--no-cv]

Prints, per language and length, how often the answer is right (the exact
language) and how often the service does the right thing with it (Arabic and
English accepted as themselves, Persian and Urdu refused). The detector's
free parameters (the Arabic and English priors, the weight of known words) are
then chosen on k-1 folds of the sentences and measured on the fold left out;
the held-out figures are printed beside the figures of the shipped defaults.
The weight of unknown words' endings is chosen on the even-numbered sentences
and measured on the odd-numbered ones.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from summarizer import detect
from summarizer.detect import LanguageDetector

LANGUAGES = ("ar", "en", "fa", "ur")
LENGTHS = (1, 2, 3, None)  # None: the whole sentence
ACCEPTED = ("ar", "en")
# Tuned: the Arabic prior and the n-gram weight (overlapping n-grams overcount). Not tuned: the weight of
# known words (1: they are a log-likelihood ratio already) and the English prior: the dev set has no
# Latin-script text but English, so on it a stronger English prior (or weaker evidence) always looks better
# and every short French or German text would become "English".
TIE = 0.1  # objective points within which configurations count as equal
GRID = {
    "ar_prior": (0.0, 0.5, 1.0, 2.0, 3.0),
    "ngram_weight": (0.025, 0.05, 0.1, 0.2, 0.35),
}


def default_eval_dir(name: str) -> Path:
    """../shared/eval/NAME from the repository, or from the folder that holds the worktrees."""
    for parent in ROOT.parents:
        if (parent / "shared" / "eval" / name).is_dir():
            return parent / "shared" / "eval" / name
    return ROOT.parent / "shared" / "eval" / name


def load(eval_dir: Path) -> dict[str, list[str]]:
    """Sentences by language."""
    return {
        lang: [line.strip() for line in (eval_dir / f"{lang}.txt").open(encoding="utf-8") if line.strip()]
        for lang in LANGUAGES
    }


def cut(sentence: str, n: int | None) -> str:
    """The first n words of the sentence (all of it for None)."""
    return sentence if n is None else " ".join(sentence.split()[:n])


def right(lang: str, answer: str) -> bool:
    """Does the service do the right thing: accept Arabic and English as themselves, refuse the others."""
    return answer == lang if lang in ACCEPTED else answer not in ACCEPTED


def case_scores(detector, data, indexes=None) -> dict[tuple[str, int | None], tuple[float, float]]:
    """(lang, n) -> (exact %, service-right %) over the sentences at indexes (all if None)."""
    out = {}
    for lang, lines in data.items():
        chosen = lines if indexes is None else [lines[i] for i in indexes if i < len(lines)]
        for n in LENGTHS:
            answers = [detector.detect(cut(s, n)).language for s in chosen]
            out[lang, n] = (
                100 * sum(a == lang for a in answers) / len(answers),
                100 * sum(right(lang, a) for a in answers) / len(answers),
            )
    return out


def objective(scores) -> float:
    """Mean service-right rate over every language and length (what the grid maximises)."""
    return statistics.mean(right_rate for _, right_rate in scores.values())


def print_table(title: str, scores) -> None:
    """Markdown table: exact / service-right per language and length."""
    print(f"\n{title}\n")
    print("| language | first word | first 2 words | first 3 words | whole sentence |")
    print("|---|---|---|---|---|")
    for lang in LANGUAGES:
        cells = [f"{scores[lang, n][0]:.1f}% / {scores[lang, n][1]:.1f}%" for n in LENGTHS]
        print(f"| {lang} | " + " | ".join(cells) + " |")


def cross_validate(data, folds: int) -> None:
    """Choose the parameters on k-1 folds, measure on the fold left out; print held-out and chosen values."""
    detector = LanguageDetector()
    configs = list(itertools.product(*GRID.values()))
    # The evidence of every sentence once; each configuration then only re-weighs it.
    evidence = {
        (lang, n): [detector.evidence(cut(s, n)) for s in lines] for lang, lines in data.items() for n in LENGTHS
    }
    answers = []
    for ar_prior, ngram_weight in configs:
        detector.priors = {"latin": dict(detect.PRIORS["latin"]), "arabic": {"ar": ar_prior}}
        detector.ngram_weight = ngram_weight
        answers.append({key: [detector.decide(e).language for e in evs] for key, evs in evidence.items()})

    def scores(config: int, keep) -> dict:
        out = {}
        for (lang, n), got in answers[config].items():
            chosen = [a for i, a in enumerate(got) if keep(i)]
            out[lang, n] = (
                100 * sum(a == lang for a in chosen) / len(chosen),
                100 * sum(right(lang, a) for a in chosen) / len(chosen),
            )
        return out

    def choose(keep) -> int:
        """The best configuration on the kept sentences; within TIE of the best, the largest n-gram weight
        (n-grams are all that languages without a word list have, and the dev set cannot show that)."""
        objectives = [objective(scores(c, keep)) for c in range(len(configs))]
        near = [c for c in range(len(configs)) if objectives[c] >= max(objectives) - TIE]
        return max(near, key=lambda c: (configs[c][1], objectives[c]))

    held_out: dict = {}
    for fold in range(folds):
        best = choose(lambda i, fold=fold: i % folds != fold)
        result = scores(best, lambda i, fold=fold: i % folds == fold)
        print(
            f"fold {fold + 1}/{folds}: chose {dict(zip(GRID, configs[best]))}, "
            f"held-out objective {objective(result):.2f}"
        )
        for key, value in result.items():
            held_out.setdefault(key, []).append(value)
    mean = {key: tuple(statistics.mean(v[i] for v in values) for i in (0, 1)) for key, values in held_out.items()}
    print_table(f"{folds}-fold cross-validation, held-out folds (exact / service right)", mean)
    print("\nobjective on the whole dev set (in-sample), by Arabic prior (rows) and n-gram weight (columns):\n")
    print("| ar prior | " + " | ".join(str(w) for w in GRID["ngram_weight"]) + " |")
    print("|---" * (len(GRID["ngram_weight"]) + 1) + "|")
    for prior in GRID["ar_prior"]:
        cells = [f"{objective(scores(configs.index((prior, w)), lambda i: True)):.2f}" for w in GRID["ngram_weight"]]
        print(f"| {prior} | " + " | ".join(cells) + " |")
    whole = choose(lambda i: True)
    print(
        f"\nbest on the whole dev set (in-sample): {dict(zip(GRID, configs[whole]))}, "
        f"objective {objective(scores(whole, lambda i: True)):.2f}"
    )


def ending_weight_halves(data, weights=(0.0, 0.25, 0.5, 1.0)) -> None:
    """The weight of unknown words' endings, chosen on the even-numbered sentences, measured on the odd ones."""
    detector = LanguageDetector()
    print("\nending weight: wrong answers (service) on even-numbered (chosen on) / odd-numbered (held out) sentences")
    print("\n| weight | " + " | ".join(f"{lang} {n or 'all'}" for lang in LANGUAGES for n in LENGTHS) + " |")
    print("|---" * (1 + len(LANGUAGES) * len(LENGTHS)) + "|")
    for weight in weights:
        detector.ending_weight = weight
        cells = []
        for lang in LANGUAGES:
            for n in LENGTHS:
                wrong = [not right(lang, detector.detect(cut(s, n)).language) for s in data[lang]]
                cells.append(f"{sum(wrong[0::2])}/{sum(wrong[1::2])}")
        print(f"| {weight} | " + " | ".join(cells) + " |")


def whole_sentence_errors(data) -> None:
    """Every whole sentence the service would get wrong with the shipped defaults."""
    detector = LanguageDetector()
    print("\nwhole sentences the service gets wrong (shipped defaults):")
    for lang, lines in data.items():
        for sentence in lines:
            answer = detector.detect(sentence).language
            if not right(lang, answer):
                print(f"  {lang} -> {answer}: {sentence}")


def short_errors_left(data) -> None:
    """Persian and Urdu first words and first two words accepted as Arabic: how many are Arabic words too."""
    detector = LanguageDetector()
    column = detect.LEXICON_LANGUAGES.index("ar")
    print("\nPersian and Urdu accepted as Arabic, and how many of those are Arabic text as written:")
    for lang in ("fa", "ur"):
        for n in (1, 2):
            accepted = [cut(s, n) for s in data[lang] if detector.detect(cut(s, n)).language == "ar"]
            words = [[w for w, *_ in detect._running_words(text)] for text in accepted]
            arabic = sum(
                all((v := detector._lexicon.vector(w.lower())) is not None and v[column] > 0 for w in ws)
                for ws in words
            )
            print(
                f"  {lang}, first {n} word(s): {len(accepted)} of {len(data[lang])} accepted; in {arabic} of them "
                "every word is in the Arabic word list as spelled"
            )


def speed(data) -> None:
    """Mean CPU time per whole sentence, over every language."""
    detector = LanguageDetector()
    sentences = [s for lines in data.values() for s in lines]
    start = time.process_time()  # CPU time: the machine is shared, and waiting for a core is not our cost
    for s in sentences:
        detector.detect(s)
    print(f"\nspeed: {1000 * (time.process_time() - start) / len(sentences):.3f} ms CPU per whole sentence")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=default_eval_dir("langid-dev"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-cv", action="store_true", help="only the shipped defaults")
    args = parser.parse_args(argv)
    data = load(args.eval_dir)
    print(
        f"langid-dev: {', '.join(f'{k} {len(v)}' for k, v in data.items())} sentences. Cells: exact language / "
        "service right (ar, en accepted as themselves; fa, ur refused)."
    )
    defaults = f"ar prior {detect.PRIORS['arabic']['ar']}, en prior {detect.PRIORS['latin']['en']}, "
    defaults += f"n-gram weight {detect.NGRAM_WEIGHT}, known-word weight {detect.LEXICAL_WEIGHT}, "
    defaults += f"ending weight {detect.ENDING_WEIGHT}"
    print_table(f"Shipped defaults ({defaults}), whole dev set", case_scores(LanguageDetector(), data))
    whole_sentence_errors(data)
    short_errors_left(data)
    speed(data)
    if not args.no_cv:
        ending_weight_halves(data)
        cross_validate(data, args.folds)


if __name__ == "__main__":
    main()
