"""Unwrapping text set in proportional fonts: Arabic and English articles wrapped as PDFs and newspapers set them.

Usage: python bench/unwrap_fonts.py [--eval-dir ../shared/eval/easc-dev] [--cache ~/.cache/summarizer-bench/registry]
                                    [--limit N]

bench/easc_rouge.py wraps the articles at a number of characters (textwrap),
the model that segment.unwrap was first built on. Text copied from a PDF or a
newspaper column was wrapped at a width in points: its lines hold more or fewer
characters as their letters are narrow or wide. Here every article is wrapped
greedily at a column width as a real font sets it, words shaped by HarfBuzz
(PyPI uharfbuzz, pinned; its wheel is fetched into the cache), in the fonts of
pinned Debian packages (apt-get download into the cache; not installed): for
Arabic DejaVu Sans, Amiri, Noto Naskh Arabic and Noto Sans Arabic, for English
DejaVu Sans, Liberation Serif and Noto Serif. The column is COLUMNS times the
text's mean letter advance in that font (about that many characters a line).

Printed per font, with segment.WRAP_SLACK as it was (0.95) and as it is, side
by side in one process: the articles x widths whose sentences, and whose
summary, come out as for the unwrapped article; for Arabic ROUGE-1 of the
summary and the lead (EASC references). Then how full a wrapped line is
(its characters and the next word's over the longest line's), and a short
headline line set over a wrapped paragraph, which should stay a line of its own.
Articles: the 30 EASC dev articles (Arabic) and summary_unseen.py's 150
CNN/DailyMail articles (English).
"""

from __future__ import annotations

import argparse
import itertools
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import easc_rouge
import summary_unseen
from langid_udhr import debian_archive, unpacked_wheel
from summarizer import segment
from summarizer.segment import split_paragraphs
from summarizer.summarize.extractive import ExtractiveSummarizer

UHARFBUZZ = "uharfbuzz==0.57.0"
# Debian package -> {font name: file inside it}.
FONT_PACKAGES = {
    "fonts-dejavu-core=2.37-6": {"DejaVu Sans": "DejaVuSans.ttf"},
    "fonts-hosny-amiri=0.113-1": {"Amiri": "Amiri-Regular.ttf"},
    "fonts-noto-core=20201225-1": {
        "Noto Naskh Arabic": "NotoNaskhArabic-Regular.ttf",
        "Noto Sans Arabic": "NotoSansArabic-Regular.ttf",
        "Noto Serif": "NotoSerif-Regular.ttf",
    },
    "fonts-liberation=1:1.07.4-11": {"Liberation Serif": "LiberationSerif-Regular.ttf"},
}
FONTS = {
    "ar": ("DejaVu Sans", "Amiri", "Noto Naskh Arabic", "Noto Sans Arabic"),
    "en": ("DejaVu Sans", "Liberation Serif", "Noto Serif"),
}
COLUMNS = (40, 50, 60, 72, 80)
SLACK_BEFORE = 0.95
HEADLINE_WORDS = 9


def harfbuzz(cache: Path):
    """The uharfbuzz module, from its wheel unpacked into cache (fetched the first time)."""
    sys.path.insert(0, str(unpacked_wheel(cache, UHARFBUZZ, UHARFBUZZ.replace("==", "-"))))
    import uharfbuzz

    return uharfbuzz


def font_files(cache: Path) -> dict[str, bytes]:
    """Font name -> the font file's bytes, out of the pinned Debian packages (fetched the first time)."""
    found: dict[str, bytes] = {}
    for requirement, fonts in FONT_PACKAGES.items():
        with debian_archive(cache, requirement) as archive:
            for member in archive.getmembers():
                for font, file in fonts.items():
                    if member.name.endswith("/" + file):
                        found[font] = archive.extractfile(member).read()  # type: ignore[union-attr]
    return found


class Typesetter:
    """Greedy line breaking at a width in font units, words shaped by HarfBuzz."""

    def __init__(self, hb, data: bytes):
        self.hb = hb
        self.font = hb.Font(hb.Face(hb.Blob(data)))
        self.widths: dict[str, int] = {}
        self.space = self.width(" ")

    def width(self, word: str) -> int:
        """The advance of a word as the font sets it (shaped: Arabic letters take their joining forms)."""
        if word not in self.widths:
            buffer = self.hb.Buffer()
            buffer.add_str(word)
            buffer.guess_segment_properties()
            self.hb.shape(self.font, buffer, {})
            self.widths[word] = sum(p.x_advance for p in buffer.glyph_positions)
        return self.widths[word]

    def letter_advance(self, texts: list[str]) -> float:
        """The mean advance of a character (spaces aside) in these texts, each letter shaped alone."""
        return statistics.mean(self.width(ch) for text in texts for ch in text[:3000] if not ch.isspace())

    def wrap_paragraph(self, paragraph: str, width: float) -> list[str]:
        """The paragraph's lines: each takes words while they fit in width."""
        lines: list[str] = []
        line: list[str] = []
        used = 0.0
        for word in paragraph.split():
            w = self.width(word)
            if line and used + self.space + w > width:
                lines.append(" ".join(line))
                line, used = [word], w
            else:
                used += (self.space if line else 0) + w
                line.append(word)
        if line:
            lines.append(" ".join(line))
        return lines

    def wrap(self, article: str, width: float) -> str:
        """The article with each paragraph (a line) wrapped at width."""
        return "\n".join("\n".join(self.wrap_paragraph(p, width)) if p.strip() else p for p in article.split("\n"))


def sentences_of(text: str) -> list[str]:
    """The service's sentences, paragraphs flattened."""
    return [s for p in split_paragraphs(text) for s in p.sentences]


