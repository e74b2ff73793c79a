"""With the Hugging Face hub out of reach for real (a refused connection, a name that does not resolve, a
server that never answers, a server that fails), `models pull` says so in one plain message and `serve` still
serves."""

import http.server
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from helpers import free_port

ROOT = Path(__file__).resolve().parents[1]


def closed_port() -> int:
    """A loopback port that was just bound and closed: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli_env(models: Path, endpoint: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "SUMMARIZER_", "TRANSFORMERS_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        HF_ENDPOINT=endpoint,
        HF_HUB_ETAG_TIMEOUT="2",
        HF_HUB_DOWNLOAD_TIMEOUT="2",
        SUMMARIZER_MODELS_DIR=str(models),
        SUMMARIZER_CACHE_DIR=str(models.parent / "cache"),
        **extra,
    )
    return env


def pull(tmp_path, endpoint, *names, **extra):
    return subprocess.run(
        [sys.executable, "-m", "summarizer", "models", "pull", *names],
        check=False,  # the tests read the return code
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=cli_env(tmp_path / "models", endpoint, **extra),
        timeout=120,
    )


@pytest.fixture
def silent_server():
    """A listening socket that accepts connections (in the kernel) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def http_server(status: int, body: bytes):
    """An HTTP server that answers every request with `status` and `body`."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command == "GET":
                self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def failing_server():
    """A hub that answers every request with 503."""
    yield from http_server(503, b"")


@pytest.fixture
def captive_portal():
    """A proxy's login page in place of every answer, with status 200."""
    yield from http_server(200, b"<html><body>Please log in to use this network</body></html>")


@pytest.mark.parametrize(
    "endpoint, cause",
    [
        ("refused", "ConnectError: [Errno 111] Connection refused"),
        ("http://nonexistent.invalid", "ConnectError"),
        ("silent", "ReadTimeout"),
        ("failing", "HfHubHTTPError"),
        ("captive", "JSONDecodeError"),
    ],
)
def test_pull_without_the_hub_is_one_plain_message(tmp_path, endpoint, cause, request):
    if endpoint == "refused":
        endpoint = f"http://127.0.0.1:{closed_port()}"
    elif endpoint == "silent":
        endpoint = request.getfixturevalue("silent_server")
    elif endpoint == "failing":
        endpoint = request.getfixturevalue("failing_server")
    elif endpoint == "captive":
        endpoint = request.getfixturevalue("captive_portal")
    proc = pull(tmp_path, endpoint)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert cause in proc.stderr
    assert "The translation model 'opus-mt-ar-en' (Helsinki-NLP/opus-mt-ar-en@f830c0f1" in proc.stderr
    assert "on a machine that reaches the Hugging Face hub and copy the folder" in proc.stderr
    assert "SUMMARIZER_TRANSLATION_MODEL" in proc.stderr and "HF_HUB_OFFLINE=1" in proc.stderr
    assert [p.name for p in (tmp_path / "models").iterdir()] == [".lock"]  # no partial download left behind


def test_pull_with_hf_hub_offline_does_not_try(tmp_path):
    proc = pull(tmp_path, f"http://127.0.0.1:{closed_port()}", "opus-mt-en-ar", HF_HUB_OFFLINE="1")
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    assert "The translation model 'opus-mt-en-ar'" in proc.stderr and "HF_HUB_OFFLINE is set" in proc.stderr


@pytest.mark.parametrize("flags", [[], ["--no-pull"]])
def test_serve_without_the_hub_says_what_is_missing_and_serves(tmp_path, flags):
    port = free_port()
    log_path = tmp_path / "serve.log"
    env = cli_env(
        tmp_path / "models",
        f"http://127.0.0.1:{closed_port()}",
        SUMMARIZER_BIND=f"127.0.0.1:{port}",
        SUMMARIZER_RATE_LIMIT="",
        SUMMARIZER_THREADS="1",
    )
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "summarizer", "serve", *flags],
            cwd=tmp_path,  # not the source tree
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                pass
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.3)
        with pytest.raises(urllib.error.HTTPError) as not_ready:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert not_ready.value.code == 503
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    output = log_path.read_text()
    assert "Traceback" not in output
    why = "serve --no-pull did not try the hub" if flags else "the download from the hub failed: ConnectError"
    assert output.count(why) == 2, output  # once for each missing model: both translation directions
    assert "The translation model 'opus-mt-ar-en'" in output and "The translation model 'opus-mt-en-ar'" in output
    # The one /readyz request is logged once, by the app (gunicorn's own access log is off).
    assert len(re.findall(r'"path":\s*"/readyz"', output)) == 1, output
    assert "GET /readyz HTTP" not in output
