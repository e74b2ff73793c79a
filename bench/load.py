"""Load and soak test of the service under gunicorn on loopback: bounded in requests and time, stops by itself.

Usage: python bench/load.py [--requests 10000] [--concurrency 4] [--max-seconds 1200] [--model DIR]
                            [--slow-clients 50] [--junk-requests 100000]

Starts the service (the tiny test model unless --model names a MarianMT folder), sends a mix of requests
(Arabic articles and sentences, English, many texts in one call, and bad input that must be 4xx) from
--concurrency threads, then prints the status counts, latency percentiles and the worker's RSS after the
first thousand requests and at the end. Soak criteria: zero 5xx, RSS growth < 5%.

Attacks, both off by default:
--slow-clients N keeps N connections open during the mix that trickle their request (half the head, half a
body shorter than its Content-Length) at one byte a second, replacing each one the server drops; it prints
how many the server dropped and after how long. The mix's latencies are then those of normal requests
beside the slow clients.
--junk-requests N first sends N requests with random method names (405s and 404s) and prints the size of
/metrics and the worker's RSS before and after.
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
import service  # bench/service.py


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


def junk_requests(base: str, n: int, threads: int) -> dict:
    """Send n requests with random method names on kept-alive connections; count the answers by status."""
    import http.client
    import string

    host, port = base.rsplit("/", 1)[-1].split(":")
    counts: collections.Counter = collections.Counter()
    lock = threading.Lock()
    left = iter(range(n))

    def client(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        while True:
            with lock:
                if next(left, None) is None:
                    break
            method = "".join(rng.choices(string.ascii_uppercase, k=rng.randint(4, 16)))
            path = rng.choice(["/api/v1/summarize", "/", "/healthz", f"/x{rng.randint(0, 10**9)}"])
            try:
                connection.request(method, path)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(host, int(port), timeout=60)
                status = 0
            with lock:
                counts[status] += 1
        connection.close()

    workers = [threading.Thread(target=client, args=(seed,)) for seed in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return dict(counts)


class SlowClients:
    """n connections trickling their request at one byte a second; each one the server drops is replaced."""

    def __init__(self, base: str, n: int):
        host, port = base.rsplit("/", 1)[-1].split(":")
        self.address = (host, int(port))
        self.n = n
        self.dropped: list[tuple[float, bytes]] = []  # (seconds it was open, first bytes of the answer)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _open(self, i: int):
        import socket

        sock = socket.create_connection(self.address)
        if i % 2:
            sock.sendall(b"POST /api/v1/summarize HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n{")
        else:
            sock.sendall(b"POST /api/v1/summarize HTTP/1.1\r\nHost: x\r\n")
        sock.setblocking(False)
        return [sock, time.monotonic(), i]

    def _run(self) -> None:
        conns = [self._open(i) for i in range(self.n)]
        while not self.stop.wait(1.0):
            for k, (sock, opened, i) in enumerate(conns):
                try:
                    answer = sock.recv(64)
                except BlockingIOError:
                    try:
                        sock.send(b"a" if i % 2 else b"X")
                    except OSError:
                        pass
                    continue
                except OSError:
                    answer = b""
                self.dropped.append((time.monotonic() - opened, answer[:12]))
                sock.close()
                conns[k] = self._open(i)
        for sock, _, _ in conns:
            sock.close()

    def start(self) -> SlowClients:
        """Open the connections; return once they have all sent their first bytes."""
        self.thread.start()
        time.sleep(2)
        return self

    def close(self) -> None:
        """Stop trickling and close every connection."""
        self.stop.set()
        self.thread.join()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=1200)
    parser.add_argument("--model", help="a MarianMT folder (default: the tiny test model)")
    parser.add_argument("--port", type=int, default=18900)
    parser.add_argument("--slow-clients", type=int, default=0, help="slow connections open during the mix")
    parser.add_argument("--junk-requests", type=int, default=0, help="random-method requests sent first")
    parser.add_argument("--read-timeout", type=float, help="SUMMARIZER_REQUEST_READ_TIMEOUT_S for the service")
    args = parser.parse_args(argv)
    import tinymodels

    model = args.model or str(tinymodels.build_all()["translation"])
    master, _ = service.start(
        args.port,
        SUMMARIZER_TRANSLATION_MODEL=model,
        SUMMARIZER_LOAD_ABSTRACTIVE="false",
        SUMMARIZER_LOG_LEVEL="WARNING",
        **({"SUMMARIZER_REQUEST_READ_TIMEOUT_S": str(args.read_timeout)} if args.read_timeout else {}),
    )
    base = f"http://127.0.0.1:{args.port}"
    slow = None
    try:
        if args.junk_requests:

            def metrics_size() -> int:
                with urllib.request.urlopen(base + "/metrics", timeout=60) as response:
                    return len(response.read())

            before = (metrics_size(), service.worker_memory_mb(master))
            started = time.perf_counter()
            counts = junk_requests(base, args.junk_requests, args.concurrency)
            wall = time.perf_counter() - started
            after = (metrics_size(), service.worker_memory_mb(master))
            print(f"{args.junk_requests} junk-method requests in {wall:.1f} s, answers {dict(sorted(counts.items()))}")
            print(
                f"/metrics {before[0] / 1024:.1f} KB before, {after[0] / 1024:.1f} KB after; "
                f"worker RSS {before[1]:.1f} MB before, {after[1]:.1f} MB after"
            )
        if args.slow_clients:
            slow = SlowClients(base, args.slow_clients).start()
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
        if slow is not None:
            slow.close()
        master.terminate()
        master.wait(timeout=60)
    done = sum(statuses.values())
    five = sum(n for s, n in statuses.items() if s >= 500 or s == 0)
    lat = sorted(latencies)
    print(f"{done} requests in {wall:.1f} s ({done / wall:.1f}/s) from {args.concurrency} clients")
    if slow is not None:
        opened = sorted(seconds for seconds, _ in slow.dropped)
        answers = collections.Counter(
            answer.split(b"\r\n")[0].decode("latin-1") or "closed" for _, answer in slow.dropped
        )
        print(
            f"beside {args.slow_clients} slow clients: the server dropped {len(opened)} slow connections"
            + (f" after {opened[0]:.1f}-{opened[-1]:.1f} s, answers {dict(answers)}" if opened else "")
        )
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