def load_articles(args) -> dict[str, list[tuple[str, int, list[str] | None]]]:
    """Per language, (article, summary length k, EASC references or None)."""
    arabic = [(a, easc_rouge.summary_length(refs), refs) for _, a, refs in easc_rouge.load(args.eval_dir)]
    paths = summary_unseen.fetch(args.cache)
    english = [(d, summary_unseen.reference_length(ref), None) for _, d, ref in summary_unseen.load(paths["cnn_dm"])]
    return {"ar": arabic[: args.limit], "en": english[: args.limit]}


def font_report(language: str, font: str, setter: Typesetter, articles, summarizer: ExtractiveSummarizer) -> list:
    """One row per WRAP_SLACK: same sentences, same summary, ROUGE-1 (Arabic); returns the line fill ratios."""
    texts = [a for a, _, _ in articles]
    advance = setter.letter_advance(texts)
    plain = [sentences_of(a) for a in texts]
    wrapped = {(i, c): setter.wrap(a, c * advance) for i, a in enumerate(texts) for c in COLUMNS}
    fills = []
    for i, c in wrapped:
        for paragraph in (p for p in texts[i].split("\n") if p.strip()):
            block = setter.wrap_paragraph(paragraph, c * advance)
            longest = max(len(line) for line in block)
            fills += [(len(a) + 1 + len(b.split()[0])) / longest for a, b in itertools.pairwise(block)]
    rows = []
    for label, slack in (("before", SLACK_BEFORE), ("now", segment.WRAP_SLACK)):
        saved = segment.WRAP_SLACK
        segment.WRAP_SLACK = slack
        try:
            same_sentences = same_summary = 0
            r1: dict[str, list[float]] = {"ours": [], "lead": []}
            for (i, _), text in wrapped.items():
                _, k, refs = articles[i]
                got = sentences_of(text)
                same_sentences += got == plain[i]
                mine = [got[j] for j in summarizer.select(got, language, k)]
                same_summary += mine == [plain[i][j] for j in summarizer.select(plain[i], language, k)]
                if refs is not None:
                    r1["ours"].append(easc_rouge.scores(got, refs, summarizer.select(got, language, k))["rouge1"])
                    r1["lead"].append(easc_rouge.scores(got, refs, easc_rouge.lead(got, k))["rouge1"])
        finally:
            segment.WRAP_SLACK = saved
        rouge = f"{statistics.mean(r1['ours']):.1f} / {statistics.mean(r1['lead']):.1f}" if r1["ours"] else ""
        n = len(wrapped)
        rows.append(f"| {font} | {label} ({slack}) | {same_sentences} / {n} | {same_summary} / {n} | {rouge} |")
    print("\n".join(rows))
    return fills


def headline_report(setters: dict[str, Typesetter], articles) -> None:
    """A short headline (the first words of the last sentence, unpunctuated) over the first four sentences wrapped."""
    print(
        f"\nA {HEADLINE_WORDS}-word headline over a wrapped lead (4 sentences), no blank line: kept a line of its own"
    )
    print("\n| language | font | cases | before | now |")
    print("|---|---|---|---|---|")
    for language, fonts in FONTS.items():
        texts = [a for a, _, _ in articles[language]]
        for font in fonts:
            setter = setters[font]
            advance = setter.letter_advance(texts)
            cases = []
            for text in texts:
                sentences = sentences_of(text)
                if len(sentences) < 5:
                    continue
                headline = re.sub(r"[.!?؟،,:;]+$", "", " ".join(sentences[-1].split()[:HEADLINE_WORDS]))
                for c in COLUMNS:
                    body = "\n".join(setter.wrap_paragraph(" ".join(sentences[:4]), c * advance))
                    if body.count("\n") >= 2:
                        cases.append((headline, headline + "\n" + body))
            kept = []
            for slack in (SLACK_BEFORE, segment.WRAP_SLACK):
                saved, segment.WRAP_SLACK = segment.WRAP_SLACK, slack
                kept.append(sum(segment.unwrap(text).split("\n")[0] == h for h, text in cases))
                segment.WRAP_SLACK = saved
            print(f"| {language} | {font} | {len(cases)} | {kept[0]} | {kept[1]} |")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=easc_rouge.default_eval_dir("easc-dev"))
    parser.add_argument("--cache", type=Path, default=summary_unseen.DEFAULT_CACHE)
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles of each language")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    hb = harfbuzz(args.cache)
    files = font_files(args.cache)
    setters = {font: Typesetter(hb, data) for font, data in files.items()}
    articles = load_articles(args)
    summarizer = ExtractiveSummarizer()
    print(f"Articles: {len(articles['ar'])} EASC dev (Arabic), {len(articles['en'])} CNN/DailyMail (English)")
    print(f"each wrapped at {COLUMNS} mean letter advances; WRAP_SLACK before {SLACK_BEFORE}, now {segment.WRAP_SLACK}")
    for language, fonts in FONTS.items():
        rouge = "R-1 ours / lead (EASC)" if language == "ar" else ""
        print(f"\n{language}: articles x widths as for the unwrapped article\n")
        print(f"| font | WRAP_SLACK | same sentences | same summary | {rouge} |")
        print("|---|---|---|---|---|")
        all_fills = []
        for font in fonts:
            all_fills += font_report(language, font, setters[font], articles[language], summarizer)
        q = statistics.quantiles(all_fills, n=100)
        print(
            f"\n{language}, every font: (a wrapped line + 1 + the next word) / the longest line, in characters, over "
            f"{len(all_fills)} breaks: 1st percentile {q[0]:.3f}, 5th {q[4]:.3f}, minimum {min(all_fills):.3f}"
        )
    headline_report(setters, articles)
    print(f"\nRun time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
