"""The jobs API: in-process without Redis; on a real redis-server with real Celery workers and gunicorn with it."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

import tinymodels
from helpers import start_gunicorn, wait_until
from summarizer import create_app
from summarizer.jobs import SIGNATURE_HEADER
from summarizer.security import KeyStore

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [src for src, _ in tinymodels.PAIRS[:6]]
EXPECTED = [tgt for _, tgt in tinymodels.PAIRS[:6]]


def finished(client, job_id: str, headers=None) -> dict:
    """Poll a job through a Flask test client until it is no longer queued or running."""

    def state():
        body = client.get(f"/api/v1/jobs/{job_id}", headers=headers).get_json()
        return body if body["status"] not in ("queued", "running") else None

    return wait_until(state, 60, f"job {job_id} finished")


def translations(job: dict) -> list[str | None]:
    """Each result's translation (None for an error), in index order."""
    return [r["result"]["translation"] if "result" in r else None for r in job["results"]]


# -- in-process jobs (no Redis) ---------------------------------------------------------------------------------


@pytest.fixture
def local_app(settings, pipeline):
    return create_app(settings.replace(callback_hosts="127.0.0.1", callback_secret="s3cret"), pipeline=pipeline)


def test_a_job_translates_every_text_exactly_and_bad_items_get_their_own_errors(local_app):
    client = local_app.test_client()
    texts = SOURCES[:3] + ["   ", 42, "x" * (local_app.extensions["summarizer.settings"].max_chars + 1)]
    response = client.post("/api/v1/jobs", json={"texts": texts, "task": "translate"})
    assert response.status_code == 202
    created = response.get_json()
    assert created == {"id": created["id"], "status": "queued", "total": 6}
    assert response.headers["Location"] == f"/api/v1/jobs/{created['id']}"
    job = finished(client, created["id"])
    assert job["status"] == "done" and job["done"] == job["total"] == 6
    assert [r["index"] for r in job["results"]] == list(range(6))
    assert translations(job)[:3] == EXPECTED[:3]
    assert [r["error"]["status"] for r in job["results"][3:]] == [400, 400, 413]
    assert "summary" not in job["results"][0]["result"] or job["results"][0]["result"]["summary"] is None


