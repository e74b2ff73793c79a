"""API keys, rate limits, security headers, CORS, overload and deadline answers, request ids, logs, metrics."""

import json
import logging
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helpers import HeldEngine
from summarizer import create_app
from summarizer.models import Models
from summarizer.security import KeyStore
from summarizer.service import Pipeline
from summarizer.translate import batching_translator
from tinymodels import ARTICLE, PAIRS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def keys(tmp_path):
    return KeyStore(tmp_path / "keys.json")


def test_key_store_keeps_only_hashes(keys):
    key = keys.add("newsroom")
    assert key.startswith("sk_") and len(key) > 40
    stored = keys.path.read_text()
    assert key not in stored and "sha256" in stored
    assert keys.verify(key) == "newsroom"
    assert keys.verify(key + "x") is None
    with pytest.raises(ValueError):
        keys.add("newsroom")
    assert keys.revoke("newsroom") and keys.verify(key) is None


def test_a_running_app_sees_keys_added_and_revoked_by_another_process(keys, settings, pipeline):
    """The app keeps the parsed key file until the file changes (`keys add` and `keys revoke` replace it)."""
    first = keys.add("first")
    client = create_app(settings.replace(api_keys_file=str(keys.path)), pipeline=pipeline).test_client()
    assert client.post("/api/v1/detect", json={"text": "hello"}, headers={"X-API-Key": first}).status_code == 200
    other = KeyStore(keys.path)  # another process's view of the same file
    second = other.add("second")
    assert client.post("/api/v1/detect", json={"text": "hello"}, headers={"X-API-Key": second}).status_code == 200
    assert other.revoke("first")
    assert client.post("/api/v1/detect", json={"text": "hello"}, headers={"X-API-Key": first}).status_code == 403


@pytest.mark.parametrize(
    "headers, status, code",
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": "Bearer wrong"}, 403, "forbidden"),
        ({"X-API-Key": "wrong"}, 403, "forbidden"),
    ],
)
def test_api_requires_a_valid_key_when_keys_are_on(settings, pipeline, keys, headers, status, code):
    keys.add("a")
    app = create_app(settings.replace(api_keys_file=str(keys.path)), pipeline=pipeline)
    response = app.test_client().post("/api/v1/detect", json={"text": "hello"}, headers=headers)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_valid_key_in_either_header(settings, pipeline, keys):
    key = keys.add("a")
    client = create_app(settings.replace(api_keys_file=str(keys.path)), pipeline=pipeline).test_client()
    for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
        assert client.post("/api/v1/detect", json={"text": "hello"}, headers=headers).status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200  # the document stays public
    assert client.get("/healthz").status_code == 200


def test_keys_cli(tmp_path):
    env = {"SUMMARIZER_API_KEYS_FILE": str(tmp_path / "k.json"), "PATH": "/usr/bin:/bin"}

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "summarizer", "keys", *args],
            check=False,  # the tests read the return code
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    added = run("add", "pipeline-1")
    assert added.returncode == 0, added.stderr
    key = added.stdout.strip()
    assert KeyStore(tmp_path / "k.json").verify(key) == "pipeline-1"
    assert run("list").stdout.split() == ["pipeline-1"]
    assert run("revoke", "pipeline-1").returncode == 0
    assert run("revoke", "pipeline-1").returncode == 2


