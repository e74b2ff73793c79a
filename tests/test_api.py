"""The HTTP API through Flask's test client, on the tiny models; responses checked against the OpenAPI document."""

import io
import json
import re

import hypothesis
import pytest
from openapi_schema_validator import OAS31Validator

from summarizer import create_app
from summarizer.errors import InvalidInput
from summarizer.schemas import TEXT_PATTERN, check_text
from tinymodels import ARTICLE, ARTICLE_TRANSLATION, PAIRS


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


def test_detect(client, spec, pipeline):
    text = "سلام دوستان من"
    response = client.post("/api/v1/detect", json={"text": text})
    body = response.get_json()
    confidence = body.pop("confidence")
    assert body == {"language": "fa", "script": "arabic", "supported": False}
    assert confidence == round(pipeline.detect(text).confidence, 4)  # the pipeline's own figure, rounded
    assert 0.5 < confidence <= 1
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
    loaded = {m["role"]: m["loaded"] for m in models.get_json()["models"]}
    assert loaded == {"translation": True, "summarization": True, "translation_en_ar": True}
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


LIMIT = "'texts' has 17 items; at most 16 per request"
NOT_BOTH = "Give summary_sentences or summary_ratio, not both"
ONE_OF = "Send exactly one of 'text' (a string) or 'texts' (a list of strings)"
EMPTY = "'text' is empty; send the text to translate and summarize"
NO_LETTERS = "Could not determine the language: the text has no letters. Supported languages: ar, en"


def unsupported(language):
    return (
        f"Detected language '{language}' is not supported; "
        "this service translates Arabic (ar) and summarizes Arabic and English (en)"
    )


