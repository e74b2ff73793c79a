"""A service's first start on an empty conversion cache: `serve` from two source trees, side by side.

Usage: python bench/first_start.py [--before REV] [--workers 2] [--rounds 2]

Each round starts `python -m summarizer serve --no-pull` from a git worktree of REV (default: the commit before
serve converted ahead of the workers) and from this tree, alternately, with N gunicorn workers on the
opus-mt-ar-en-shaped bench model (bench/speed.py builds it) and an empty CTranslate2 cache. The process tree's
resident memory is sampled every 0.1 s until /readyz answers and for 8 s after; printed: seconds to ready, the
tree's peak and settled RSS, and the largest single process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests")]

from helpers import free_port
from speed import build


def tree_rss(root: int) -> dict[int, int]:
    """KB resident per process of the tree under root (root included)."""
    out = subprocess.run(["ps", "-A", "-o", "pid=,ppid=,rss="], capture_output=True, text=True, check=True).stdout
    rows = [tuple(int(x) for x in line.split()) for line in out.splitlines()]
    pids = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent, _ in rows:
            if parent in pids and pid not in pids:
                pids.add(pid)
                grew = True
    return {pid: rss for pid, _, rss in rows if pid in pids}


def first_start(source: Path, model: Path, workers: int) -> dict[str, float]:
    """Start serve from source on an empty cache; its time to ready and memory figures."""
    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SUMMARIZER_", "HF_"))}
        env.update(
            PYTHONPATH=str(source),
            SUMMARIZER_MODELS_DIR=f"{scratch}/models",
            SUMMARIZER_CACHE_DIR=f"{scratch}/cache",
            SUMMARIZER_TRANSLATION_MODEL=str(model),
            SUMMARIZER_EN_AR_MODEL=f"{scratch}/none",  # one direction, as in the figures before
            SUMMARIZER_WORKERS=str(workers),
            SUMMARIZER_BIND=f"127.0.0.1:{port}",
            SUMMARIZER_RATE_LIMIT="",
        )
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "summarizer", "serve", "--no-pull"],
            cwd=scratch,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        peak = largest = 0
        ready = None
        try:
            while time.monotonic() - start < 300 and (ready is None or time.monotonic() - start < ready + 8):
                rss = tree_rss(proc.pid)
                peak, largest = max(peak, sum(rss.values())), max(largest, max(rss.values()))
                if ready is None:
                    try:
                        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
                            ready = time.monotonic() - start if response.status == 200 else None
                    except OSError:
                        pass
                time.sleep(0.1)
            settled = sum(tree_rss(proc.pid).values())
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        if ready is None:
            raise SystemExit(f"{source}: not ready within 300 s")
        return {"ready": ready, "peak": peak / 1024, "settled": settled / 1024, "largest": largest / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="13584be")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    model = build("opus-mt-ar-en")
    with tempfile.TemporaryDirectory() as scratch:
        before = Path(scratch) / "before"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(before), args.before], check=True
        )
        try:
            print(f"workers {args.workers}, model {model.name}, empty conversion cache")
            print("| tree | round | ready, s | peak tree RSS, MB | settled tree RSS, MB | largest process, MB |")
            print("|---|---|---|---|---|---|")
            for round_ in range(1, args.rounds + 1):
                for name, source in ((args.before, before), ("this tree", ROOT)):
                    r = first_start(source, model, args.workers)
                    print(
                        f"| {name} | {round_} | {r['ready']:.1f} | {r['peak']:.0f} | {r['settled']:.0f} "
                        f"| {r['largest']:.0f} |",
                        flush=True,
                    )
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)], check=False)


if __name__ == "__main__":
    main()
