"""Why eight articles are not 8x one: CTranslate2 cost per sentence by sub-batch size and thread layout.

Usage: python bench/subbatch.py [--rounds 2] [--layout 2:16:1 ...] [--gemm] [--model NAME] [--beam 1]
       [--vocabulary cut|map|full|all] [--tokens 50]

A layout is parallel batches : batch size : articles, the service's own settings (SUMMARIZER_CT2_PARALLEL_BATCHES,
SUMMARIZER_BATCH_SIZE) on 2 threads: 2:16:1 is the default for one article (its 13 sentences in sub-batches of 7
and 6, one per core), 2:16:8 for eight at once (8 sub-batches of 13), 1:26:8 one batch at a time on both threads.
The sample article (repeated) goes through summarizer/translate/ct2.py's CTranslate2Engine.translate
(its real sub-batching; the sizes it made are printed), in a fresh process for each measurement (so its peak RSS
is its own), layouts interleaved round after round; the median over rounds is printed. The model is
bench/speed.py's random-weight opus-mt-ar-en (int8, greedy, 49 tokens per sentence; --model, --beam and
--tokens change them).

--vocabulary (SUMMARIZER_CT2_TARGET_VOCABULARY) chooses how the output is restricted to the target vocabulary: cut
(the decoder converted with the target tokens only, the service's default), map (the whole conversion decoding
with a vocabulary map), full (not restricted: the code before either), or a comma list of them; all = full,map,cut.
Each variant is measured interleaved with the others, their ratios against full (and cut against map) printed
round by round, with each conversion's model.bin size.

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


def count_split(steps: list[int], count: int, batch_size: int, fixed: float) -> list[int]:
    """The sub-batch sizes before the split by work: as equal in rows as can be, the later ones the larger."""
    size, extra = divmod(len(steps), count)
    return [size + (k >= count - extra) for k in range(count)]


def run_one(
    layout: str, tokens: int, model: str = "opus-mt-ar-en", beam: int = 1, vocabulary: str = "cut", split: str = "work"
) -> dict:
    """In this process: translate the layout's sentences once to warm up, once timed."""
    from service import memory_mb
    from speed import SHARED, build, settings_for
    from summarizer.segment import split_paragraphs
    from summarizer.translate import load_engine

    parallel, batch_size, articles = map(int, layout.split(":"))
    path = build(model)
    text = (SHARED / "samples" / "ar-news-ain-al-asad.txt").read_text(encoding="utf-8")
    sentences = [s for p in split_paragraphs(text) for s in p.sentences] * articles
    settings = settings_for(
        path,
        tokens,
        batch_size=batch_size,
        ct2_parallel_batches=parallel,
        beam_size=beam,
        ct2_target_vocabulary=vocabulary,
    )
    if split == "count":  # the engine as it split a text before (bench only)
        from summarizer.translate import ct2

        ct2.split_by_work = count_split
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


