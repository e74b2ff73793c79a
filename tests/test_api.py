"""The HTTP API through Flask's test client, on the tiny models; responses checked against the OpenAPI document."""

import io
import json

import pytest
from openapi_schema_validator import OAS31Validator

from summarizer import create_app
from tinymodels import ARTICLE, ARTICLE_TRANSLATION, PAIRS


@pytest.fixture(scope="module")
def app(settings, pipeline):
    return create_app(settings, pipeline=pipeline)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def check(spec, path, method, response):
    """Validate a real response body against the documented schema for its status."""
    responses = spec["paths"][path][method]["responses"]
    documented = responses[str(response.status_code)]["content"]["application/json"]["schema"]
    schema = {**documented, "components": spec["components"]}
    OAS31Validator(schema).validate(response.get_json())


def test_summarize(client, spec):
    response = client.post("/api/v1/summarize", json={"text": ARTICLE, "summary_sentences": 2})
    assert response.status_code == 200
    body = response.get_json()
    assert body["translation"] == ARTICLE_TRANSLATION
    assert body["detected_language"]["language"] == "ar"
    assert body["summary"]["english"] == f"{PAIRS[0][1]} {PAIRS[1][1]}"
    assert body["summary"]["arabic"] == f"{PAIRS[0][0]} {PAIRS[1][0]}"
    assert [s["translation"] for s in body["sentences"]] == [t for _, t in PAIRS[:6]]
    check(spec, "/api/v1/summarize", "post", response)


def test_beam_size_per_request(client, spec):
    default = client.post("/api/v1/translate", json={"text": ARTICLE}).get_json()
    assert default["models"]["translation"]["beam_size"] == 1  # greedy unless asked
    response = client.post("/api/v1/translate", json={"text": ARTICLE, "beam_size": 4})
    assert response.status_code == 200
    body = response.get_json()
    assert body["translation"] == ARTICLE_TRANSLATION == default["translation"]
    assert body["models"]["translation"]["beam_size"] == 4
    check(spec, "/api/v1/translate", "post", response)


def test_translate_has_no_summary(client, spec):
    response = client.post("/api/v1/translate", json={"text": PAIRS[2][0]})
    assert response.get_json()["translation"] == PAIRS[2][1]
    assert response.get_json()["summary"] is None
    check(spec, "/api/v1/translate", "post", response)


def test_detect(client, spec):
    response = client.post("/api/v1/detect", json={"text": "سلام دوستان من"})
    assert response.get_json() == {
        "language": "fa",
        "confidence": response.get_json()["confidence"],
        "script": "arabic",
        "supported": False,
    }
    check(spec, "/api/v1/detect", "post", response)


def test_many_texts_each_with_its_own_result_or_error(client, spec):
    texts = [ARTICLE, "Le gouvernement a annoncé de nouvelles mesures pour l'économie.", "", PAIRS[4][0]]
    response = client.post("/api/v1/summarize", json={"texts": texts, "summary_sentences": 1})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert results[0]["result"]["translation"] == ARTICLE_TRANSLATION
    assert (results[1]["error"]["code"], results[1]["error"]["status"]) == ("unsupported_language", 422)
    assert results[1]["error"]["details"]["detected"] == "fr"
    assert (results[2]["error"]["code"], results[2]["error"]["status"]) == ("invalid_input", 400)
    assert results[3]["result"]["translation"] == PAIRS[4][1]
    check(spec, "/api/v1/summarize", "post", response)


def test_form_encoded_and_txt_upload(client):
    form = client.post("/api/v1/translate", data={"text": PAIRS[3][0]})
    assert form.get_json()["translation"] == PAIRS[3][1]
    careful = client.post("/api/v1/translate", data={"text": PAIRS[3][0], "beam_size": "4"}).get_json()
    assert careful["models"]["translation"]["beam_size"] == 4  # the web form's "Careful" choice
    assert careful["translation"] == PAIRS[3][1]
    upload = client.post(
        "/api/v1/translate",
        data={"file": (io.BytesIO(("\ufeff" + PAIRS[5][0]).encode()), "a.txt")},
        content_type="multipart/form-data",
    )
    assert upload.get_json()["translation"] == PAIRS[5][1]


def test_models_and_probes(client, spec):
    models = client.get("/api/v1/models")
    assert {m["role"]: m["loaded"] for m in models.get_json()["models"]} == {"translation": True, "summarization": True}
    check(spec, "/api/v1/models", "get", models)
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_not_ready_without_translation_model(settings, tmp_path):
    app = create_app(settings.replace(translation_model=str(tmp_path / "missing"), load_abstractive=False))
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["error"]["code"] == "not_ready"
    assert "missing" in ready.get_json()["error"]["message"]
    response = client.post("/api/v1/summarize", json={"text": ARTICLE})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "model_unavailable"
    english = client.post("/api/v1/summarize", json={"text": "The army said the base was hit. Nobody died."})
    assert english.status_code == 200


def test_missing_manifest_model_names_the_command(settings, tmp_path):
    app = create_app(settings.replace(models_dir=tmp_path, translation_model="opus-mt-ar-en", load_abstractive=False))
    response = app.test_client().post("/api/v1/summarize", json={"text": ARTICLE})
    assert response.status_code == 503
    assert response.get_json()["error"]["details"]["command"] == "python -m summarizer models pull opus-mt-ar-en"


