"""Faults found by attacking the running service: slow clients, junk methods, gunicorn's own error answers."""

import http.client
import json
import random
import re
import socket
import string
import threading
import time
import urllib.request

import pytest

from summarizer.gunicorn_worker import RequestFraming

READ_TIMEOUT_S = 2


@pytest.fixture(scope="module")
def server(settings):
    """gunicorn with the service's worker and a short request read timeout."""
    from helpers import start_gunicorn

    proc, url, _ = start_gunicorn(
        settings, "gunicorn-faults.log", SUMMARIZER_REQUEST_READ_TIMEOUT_S=str(READ_TIMEOUT_S)
    )
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def address(url):
    host, port = url.rsplit("/", 1)[-1].split(":")
    return host, int(port)


def detect(url, text="hello there, how are you today?"):
    request = urllib.request.Request(
        url + "/api/v1/detect", json.dumps({"text": text}).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # a bound for liveness, not speed
        return response.status, json.load(response)


def raw(url, data: bytes, timeout=30) -> bytes:
    """Send bytes on a fresh connection; everything the server answers until it closes."""
    with socket.create_connection(address(url), timeout=timeout) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def parse(answer: bytes):
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode("latin-1"), body


def test_fifty_slow_clients_hold_no_thread_and_are_dropped(server):
    slow = []
    for i in range(50):
        sock = socket.create_connection(address(server))
        if i % 2:  # the head, then a body shorter than its Content-Length, trickled on
            sock.sendall(b"POST /api/v1/detect HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{")
        else:  # the head itself, trickled
            sock.sendall(b"POST /api/v1/detect HTTP/1.1\r\nHost: x\r\n")
        sock.setblocking(False)
        slow.append(sock)
    answers = {}
    stop = threading.Event()

    def trickle():
        # One byte per connection every 0.2 s until the server closes it: never idle, never complete.
        while not stop.is_set() and len(answers) < len(slow):
            for i, sock in enumerate(slow):
                if i in answers:
                    continue
                try:
                    data = sock.recv(4096)
                    answers[i] = data
                    continue
                except BlockingIOError:
                    pass
                except OSError:
                    answers[i] = b""
                    continue
                try:
                    sock.send(b"a" if i % 2 else b"X")
                except OSError:
                    pass
            time.sleep(0.2)

    trickler = threading.Thread(target=trickle)
    trickler.start()
    try:
        for _ in range(5):  # normal requests are answered while the slow ones are open
            assert detect(server)[0] == 200
        trickler.join(timeout=READ_TIMEOUT_S + 30)  # every slow connection is dropped well within this
    finally:
        stop.set()
        trickler.join()
        for sock in slow:
            sock.close()
    assert len(answers) == 50
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers.values()), set(answers.values())
    body = parse(next(iter(answers.values())))[2]
    assert json.loads(body)["error"]["code"] == "request_timeout"
    assert detect(server)[0] == 200


def test_a_request_sent_in_pieces_within_the_timeout_is_served(server):
    body = json.dumps({"text": "hello there, how are you today?"}).encode()
    request = (
        b"POST /api/v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
    )
    with socket.create_connection(address(server), timeout=30) as sock:
        for piece in (request[:20], request[20:90], request[90:-3], request[-3:]):
            sock.sendall(piece)
            time.sleep(0.2)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status, _, data = parse(answer)
    assert status == 200 and json.loads(data)["language"] == "en"


def test_pipelined_and_kept_alive_requests_are_answered_in_order(server):
    def get(path):
        return b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path

    with socket.create_connection(address(server), timeout=30) as sock:
        sock.sendall(
            get(b"/healthz") + get(b"/nowhere") + b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    statuses = [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)]
    assert statuses == [200, 404, 200]


