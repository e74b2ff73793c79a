"""Load and soak test of the service under gunicorn on loopback: bounded in requests and time, stops by itself.

Usage: python bench/load.py [--requests 10000] [--concurrency 4] [--max-seconds 1200] [--model DIR]

Starts the service (the tiny test model unless --model names a MarianMT folder), sends a mix of requests
(Arabic articles and sentences, English, many texts in one call, and bad input that must be 4xx) from
--concurrency threads, then prints the status counts, latency percentiles and the worker's RSS after the
first thousand requests and at the end. Soak criteria: zero 5xx, RSS growth < 5%.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import service  # noqa: E402  (bench/service.py)


def bodies(rng: random.Random):
    """An endless mix of realistic and bad requests: (path, body, expected status class)."""
    import tinymodels

    arabic = [s for s, _ in tinymodels.PAIRS]
    while True:
        kind = rng.random()
        if kind < 0.5:
            text = " ".join(rng.sample(arabic, rng.randint(1, 4)))
            yield "/api/v1/summarize", {"text": text, "summary_sentences": 1}, 2
        elif kind < 0.65:
            yield "/api/v1/translate", {"text": tinymodels.ARTICLE}, 2
        elif kind < 0.8:
            n = rng.randint(1, 10_000)
            yield (
                "/api/v1/summarize",
                {"text": f"The army said {n} soldiers were hurt. The base was hit. Nobody died."},
                2,
            )
        elif kind < 0.9:
            yield "/api/v1/summarize", {"texts": rng.sample(arabic, 3)}, 2
        else:
            yield (
                "/api/v1/summarize",
                rng.choice(
                    [
                        {"text": ""},
                        {"txt": "x"},
                        {"text": 5},
                        {"text": "Le gouvernement a annoncé de nouvelles mesures."},
                    ]
                ),
                4,
            )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=1200)
    parser.add_argument("--model", help="a MarianMT folder (default: the tiny test model)")
    parser.add_argument("--port", type=int, default=18900)
    args = parser.parse_args(argv)
    import tinymodels

    model = args.model or str(tinymodels.build_all()["translation"])
    master, _ = service.start(
        args.port,
        SUMMARIZER_TRANSLATION_MODEL=model,
        SUMMARIZER_LOAD_ABSTRACTIVE="false",
        SUMMARIZER_LOG_LEVEL="WARNING",
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        statuses: collections.Counter = collections.Counter()
        unexpected: collections.Counter = collections.Counter()
        latencies: list[float] = []
        rss = {}
        lock = threading.Lock()
        counter = iter(range(args.requests))
        deadline = time.monotonic() + args.max_seconds

        def client(seed: int) -> None:
            source = bodies(random.Random(seed))
            while time.monotonic() < deadline:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                path, body, expected = next(source)
                request = urllib.request.Request(
                    base + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
                )
                start = time.perf_counter()
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        response.read()
                        status = response.status
                except urllib.error.HTTPError as err:
                    err.read()
                    status = err.code
                except OSError:
                    status = 0  # connection failure
                elapsed = time.perf_counter() - start
                with lock:
                    statuses[status] += 1
                    latencies.append(elapsed)
                    if status // 100 != expected:
                        unexpected[(path, status)] += 1
                    if i == 999:
                        rss["first_1000"] = service.worker_memory_mb(master)

        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(seed,)) for seed in range(args.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        rss["end"] = service.worker_memory_mb(master)
    finally:
        master.terminate()
        master.wait(timeout=60)
    done = sum(statuses.values())
    five = sum(n for s, n in statuses.items() if s >= 500 or s == 0)
    lat = sorted(latencies)
    print(f"{done} requests in {wall:.1f} s ({done / wall:.1f}/s) from {args.concurrency} clients")
    print(f"status counts: {dict(sorted(statuses.items()))}; 5xx or failed: {five}; unexpected: {dict(unexpected)}")
    print(
        f"latency p50 {statistics.median(lat) * 1000:.1f} ms, p95 {lat[int(0.95 * len(lat)) - 1] * 1000:.1f} ms, "
        f"p99 {lat[int(0.99 * len(lat)) - 1] * 1000:.1f} ms"
    )
    if "first_1000" in rss:
        growth = 100 * (rss["end"] - rss["first_1000"]) / rss["first_1000"]
        print(
            f"worker RSS after 1,000 requests {rss['first_1000']:.1f} MB, at the end {rss['end']:.1f} MB: "
            f"{growth:+.1f}% (target < 5%)"
        )
    sys.exit(1 if five or unexpected else 0)


if __name__ == "__main__":
    main()