@pytest.mark.parametrize(
    "kwargs, status, code, message",
    [
        (dict(json={"text": ""}), 400, "invalid_input", "'text' is empty"),
        (dict(json={"text": "   "}), 400, "invalid_input", "'text' is empty"),
        (dict(json={}), 400, "invalid_input", "exactly one of 'text'"),
        (dict(json={"txet": "hello"}), 400, "invalid_input", "did you mean 'text'?"),
        (dict(json={"text": 5}), 400, "invalid_input", "must be a string, not a number"),
        (dict(json={"text": None}), 400, "invalid_input", "must be a string, not null"),
        (dict(json={"text": ["a"]}), 400, "invalid_input", "must be a string, not a list"),
        (dict(json={"text": {"a": 1}}), 400, "invalid_input", "must be a string, not an object"),
        (dict(json=["text"]), 400, "invalid_input", "must be an object"),
        (dict(json={"text": "a", "texts": ["b"]}), 400, "invalid_input", "exactly one"),
        (dict(json={"texts": []}), 400, "invalid_input", "non-empty list"),
        (dict(json={"texts": ["a"] * 17}), 400, "invalid_input", "at most 16"),
        (dict(json={"text": "hi", "summary_sentences": "two"}), 400, "invalid_input", "'summary_sentences' must be"),
        (dict(json={"text": "hi", "summary_sentences": True}), 400, "invalid_input", "'summary_sentences' must be"),
        (dict(json={"text": "hi", "beam_size": 0}), 400, "invalid_input", "beam_size must be between 1 and 8"),
        (dict(json={"text": "hi", "beam_size": 9}), 400, "invalid_input", "beam_size must be between 1 and 8"),
        (dict(json={"text": "hi", "beam_size": 2.5}), 400, "invalid_input", "'beam_size' must be"),
        (dict(json={"text": "hi", "summary_ratio": 2}), 400, "invalid_input", "summary_ratio must be"),
        (dict(json={"text": "hi", "source_language": "de"}), 400, "invalid_input", "source_language must be"),
        (dict(data="{not json", content_type="application/json"), 400, "invalid_input", "not valid JSON"),
        (dict(data=b'{"text": "\xff\xfe"}', content_type="application/json"), 400, "invalid_input", "not valid UTF-8"),
        (dict(data="hello", content_type="text/plain"), 415, "unsupported_media_type", "application/json"),
        (dict(data="hello"), 415, "unsupported_media_type", "no content type"),
        (dict(json={"text": "a\x00b"}), 400, "invalid_input", "control characters"),
        (dict(json={"text": "x" * 20_001}), 413, "text_too_long", "the limit is 20000"),
        (dict(json={"text": "12345 678"}), 422, "unsupported_language", "no letters"),
        (dict(json={"text": "😀😀😀"}), 422, "unsupported_language", "no letters"),
        (dict(json={"text": "ٹیکسی انتظار کر رہی ہے۔"}), 422, "unsupported_language", "'ur'"),
        (
            dict(json={"text": "خودکار سرتوپی دار تبدیل به یک ابزار دست نویسی جهانی شده"}),
            422,
            "unsupported_language",
            "'fa'",
        ),
        (
            dict(data=json.dumps({"text": "x" * 1_100_000}), content_type="application/json"),
            413,
            "request_entity_too_large",
            "over the limit",
        ),
        (
            dict(data="[" * 100_000 + "]" * 100_000, content_type="application/json"),
            400,
            "invalid_input",
            "nested too deeply",
        ),
    ],
)
def test_bad_requests(client, kwargs, status, code, message):
    response = client.post("/api/v1/summarize", **kwargs)
    assert response.status_code == status
    assert response.content_type == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code
    assert message in error["message"]


@pytest.mark.parametrize(
    "method, path, status, code",
    [
        ("get", "/api/v1/nothing", 404, "not_found"),
        ("get", "/api/v1/summarize", 405, "method_not_allowed"),
        ("delete", "/api/v1/models", 405, "method_not_allowed"),
    ],
)
def test_http_errors_are_json_under_the_api(client, method, path, status, code):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_openapi_document_is_valid(spec):
    from openapi_spec_validator import validate

    validate(spec)
    assert set(spec["paths"]) == {"/api/v1/summarize", "/api/v1/translate", "/api/v1/detect", "/api/v1/models"}


def test_one_enormous_sentence_without_punctuation(client):
    text = " ".join([PAIRS[0][0].rstrip(".")] * 400)[:19_000]  # ~19,000 characters, no sentence end
    response = client.post("/api/v1/translate", json={"text": text})
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["sentences"]) == 1
    assert body["sentences"][0]["translation"]  # split to the model's limit and translated, not truncated or refused


def test_html_is_returned_as_text(client):
    text = "The army said <script>alert(1)</script> the base was hit. Nobody died."
    body = client.post("/api/v1/summarize", json={"text": text, "summary_sentences": 1}).get_json()
    assert body["summary"]["english"] == "The army said <script>alert(1)</script> the base was hit."


@pytest.mark.parametrize("engine", ["ctranslate2", "transformers"])
def test_a_model_that_fails_to_load(settings, tmp_path, engine):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "marian"}')
    (broken / "source.spm").write_bytes(b"not a sentencepiece model")
    app = create_app(settings.replace(translation_model=str(broken), translation_engine=engine, load_abstractive=False))
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "failed to load" in ready.get_json()["error"]["message"]
    response = client.post("/api/v1/translate", json={"text": ARTICLE})
    assert response.status_code == 503
    assert "failed to load" in response.get_json()["error"]["message"]
    assert client.post("/api/v1/summarize", json={"text": "The base was hit. Nobody died."}).status_code == 200
