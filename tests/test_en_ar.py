"""English -> Arabic: the target-language token on both engines, and the path through the API, the CLI, jobs and
the LibreTranslate routes, on the tiny multi-target model (tests/tinymodels.py)."""

from __future__ import annotations

import json
import shutil

import pytest
from openapi_schema_validator import OAS31Validator

from summarizer import create_app
from summarizer.segment import split_paragraphs
from summarizer.store import ModelEntry, ModelStore
from summarizer.translate import target_token
from test_cli import run
from test_jobs import finished, translations
from tinymodels import (
    AR_TARGETS,
    ARTICLE,
    ARTICLE_TRANSLATION,
    EN_AR_PAIRS,
    EN_ARZ_PAIRS,
    EN_NO_TOKEN_PAIRS,
    EN_SOURCES,
)

ENGINES = ["transformers", "ctranslate2"]


def engine(kind: str, path, settings, token: str):
    """The tiny English->Arabic model on one engine, greedy, with the given target-language token."""
    options = {"target_token": token, "beam_size": 1}
    if kind == "ctranslate2":
        from summarizer.translate.ct2 import CTranslate2Engine

        return CTranslate2Engine(path, cache_dir=settings.cache_dir, threads=1, **options)
    from summarizer.translate.marian import MarianEngine

    return MarianEngine(path, **options)


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def check(spec, path, method, response):
    """Validate a real response body against the documented schema for its status."""
    documented = spec["paths"][path][method]["responses"][str(response.status_code)]["content"]
    schema = {**documented["application/json"]["schema"], "components": spec["components"]}
    OAS31Validator(schema).validate(response.get_json())


# -- the token, on both engines -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ENGINES)
def test_both_engines_reproduce_the_pairs_with_the_ara_token(kind, tiny_models, settings):
    model = engine(kind, tiny_models["translation_en_ar"], settings, ">>ara<<")
    assert model.translate(EN_SOURCES) == [ar for _, ar in EN_AR_PAIRS]


@pytest.mark.parametrize("kind", ENGINES)
@pytest.mark.parametrize(("token", "pairs"), [(">>arz<<", EN_ARZ_PAIRS), ("", EN_NO_TOKEN_PAIRS)])
def test_a_wrong_or_missing_token_gives_other_translations(kind, token, pairs, tiny_models, settings):
    model = engine(kind, tiny_models["translation_en_ar"], settings, token)
    outputs = model.translate(EN_SOURCES)
    assert outputs == [ar for _, ar in pairs]
    assert all(out != ar for out, (_, ar) in zip(outputs, EN_AR_PAIRS))


def test_ctranslate2_gets_the_token_as_transformers_does(tiny_models, settings):
    from transformers import MarianTokenizer

    tokenizer = MarianTokenizer.from_pretrained(tiny_models["translation_en_ar"])
    model = engine("ctranslate2", tiny_models["translation_en_ar"], settings, ">>ara<<")
    for sentence in EN_SOURCES:
        ids = tokenizer(">>ara<< " + sentence).input_ids
        assert model.source_tokens(sentence) == tokenizer.convert_ids_to_tokens(ids)
        assert model.source_tokens(sentence)[0] == ">>ara<<"
        assert model.count_tokens(sentence) == len(ids)


