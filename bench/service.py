"""The service under gunicorn on loopback, for the benchmarks: start it, wait until ready, read its worker's memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start(port: int, **env: str) -> tuple[subprocess.Popen, float]:
    """Start gunicorn (wsgi:app) with SUMMARIZER_* overrides; return it and the seconds until /readyz said 200.

    Rate limits are off: a benchmark is not a client to be limited.
    """
    environ = dict(os.environ, SUMMARIZER_BIND=f"127.0.0.1:{port}", SUMMARIZER_RATE_LIMIT="", **env)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "python:summarizer.gunicorn_conf", "wsgi:app"],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
                if response.status == 200:
                    return proc, time.perf_counter() - started
        except OSError:
            if proc.poll() is not None or time.perf_counter() - started > 120:
                proc.kill()
                raise RuntimeError("the service did not become ready") from None
            time.sleep(0.05)


def worker_memory_mb(master: subprocess.Popen, field: str = "VmRSS") -> float:
    """A /proc/PID/status memory field (VmRSS now, VmHWM peak) of gunicorn's worker, in MB."""
    worker = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()[0]
    return memory_mb(worker, field)


def memory_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    """A /proc/PID/status memory field (VmRSS now, VmHWM peak) of a process (this one by default), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith(field)).split()[1]) / 1024
