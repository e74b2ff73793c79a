"""Jobs on Celery and Redis, side by side with the synchronous API, in one run.

Usage: python bench/jobs.py [--model tiny|opus-mt-ar-en] [--texts 200] [--tokens 20]

Starts a real redis-server, the service under gunicorn on it, and Celery workers (`python -m summarizer worker`),
all on loopback, with the translation cache off so that every text is translated. Prints:
- texts per second: the synchronous API (/api/v1/translate, 2 clients, one text each) vs the jobs API with 1 worker
  process and with 2 worker processes;
- the overhead per text that Celery and Redis add: the wall time per text through the jobs API with 1 worker
  against the pipeline's own time for each text (its timings_ms), in the same run;
- the time from a worker's death (SIGKILL mid-text) to its text being started again by another worker;
- Redis memory per 1,000 finished results.
The tiny model is the tests' (tests/tinymodels.py); opus-mt-ar-en is bench/speed.py's random-weight model of the
real shape, writing --tokens tokens per sentence.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import service  # bench/service.py


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait(predicate, timeout_s: float = 600, every_s: float = 0.02):
    deadline = time.monotonic() + timeout_s
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(every_s)
    return value


def http(method: str, url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def start_redis(folder: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port), "--save", "", "--dir", folder],
        stdout=subprocess.DEVNULL,
    )

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return True
        except OSError:
            return False

    wait(up, 10)
    return proc, f"redis://127.0.0.1:{port}/0"


def start_worker(env: dict, processes: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "summarizer", "worker", "--concurrency", str(processes)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=60)


def run_job(url: str, texts: list[str], client) -> tuple[float, dict]:
    """Submit a job and wait for its last result (watched in Redis, so that polling adds no load); seconds, job."""
    started = time.perf_counter()
    job = http("POST", f"{url}/api/v1/jobs", {"texts": texts, "task": "translate"})
    wait(lambda: client.hlen(f"summarizer:job:{job['id']}:results") == len(texts), every_s=0.005)
    elapsed = time.perf_counter() - started
    return elapsed, http("GET", f"{url}/api/v1/jobs/{job['id']}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="tiny", choices=["tiny", "opus-mt-ar-en"])
    parser.add_argument("--texts", type=int, default=200)
    parser.add_argument("--tokens", type=int, default=20, help="tokens per sentence (opus-mt-ar-en shape only)")
    args = parser.parse_args(argv)

    import redis

    import tinymodels

    if args.model == "tiny":
        path = tinymodels.build_all()["translation"]
        model_env: dict[str, str] = {}
        pool = [s for s, _ in tinymodels.PAIRS[:6]]
    else:
        import speed  # bench/speed.py: the random-weight model of the real shape

        path = speed.build(args.model)
        model_env = {"SUMMARIZER_MAX_OUTPUT_RATIO": "0", "SUMMARIZER_MAX_OUTPUT_OFFSET": str(args.tokens)}
        sample = (ROOT.parent / "shared/samples/ar-news-ain-al-asad.txt").read_text(encoding="utf-8")
        pool = [p for p in sample.split("\n") if len(p.split()) > 5]
    texts = [pool[i % len(pool)] + f" {i}" for i in range(args.texts)]  # distinct texts
    folder = tempfile.mkdtemp(prefix="bench-jobs-")
    redis_proc, redis_url = start_redis(folder)
    env = dict(
        os.environ,
        SUMMARIZER_REDIS_URL=redis_url,
        SUMMARIZER_TRANSLATION_MODEL=str(path),
        SUMMARIZER_TRANSLATION_CACHE_SIZE="0",
        SUMMARIZER_NO_REPEAT_NGRAM_SIZE="0",
        SUMMARIZER_LOAD_ABSTRACTIVE="false",
        SUMMARIZER_MAX_JOB_TEXTS=str(max(1000, args.texts)),
        **model_env,
    )
    os.environ.update({k: v for k, v in env.items() if k.startswith("SUMMARIZER_")})
    client = redis.Redis.from_url(redis_url)
    port = free_port()
    web, _ = service.start(port, **{k: v for k, v in env.items() if k.startswith("SUMMARIZER_")})
    url = f"http://127.0.0.1:{port}"
    figures: dict[str, float] = {}
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(2) as clients:
            list(clients.map(lambda t: http("POST", f"{url}/api/v1/translate", {"text": t}), texts))
        figures["synchronous API, 2 clients: texts/s"] = len(texts) / (time.perf_counter() - started)

        for processes in (1, 2):
            worker_env = dict(env, SUMMARIZER_THREADS=str(max(1, (os.cpu_count() or 2) // processes)))
            worker = start_worker(worker_env, processes)
            run_job(url, texts[:4], client)  # warm: the models are loaded in every worker process
            elapsed, _ = run_job(url, texts, client)
            stop(worker)
            figures[f"jobs API, {processes} worker process(es): texts/s"] = len(texts) / elapsed

        # The overhead per text: one worker process, texts one after another; the wall time per text against the
        # pipeline's own time for each text (its timings_ms), measured in the same run.
        worker = start_worker(dict(env, SUMMARIZER_THREADS="1"), 1)
        run_job(url, texts[:4], client)
        elapsed, job = run_job(url, texts, client)
        stop(worker)
        pipeline_ms = statistics.mean(r["result"]["timings_ms"]["total"] for r in job["results"])
        figures["jobs API, 1 worker, 1 thread: ms/text"] = elapsed / len(texts) * 1000
        figures["  of which the pipeline's own time: ms/text"] = pipeline_ms
        figures["overhead per text of Celery and Redis (ms)"] = elapsed / len(texts) * 1000 - pipeline_ms

        # Redis memory per 1,000 finished results.
        client.flushdb()
        before = client.info("memory")["used_memory"]
        worker = start_worker(env, 1)
        _, job = run_job(url, texts, client)
        stop(worker)
        after = client.info("memory")["used_memory"]
        figures["Redis MB per 1,000 finished results (texts included)"] = (after - before) / 1e6 * 1000 / len(texts)

        # From a worker's death to its text being started again.
        visibility = 10
        kill_env = dict(env, SUMMARIZER_JOB_VISIBILITY_TIMEOUT_S=str(visibility), SUMMARIZER_JOB_TIME_LIMIT_S="8")
        worker = start_worker(kill_env, 1)
        run_job(url, texts[:2], client)
        job = http("POST", f"{url}/api/v1/jobs", {"texts": texts, "task": "translate"})
        key = f"summarizer:job:{job['id']}"

        def mid_text():
            attempts = {int(k): int(v) for k, v in client.hgetall(f"{key}:attempts").items()}
            results = {int(k) for k in client.hkeys(f"{key}:results")}
            running = [i for i in attempts if i not in results]
            return running if len(results) >= 2 and running else None

        running = wait(mid_text, every_s=0.001)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        killed = time.perf_counter()
        replacement = start_worker(kill_env, 1)
        wait(lambda: int(client.hget(f"{key}:attempts", str(running[0])) or 0) >= 2, every_s=0.05)
        figures[f"worker death to its text restarted (s; visibility timeout {visibility} s)"] = (
            time.perf_counter() - killed
        )
        wait(lambda: http("GET", f"{url}/api/v1/jobs/{job['id']}")["status"] == "done")
        stop(replacement)
    finally:
        web.terminate()
        web.wait(timeout=60)
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"model: {args.model}, {len(texts)} texts, {os.cpu_count()} cores")
    for name, value in figures.items():
        print(f"{name:<72} {value:10.4f}")
    sync = figures["synchronous API, 2 clients: texts/s"]
    for processes in (1, 2):
        jobs = figures[f"jobs API, {processes} worker process(es): texts/s"]
        print(f"jobs API with {processes} worker process(es) / synchronous API: {jobs / sync:.2f}x")


if __name__ == "__main__":
    main()