@pytest.mark.parametrize(
    "kwargs, status, code, message, field",
    [
        ({"json": {"text": ""}}, 400, "invalid_input", EMPTY, "text"),
        ({"json": {"text": "   "}}, 400, "invalid_input", EMPTY, "text"),
        ({"json": {}}, 400, "invalid_input", ONE_OF, "text"),
        ({"json": {"txet": "hello"}}, 400, "invalid_input", "Unknown field 'txet'; did you mean 'text'?", "txet"),
        ({"json": {"txt": "hello"}}, 400, "invalid_input", "Unknown field 'txt'; did you mean 'text'?", "txt"),
        ({"json": {"text": 5}}, 400, "invalid_input", "'text' must be a string, not a number", "text"),
        ({"json": {"text": None}}, 400, "invalid_input", "'text' must be a string, not null", "text"),
        ({"json": {"text": ["a"]}}, 400, "invalid_input", "'text' must be a string, not a list", "text"),
        ({"json": {"text": {"a": 1}}}, 400, "invalid_input", "'text' must be a string, not an object", "text"),
        ({"json": ["text"]}, 400, "invalid_input", 'The JSON body must be an object, such as {"text": "..."}', None),
        ({"json": {"text": "a", "texts": ["b"]}}, 400, "invalid_input", ONE_OF, "text"),
        ({"json": {"texts": []}}, 400, "invalid_input", "'texts' must be a non-empty list of strings", "texts"),
        ({"json": {"texts": "abc"}}, 400, "invalid_input", "'texts' must be a non-empty list of strings", "texts"),
        ({"json": {"texts": ["a"] * 17}}, 400, "invalid_input", LIMIT, "texts"),
        (
            {"json": {"text": "hi", "summary_sentences": "two"}},
            400,
            "invalid_input",
            "'summary_sentences' must be an integer from 1 to 100, not 'two'",
            "summary_sentences",
        ),
        (
            {"json": {"text": "hi", "summary_sentences": "2"}},  # JSON values keep their JSON types
            400,
            "invalid_input",
            "'summary_sentences' must be an integer from 1 to 100, not '2'",
            "summary_sentences",
        ),
        (
            {"json": {"text": "hi", "summary_sentences": True}},
            400,
            "invalid_input",
            "'summary_sentences' must be an integer from 1 to 100, not a boolean",
            "summary_sentences",
        ),
        (
            {"json": {"text": "hi", "beam_size": 0}},
            400,
            "invalid_input",
            "'beam_size' must be an integer from 1 to 8, not 0",
            "beam_size",
        ),
        (
            {"json": {"text": "hi", "beam_size": 9}},
            400,
            "invalid_input",
            "'beam_size' must be an integer from 1 to 8, not 9",
            "beam_size",
        ),
        (
            {"json": {"text": "hi", "beam_size": 2.5}},
            400,
            "invalid_input",
            "'beam_size' must be an integer from 1 to 8, not 2.5",
            "beam_size",
        ),
        (
            {"json": {"text": "hi", "summary_ratio": 2}},
            400,
            "invalid_input",
            "'summary_ratio' must be a number greater than 0 and at most 1, not 2",
            "summary_ratio",
        ),
        (
            {"json": {"text": "hi", "summary_ratio": 0.5, "summary_sentences": 2}},
            400,
            "invalid_input",
            NOT_BOTH,
            "summary_sentences",
        ),
        (
            {"json": {"text": "hi", "source_language": "de"}},
            400,
            "invalid_input",
            "'source_language' must be 'auto', 'ar' or 'en', not 'de'",
            "source_language",
        ),
        (
            {"json": {"text": "hi", "summarizer": "abstractive summary " * 1000}},
            400,
            "invalid_input",
            "'summarizer' must be 'extractive' or 'abstractive', not 'abstractive summary abstractive summary '...",
            "summarizer",
        ),
        (
            {"json": {"text": "hi", "summarizer": "abstractve"}},
            400,
            "invalid_input",
            "'summarizer' must be 'extractive' or 'abstractive', not 'abstractve'",
            "summarizer",
        ),
        (
            {"data": {"text": "hi", "beam_size": "four"}},
            400,
            "invalid_input",
            "'beam_size' must be an integer from 1 to 8, not 'four'",
            "beam_size",
        ),
        (
            {"data": {"text": "hi", "beam_size": "9"}},
            400,
            "invalid_input",
            "'beam_size' must be an integer from 1 to 8, not '9'",
            "beam_size",
        ),
        (
            {"data": "{not json", "content_type": "application/json"},
            400,
            "invalid_input",
            "The body is not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2",
            None,
        ),
        (
            {"data": b'{"text": "\xff\xfe"}', "content_type": "application/json"},
            400,
            "invalid_input",
            "The body is not valid UTF-8",
            None,
        ),
        (
            {"data": "hello", "content_type": "text/plain"},
            415,
            "unsupported_media_type",
            "Send the body as application/json (or a form); got text/plain",
            None,
        ),
        (
            {"data": "hello"},
            415,
            "unsupported_media_type",
            "Send the body as application/json (or a form); got no content type",
            None,
        ),
        (
            {"json": {"text": "a\x00b"}},
            400,
            "invalid_input",
            "'text' contains NUL or other control characters; send plain UTF-8 text",
            "text",
        ),
        (
            {"data": '{"text": "abc \\ud800 def"}', "content_type": "application/json"},
            400,
            "invalid_input",
            "'text' contains a lone surrogate (U+D800) at character 4; send valid UTF-8 text",
            "text",
        ),
        (
            {"data": '{"text": "abc", "source_language": "\\udfff"}', "content_type": "application/json"},
            400,
            "invalid_input",
            "'source_language' contains a lone surrogate; send valid UTF-8 text",
            "source_language",
        ),
        (
            {"data": '{"text": "abc", "\\ud800": 1}', "content_type": "application/json"},
            400,
            "invalid_input",
            "A field name contains a lone surrogate; send valid UTF-8 text",
            None,
        ),
        (
            {"json": {"text": "x" * 20_001}},
            413,
            "text_too_long",
            "'text' has 20001 characters; the limit is 20000",
            "text",
        ),
        ({"json": {"text": "12345 678"}}, 422, "unsupported_language", NO_LETTERS, None),
        ({"json": {"text": "😀😀😀"}}, 422, "unsupported_language", NO_LETTERS, None),
        ({"json": {"text": "ٹیکسی انتظار کر رہی ہے۔"}}, 422, "unsupported_language", unsupported("ur"), None),
        (
            {"json": {"text": "خودکار سرتوپی دار تبدیل به یک ابزار دست نویسی جهانی شده"}},
            422,
            "unsupported_language",
            unsupported("fa"),
            None,
        ),
        (
            {"data": json.dumps({"text": "x" * 1_100_000}), "content_type": "application/json"},
            413,
            "request_entity_too_large",
            "The request body is over the limit of 1000000 bytes",
            None,
        ),
        (
            {"data": "[" * 100_000 + "]" * 100_000, "content_type": "application/json"},
            400,
            "invalid_input",
            "The JSON body is nested too deeply",
            None,
        ),
    ],
)
def test_bad_requests(client, spec, kwargs, status, code, message, field):
    response = client.post("/api/v1/summarize", **kwargs)
    assert response.status_code == status
    assert response.content_type == "application/json"
    error = response.get_json()["error"]
    assert (error["code"], error["message"]) == (code, message)
    assert error.get("details", {}).get("field") == field
    check(spec, "/api/v1/summarize", "post", response)


