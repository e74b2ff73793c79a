"""Why eight articles are not 8x one: raw CTranslate2 cost per sentence by rows per sub-batch and thread layout.

Usage: python bench/subbatch.py [--rounds 2] [--layout 2x1:7:1 ...] [--gemm]

Each layout is inter_threads x intra_threads : rows per sub-batch : articles. Its sentences (the sample article
repeated) are sorted by length, cut into sub-batches of that many rows and handed to CTranslate2 all at once, as
summarizer/translate/ct2.py does. Every measurement runs in a fresh process (so its peak RSS is its own), layouts
interleaved round after round; the median over rounds is printed. The model is bench/speed.py's random-weight
opus-mt-ar-en (int8, greedy, 49 tokens per sentence).

--gemm also runs one article (2x1:7:1) and eight (2x1:13:8) once with ONEDNN_VERBOSE and sums oneDNN's own time
per GEMM shape: the output projection onto the ~62k vocabulary is the largest, and its cost per call is a fixed
part (streaming the weights) plus a part per row; the fixed part is what bigger sub-batches share.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DEFAULT_LAYOUTS = ["2x1:7:1", "2x1:13:8", "2x1:26:8", "1x2:13:1", "1x2:26:8"]


def parse(layout: str) -> tuple[int, int, int, int]:
    threads, rows, articles = layout.split(":")
    inter, intra = threads.split("x")
    return int(inter), int(intra), int(rows), int(articles)


def run_one(layout: str, tokens: int) -> dict:
    """In this process: translate the layout's sentences once to warm up, once timed."""
    import ctranslate2

    from speed import SHARED, build
    from summarizer.segment import split_paragraphs
    from summarizer.translate.ct2 import convert
    from summarizer.translate.vocab import MarianVocab

    inter, intra, rows, articles = parse(layout)
    path = build("opus-mt-ar-en")
    text = (SHARED / "samples" / "ar-news-ain-al-asad.txt").read_text(encoding="utf-8")
    vocab = MarianVocab(path)
    sentences = [vocab.encode(s) for p in split_paragraphs(text) for s in p.sentences] * articles
    ordered = sorted(sentences, key=len)
    translator = ctranslate2.Translator(
        str(convert(path, "int8")), device="cpu", compute_type="int8", inter_threads=inter, intra_threads=intra
    )

    def translate() -> int:
        pending = [
            translator.translate_batch(
                ordered[i : i + rows],
                beam_size=1,
                max_input_length=0,
                max_decoding_length=tokens,
                asynchronous=True,
            )
            for i in range(0, len(ordered), rows)
        ]
        return sum(len(f.result().hypotheses[0]) for batch in pending for f in batch)

    translate()
    start = time.perf_counter()
    written = translate()
    seconds = time.perf_counter() - start
    status = Path("/proc/self/status").read_text()
    peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
    return {"sentences": len(sentences), "tokens": written, "seconds": seconds, "peak_mb": peak}


def in_child(layout: str, tokens: int, env: dict | None = None) -> tuple[dict, str]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", layout, "--tokens", str(tokens)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    # oneDNN's verbose lines go to the same stdout: the result is the one JSON line
    result = next(line for line in out.stdout.splitlines() if line.startswith('{"sentences"'))
    return json.loads(result), out.stdout


def gemm_table(verbose: str) -> list[tuple[str, int, float]]:
    """(shape, calls, oneDNN ms) per GEMM shape in ONEDNN_VERBOSE output, largest first."""
    totals: dict[str, list] = collections.defaultdict(lambda: [0, 0.0])
    for line in verbose.splitlines():
        if not line.startswith("onednn_verbose,exec,cpu,gemm_api"):
            continue
        fields = line.split(",")
        kind = "int8" if "src_u8" in line else "f32"
        m, k, _, n = re.match(r"(\d+)x(\d+):(\d+)x(\d+)", fields[-2]).groups()
        total = totals[f"{kind} M={m} K={k} N={n}"]
        total[0] += 1
        total[1] += float(fields[-1])
    return sorted(((shape, c, ms) for shape, (c, ms) in totals.items()), key=lambda row: -row[2])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=50)
    parser.add_argument(
        "--layout", action="append", help=f"inter x intra : rows : articles (default {' '.join(DEFAULT_LAYOUTS)})"
    )
    parser.add_argument("--gemm", action="store_true", help="also break oneDNN's GEMM time down by shape")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_one(args.child, args.tokens)))
        return
    layouts = args.layout or DEFAULT_LAYOUTS
    runs: dict[str, list[dict]] = {layout: [] for layout in layouts}
    for round_ in range(args.rounds):
        for layout in layouts:
            result, _ = in_child(layout, args.tokens)
            runs[layout].append(result)
            print(
                f"round {round_ + 1} {layout}: {1000 * result['seconds'] / result['sentences']:.1f} ms / sentence, "
                f"peak RSS {result['peak_mb']:.0f} MB",
                flush=True,
            )
    print("\n| inter x intra : rows : articles | ms / sentence (median) | tokens / s | peak RSS |")
    print("|---|---|---|---|")
    for layout, results in runs.items():
        ms = statistics.median(1000 * r["seconds"] / r["sentences"] for r in results)
        rate = statistics.median(r["tokens"] / r["seconds"] for r in results)
        print(f"| {layout} | {ms:.1f} | {rate:.0f} | {max(r['peak_mb'] for r in results):.0f} MB |")
    if args.gemm:
        for layout in ("2x1:7:1", "2x1:13:8"):
            result, verbose = in_child(layout, args.tokens, dict(os.environ, ONEDNN_VERBOSE="1"))
            rows = gemm_table(verbose)
            total = sum(ms for _, _, ms in rows)
            print(f"\noneDNN GEMM time, {layout} (warm-up and timed run; verbose logging slows the run itself)")
            print(f"all GEMMs: {total:.0f} ms in {sum(c for _, c, _ in rows)} calls")
            for shape, calls, ms in rows[:6]:
                share = 100 * ms / total
                print(f"- {shape}: {calls} calls, {ms:.0f} ms ({share:.0f}%), {1000 * ms / calls:.0f} us / call")


if __name__ == "__main__":
    main()