def test_rate_limit_answers_429_with_retry_after(settings, pipeline):
    client = create_app(settings.replace(rate_limit="3 per minute"), pipeline=pipeline).test_client()
    statuses = [client.post("/api/v1/detect", json={"text": "hello"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.post("/api/v1/detect", json={"text": "hello"})
    assert response.get_json()["error"]["code"] == "too_many_requests"
    assert int(response.headers["Retry-After"]) > 0
    assert client.get("/api/v1/models").status_code == 200  # reads are not limited


def test_security_headers_on_the_page(settings, pipeline):
    response = create_app(settings, pipeline=pipeline).test_client().get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert b"<script>" not in response.data and b"onclick" not in response.data  # no inline script
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_only_for_configured_origins(settings, pipeline):
    client = create_app(settings.replace(cors_origins="https://desk.example"), pipeline=pipeline).test_client()
    allowed = client.post("/api/v1/detect", json={"text": "hi"}, headers={"Origin": "https://desk.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://desk.example"
    other = client.post("/api/v1/detect", json={"text": "hi"}, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_full_queue_is_503_with_the_queues_retry_after(settings):
    # another request's six sentences fill the queue while the model, held, works on them
    s = settings.replace(max_queued_sentences=6, load_abstractive=False, rate_limit="5 per minute")
    loaded = Models.load(s)
    engine = HeldEngine(loaded.translator.engine)
    pipeline = Pipeline(s, Models(s, translator=batching_translator(engine, s)))
    client = create_app(s, pipeline=pipeline).test_client()
    with ThreadPoolExecutor(1) as pool:
        other = pool.submit(client.post, "/api/v1/translate", json={"text": ARTICLE})
        assert engine.started.wait(60)
        response = client.post("/api/v1/translate", json={"text": PAIRS[0][0]})
        engine.release.set()
        assert other.result().status_code == 200
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "overloaded"
    assert response.headers["Retry-After"] == "1"  # the queue's own estimate, not the rate limit's window
    pipeline.close()
    loaded.close()


def test_deadline_is_504(settings):
    app = create_app(settings.replace(request_timeout_s=1e-6, load_abstractive=False, translation_cache_size=0))
    response = app.test_client().post("/api/v1/translate", json={"text": ARTICLE})
    assert response.status_code == 504
    assert response.get_json()["error"]["code"] == "deadline_exceeded"
    assert app.test_client().get("/healthz").status_code == 200


def test_request_id_is_echoed_or_made(settings, pipeline):
    client = create_app(settings, pipeline=pipeline).test_client()
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id; drop"}).headers["X-Request-ID"]
    assert len(made) == 32 and made != "bad id; drop"


def test_logs_are_json_and_never_contain_the_text(settings, pipeline, capsys):
    from summarizer.observability import JsonFormatter

    client = create_app(settings, pipeline=pipeline).test_client()
    secret = PAIRS[3][0]
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(JsonFormatter().format(record))
    logging.getLogger().addHandler(handler)
    try:
        client.post("/api/v1/summarize", json={"text": secret}, headers={"X-Request-ID": "req-7"})
    finally:
        logging.getLogger().removeHandler(handler)
    access = [json.loads(r) for r in records if '"summarizer.access"' in r]
    assert access and access[-1]["request_id"] == "req-7" and access[-1]["status"] == 200
    assert all(secret not in r for r in records)


def test_metrics(settings, pipeline):
    client = create_app(settings, pipeline=pipeline).test_client()
    client.post("/api/v1/translate", json={"text": PAIRS[0][0]})
    text = client.get("/metrics").get_data(as_text=True)
    assert 'summarizer_http_requests_total{endpoint="/api/v1/translate",method="POST",status="200"} 1.0' in text
    assert "summarizer_http_request_duration_seconds_bucket" in text
    for name in (
        "summarizer_queue_depth",
        "summarizer_sentences_translated_total",
        "summarizer_tokens_generated_total",
        "summarizer_cache_hits_total",
        "summarizer_model_loaded",
    ):
        assert name in text


@pytest.fixture
def redis_url(tmp_path):
    import shutil

    from helpers import accepts_connections, free_port, require, wait_until

    server = shutil.which("redis-server")
    require(server is not None, "redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(lambda: accepts_connections(port), 10, f"redis-server listening on port {port}")
    yield f"redis://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def test_rate_limit_shared_through_redis_by_two_instances(settings, pipeline, redis_url):
    configured = settings.replace(rate_limit="3 per minute", rate_limit_storage=redis_url)
    first = create_app(configured, pipeline=pipeline).test_client()
    second = create_app(configured, pipeline=pipeline).test_client()
    statuses = [
        client.post("/api/v1/detect", json={"text": "hello"}).status_code for client in (first, second, first, second)
    ]
    assert statuses == [200, 200, 200, 429]


def test_concurrent_keys_add_in_separate_processes_keep_every_key(tmp_path):
    path = tmp_path / "keys.json"
    env = {"SUMMARIZER_API_KEYS_FILE": str(path), "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "summarizer", "keys", "add", f"client-{i}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(10)
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 10, [err for _, err in outputs]
    store = KeyStore(path)
    assert store.names() == sorted(f"client-{i}" for i in range(10))
    for i, (out, _) in enumerate(outputs):
        assert store.verify(out.strip()) == f"client-{i}"


@pytest.mark.parametrize("content", ["{not json", '["a list"]', '{"a": {"sha": "x"}}'])
def test_corrupt_key_file_is_named_by_the_cli_and_stops_start_up(settings, pipeline, tmp_path, content):
    from summarizer.security import KeyFileError

    path = tmp_path / "keys.json"
    path.write_text(content)
    env = {"SUMMARIZER_API_KEYS_FILE": str(path), "PATH": "/usr/bin:/bin"}
    for args in (["add", "x"], ["list"], ["revoke", "x"]):
        done = subprocess.run(
            [sys.executable, "-m", "summarizer", "keys", *args],
            check=False,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert str(path) in done.stderr and "Traceback" not in done.stderr
    assert path.read_text() == content  # left as it was for the operator to look at
    with pytest.raises(KeyFileError, match=str(path)):
        create_app(settings.replace(api_keys_file=str(path)), pipeline=pipeline)


def test_key_file_damaged_while_serving_is_a_503_without_its_path(settings, pipeline, keys):
    key = keys.add("a")
    client = create_app(settings.replace(api_keys_file=str(keys.path)), pipeline=pipeline).test_client()
    keys.path.write_text("{oops")
    response = client.post("/api/v1/detect", json={"text": "hello"}, headers={"X-API-Key": key})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "key_file_unreadable"
    assert str(keys.path) not in response.get_data(as_text=True)


def test_the_form_shares_the_rate_limit_per_address(settings, pipeline):
    client = create_app(settings.replace(rate_limit="3 per minute"), pipeline=pipeline).test_client()
    assert client.post("/api/v1/detect", json={"text": "hello"}).status_code == 200
    assert client.post("/", data={"text": "hello there"}).status_code == 200
    assert client.post("/api/v1/detect", json={"text": "hello"}).status_code == 200
    refused = client.post("/", data={"text": "hello there"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    other = {"REMOTE_ADDR": "10.1.2.3"}
    assert client.post("/", data={"text": "hello there"}, environ_base=other).status_code == 200


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_rate_limit_is_a_moving_window(settings, pipeline, request, storage):
    import time

    uri = "memory://" if storage == "memory" else request.getfixturevalue("redis_url")
    client = create_app(settings.replace(rate_limit="3 per 4 seconds", rate_limit_storage=uri), pipeline=pipeline)
    client = client.test_client()

    def post():
        return client.post("/api/v1/detect", json={"text": "hello"}).status_code

    first = time.monotonic()
    assert post() == 200
    time.sleep(2)
    assert [post(), post()] == [200, 200]
    time.sleep(max(0.0, first + 4.5 - time.monotonic()))
    # The first request has left the last 4 s, the next two have not: one more fits. A fixed window that
    # started with the first request would have reset and let both through.
    assert [post(), post()] == [200, 429]


def test_retry_after_only_on_429(settings, pipeline):
    """Not on every answer the limiter counts; the 503 case is test_full_queue_is_503_with_the_queues_retry_after."""
    client = create_app(settings.replace(rate_limit="2 per minute"), pipeline=pipeline).test_client()
    ok = client.post("/api/v1/detect", json={"text": "hello"})
    assert ok.status_code == 200 and "Retry-After" not in ok.headers and ok.headers["X-RateLimit-Remaining"] == "1"
    assert "Retry-After" not in client.get("/healthz").headers
    client.post("/api/v1/detect", json={"text": "hello"})
    refused = client.post("/api/v1/detect", json={"text": "hello"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_metric_labels_fold_unknown_methods(settings, pipeline):
    client = create_app(settings, pipeline=pipeline).test_client()
    for method in ("BREW", "WHEN", "ZZZZZZ"):
        assert client.open("/api/v1/detect", method=method).status_code == 405
    text = client.get("/metrics").get_data(as_text=True)
    assert 'method="other",status="405"} 3.0' in text
    assert "BREW" not in text and "ZZZZZZ" not in text