def test_a_summarize_job_gives_the_synchronous_result(local_app):
    client = local_app.test_client()
    created = client.post("/api/v1/jobs", json={"text": tinymodels.ARTICLE, "summary_sentences": 2}).get_json()
    job = finished(client, created["id"])
    synchronous = client.post("/api/v1/summarize", json={"text": tinymodels.ARTICLE, "summary_sentences": 2})
    ours, theirs = job["results"][0]["result"], synchronous.get_json()
    assert ours["translation"] == theirs["translation"] == tinymodels.ARTICLE_TRANSLATION
    assert ours["summary"] == theirs["summary"]


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"texts": ["x"], "task": "nope"}, "task", "'task' must be 'summarize' or 'translate', not 'nope'"),
        ({"txt": "x"}, "txt", "did you mean 'text'?"),
        ({"texts": []}, "texts", "non-empty list"),
        ({"texts": ["x"], "callback_url": "http://10.0.0.1/hook"}, "callback_url", "is not one the server may call"),
        (
            {"texts": ["x"], "callback_url": "ftp://127.0.0.1/hook"},
            "callback_url",
            "'callback_url' must be a string matching ^https?://",
        ),
    ],
)
def test_bad_jobs_are_refused_before_anything_is_queued(local_app, body, field, message):
    store, _ = local_app.extensions["summarizer.jobs"]
    response = local_app.test_client().post("/api/v1/jobs", json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["details"]["field"] == field and message in error["message"]
    assert store.pending_texts() == 0


def test_too_many_texts_are_refused(settings, pipeline):
    app = create_app(settings.replace(max_job_texts=3), pipeline=pipeline)
    response = app.test_client().post("/api/v1/jobs", json={"texts": ["a"] * 4})
    assert response.status_code == 400
    assert "at most 3" in response.get_json()["error"]["message"]


def test_unknown_and_expired_jobs_are_404(settings, pipeline):
    app = create_app(settings.replace(job_ttl_s=1), pipeline=pipeline)
    client = app.test_client()
    assert client.get("/api/v1/jobs/nope").status_code == 404
    created = client.post("/api/v1/jobs", json={"texts": SOURCES[:1], "task": "translate"}).get_json()
    finished(client, created["id"])
    wait_until(lambda: client.get(f"/api/v1/jobs/{created['id']}").status_code == 404, 10, "the job expired")
    assert client.delete(f"/api/v1/jobs/{created['id']}").status_code == 404


def test_with_keys_a_job_is_visible_only_to_the_key_that_created_it(settings, pipeline, tmp_path):
    keys = KeyStore(tmp_path / "keys.json")
    alice, bob = keys.add("alice"), keys.add("bob")
    app = create_app(settings.replace(api_keys_file=str(tmp_path / "keys.json")), pipeline=pipeline)
    client = app.test_client()
    created = client.post(
        "/api/v1/jobs", json={"texts": SOURCES[:1], "task": "translate"}, headers={"X-API-Key": alice}
    ).get_json()
    assert finished(client, created["id"], headers={"X-API-Key": alice})["status"] == "done"
    assert client.get(f"/api/v1/jobs/{created['id']}", headers={"X-API-Key": bob}).status_code == 404
    assert client.get(f"/api/v1/jobs/{created['id']}").status_code == 401


def test_a_finished_job_cannot_be_cancelled(local_app):
    client = local_app.test_client()
    created = client.post("/api/v1/jobs", json={"texts": SOURCES[:1], "task": "translate"}).get_json()
    finished(client, created["id"])
    response = client.delete(f"/api/v1/jobs/{created['id']}")
    assert response.status_code == 409


class _Hooks:
    """A real HTTP server on loopback that records the callbacks it receives."""

    def __init__(self, redirect_to: str | None = None):
        self.received: list[tuple[dict, bytes]] = []
        self.arrived = threading.Event()
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hooks.received.append((dict(self.headers), body))
                if redirect_to:  # a listed host sending the callback on elsewhere
                    self.send_response(302)
                    self.send_header("Location", redirect_to)
                else:
                    self.send_response(204)
                self.end_headers()
                hooks.arrived.set()

            def do_GET(self):  # a followed redirect turns the POST into a GET: recorded too
                hooks.received.append((dict(self.headers), b""))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hooks():
    server = _Hooks()
    yield server
    server.close()


def test_a_callback_never_follows_a_redirect_to_another_host(local_app, hooks):
    elsewhere = hooks.url.replace("127.0.0.1", "localhost")  # an unlisted host, that would accept it
    redirecting = _Hooks(redirect_to=elsewhere)
    try:
        client = local_app.test_client()
        body = {"texts": SOURCES[:1], "task": "translate", "callback_url": redirecting.url}
        assert client.post("/api/v1/jobs", json=body).status_code == 202
        assert redirecting.arrived.wait(30)
        # the runner retries the failed delivery on the listed host; the unlisted one never hears of it
        wait_until(lambda: len(redirecting.received) >= 2, 30, "a second attempt at the listed host")
        assert hooks.received == []
    finally:
        redirecting.close()


def verify(headers: dict, body: bytes, secret: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers[SIGNATURE_HEADER], expected)


def test_a_callback_arrives_signed_with_the_finished_job(local_app, hooks):
    client = local_app.test_client()
    created = client.post(
        "/api/v1/jobs", json={"texts": SOURCES[:2], "task": "translate", "callback_url": hooks.url}
    ).get_json()
    assert hooks.arrived.wait(30)
    headers, body = hooks.received[0]
    assert verify(headers, body, "s3cret")
    assert not verify(headers, body + b" ", "s3cret")
    payload = json.loads(body)
    assert payload["id"] == created["id"] and payload["status"] == "done"
    assert translations(payload) == EXPECTED[:2]


# -- Redis, Celery workers, gunicorn ----------------------------------------------------------------------------


def worker_env(settings, redis_url: str, **extra) -> dict:
    return dict(
        os.environ,
        SUMMARIZER_REDIS_URL=redis_url,
        SUMMARIZER_TRANSLATION_MODEL=settings.translation_model,
        SUMMARIZER_SUMMARIZATION_MODEL=settings.summarization_model,
        SUMMARIZER_LOAD_ABSTRACTIVE="false",
        SUMMARIZER_THREADS="1",
        **extra,
    )


class Worker:
    """`python -m summarizer worker` in its own process group, logging to artifacts/."""

    def __init__(self, settings, redis_url: str, name: str, concurrency: int = 1, **extra):
        (ROOT / "artifacts").mkdir(exist_ok=True)
        self.path = ROOT / "artifacts" / f"worker-{name}.log"
        self.log = open(self.path, "w")  # noqa: SIM115 - open until stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "summarizer", "worker", "--concurrency", str(concurrency)],
            cwd=ROOT,
            env=worker_env(settings, redis_url, **extra),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self):
        """SIGKILL the worker and its pool processes at once, as a lost machine would."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.log.close()

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def http(method: str, url: str, body: dict | None = None) -> tuple[int, dict, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), dict(exc.headers)


def poll(url: str, job_id: str, until=lambda job: job["status"] not in ("queued", "running"), timeout_s=120):
    def state():
        status, job, _ = http("GET", f"{url}/api/v1/jobs/{job_id}")
        assert status == 200, job
        return job if until(job) else None

    return wait_until(state, timeout_s, f"job {job_id} in the awaited state", interval=0.1)


@pytest.fixture
def two_replicas(settings, redis_url):
    """Two gunicorn instances sharing one Redis."""
    started = [
        start_gunicorn(
            settings, f"gunicorn-jobs-{i}.log", SUMMARIZER_REDIS_URL=redis_url, SUMMARIZER_LOAD_ABSTRACTIVE="false"
        )
        for i in range(2)
    ]
    yield [url for _, url, _ in started]
    for proc, _, _ in started:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_job_submitted_to_one_replica_is_done_by_a_worker_and_read_on_the_other(settings, redis_url, two_replicas):
    first, second = two_replicas
    worker = Worker(settings, redis_url, "replicas")
    try:
        texts = SOURCES + ["", 7]
        status, created, headers = http("POST", f"{first}/api/v1/jobs", {"texts": texts, "task": "translate"})
        assert status == 202 and headers["Location"] == f"/api/v1/jobs/{created['id']}"
        job = poll(second, created["id"])
        assert job["status"] == "done" and job["done"] == len(texts)
        assert translations(job) == EXPECTED + [None, None]
        assert [r["error"]["status"] for r in job["results"][-2:]] == [400, 400]
    finally:
        worker.stop()


def test_a_worker_converts_once_before_its_pool_starts(settings, redis_url, tmp_path):
    cache = tmp_path / "cache"
    worker = Worker(settings, redis_url, "convert", concurrency=2, SUMMARIZER_CACHE_DIR=str(cache))
    try:
        wait_until(lambda: worker.path.read_text().count("ready.") >= 1, 120, "the worker ready", interval=0.3)
    finally:
        worker.stop()
    output = worker.path.read_text()
    converting = f"converting {settings.translation_model} to CTranslate2"
    assert output.count(converting) == 1, output  # by the worker before its pool, not by each pool process
    assert output.index(converting) < output.index("ready."), output
    assert [p for p in cache.iterdir() if (p / "model.bin").is_file()]


def test_a_callback_from_a_worker_arrives_signed_and_an_unlisted_host_is_refused(settings, redis_url, hooks):
    callbacks = {"SUMMARIZER_CALLBACK_HOSTS": "127.0.0.1", "SUMMARIZER_CALLBACK_SECRET": "s3cret"}
    proc, url, _ = start_gunicorn(
        settings,
        "gunicorn-callback.log",
        SUMMARIZER_REDIS_URL=redis_url,
        SUMMARIZER_LOAD_ABSTRACTIVE="false",
        **callbacks,
    )
    worker = Worker(settings, redis_url, "callback", **callbacks)
    try:
        status, body, _ = http(
            "POST", f"{url}/api/v1/jobs", {"texts": SOURCES[:1], "callback_url": "http://localhost:9/hook"}
        )
        assert status == 400 and body["error"]["details"]["field"] == "callback_url"  # localhost is not listed
        body = {"texts": SOURCES[:3], "task": "translate", "callback_url": hooks.url}
        status, created, _ = http("POST", f"{url}/api/v1/jobs", body)
        assert status == 202
        assert hooks.arrived.wait(60)
        headers, payload = hooks.received[0]
        assert verify(headers, payload, "s3cret")
        job = json.loads(payload)
        assert job["id"] == created["id"] and job["status"] == "done" and translations(job) == EXPECTED[:3]
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
            metrics = response.read().decode()
        assert "summarizer_jobs_running 0.0" in metrics and "summarizer_jobs_queued 0.0" in metrics
    finally:
        worker.stop()
        proc.terminate()
        proc.wait(timeout=30)


def test_cancel_stops_texts_that_have_not_started(settings, redis_url, two_replicas):
    first, second = two_replicas
    status, created, _ = http("POST", f"{first}/api/v1/jobs", {"texts": SOURCES, "task": "translate"})
    assert status == 202
    status, job, _ = http("DELETE", f"{second}/api/v1/jobs/{created['id']}")
    assert status == 200 and job["status"] == "cancelled"
    worker = Worker(settings, redis_url, "cancel")
    try:
        import redis

        client = redis.Redis.from_url(redis_url)
        # the worker took (and skipped) every text
        wait_until(lambda: client.llen("summarizer") == 0, 60, "the queue drained")
        _, job, _ = http("GET", f"{first}/api/v1/jobs/{created['id']}")
        assert job["status"] == "cancelled" and job["done"] == 0 and job["results"] == []
    finally:
        worker.stop()


def test_a_worker_killed_mid_text_loses_nothing_and_duplicates_nothing(settings, redis_url, two_replicas):
    import redis

    first, _ = two_replicas
    texts = [tinymodels.ARTICLE] * 30
    # A short visibility timeout so that the killed worker's text comes back within the test.
    extra = {"SUMMARIZER_JOB_VISIBILITY_TIMEOUT_S": "3", "SUMMARIZER_JOB_TIME_LIMIT_S": "2"}
    worker = Worker(settings, redis_url, "killed", **extra)
    status, created, _ = http("POST", f"{first}/api/v1/jobs", {"texts": texts, "task": "translate"})
    assert status == 202
    client = redis.Redis.from_url(redis_url)
    key = f"summarizer:job:{created['id']}"

    def mid_text():  # a text has started and not finished, after a few have finished
        started, done = client.hlen(f"{key}:attempts"), client.hlen(f"{key}:results")
        return done >= 3 and started > done

    def unfinished() -> set[bytes]:  # texts started and without a result
        return set(client.hkeys(f"{key}:attempts")) - set(client.hkeys(f"{key}:results"))

    # The worker may finish its text between the look and the kill: then it is killed again, on a later text.
    try:
        for attempt in range(5):
            wait_until(mid_text, 60, "a text started and not finished", interval=0.001)
            worker.kill()
            lost = unfinished()
            if lost or attempt == 4:
                break
            worker = Worker(settings, redis_url, f"killed-{attempt}", **extra)
    finally:
        if worker.proc.poll() is None:  # a wait that timed out leaves the last worker running
            worker.stop()
    assert lost, "no kill in 5 landed while a text was being worked on"
    assert client.hlen(f"{key}:results") < len(texts)
    replacement = Worker(settings, redis_url, "replacement", **extra)
    try:
        job = poll(first, created["id"])
        assert job["status"] == "done" and job["done"] == len(texts)
        assert [r["index"] for r in job["results"]] == list(range(len(texts)))
        assert translations(job) == [tinymodels.ARTICLE_TRANSLATION] * len(texts)
        assert all(int(client.hget(f"{key}:attempts", index)) >= 2 for index in lost)

        redelivered = int(client.hget("summarizer:jobs:stats", "redelivered") or 0)
        assert redelivered >= len(lost)  # each text the dead worker was on was started again
        with urllib.request.urlopen(f"{first}/metrics", timeout=10) as response:
            metrics = response.read().decode()
        # Counted with the write: a worker killed just after writing a result has counted it too.
        assert f"summarizer_job_texts_done_total {float(len(texts))}" in metrics
        assert f"summarizer_job_texts_redelivered_total {float(redelivered)}" in metrics
    finally:
        replacement.stop()


def test_two_replicas_share_one_rate_limit_and_one_translation_cache(settings, redis_url):
    started = [
        start_gunicorn(
            settings,
            f"gunicorn-shared-{i}.log",
            SUMMARIZER_REDIS_URL=redis_url,
            SUMMARIZER_LOAD_ABSTRACTIVE="false",
            SUMMARIZER_RATE_LIMIT="4 per minute",
        )
        for i in range(2)
    ]
    (_, first, _), (_, second, _) = started
    try:
        status, through_first, _ = http("POST", f"{first}/api/v1/translate", {"text": SOURCES[0]})
        assert status == 200 and through_first["translation"] == EXPECTED[0]
        cache = lambda url: http("GET", f"{url}/api/v1/models")[1]["models"][0]["cache"]
        assert cache(second)["shared_hits"] == 0
        status, through_second, _ = http("POST", f"{second}/api/v1/translate", {"text": SOURCES[0]})
        assert status == 200 and through_second["translation"] == EXPECTED[0]
        assert cache(second)["shared_hits"] == 1  # translated by the first replica, served to the second
        statuses = [http("POST", f"{url}/api/v1/detect", {"text": "hello"})[0] for url in (first, second, first)]
        assert statuses == [200, 200, 429]  # one limit (4 per minute per client) across both replicas
    finally:
        for proc, _, _ in started:
            proc.terminate()
            proc.wait(timeout=30)


def test_with_redis_out_of_reach_jobs_answer_503_and_translation_still_works(settings, pipeline):
    from helpers import free_port

    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there: connections are refused
    app = create_app(settings.replace(redis_url=closed, load_abstractive=False))
    client = app.test_client()
    response = client.post("/api/v1/jobs", json={"texts": SOURCES[:1], "task": "translate"})
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "overloaded"
    assert int(response.headers["Retry-After"]) > 0
    assert client.get("/api/v1/jobs/some-id").status_code == 503
    # the shared cache tier is out of reach too: a miss, never a failed translation
    assert client.post("/api/v1/translate", json={"text": SOURCES[0]}).get_json()["translation"] == EXPECTED[0]
    app.extensions["summarizer.pipeline"].close()