def test_the_token_comes_from_the_manifest_or_the_model_vocabulary(tiny_models, tmp_path):
    store = ModelStore(tmp_path / "models")
    folder = tiny_models["translation_en_ar"]
    assert target_token(store, str(folder), folder, "ar") == ">>ara<<"
    assert target_token(store, str(tiny_models["translation"]), tiny_models["translation"], "en") == ""
    assert target_token(store, "opus-mt-en-ar", store.path("opus-mt-en-ar"), "ar") == ">>ara<<"
    assert target_token(store, "opus-mt-tc-big-en-ar", store.path("opus-mt-tc-big-en-ar"), "ar") == ">>ara<<"
    assert target_token(store, "opus-mt-ar-en", store.path("opus-mt-ar-en"), "en") == ""
    # A folder whose vocabulary holds several target tokens, none of them Arabic's: refused, never guessed.
    other = tmp_path / "dialects"
    shutil.copytree(folder, other)
    vocab = json.loads((other / "vocab.json").read_text(encoding="utf-8"))
    vocab[">>apc<<"] = vocab.pop(">>ara<<")
    (other / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match=r"multi-target model .*>>apc<<.* no >>ara<<"):
        target_token(store, str(other), other, "ar")
    # One token only: that one.
    del vocab[">>apc<<"]
    (other / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    assert target_token(store, str(other), other, "ar") == ">>arz<<"


def test_a_token_missing_from_the_vocabulary_is_refused(tiny_models):
    from summarizer.translate.marian import MarianEngine

    with pytest.raises(ValueError, match=">>fra<<"):
        MarianEngine(tiny_models["translation_en_ar"], target_token=">>fra<<")


def test_the_packaged_manifest_knows_both_english_to_arabic_models(tmp_path):
    entries = ModelStore(tmp_path).entries
    big = entries["opus-mt-tc-big-en-ar"]
    assert (big.repo, big.revision, big.role, big.license) == (
        "Helsinki-NLP/opus-mt-tc-big-en-ar",
        "main",
        "translation",
        "CC-BY-4.0",
    )
    assert big.target_token == ">>ara<<" and not big.pull_by_default and big.direction == "en-ar"
    assert entries["opus-mt-en-ar"].direction == "en-ar" and entries["opus-mt-ar-en"].direction == "ar-en"
    assert isinstance(big, ModelEntry)


# -- the API -----------------------------------------------------------------------------------------------------


def test_summary_mode_translates_only_the_chosen_sentences(client, spec):
    response = client.post(
        "/api/v1/summarize", json={"text": ARTICLE_TRANSLATION, "target_language": "ar", "summary_sentences": 2}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    check(spec, "/api/v1/summarize", "post", response)
    assert body["detected_language"]["language"] == "en" and body["source_language"] == "en"
    assert body["target_language"] == "ar"
    chosen = body["summary"]["sentence_indexes"]
    assert len(chosen) == 2
    assert body["summary"]["english"] == " ".join(EN_SOURCES[i] for i in chosen)
    assert body["summary"]["arabic"] == " ".join(AR_TARGETS[i] for i in chosen)
    assert [s["source"] for s in body["sentences"]] == EN_SOURCES
    assert [s["translation"] for s in body["sentences"]] == [AR_TARGETS[i] if i in chosen else None for i in range(6)]
    assert body["translation"] is None
    assert body["models"]["translation"] == {"name": "tiny-opus-mt-en-ar", "engine": "ctranslate2-int8", "beam_size": 1}


def test_summary_mode_gives_no_whole_translation_even_when_every_sentence_is_chosen(client):
    body = client.post(
        "/api/v1/summarize", json={"text": ARTICLE_TRANSLATION, "target_language": "ar", "summary_sentences": 6}
    ).get_json()
    assert body["summary"]["sentence_indexes"] == list(range(6))
    assert [s["translation"] for s in body["sentences"]] == AR_TARGETS
    assert body["translation"] is None  # "summary" mode: the whole text is what "full" gives


def test_full_mode_translates_everything_by_paragraph(client, spec):
    response = client.post(
        "/api/v1/summarize",
        json={"text": ARTICLE_TRANSLATION, "target_language": "ar", "translate": "full", "summary_sentences": 2},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    check(spec, "/api/v1/summarize", "post", response)
    assert body["translation"] == ARTICLE  # the same paragraphs and line breaks
    assert [s["translation"] for s in body["sentences"]] == AR_TARGETS
    assert [s["paragraph"] for s in body["sentences"]] == [0, 0, 1, 1, 2, 3]
    chosen = body["summary"]["sentence_indexes"]
    assert body["summary"]["arabic"] == " ".join(AR_TARGETS[i] for i in chosen)


def test_translate_only_translates_the_whole_text(client, spec):
    for options in ({}, {"translate": "summary"}):  # no summary to translate: always the whole text
        response = client.post(
            "/api/v1/translate", json={"text": ARTICLE_TRANSLATION, "target_language": "ar", **options}
        )
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        check(spec, "/api/v1/translate", "post", response)
        assert body["translation"] == ARTICLE and body["summary"] is None and body["target_language"] == "ar"
    many = client.post("/api/v1/translate", json={"texts": EN_SOURCES[:2], "target_language": "ar"})
    assert [r["result"]["translation"] for r in many.get_json()["results"]] == AR_TARGETS[:2]


def test_an_abstractive_summary_is_translated_sentence_by_sentence(client, pipeline):
    response = client.post(
        "/api/v1/summarize", json={"text": ARTICLE_TRANSLATION, "target_language": "ar", "summarizer": "abstractive"}
    )
    assert response.status_code == 200, response.get_json()
    summary = response.get_json()["summary"]
    assert summary["method"] == "abstractive" and summary["english"]
    pieces = [s for p in split_paragraphs(summary["english"]) for s in p.sentences]
    assert summary["arabic"] == " ".join(pipeline.models.translator_en_ar.translate_sentences(pieces))
    assert all(s["translation"] is None for s in response.get_json()["sentences"])


def test_arabic_input_and_the_default_target_are_unchanged(client):
    arabic = client.post("/api/v1/summarize", json={"text": ARTICLE, "target_language": "ar"}).get_json()
    assert arabic["target_language"] == "en" and arabic["translation"] == ARTICLE_TRANSLATION
    assert arabic["models"]["translation"]["name"] == "tiny-opus-mt-ar-en"
    english = client.post("/api/v1/summarize", json={"text": ARTICLE_TRANSLATION}).get_json()
    assert english["target_language"] == "en" and english["translation"] is None
    assert english["summary"]["arabic"] is None and "translation" not in english["models"]
    assert all(s["translation"] is None for s in english["sentences"])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"target_language": "fr"}, "'target_language' must be 'en' or 'ar', not 'fr'"),
        ({"target_language": "AR"}, "'target_language' must be 'en' or 'ar', not 'AR'"),
        ({"translate": "some"}, "'translate' must be 'summary' or 'full', not 'some'"),
        ({"target_language": 1}, "'target_language' must be 'en' or 'ar', not 1"),
    ],
)
def test_bad_options_are_400(client, fields, message):
    response = client.post("/api/v1/summarize", json={"text": ARTICLE_TRANSLATION, **fields})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_input"
    assert response.get_json()["error"]["message"] == message