def chunked(*pieces: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def post_chunked(body: bytes) -> bytes:
    return (
        b"POST /api/v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + body
    )


@pytest.mark.parametrize(
    "request_bytes, status, code",
    [
        (post_chunked(b"zz\r\nabc\r\n0\r\n\r\n"), 400, "bad_request"),  # not a chunk size
        (post_chunked(b"3\r\nabcdef\r\n0\r\n\r\n"), 400, "bad_request"),  # chunk longer than its size
        (b"GE T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431, "request_header_fields_too_large"),
        (post_chunked(chunked(b'{"text": "', b"a" * 600_000, b"a" * 600_000, b'"}')), 413, "request_entity_too_large"),
    ],
)
def test_gunicorn_errors_are_json(server, request_bytes, status, code):
    got, head, body = parse(raw(server, request_bytes))
    assert got == status
    assert "Content-Type: application/json" in head
    assert json.loads(body)["error"]["code"] == code


def test_a_well_formed_chunked_body_is_served(server):
    got, _, body = parse(raw(server, post_chunked(chunked(b'{"text": "hello there, ', b'how are you today?"}'))))
    assert got == 200 and json.loads(body)["language"] == "en"


def test_junk_methods_and_paths_do_not_grow_metrics(server):
    rng = random.Random(0)
    host, port = address(server)

    def junk(n):
        for _ in range(n):
            connection = http.client.HTTPConnection(host, port, timeout=30)
            method = "".join(rng.choices(string.ascii_uppercase, k=rng.randint(4, 12)))
            path = rng.choice(["/api/v1/detect", "/", "/metrics", "/x" + str(rng.randint(0, 10**9))])
            connection.request(method, path)
            assert connection.getresponse().status in (404, 405)
            connection.close()

    def metrics():
        with urllib.request.urlopen(server + "/metrics", timeout=30) as response:
            return response.read().decode()

    junk(50)
    metrics()  # so that the scrape's own series is there before the count
    before = metrics()
    junk(500)
    after = metrics()
    series = [line for line in after.splitlines() if line.startswith("summarizer_http_requests_total{")]
    assert len(series) == len(
        [line for line in before.splitlines() if line.startswith("summarizer_http_requests_total{")]
    )
    assert 'method="other"' in after
    assert len(after) < len(before) + 500  # only counter values changed, no new series


@pytest.mark.parametrize(
    "data, ready",
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n", False),
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True),
        (b"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", True),
        (b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcd", False),
        (b"POST / HTTP/1.1\r\ncontent-length: 5\r\n\r\nabcde", True),
        (b"POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n", True),  # gunicorn refuses it at once
        (b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", True),  # over the limit: the app says 413
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", False),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n", False),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", True),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n", True),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", True),  # gunicorn refuses it at once
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", True),
    ],
)
def test_request_framing(data, ready):
    framing = RequestFraming(max_head=8192, max_body=1_000_000)
    assert framing.ready(bytearray(data)) is ready


def test_request_framing_byte_by_byte():
    request = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n10\r\n" + b"x" * 16 + b"\r\n0\r\n\r\n"
    framing = RequestFraming(max_head=8192, max_body=1_000_000)
    buf = bytearray()
    seen = []
    for byte in request:
        buf.append(byte)
        seen.append(framing.ready(buf))
    assert seen == [False] * (len(request) - 1) + [True]
    assert framing.whole


def test_expect_100_continue_is_answered_before_the_body(server):
    body = json.dumps({"text": "hello there, how are you today?"}).encode()
    head = (
        b"POST /api/v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
        b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body)
    )
    with socket.create_connection(address(server), timeout=30) as sock:
        sock.sendall(head)
        assert sock.recv(1024) == b"HTTP/1.1 100 Continue\r\n\r\n"  # the body is only sent after this
        sock.sendall(body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status, _, data = parse(answer)
    assert status == 200 and json.loads(data)["language"] == "en"
    assert b"100 Continue" not in answer  # not a second time


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(server):
    with socket.create_connection(address(server), timeout=READ_TIMEOUT_S + 30) as sock:
        assert sock.recv(1024) == b""


def test_clients_that_never_close_do_not_stall_the_server(server):
    # gthread closed each finished "Connection: close" socket by waiting up to 2 s on it in its event loop,
    # so 30 clients that neither read nor closed stalled every other client for about a minute.
    idle = []
    try:
        for _ in range(30):
            sock = socket.create_connection(address(server))
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            idle.append(sock)
        time.sleep(0.5)
        with urllib.request.urlopen(server + "/healthz", timeout=20) as response:  # liveness bound
            assert response.status == 200
    finally:
        for sock in idle:
            sock.close()


def test_sigterm_with_slow_clients_connected_stops_cleanly(settings):
    import signal

    from helpers import start_gunicorn

    proc, url, _ = start_gunicorn(settings, "gunicorn-faults-sigterm.log")  # the default 30 s read timeout
    slow = []
    try:
        for _ in range(10):
            sock = socket.create_connection(address(url))
            sock.sendall(b"POST /api/v1/detect HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            slow.append(sock)
        assert detect(url)[0] == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=25) == 0  # well before the read timeout and the graceful timeout (30 s)
        answers = []
        for sock in slow:
            sock.settimeout(5)
            answers.append(sock.recv(4096))
        assert all(answer.startswith(b"HTTP/1.1 503 ") for answer in answers)
    finally:
        proc.kill()
        proc.wait()
        for sock in slow:
            sock.close()
