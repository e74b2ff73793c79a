"""The cut conversion's size, memory and speed against the whole one, side by side in one run.

Usage: python bench/cutsides.py [--model opus-mt-ar-en] [--rounds 4] [--beam 1] [--also NAME=FOLDER ...]

Conversions (int8) of a bench/speed.py model, made once in ~/.cache/summarizer-bench/cutsides: "full" (the whole
shared vocabulary), "cut" (this code: decoder and encoder cut), and "cut src30k": the cut with the bench model's
~28k "▁filler" tokens kept on the source side too, i.e. a source.spm of ~30k pieces like the real models' (the
bench source.spm, trained on a few articles, has only ~2k). --also adds conversions made elsewhere, e.g. by an
older version of the cut. Each conversion is loaded in a fresh process that translates the same sentences of
the first EASC articles (greedy by default; the bench models never end early, so every output is 49 tokens):
model.bin, peak RSS, and the translation's wall and CPU time, rounds interleaved, ratios against the first
variant given by --also (else "full").
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def conversions(model: str) -> dict[str, Path]:
    """The variants' folders, converted now if not cached."""
    from speed import CACHE, build
    from summarizer.store import converted, source_tokens, target_tokens
    from summarizer.translate.ct2convert import TargetVocabularyConverter

    path = build(model)
    out = CACHE / "cutsides" / path.name
    folders = {name: converted(path, "int8", out / "cache", name) for name in ("full", "cut")}
    folders["cut src30k"] = out / folders["cut"].name.replace("-int8-", "-int8-src30k-")
    if not (folders["cut src30k"] / "model.bin").is_file():
        vocab = json.loads((path / "vocab.json").read_text(encoding="utf-8"))
        source = (source_tokens(path) or []) + [t for t in vocab if t.startswith("\u2581filler")]
        converter = TargetVocabularyConverter(str(path), target_tokens(path) or [], source)
        converter.convert(str(folders["cut src30k"]), quantization="int8", force=True)
    return folders


def child(folder: str, model: str, shared: str, beam: int) -> None:
    """Load one conversion, translate the sentences, print the figures as JSON (nothing else imported: the
    peak RSS is the conversion's)."""
    import ctranslate2

    from summarizer.translate.vocab import MarianVocab

    vocab = MarianVocab(Path(model))
    articles = sorted((Path(shared) / "eval/easc-dev/Articles").glob("*/*.txt"))[:8]
    lines = [line.strip() for f in articles for line in f.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    tokens = [vocab.encode(line)[:100] for line in lines]
    start = time.perf_counter()
    translator = ctranslate2.Translator(folder, compute_type="int8", inter_threads=2, intra_threads=1)
    loaded, cpu = time.perf_counter(), time.process_time()
    results = translator.translate_batch(tokens, beam_size=beam, max_batch_size=16, max_decoding_length=50)
    figures = {
        "load": loaded - start,
        "translate": time.perf_counter() - loaded,
        "cpu": time.process_time() - cpu,
        "peak": peak_rss_mb(),
        "sentences": len(tokens),
        "lengths": sorted({len(r.hypotheses[0]) for r in results}),
    }
    print(json.dumps(figures))


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM, which exec resets (ru_maxrss keeps the forking parent's, the conversion's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="opus-mt-ar-en")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--beam", type=int, default=1)
    parser.add_argument("--also", action="append", default=[], help="NAME=FOLDER: another conversion to measure")
    args = parser.parse_args()
    folders = {name: Path(folder) for name, folder in (a.split("=", 1) for a in args.also)}
    folders |= conversions(args.model)
    from speed import SHARED, build

    model = build(args.model)
    names = list(folders)
    got: dict[str, list[dict]] = {name: [] for name in names}
    for round_ in range(args.rounds):
        for name in names if round_ % 2 == 0 else names[::-1]:
            command = [sys.executable, __file__, "--child", str(folders[name]), str(model), str(SHARED), str(args.beam)]
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            got[name].append(json.loads(out.strip().splitlines()[-1]))
    first = got[names[0]][0]
    print(f"{args.model}, beam {args.beam}, {args.rounds} rounds, {first['sentences']} sentences, {first['lengths']}")
    for name in names:
        runs = got[name]
        peaks = ", ".join(f"{r['peak']:.0f}" for r in runs)
        wall = [a["translate"] / b["translate"] for a, b in zip(runs, got[names[0]])]
        cpu = [a["cpu"] / b["cpu"] for a, b in zip(runs, got[names[0]])]
        print(
            f"- {name}: model.bin {(folders[name] / 'model.bin').stat().st_size / 1e6:.1f} MB, peak RSS "
            f"{statistics.median(r['peak'] for r in runs):.0f} MB ({peaks}), "
            f"translation {statistics.median(r['translate'] for r in runs):.2f} s, / {names[0]} "
            f"{statistics.median(wall):.2f}x wall ({min(wall):.2f} to {max(wall):.2f}), {statistics.median(cpu):.2f}x CPU"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:5], int(sys.argv[5]))
    else:
        main()