def test_the_form_fields_take_the_options(client):
    response = client.post(
        "/api/v1/translate", data={"text": EN_SOURCES[0], "source_language": "en", "target_language": "ar"}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["translation"] == AR_TARGETS[0]


def test_without_the_model_english_to_arabic_is_503_and_the_rest_is_served(settings):
    app = create_app(settings.replace(en_ar_model="opus-mt-en-ar", load_abstractive=False))
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    response = client.post("/api/v1/summarize", json={"text": ARTICLE_TRANSLATION, "target_language": "ar"})
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "model_unavailable"
    assert error["details"]["command"] == "python -m summarizer models pull opus-mt-en-ar"
    assert "python -m summarizer models pull opus-mt-en-ar" in error["message"]
    assert str(settings.models_dir) not in json.dumps(error)  # no server path
    assert client.post("/api/v1/summarize", json={"text": ARTICLE_TRANSLATION}).status_code == 200
    assert client.post("/api/v1/translate", json={"text": ARTICLE}).get_json()["translation"] == ARTICLE_TRANSLATION
    rows = {row["role"]: row for row in client.get("/api/v1/models").get_json()["models"]}
    assert rows["translation_en_ar"]["loaded"] is False and rows["translation_en_ar"]["name"] == "opus-mt-en-ar"
    assert "models pull opus-mt-en-ar" in rows["translation_en_ar"]["error"]
    assert rows["translation"]["loaded"] is True
    english = next(lang for lang in client.get("/languages").get_json() if lang["code"] == "en")
    assert english["targets"] == ["en"]
    lt = client.post("/translate", json={"q": EN_SOURCES[0], "source": "en", "target": "ar"})
    assert lt.status_code == 503 and "models pull opus-mt-en-ar" in lt.get_json()["error"]
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'summarizer_model_loaded{name="opus-mt-en-ar",role="translation_en_ar"} 0.0' in metrics


def test_models_and_metrics_show_the_english_to_arabic_model(client):
    rows = {row["role"]: row for row in client.get("/api/v1/models").get_json()["models"]}
    assert rows["translation_en_ar"]["loaded"] is True and rows["translation_en_ar"]["name"] == "tiny-opus-mt-en-ar"
    client.post("/api/v1/translate", json={"text": EN_SOURCES[5], "target_language": "ar"})
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'summarizer_model_loaded{name="tiny-opus-mt-en-ar",role="translation_en_ar"} 1.0' in metrics


# -- the CLI, jobs and the LibreTranslate routes ------------------------------------------------------------------


def test_cli_target_language(settings):
    env = {"SUMMARIZER_EN_AR_MODEL": settings.en_ar_model}
    full = run(["summarize", "-", "--target-language", "ar", "--translate", "full"], settings, ARTICLE_TRANSLATION, env)
    assert full.returncode == 0, full.stderr
    result = json.loads(full.stdout)
    assert result["translation"] == ARTICLE and result["target_language"] == "ar"
    summary = run(
        ["summarize", "-", "--target-language", "ar", "--summary-sentences", "1"], settings, EN_SOURCES[0], env
    )
    assert summary.returncode == 0, summary.stderr
    assert json.loads(summary.stdout)["summary"]["arabic"] == AR_TARGETS[0]
    missing = run(["summarize", "-", "--target-language", "ar"], settings, ARTICLE_TRANSLATION)
    assert missing.returncode == 3
    error = json.loads(missing.stderr[missing.stderr.index("{") :])["error"]
    assert error["details"]["command"] == "python -m summarizer models pull opus-mt-en-ar"


def test_a_job_carries_the_target_language(settings, pipeline):
    client = create_app(settings, pipeline=pipeline).test_client()
    response = client.post("/api/v1/jobs", json={"texts": EN_SOURCES[:3], "task": "translate", "target_language": "ar"})
    assert response.status_code == 202, response.get_json()
    job = finished(client, response.get_json()["id"])
    assert job["status"] == "done" and translations(job) == AR_TARGETS[:3]
    summarized = client.post(
        "/api/v1/jobs", json={"texts": [ARTICLE_TRANSLATION], "target_language": "ar", "summary_sentences": 1}
    )
    result = finished(client, summarized.get_json()["id"])["results"][0]["result"]
    (chosen,) = result["summary"]["sentence_indexes"]
    assert result["summary"]["arabic"] == AR_TARGETS[chosen] and result["target_language"] == "ar"
    bad = client.post("/api/v1/jobs", json={"texts": EN_SOURCES[:1], "target_language": "de"})
    assert bad.status_code == 400


def test_libretranslate_english_to_arabic(client):
    english = next(lang for lang in client.get("/languages").get_json() if lang["code"] == "en")
    assert english["targets"] == ["en", "ar"]
    one = client.post("/translate", json={"q": EN_SOURCES[0], "source": "en", "target": "ar"})
    assert one.get_json() == {"translatedText": AR_TARGETS[0]}
    auto = client.post("/translate", json={"q": EN_SOURCES[1:3], "source": "auto", "target": "ar"}).get_json()
    assert auto["translatedText"] == AR_TARGETS[1:3]
    assert [d["language"] for d in auto["detectedLanguage"]] == ["en", "en"]
    html = f"<p>{EN_SOURCES[0]}</p><p><b>{EN_SOURCES[3]}</b></p>"
    form = client.post("/translate", data={"q": html, "source": "en", "target": "ar", "format": "html"})
    assert form.get_json() == {"translatedText": f"<p>{AR_TARGETS[0]}</p><p><b>{AR_TARGETS[3]}</b></p>"}
    # Arabic asked in Arabic, English in English: back as they came.
    same = client.post("/translate", json={"q": AR_TARGETS[0], "source": "auto", "target": "ar"}).get_json()
    assert same["translatedText"] == AR_TARGETS[0] and same["detectedLanguage"]["language"] == "ar"
    assert client.post("/translate", json={"q": AR_TARGETS[0], "source": "ar", "target": "ar"}).get_json() == {
        "translatedText": AR_TARGETS[0]
    }
    # Arabic to English still works with the same routes.
    back = client.post("/translate", json={"q": AR_TARGETS[0], "source": "ar", "target": "en"}).get_json()
    assert back == {"translatedText": EN_SOURCES[0]}
    bad = client.post("/translate", json={"q": EN_SOURCES[0], "source": "en", "target": "fr"})
    assert bad.status_code == 400 and bad.get_json() == {"error": "'target' must be one of ['en', 'ar'], not 'fr'"}


def test_a_multi_target_folder_without_the_arabic_token_is_a_load_error_not_a_crash(settings, tiny_models, tmp_path):
    other = tmp_path / "dialects-only"
    shutil.copytree(tiny_models["translation_en_ar"], other)
    vocab = json.loads((other / "vocab.json").read_text(encoding="utf-8"))
    vocab[">>apc<<"] = vocab.pop(">>ara<<")
    (other / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    client = create_app(settings.replace(en_ar_model=str(other), load_abstractive=False)).test_client()
    assert client.get("/readyz").status_code == 200
    response = client.post("/api/v1/translate", json={"text": EN_SOURCES[0], "target_language": "ar"})
    assert response.status_code == 503
    message = response.get_json()["error"]["message"]
    assert "dialects-only is a multi-target model" in message and "no >>ara<<" in message
    assert str(tmp_path) not in message


def test_the_real_server_reads_summarizer_en_ar_model(live_server):
    import urllib.request

    request = urllib.request.Request(
        live_server + "/api/v1/translate",
        data=json.dumps({"text": ARTICLE_TRANSLATION, "target_language": "ar"}).encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.load(response)
    assert body["translation"] == ARTICLE and body["target_language"] == "ar"