def step_cost(args) -> None:
    """Print one decoding step's cost by rows per sub-batch (two sub-batches at once, one per core) and its
    linear fit a + b x rows: a / b is the fixed per-step cost in rows, the constant of ct2.py's work estimate."""
    from speed import SHARED, build, settings_for
    from summarizer.segment import split_paragraphs
    from summarizer.translate import load_engine

    path = build(args.model)
    text = (SHARED / "samples" / "ar-news-ain-al-asad.txt").read_text(encoding="utf-8")
    sentences = [s for p in split_paragraphs(text) for s in p.sentences]
    [vocabulary] = args.vocabularies[-1:]
    settings = settings_for(path, 50, beam_size=args.beam, ct2_target_vocabulary=vocabulary)
    engine = load_engine(settings, path)
    tokens = engine.vocab.encode(sorted(sentences, key=len)[len(sentences) // 2])  # a median sentence
    options = {"beam_size": args.beam, "max_input_length": 0, "use_vmap": engine.use_vmap}

    def timed(rows: int, steps: int) -> float:
        start = time.perf_counter()
        pending = [
            engine.translator.translate_batch([tokens] * rows, max_decoding_length=steps, asynchronous=True, **options)
            for _ in range(engine.replicas)
        ]
        for future in (future for futures in pending for future in futures):
            future.result()
        return time.perf_counter() - start

    timed(2, 5)
    per_step: dict[int, list[float]] = {rows: [] for rows in (1, 2, 4, 7, 10, 13, 16)}
    for _ in range(args.rounds):
        for rows, times in per_step.items():  # the difference of two lengths leaves the encoder and set-up out
            times.append((timed(rows, 50) - timed(rows, 10)) / 40)
    xs = list(per_step)
    ys = [statistics.median(v) for v in per_step.values()]
    b = statistics.covariance(xs, ys) / statistics.variance(xs)
    a = statistics.mean(ys) - b * statistics.mean(xs)
    print(f"{args.model}, beam {args.beam}, target vocabulary {vocabulary}: ms per step by rows per sub-batch")
    for rows, ms in zip(xs, ys):
        print(f"- {rows} rows: {1000 * ms:.2f} ms (rounds {', '.join(f'{1000 * v:.2f}' for v in per_step[rows])})")
    print(f"fit: {1000 * a:.2f} ms + {1000 * b:.3f} ms x rows: fixed per-step cost = {a / b:.1f} rows")


def same_process(args, layouts: list[str], maps: list[str], splits: list[str]) -> None:
    """Every variant loaded in this one process and timed in quick alternation, the order rotating each round:
    on a shared, noisy machine the paired ratios drift less than across fresh processes (no peak RSS here).
    The process's CPU time (both decoders' threads) is printed beside the wall time: other processes on the
    machine stretch the wall time of a run far more than the CPU time it needs."""
    from speed import SHARED, build, settings_for
    from summarizer.segment import split_paragraphs
    from summarizer.translate import ct2, load_engine

    path = build(args.model)
    text = (SHARED / "samples" / "ar-news-ain-al-asad.txt").read_text(encoding="utf-8")
    article = [s for p in split_paragraphs(text) for s in p.sentences]
    splitters = {"work": ct2.split_by_work, "count": count_split}
    variants = {}
    for layout in layouts:
        parallel, batch_size, articles = map(int, layout.split(":"))
        for vocabulary in maps:
            changes = {"batch_size": batch_size, "ct2_parallel_batches": parallel, "ct2_target_vocabulary": vocabulary}
            engine = load_engine(settings_for(path, args.tokens, beam_size=args.beam, **changes), path)
            for split in splits:
                variants[layout, vocabulary, split] = (engine, article * articles)
    times: dict[tuple, list[float]] = {key: [] for key in variants}
    cpu: dict[tuple, list[float]] = {key: [] for key in variants}
    keys = list(variants)
    for round_ in range(args.rounds + 1):  # round 0 warms every engine up
        for key in keys[round_ % len(keys) :] + keys[: round_ % len(keys)]:
            engine, sentences = variants[key]
            ct2.split_by_work = splitters[key[2]]
            start, start_cpu = time.perf_counter(), time.process_time()
            engine.translate(sentences)
            if round_:
                times[key].append(time.perf_counter() - start)
                cpu[key].append(time.process_time() - start_cpu)
    print(f"{args.model}, beam {args.beam}, tokens {args.tokens}, {args.rounds} rounds in one process")
    print(
        "\n| parallel : batch size : articles | target vocabulary | split by | s (median) | s (min to max) "
        "| CPU s (median) | CPU s (min to max) |"
    )
    print("|---|---|---|---|---|---|---|")
    for key, values in times.items():
        layout, vocabulary, split = key
        print(
            f"| {layout} | {vocabulary} | {split} | {statistics.median(values):.2f} | "
            f"{min(values):.2f} to {max(values):.2f} | {statistics.median(cpu[key]):.2f} | "
            f"{min(cpu[key]):.2f} to {max(cpu[key]):.2f} |"
        )
    print("\nWall time:")
    print_ratios(times, layouts, maps, splits)
    print("\nCPU time:")
    print_ratios(cpu, layouts, maps, splits)


def print_ratios(times: dict[tuple, list[float]], layouts: list[str], maps: list[str], splits: list[str]) -> None:
    """Paired time ratios, round by round, for each dimension measured both ways."""
    pairs = [
        (f"{v} / full", (v, split), ("full", split)) for split in splits for v in maps if "full" in maps and v != "full"
    ]
    if {"cut", "map"} <= set(maps):
        pairs += [("cut / map", ("cut", split), ("map", split)) for split in splits]
    pairs += [("split by work / by count", (v, "work"), (v, "count")) for v in maps if len(splits) == 2]
    if "full" in maps and len(maps) > 1 and len(splits) == 2:
        pairs.append(("now / before", (maps[-1], "work"), ("full", "count")))
    for label, after, before in pairs:
        for layout in layouts:
            ratios = [a / b for a, b in zip(times[(layout, *after)], times[(layout, *before)])]
            print(
                f"- {layout}, {label} ({after[0]}, split by {after[1]} against {before[0]}, split by {before[1]}): "
                f"time ratio round by round {', '.join(f'{r:.2f}x' for r in ratios)}; "
                f"median {statistics.median(ratios):.2f}x"
            )


def print_sizes(model: str, maps: list[str]) -> None:
    """Each variant's conversion (made now if it is not cached, so that no measurement pays for it): its
    model.bin size and target vocabulary size."""
    from speed import build
    from summarizer.store import converted

    path = build(model)
    for vocabulary in maps:
        folder = converted(path, "int8", None, vocabulary)
        names = [n for n in ("target_vocabulary.json", "shared_vocabulary.json") if (folder / n).is_file()]
        size = len(json.loads((folder / names[0]).read_text(encoding="utf-8")))
        vmap = (folder / "vmap.txt").stat().st_size if vocabulary == "map" else 0
        print(
            f"- {vocabulary}: model.bin {(folder / 'model.bin').stat().st_size / 1e6:.1f} MB, target vocabulary "
            f"{size} tokens" + (f", vmap.txt {vmap / 1e3:.0f} KB" if vmap else ""),
            flush=True,
        )


def in_child(
    layout: str, args, vocabulary: str = "cut", split: str = "work", env: dict | None = None
) -> tuple[dict, str]:
    command = [sys.executable, __file__, "--child", layout, "--tokens", str(args.tokens), "--model", args.model]
    out = subprocess.run(
        command + ["--beam", str(args.beam), "--vocabulary", vocabulary, "--split", split],
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
    parser.add_argument("--model", default="opus-mt-ar-en", help="a model of bench/speed.py's ARCHS")
    parser.add_argument("--beam", type=int, default=1)
    parser.add_argument(
        "--vocabulary",
        default="cut",
        help="cut, map, full (SUMMARIZER_CT2_TARGET_VOCABULARY), a comma list of them, or all (full,map,cut)",
    )
    parser.add_argument(
        "--split", choices=("work", "count", "both"), default="work", help="sub-batches by work (now) or count (before)"
    )
    parser.add_argument("--same-process", action="store_true", help="time every variant in one process")
    parser.add_argument("--step-cost", action="store_true", help="measure a decoding step's cost by rows")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.vocabularies = ["full", "map", "cut"] if args.vocabulary == "all" else args.vocabulary.split(",")
    if not set(args.vocabularies) <= {"cut", "map", "full"}:
        parser.error(f"--vocabulary: cut, map, full or all, not {args.vocabulary}")
    if args.step_cost:
        step_cost(args)
        return
    if args.child:
        print(json.dumps(run_one(args.child, args.tokens, args.model, args.beam, args.vocabulary, args.split)))
        return
    layouts = args.layout or DEFAULT_LAYOUTS
    maps = args.vocabularies
    splits = {"work": ["work"], "count": ["count"], "both": ["count", "work"]}[args.split]
    print_sizes(args.model, maps)
    if args.same_process:
        same_process(args, layouts, maps, splits)
        return
    variants = [(layout, vocabulary, split) for layout in layouts for vocabulary in maps for split in splits]
    runs: dict[tuple[str, str, str], list[dict]] = {variant: [] for variant in variants}
    print(f"{args.model}, beam {args.beam}, tokens {args.tokens}")
    for round_ in range(args.rounds):
        for layout, vocabulary, split in variants:
            result, _ = in_child(layout, args, vocabulary, split)
            runs[layout, vocabulary, split].append(result)
            print(
                f"round {round_ + 1} {layout} vocabulary {vocabulary} split by {split}: "
                f"{result['seconds']:.2f} s, {1000 * result['seconds'] / result['sentences']:.1f} ms / sentence, "
                f"{result['tokens']} tokens, peak RSS {result['peak_mb']:.0f} MB, sub-batches {result['sizes']}",
                flush=True,
            )
    print(
        "\n| parallel : batch size : articles | target vocabulary | split by | sub-batches | s (median) | ms / sentence | "
        "tokens / s | peak RSS (median) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for (layout, vocabulary, split), results in runs.items():
        seconds = statistics.median(r["seconds"] for r in results)
        ms = 1000 * seconds / results[0]["sentences"]
        rate = statistics.median(r["tokens"] / r["seconds"] for r in results)
        sizes = "+".join(map(str, results[0]["sizes"]))
        print(
            f"| {layout} | {vocabulary} | {split} | {sizes} | {seconds:.2f} | {ms:.1f} | {rate:.0f} | "
            f"{statistics.median(r['peak_mb'] for r in results):.0f} MB |"
        )
    print_ratios({key: [r["seconds"] for r in results] for key, results in runs.items()}, layouts, maps, splits)
    if args.gemm:
        for layout in ("2:16:1", "2:16:8"):
            result, verbose = in_child(layout, args, maps[-1], splits[-1], dict(os.environ, ONEDNN_VERBOSE="1"))
            rows = gemm_table(verbose)
            total = sum(ms for _, _, ms in rows)
            print(f"\noneDNN GEMM time, {layout} (warm-up and timed run; verbose logging slows the run itself)")
            print(f"all GEMMs: {total:.0f} ms in {sum(c for _, c, _ in rows)} calls")
            for shape, calls, ms in rows[:6]:
                share = 100 * ms / total
                print(f"- {shape}: {calls} calls, {ms:.0f} ms ({share:.0f}%), {1000 * ms / calls:.0f} us / call")


if __name__ == "__main__":
    main()
