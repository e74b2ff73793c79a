"""Language detection before and after a change, in one run: same answers, time per detection, memory.

Usage: python bench/langid_speed.py [--before REV] [--rounds 7] [--eval-dir ../shared/eval/langid-dev]

The detector of git revision REV (summarizer/detect.py as it was there) and
the working tree's detector are built side by side in this process. Then:

* answers: both detect every langid-dev sentence, whole and its first 1, 2
  and 3 words, and the sample article; language, script and confidence must
  be equal (the confidence compared exactly);
* speed: rounds alternate between the two (the machine is shared and noisy),
  each timing the sample article and all whole sentences; the median per
  detection and the ratio after / before are printed;
* memory: each detector is built in a fresh process (python -c), which prints
  its resident memory before and after building it, after one detection and
  after detecting every langid-dev line (the per-word caches filled).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import summarizer
from langid import LENGTHS, cut, default_eval_dir, load
from summarizer import detect

SAMPLE = "ar-news-ain-al-asad.txt"
# The detector before the speed and memory work (its answers are those of today's detector).
DEFAULT_BEFORE = "df63f81"


def module_at(rev: str) -> types.ModuleType:
    """summarizer/detect.py as it was at rev, imported as a module of the summarizer package."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:summarizer/detect.py"], capture_output=True, text=True, check=True
    ).stdout
    path = Path(tempfile.mkdtemp(prefix="langid-speed-")) / f"detect_{rev}.py"
    path.write_text(source, encoding="utf-8")
    name = f"summarizer._detect_{rev}"  # inside the package, so its relative imports (.schemas) resolve
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def sample_text(eval_dir: Path) -> str:
    """The sample article (../shared/samples/ beside ../shared/eval/)."""
    return (eval_dir.parent.parent / "samples" / SAMPLE).read_text(encoding="utf-8")


def same_answers(before, after, texts: list[str]) -> int:
    """How many texts get a different (language, script, confidence) from the two detectors."""
    different = 0
    for text in texts:
        a, b = before.detect(text), after.detect(text)
        if (a.language, a.script, a.confidence) != (b.language, b.script, b.confidence):
            different += 1
            if different <= 5:
                print(f"  different: {text[:60]!r}: {a} / {b}")
    return different


def timed(detector, texts: list[str], repeat: int) -> float:
    """Mean milliseconds per detection over texts, repeated."""
    start = time.process_time()
    for _ in range(repeat):
        for text in texts:
            detector.detect(text)
    return 1000 * (time.process_time() - start) / (repeat * len(texts))


def timed_cold(detector, text: str, repeat: int) -> float:
    """Mean milliseconds per detection of text, with the detector's per-word caches (if any) emptied before each."""
    total = 0.0
    for _ in range(repeat):
        clear_caches(detector)
        start = time.process_time()
        detector.detect(text)
        total += time.process_time() - start
    return 1000 * total / repeat


def clear_caches(detector) -> None:
    """Empty the per-word caches of a detector that has them: what a text of words never seen costs."""
    module = sys.modules[type(detector).__module__]
    for cached in (getattr(module, "_letter_profile", None), getattr(module, "_script", None)):
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()
    ngrams = getattr(detector, "_ngrams", None)
    if ngrams is not None:
        ngrams.clear_cache()
    slip_reading = getattr(detector, "_slip_reading", None)  # Arabic slips read per word
    if slip_reading is not None:
        slip_reading.cache_clear()


MEMORY_PROGRAM = """
import sys
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
import summarizer.schemas, numpy, langdetect
from langid_speed import module_at
module = {module}
start = rss_mb()
detector = module.LanguageDetector()
built = rss_mb()
detector.detect({text!r})
once = rss_mb()
for lang in ("ar", "en", "fa", "ur"):  # fills the per-word caches with some 15,000 words
    for line in open(f"{eval_dir}/{{lang}}.txt", encoding="utf-8"):
        detector.detect(line)
print(start, built, once, rss_mb())
"""


def memory(rev: str | None, text: str, eval_dir: Path) -> list[float]:
    """RSS in MB, in a fresh process: before building, built, after one detection, after every langid-dev line."""
    module = f"module_at({rev!r})" if rev else "__import__('summarizer.detect').detect"
    program = MEMORY_PROGRAM.format(
        root=str(ROOT), bench=str(ROOT / "bench"), module=module, text=text, eval_dir=str(eval_dir)
    )
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout
    return [float(x) for x in out.split()]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=DEFAULT_BEFORE, help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--eval-dir", type=Path, default=default_eval_dir("langid-dev"))
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args(argv)
    data = load(args.eval_dir)
    sample = sample_text(args.eval_dir)
    sentences = [s for lines in data.values() for s in lines]
    old = module_at(args.before)
    start = time.process_time()
    before = old.LanguageDetector()
    load_before = time.process_time() - start
    start = time.process_time()
    after = detect.LanguageDetector()
    load_after = time.process_time() - start
    print(f"before: {args.before}, after: the working tree ({Path(summarizer.__file__).parent})")
    print(f"building the detector (CPU time): before {load_before:.2f} s, after {load_after:.2f} s")

    texts = [sample] + [cut(s, n) for s in sentences for n in LENGTHS]
    different = same_answers(before, after, texts)
    print(
        f"answers: {len(texts)} texts (sample + {len(sentences)} sentences whole and first 1/2/3 words), "
        f"{different} different (language, script, confidence compared exactly)"
    )

    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.rounds):
        for name, detector in (("before", before), ("after", after)):
            times.setdefault((name, "sample"), []).append(timed(detector, [sample], 20))
            times.setdefault((name, "cold"), []).append(timed_cold(detector, sample, 20))
            times.setdefault((name, "sentence"), []).append(timed(detector, sentences, 1))
    print(f"\nms CPU per detection, median of {args.rounds} alternating rounds (min-max):\n")
    print("| text | before | after | after / before |")
    print("|---|---|---|---|")
    rows = (
        ("sample", f"sample article ({len(sample)} characters)"),
        ("cold", "sample article, per-word caches emptied first"),
        ("sentence", "langid-dev sentence"),
    )
    for what, label in rows:
        b, a = statistics.median(times["before", what]), statistics.median(times["after", what])
        ranges = [f"{min(times[n, what]):.3f}-{max(times[n, what]):.3f}" for n in ("before", "after")]
        print(f"| {label} | {b:.3f} ({ranges[0]}) | {a:.3f} ({ranges[1]}) | {a / b:.2f}x |")

    if not args.no_memory:
        print("\nresident memory of a fresh process, MB\n")
        print("| detector | imports | built | after a detection | after all langid-dev lines | the detector's own |")
        print("|---|---|---|---|---|---|")
        for name, rev in (("before", args.before), ("after", None)):
            start_mb, built_mb, once_mb, all_mb = memory(rev, sample, args.eval_dir)
            print(
                f"| {name} | {start_mb:.1f} | {built_mb:.1f} | {once_mb:.1f} | {all_mb:.1f} | {all_mb - start_mb:.1f} |"
            )


if __name__ == "__main__":
    main()
