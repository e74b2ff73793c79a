"""The real service under gunicorn from wsgi.py, called over HTTP on loopback."""

import json
import signal
import socket
import urllib.error
import urllib.request

from helpers import start_gunicorn
from tinymodels import ARTICLE, ARTICLE_TRANSLATION


def post(url, body: dict):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_summarize_over_http(live_server):
    status, body = post(live_server + "/api/v1/summarize", {"text": ARTICLE, "summary_sentences": 2})
    assert status == 200
    assert body["translation"] == ARTICLE_TRANSLATION
    assert body["summary"]["sentence_indexes"] == [0, 1]


def test_errors_over_http(live_server):
    status, body = post(live_server + "/api/v1/summarize", {"text": ""})
    assert (status, body["error"]["code"]) == (400, "invalid_input")
    status, body = post(live_server + "/api/v1/nowhere", {"text": "x"})
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_sigterm_lets_requests_in_flight_finish(settings, article_text):
    # The client sends its headers with "Expect: 100-continue" and waits for gunicorn's "100 Continue": from then
    # on a worker thread is inside this request, so SIGTERM comes while the request is certainly in flight. Only
    # then does the client send the body; the translation must still finish and the worker exit cleanly.
    proc, url, log = start_gunicorn(settings, "gunicorn-sigterm.log", SUMMARIZER_TRANSLATION_CACHE_SIZE="0")
    try:
        port = int(url.rsplit(":", 1)[1])
        body = json.dumps({"text": article_text}).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
            sock.sendall(
                b"POST /api/v1/translate HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n".encode()
            )
            reader = sock.makefile("rb")
            assert reader.readline().startswith(b"HTTP/1.1 100")
            assert reader.readline() == b"\r\n"
            proc.send_signal(signal.SIGTERM)
            sock.sendall(body)
            status = reader.readline()
            while reader.readline() not in (b"\r\n", b""):  # the response headers
                pass
            answer = json.loads(reader.read())
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert status.startswith(b"HTTP/1.1 200"), f"{status!r}; see {log}"
    assert len(answer["sentences"]) == 21
    assert proc.returncode == 0, f"see {log}"


def test_metrics_with_two_workers_count_every_workers_requests(settings, tmp_path):
    """Whichever worker answers the scrape, it shows the requests both served (prometheus_client's multiprocess
    mode, set up by gunicorn_conf)."""
    from concurrent.futures import ThreadPoolExecutor

    from prometheus_client.mmap_dict import MmapedDict

    from helpers import wait_until

    folder = tmp_path / "metrics"
    folder.mkdir()
    proc, url, _ = start_gunicorn(
        settings, "gunicorn-metrics.log", SUMMARIZER_WORKERS="2", PROMETHEUS_MULTIPROC_DIR=str(folder)
    )
    key = '"/api/v1/detect", "method": "POST", "status": "200"'

    def served_per_worker() -> list[float]:
        return [
            sum(v for k, v, *_ in MmapedDict.read_all_values_from_file(str(f)) if key in k and "_total" in k)
            for f in folder.glob("counter_*.db")
        ]

    sent = 0
    try:
        with ThreadPoolExecutor(8) as pool:

            def both_served() -> bool:
                nonlocal sent
                statuses = list(pool.map(lambda _: post(url + "/api/v1/detect", {"text": "hello"})[0], range(16)))
                sent += len(statuses)
                assert set(statuses) == {200}
                return len([n for n in served_per_worker() if n]) == 2

            wait_until(both_served, 60, "both workers answered requests", interval=0)
        line = f'summarizer_http_requests_total{{endpoint="/api/v1/detect",method="POST",status="200"}} {float(sent)}'
        for _ in range(6):  # scrapes land on either worker
            with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
                assert line in response.read().decode()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