def test_lone_surrogate_fails_only_its_item(client, spec):
    body = '{"texts": ["The base was hit. Nobody died.", "abc \\ud800", "\\udc00"], "summary_sentences": 1}'
    response = client.post("/api/v1/summarize", data=body, content_type="application/json")
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert results[0]["result"]["summary"]["english"] == "The base was hit."
    assert results[1]["error"] == {
        "code": "invalid_input",
        "message": "'texts[1]' contains a lone surrogate (U+D800) at character 4; send valid UTF-8 text",
        "details": {"field": "texts[1]", "reason": "unreadable"},
        "status": 400,
    }
    assert results[2]["error"]["message"].startswith("'texts[2]' contains a lone surrogate (U+DC00)")
    check(spec, "/api/v1/summarize", "post", response)


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
    lt = {"/translate", "/detect", "/languages", "/frontend/settings"}  # LibreTranslate's routes (on by default)
    jobs = {"/api/v1/jobs", "/api/v1/jobs/{job_id}"}
    api = {"/api/v1/summarize", "/api/v1/translate", "/api/v1/detect", "/api/v1/models"}
    assert set(spec["paths"]) == api | jobs | lt


def test_openapi_document_carries_the_configured_limits(settings, pipeline):
    narrow = settings.replace(max_chars=500, max_texts=3)
    spec = create_app(narrow, pipeline=pipeline).test_client().get("/api/v1/openapi.json").get_json()
    request = spec["components"]["schemas"]["TextRequest"]["properties"]
    assert request["text"]["maxLength"] == 500
    assert (request["texts"]["maxItems"], request["texts"]["items"]["maxLength"]) == (3, 500)
    assert request["beam_size"]["maximum"] == 8
    assert request["source_language"]["enum"] == ["auto", "ar", "en"]
    assert spec["components"]["schemas"]["SingleTextRequest"]["properties"]["text"]["maxLength"] == 500


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


@pytest.mark.parametrize(
    "data, status, shown",
    [
        ({"text": PAIRS[3][0]}, 200, PAIRS[3][1]),
        ({"text": PAIRS[3][0], "beam_size": "4"}, 200, PAIRS[3][1]),
        ({"text": "   "}, 400, "Paste or type a text (Arabic or English), or choose a .txt file."),
        (
            {"text": PAIRS[3][0], "beam_size": "9"},
            400,
            "Translation must be an integer from 1 to 8.",
        ),
        ({"text": PAIRS[3][0], "texts": "x"}, 400, "Unknown field &#39;texts&#39;; did you mean &#39;text&#39;?"),
    ],
)
def test_web_form_shares_the_request_model(client, data, status, shown):
    response = client.post("/", data=data)
    assert response.status_code == status
    assert response.content_type.startswith("text/html")
    assert shown in response.get_data(as_text=True)


@hypothesis.given(hypothesis.strategies.text(max_size=30))
@hypothesis.settings(max_examples=300, derandomize=True, deadline=None)
def test_the_documented_text_pattern_is_what_check_text_accepts(text):
    try:
        check_text(text, max_chars=100)
        accepted = True
    except InvalidInput:
        accepted = False
    assert accepted == bool(re.search(TEXT_PATTERN, text)), repr(text)
