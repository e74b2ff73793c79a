"""The real service under gunicorn from wsgi.py, called over HTTP on loopback."""

import json
import urllib.error
import urllib.request

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


def test_sigterm_lets_requests_in_flight_finish(settings, sample_text):
    import signal
    import threading
    import time

    from conftest import start_gunicorn

    # The cache is off and the engine is the slower reference, so the request is still running at SIGTERM.
    proc, url, log = start_gunicorn(
        settings,
        "gunicorn-sigterm.log",
        SUMMARIZER_TRANSLATION_CACHE_SIZE="0",
        SUMMARIZER_TRANSLATION_ENGINE="transformers",
    )
    outcome = {}

    def call():
        outcome["status"], outcome["body"] = post(url + "/api/v1/translate", {"text": sample_text})

    started = time.monotonic()
    client = threading.Thread(target=call)
    client.start()
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    client.join(timeout=120)
    proc.wait(timeout=60)
    log.close()
    assert time.monotonic() - started > 0.5  # the request really was in flight when the signal came
    assert outcome["status"] == 200
    assert len(outcome["body"]["sentences"]) == 13
    assert proc.returncode == 0
