"""The real service under gunicorn from wsgi.py, called over HTTP on loopback."""

import json
import urllib.error
import urllib.request

from tinymodels import ARTICLE, ARTICLE_TRANSLATION


def post(url, body: dict):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
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
