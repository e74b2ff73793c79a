"""Why eight articles are not 8x one: CTranslate2 cost per sentence by sub-batch size and thread layout.

Usage: python bench/subbatch.py [--rounds 2] [--layout 2:16:1 ...] [--gemm]

A layout is parallel batches : batch size : articles, the service's own settings (SUMMARIZER_CT2_PARALLEL_BATCHES,
SUMMARIZER_BATCH_SIZE) on 2 threads: 2:16:1 is the default for one article (its 13 sentences in sub-batches of 7
and 6, one per core), 2:16:8 for eight at once (8 sub-batches of 13), 1:26:8 one batch at a time on both threads.
The sample article (repeated) goes through summarizer/translate/ct2.py's CTranslate2Engine.translate
(its real sub-batching; the sizes it made are printed), in a fresh process for each measurement (so its peak RSS
is its own), layouts interleaved round after round; the median over rounds is printed. The model is
bench/speed.py's random-weight opus-mt-ar-en (int8, greedy, 49 tokens per sentence).

--gemm also runs one article (2:16:1) and eight (2:16:8) once with ONEDNN_VERBOSE and sums oneDNN's own time per
GEMM shape: the output projection onto the ~62k vocabulary is the largest, and its cost per call is a fixed part
(the weights) plus a part per row; the fixed part is what bigger sub-batches share.
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

DEFAULT_LAYOUTS = ["2:16:1", "2:16:8", "2:32:8", "1:16:1", "1:26:8"]


def run_one(layout: str, tokens: int) -> dict:
    """In this process: translate the layout's sentences once to warm up, once timed."""
    from service import memory_mb
    from speed import SHARED, build, settings_for
    from summarizer.segment import split_paragraphs
    from summarizer.translate import load_engine

    parallel, batch_size, articles = map(int, layout.split(":"))
    path = build("opus-mt-ar-en")
    text = (SHARED / "samples" / "ar-news-ain-al-asad.txt").read_text(encoding="utf-8")
    sentences = [s for p in split_paragraphs(text) for s in p.sentences] * articles
    settings = settings_for(path, tokens, batch_size=batch_size, ct2_parallel_batches=parallel)
    translator = load_engine(settings, path)
    engine, sizes = translator.translator, []

    class Recording:  # the sub-batch sizes the translator hands CTranslate2
        def translate_batch(self, batch, **options):
            sizes.append(len(batch))
            return engine.translate_batch(batch, **options)

    translator.translator = Recording()
    translator.translate(sentences)
    sizes.clear()
    before = translator.tokens_out
    start = time.perf_counter()
    translator.translate(sentences)
    seconds = time.perf_counter() - start
    return {
        "sentences": len(sentences),
        "tokens": translator.tokens_out - before,
        "sizes": sizes,
        "seconds": seconds,
        "peak_mb": memory_mb("self", "VmHWM"),
    }


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
        "--layout",
        action="append",
        help=f"parallel batches : batch size : articles (default {' '.join(DEFAULT_LAYOUTS)})",
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
                f"peak RSS {result['peak_mb']:.0f} MB, sub-batches {result['sizes']}",
                flush=True,
            )
    print("\n| parallel : batch size : articles | sub-batches | ms / sentence (median) | tokens / s | peak RSS |")
    print("|---|---|---|---|---|")
    for layout, results in runs.items():
        ms = statistics.median(1000 * r["seconds"] / r["sentences"] for r in results)
        rate = statistics.median(r["tokens"] / r["seconds"] for r in results)
        sizes = "+".join(map(str, results[0]["sizes"]))
        print(f"| {layout} | {sizes} | {ms:.1f} | {rate:.0f} | {max(r['peak_mb'] for r in results):.0f} MB |")
    if args.gemm:
        for layout in ("2:16:1", "2:16:8"):
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
