"""Translation speed, side by side in one run: naive transformers, batched transformers, CTranslate2, the service.

Usage: python bench/speed.py [--rounds 2] [--requests 4] [--skip-big] [--tokens 50]

Models: random weights with the exact shapes of opus-mt-ar-en (d_model 512, 6+6 layers, 8 heads, FFN 2048,
~62k vocabulary, ~76M parameters) and opus-mt-tc-big-ar-en (d_model 1024, 6+6 layers, 16 heads, FFN 4096,
~240M parameters), saved as real MarianMT folders (SentencePiece vocabularies trained on the EASC articles
and English Tatoeba sentences, target.spm filled up to the real models' 32k pieces so that the target vocabulary
map is as large as theirs) and cached in ~/.cache/summarizer-bench. ../shared is read from beside the repository
(BENCH_SHARED=/path/to/shared elsewhere, e.g. in a git worktree). The end-of-sentence logit is pushed to -inf so that every engine
writes exactly --tokens - 1 tokens per sentence (the bound's last position is the end token): equal output
lengths across engines by construction, checked and printed. Engines run interleaved, round after round; the
median of the rounds is reported. The service is measured against the raw engine in interleaved rounds too.

--tokens 0 measures the service and the raw engine only, with outputs as long as inputs: each sub-batch decodes
as many tokens as its longest input has, so that sub-batches of long sentences take longer, as real ones do
(rows still never end early, as real ones would).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BENCH_SHARED", ROOT.parent / "shared"))  # ../shared beside the repository
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # tinymodels: the opus-mt folder layout shared with the tests

import service  # bench/service.py
from summarizer.config import Settings
from summarizer.segment import split_paragraphs

# vocab: the joint vocabulary (vocab.json); target: target.spm's pieces, the vocabulary map's size.
ARCHS = {
    "opus-mt-ar-en": {"d_model": 512, "layers": 6, "heads": 8, "ffn": 2048, "vocab": 62_000, "target": 32_000},
    "opus-mt-tc-big-ar-en": {
        "d_model": 1024,
        "layers": 6,
        "heads": 16,
        "ffn": 4096,
        "vocab": 61_000,
        "target": 32_000,
    },
}
CACHE = Path(os.environ.get("SUMMARIZER_BENCH_CACHE", Path.home() / ".cache" / "summarizer-bench"))
THREADS = os.cpu_count() or 2


def build(name: str) -> Path:
    """A random-weight MarianMT folder with the named architecture (built once, cached)."""
    folder = CACHE / f"{name}-target{ARCHS[name]['target'] // 1000}k"
    if (folder / "config.json").exists():
        return folder
    import sentencepiece as spm
    import torch

    from tinymodels import opus_mt_model, write_opus_mt_vocab

    arch = ARCHS[name]
    folder.mkdir(parents=True, exist_ok=True)
    arabic = [
        line
        for f in sorted((SHARED / "eval/easc-dev/Articles").glob("*/*.txt"))
        for line in f.read_text(encoding="utf-8-sig").splitlines()
        if line.strip()
    ]
    english = (SHARED / "eval/langid-dev/en.txt").read_text(encoding="utf-8").splitlines()
    for file, lines in (("source.spm", arabic), ("target.spm", english)):
        (folder / file).write_bytes(train_spm(lines, 8000))
    # The real target.spm has ~32k English pieces; 1,000 English sentences train far fewer, so the rest are
    # pieces no text contains (user-defined symbols): the vocabulary map then has the real models' size.
    trained = spm.SentencePieceProcessor(model_file=str(folder / "target.spm")).get_piece_size()
    if trained < arch["target"]:
        extra = [f"\u2581target{i}" for i in range(arch["target"] - trained)]
        (folder / "target.spm").write_bytes(train_spm(english, arch["target"], extra))
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"model_max_length": 512, "separate_vocabs": False, "tokenizer_class": "MarianTokenizer"})
    )
    pad = write_opus_mt_vocab(folder, size=arch["vocab"])
    torch.manual_seed(0)
    model = opus_mt_model(pad + 1, arch["d_model"], arch["layers"], arch["heads"], arch["ffn"]).eval()
    with torch.no_grad():
        model.final_logits_bias[0, 0] = -1e4  # never end early: every engine writes the same number of tokens
    model.save_pretrained(folder)
    print(f"built {name}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters", flush=True)
    return folder


def train_spm(lines: list[str], size: int, extra: list[str] | None = None) -> bytes:
    """A unigram SentencePiece model of up to size pieces (fewer if lines are too few), extra included."""
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=size,
        hard_vocab_limit=False,
        bos_id=-1,
        eos_id=-1,
        unk_id=0,
        minloglevel=2,
        character_coverage=1.0,
        user_defined_symbols=extra or [],
    )
    return model.getvalue()


def bound(tokens: int) -> tuple[float, int]:
    """(max_output_ratio, max_output_offset): tokens positions for every sentence, or with tokens 0 as many as
    the longest input of its sub-batch (the end token never comes, so every row decodes to that bound)."""
    return (0.0, tokens) if tokens else (1.0, 0)


def settings_for(path: Path, tokens: int, **changes) -> Settings:
    ratio, offset = bound(tokens)
    return Settings(
        translation_model=str(path),
        max_output_ratio=ratio,
        max_output_offset=offset,
        no_repeat_ngram_size=0,
        threads=THREADS,
        translation_cache_size=0,
        **changes,
    )


def engines(path: Path, tokens: int, big: bool):
    """(label, translator, how it is called) for every engine measured on this model."""
    from summarizer.translate import load_engine

    def each(t):
        return lambda sentences: [out for s in sentences for out in t.translate([s])]

    def batched(t):
        return t.translate

    hf4 = load_engine(settings_for(path, tokens, beam_size=4, translation_engine="transformers"), path)
    hf1 = load_engine(settings_for(path, tokens, beam_size=1, translation_engine="transformers"), path)
    rows = []
    if not big:
        rows += [
            ("transformers beam 4, one sentence at a time (naive)", hf4, each(hf4)),
            ("transformers greedy, one sentence at a time", hf1, each(hf1)),
        ]
    rows += [("transformers beam 4, batched", hf4, batched(hf4)), ("transformers greedy, batched", hf1, batched(hf1))]
    for compute, beams in (("float32", 1), ("int8", 4), ("int8", 1)):
        t = load_engine(settings_for(path, tokens, beam_size=beams, ct2_compute_type=compute), path)
        rows.append((f"CTranslate2 {compute}, {'greedy' if beams == 1 else f'beam {beams}'}, batched", t, batched(t)))
    return rows


def measure_engines(path: Path, sentences: list[str], tokens: int, rounds: int, big: bool) -> dict:
    rows = engines(path, tokens, big)
    times = {label: [] for label, _, _ in rows}
    lengths = {}
    for _, _, call in rows:  # warm-up: first-call allocations are not part of any round
        call(sentences[:2])
    for _ in range(rounds):
        for label, translator, call in rows:
            before = translator.tokens_out
            start = time.perf_counter()
            call(sentences)
            times[label].append(time.perf_counter() - start)
            lengths[label] = translator.tokens_out - before  # counted by the engine itself
    return {label: (statistics.median(t), lengths[label]) for label, t in times.items()}


def serve(path: Path, tokens: int, port: int):
    """Start the service at its default engine and beam; returns (process, cold start s)."""
    ratio, offset = bound(tokens)
    return service.start(
        port,
        SUMMARIZER_TRANSLATION_MODEL=str(path),
        SUMMARIZER_MAX_OUTPUT_RATIO=str(ratio),
        SUMMARIZER_MAX_OUTPUT_OFFSET=str(offset),
        SUMMARIZER_NO_REPEAT_NGRAM_SIZE="0",
        SUMMARIZER_TRANSLATION_CACHE_SIZE="0",
        SUMMARIZER_LOAD_ABSTRACTIVE="false",
    )


def post(port: int, text: str, **options) -> float:
    body = json.dumps({"text": text, **options}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/summarize", body, {"Content-Type": "application/json"}
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        assert response.status == 200
        response.read()
    return time.perf_counter() - start


def burst(port: int, text: str, clients: int, requests: int) -> tuple[float, list[float]]:
    """requests POSTs from `clients` concurrent clients: (wall seconds, latencies)."""
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = list(pool.map(lambda _: post(port, text), range(requests)))
    return time.perf_counter() - start, latencies


def measure_service(path: Path, text: str, sentences: list[str], tokens: int, rounds: int) -> dict:
    """The service against the raw engine at the same settings, interleaved round after round.

    Each round: the raw CTranslate2 engine (in this process, the service's default settings: int8, greedy) on
    the article; one POST; 8 clients posting 8 articles at once; the raw engine on the 8 articles in one call
    (what the service's round of 8 can at best reach); then the same two (raw, one POST) at beam 4.
    """
    from summarizer.translate import load_engine

    raw = {b: load_engine(settings_for(path, tokens, beam_size=b), path) for b in (1, 4)}
    port = 18000 + os.getpid() % 1000
    proc, cold = serve(path, tokens, port)
    clients = 8
    times = {k: [] for k in ("raw", "one", "raw4", "one4", "eight_wall", "raw_eight")}
    latencies_8 = []
    try:
        post(port, text)  # warm-up
        for engine in raw.values():
            engine.translate(sentences[:2])
        for _ in range(rounds):
            times["raw"].append(_timed(raw[1].translate, sentences))
            times["one"].append(post(port, text))
            wall, latencies = burst(port, text, clients, clients)
            times["eight_wall"].append(wall)
            latencies_8 += latencies
            times["raw_eight"].append(_timed(raw[1].translate, sentences * clients))
            times["raw4"].append(_timed(raw[4].translate, sentences))
            times["one4"].append(post(port, text, beam_size=4))
        # Short texts (one headline per request, as monitoring pipelines send): where cross-request batching pays.
        headline = text.splitlines()[0]
        start = time.perf_counter()
        for _ in range(16):
            post(port, headline)
        short_wall_1 = time.perf_counter() - start
        short_wall_8, _ = burst(port, headline, clients, 64)
        return {
            "cold_start_s": cold,
            "raw": statistics.median(times["raw"]),
            "raw4": statistics.median(times["raw4"]),
            "one": statistics.median(times["one"]),
            "one4": statistics.median(times["one4"]),
            "p95_1": _p95(times["one"]),
            "articles_per_s_1": len(times["one"]) / sum(times["one"]),
            "articles_per_s_8": clients * rounds / sum(times["eight_wall"]),
            "raw_articles_per_s_1": len(times["raw"]) / sum(times["raw"]),
            "raw_articles_per_s_8": clients * rounds / sum(times["raw_eight"]),
            # the same ratios round by round: how much this machine moves them from one minute to the next
            "ratios_8": [one * clients / wall for one, wall in zip(times["one"], times["eight_wall"])],
            "raw_ratios_8": [raw * clients / wall for raw, wall in zip(times["raw"], times["raw_eight"])],
            "p50_8": statistics.median(latencies_8),
            "p95_8": _p95(latencies_8),
            "headlines_per_s_1": 16 / short_wall_1,
            "headlines_per_s_8": 64 / short_wall_8,
            "rss_mb": service.worker_memory_mb(proc, "VmHWM"),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def measure_served(path: Path, text: str, tokens: int, rounds: int) -> dict:
    """One client, the service's defaults, another model: seconds per article, cold start, peak RSS."""
    port = 19000 + os.getpid() % 1000
    proc, cold = serve(path, tokens, port)
    try:
        post(port, text)
        single = [post(port, text) for _ in range(rounds)]
        rss = service.worker_memory_mb(proc, "VmHWM")
        return {"one": statistics.median(single), "cold_start_s": cold, "rss_mb": rss}
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _timed(call, *args) -> float:
    start = time.perf_counter()
    call(*args)
    return time.perf_counter() - start


def _spread(ratios: list[float]) -> str:
    return f"{min(ratios):.2f}x to {max(ratios):.2f}x (median {statistics.median(ratios):.2f}x)"


def _p95(values):
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--tokens",
        type=int,
        default=50,
        help="output positions per sentence (tokens + end), forced for every engine; 0: as many as the longest input "
        "of the sentence's sub-batch, the service only (engines batching differently then do different work)",
    )
    parser.add_argument("--requests", type=int, default=4, help="interleaved rounds against the service")
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args(argv)
    text = (SHARED / "samples" / "ar-news-ain-al-asad.txt").read_text(encoding="utf-8")
    sentences = [s for p in split_paragraphs(text) for s in p.sentences]
    lengths = (
        f"{args.tokens - 1} output tokens per sentence ({(args.tokens - 1) * len(sentences)} per article: the last "
        f"of the {args.tokens} positions is the end token)"
        if args.tokens
        else "each sub-batch decodes as many tokens as its longest input has (outputs as long as inputs; the service "
        "and the raw engine only)"
    )
    print(
        f"sample article: {len(text.encode())} bytes, {len(sentences)} sentences, {lengths}; {THREADS} threads; "
        f"{args.rounds} rounds\n"
    )
    results = {}
    for name in ARCHS if args.tokens else []:
        if name != "opus-mt-ar-en" and args.skip_big:
            continue
        path = build(name)
        results[name] = measure_engines(path, sentences, args.tokens, args.rounds, big=name != "opus-mt-ar-en")
        print(f"{name} (random weights)")
        print("| engine | s / article | output tokens | tokens / s |")
        print("|---|---|---|---|")
        for label, (seconds, length) in results[name].items():
            print(f"| {label} | {seconds:.2f} | {length} | {length / seconds:.0f} |")
        print(flush=True)
    served = measure_service(build("opus-mt-ar-en"), text, sentences, args.tokens, args.requests)
    print(
        f"service: POST /api/v1/summarize under gunicorn, default engine (CTranslate2 int8) and beam (greedy), "
        f"cache off; {args.requests} interleaved rounds of: raw engine, 1 client, 8 clients x 1 article, "
        f"raw engine on the 8 articles in one call, raw engine at beam 4, 1 client asking beam_size 4"
    )
    print("| measure | value |")
    print("|---|---|")
    print(f"| cold start to ready | {served['cold_start_s']:.2f} s |")
    print(f"| raw CTranslate2 int8 greedy (same settings, same rounds): s / article | {served['raw']:.2f} |")
    print(f"| 1 client: s / article (p50, p95) | {served['one']:.2f}, {served['p95_1']:.2f} |")
    print(f"| 8 clients: latency p50, p95 | {served['p50_8']:.2f}, {served['p95_8']:.2f} s |")
    print(
        f"| articles / s with 1 client, 8 clients | {served['articles_per_s_1']:.3f}, "
        f"{served['articles_per_s_8']:.3f} |"
    )
    print(
        f"| raw CTranslate2 int8 greedy, articles / s: 1 article, 8 articles in one call | "
        f"{served['raw_articles_per_s_1']:.3f}, {served['raw_articles_per_s_8']:.3f} |"
    )
    print(f"| raw CTranslate2 int8 beam 4: s / article | {served['raw4']:.2f} |")
    print(f"| 1 client asking beam_size 4: s / article | {served['one4']:.2f} |")
    print(
        f"| one-sentence texts / s with 1 client, 8 clients | {served['headlines_per_s_1']:.2f}, "
        f"{served['headlines_per_s_8']:.2f} |"
    )
    print(f"| worker peak RSS | {served['rss_mb']:.0f} MB |\n")
    big_served = None
    if "opus-mt-tc-big-ar-en" in results:
        big_served = measure_served(build("opus-mt-tc-big-ar-en"), text, args.tokens, args.requests)
        print(
            f"service with opus-mt-tc-big-ar-en (defaults, 1 client): {big_served['one']:.2f} s / article, "
            f"cold start {big_served['cold_start_s']:.2f} s, worker peak RSS {big_served['rss_mb']:.0f} MB\n"
        )
    print("ratios")
    print(
        f"- service / raw CTranslate2 int8, greedy (the default): {served['one'] / served['raw']:.2f}x (target <= 1.15)"
    )
    print(f"- service / raw CTranslate2 int8, beam 4 (on request): {served['one4'] / served['raw4']:.2f}x")
    print(
        f"- 8 clients / 1 client throughput: {served['articles_per_s_8'] / served['articles_per_s_1']:.2f}x "
        f"(target >= 1.5); the raw engine in the same rounds, 8 articles in one call / 1 article: "
        f"{served['raw_articles_per_s_8'] / served['raw_articles_per_s_1']:.2f}x"
    )
    print(f"  round by round: service {_spread(served['ratios_8'])}, raw engine {_spread(served['raw_ratios_8'])}")
    print(f"- beam 4 / greedy, 1 client: {served['one4'] / served['one']:.2f}x the time")
    print(
        f"- one-sentence texts, 8 clients / 1 client throughput: "
        f"{served['headlines_per_s_8'] / served['headlines_per_s_1']:.2f}x"
    )
    if "opus-mt-ar-en" not in results:
        return
    base = results["opus-mt-ar-en"]
    naive = base["transformers beam 4, one sentence at a time (naive)"][0]
    hf_greedy = base["transformers greedy, batched"][0]
    print(f"- naive / service: {naive / served['one']:.1f}x (target >= 10)")
    for label, (seconds, _) in base.items():
        print(f"- naive / {label}: {naive / seconds:.1f}x")
    if big_served is not None:
        big = results["opus-mt-tc-big-ar-en"]
        print(
            f"- tc-big served (greedy, 1 client) / base transformers greedy batched: "
            f"{big_served['one'] / hf_greedy:.2f}x (target <= 1.0)"
        )
        for label in ("CTranslate2 int8, greedy, batched", "CTranslate2 int8, beam 4, batched"):
            print(f"- tc-big {label} / base transformers greedy batched: {big[label][0] / hf_greedy:.2f}x")


if __name__ == "__main__":
    main()
