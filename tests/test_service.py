"""The whole pipeline on the tiny models: exact English out, alignment, bilingual summaries, errors."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helpers import HeldEngine
from summarizer.errors import InvalidInput, ModelUnavailable, Overloaded, TextTooLong, UnsupportedLanguage
from summarizer.models import Models
from summarizer.service import Options, Pipeline
from summarizer.translate import batching_translator
from tinymodels import ABSTRACT_SUMMARIES, ARTICLE, ARTICLE_TRANSLATION, LONG_SENTENCE, LONG_TRANSLATION, PAIRS

ENGLISH = (
    "The US military said eight soldiers were injured in a missile attack on a base in Iraq. "
    "It struck back at a militia vehicle. Officials said the strike killed several fighters.\n\n"
    "The attacks on US forces have risen since October."
)


def test_multi_paragraph_arabic_article(pipeline):
    result = pipeline.process(ARTICLE)
    assert result.detection.language == "ar"
    assert result.source_language == "ar"
    assert result.translation == ARTICLE_TRANSLATION
    assert [(s.source, s.translation) for s in result.sentences] == [PAIRS[i] for i in range(6)]
    assert [s.paragraph for s in result.sentences] == [0, 0, 1, 1, 2, 3]
    assert result.models["translation"] == {
        "name": Path(pipeline.settings.translation_model).name,  # a model folder is named, never its path
        "engine": "ctranslate2-int8",
        "beam_size": 1,
    }
    assert set(result.timings_ms) == {"detect", "segment", "translate", "summarize", "total"}


def load(settings) -> Pipeline:
    return Pipeline(settings, Models.load(settings))


def test_transformers_engine_gives_the_same_article(settings):
    pipe = load(settings.replace(translation_engine="transformers", load_abstractive=False))
    result = pipe.process(ARTICLE)
    assert result.translation == ARTICLE_TRANSLATION
    assert result.models["translation"]["engine"] == "transformers"
    pipe.close()


def test_unknown_engine_is_refused_by_the_settings(settings):
    with pytest.raises(ValueError, match="translation_engine"):
        settings.replace(translation_engine="fast")


def test_a_text_of_more_sentences_than_the_queue_holds_is_served_on_an_idle_queue(settings):
    pipe = load(settings.replace(max_queued_sentences=2, load_abstractive=False, translation_cache_size=0))
    result = pipe.translate(ARTICLE)  # six sentences, three times what the queue holds at once
    assert len(result.sentences) == 6
    assert result.translation == ARTICLE_TRANSLATION
    pipe.close()


def test_a_queue_full_of_other_requests_still_answers_overloaded(settings):
    loaded = Models.load(settings.replace(load_abstractive=False))
    engine = HeldEngine(loaded.translator.engine)
    s = settings.replace(max_queued_sentences=6, load_abstractive=False)
    pipe = Pipeline(s, Models(s, translator=batching_translator(engine, s)))
    with ThreadPoolExecutor(1) as pool:
        other = pool.submit(pipe.translate, ARTICLE)  # its six sentences fill the queue
        assert engine.started.wait(60)
        with pytest.raises(Overloaded) as err:
            pipe.translate(PAIRS[6][0])
        assert "queue is full (6 sentences waiting)" in err.value.message
        engine.release.set()
        assert other.result().translation == ARTICLE_TRANSLATION
    assert pipe.translate(PAIRS[6][0]).translation == PAIRS[6][1]  # room again
    pipe.close()
    loaded.close()


def test_extractive_summary_is_bilingual(pipeline):
    summary = pipeline.process(ARTICLE, Options(summary_sentences=2)).summary
    assert summary.method == "extractive"
    assert summary.sentence_indexes == [0, 1]
    assert summary.english == f"{PAIRS[0][1]} {PAIRS[1][1]}"
    assert summary.arabic == f"{PAIRS[0][0]} {PAIRS[1][0]}"


def test_summary_ratio(pipeline):
    summary = pipeline.process(ARTICLE, Options(summary_ratio=0.5)).summary
    assert len(summary.sentence_indexes) == 3
    assert summary.sentence_indexes == sorted(summary.sentence_indexes)


def test_abstractive_summary(pipeline):
    result = pipeline.process(ARTICLE, Options(summarizer="abstractive"))
    assert result.summary.english == ABSTRACT_SUMMARIES[" ".join(ARTICLE_TRANSLATION.split())]
    assert result.summary.arabic is None
    assert result.models["summarization"]["name"] == Path(pipeline.settings.summarization_model).name


def test_long_sentence_through_the_pipeline(pipeline):
    result = pipeline.translate(f"{PAIRS[4][0]}\n\n{LONG_SENTENCE}")
    assert result.translation == f"{PAIRS[4][1]}\n\n{LONG_TRANSLATION}"
    assert result.sentences[1].translation == LONG_TRANSLATION
    assert result.summary is None


def test_english_is_summarized_without_any_model(settings, tmp_path):
    bare = load(
        settings.replace(
            translation_model="opus-mt-ar-en", summarization_model="distilbart-cnn-12-6", models_dir=tmp_path
        )
    )
    assert bare.models.translator is None
    result = bare.process(ENGLISH, Options(summary_sentences=2))
    assert result.source_language == "en"
    assert result.translation is None
    assert result.summary.english == (
        "The US military said eight soldiers were injured in a missile attack on a base in Iraq. "
        "It struck back at a militia vehicle."
    )
    assert result.summary.arabic is None
    with pytest.raises(ModelUnavailable) as err:
        bare.process(ARTICLE)
    assert "python -m summarizer models pull opus-mt-ar-en" in err.value.message
    assert err.value.status == 503
    with pytest.raises(ModelUnavailable) as err:
        bare.process(ENGLISH, Options(summarizer="abstractive"))
    assert "python -m summarizer models pull distilbart-cnn-12-6" in err.value.message


@pytest.mark.parametrize(
    "text, detected",
    [
        ("خودکار سرتوپی دار تبدیل به یک ابزار دست نویسی جهانی شده", "fa"),
        ("ٹیکسی انتظار کر رہی ہے۔ ان کے خیال میں لڑکا بہت اچھا ہے۔", "ur"),
        ("Le gouvernement a annoncé de nouvelles mesures pour l'économie.", "fr"),
        ("12345 67890", "und"),
        ("😀😀😀", "und"),
    ],
)
def test_unsupported_language(pipeline, text, detected):
    with pytest.raises(UnsupportedLanguage) as err:
        pipeline.process(text)
    assert err.value.status == 422
    assert err.value.details["detected"] == detected


@pytest.mark.parametrize(
    "text, error, message",
    [
        ("", InvalidInput, "'text' is empty"),
        ("   \n\t", InvalidInput, "'text' is empty"),
        (None, InvalidInput, "'text' must be a string, not null"),
        (42, InvalidInput, "'text' must be a string, not a number"),
        (["a"], InvalidInput, "'text' must be a string, not a list"),
        ("abc\x00def", InvalidInput, "control characters"),
        ("x" * 20_001, TextTooLong, "the limit is 20000"),
    ],
)
def test_bad_text(pipeline, text, error, message):
    with pytest.raises(error) as err:
        pipeline.process(text)
    assert message in err.value.message


@pytest.mark.parametrize(
    "options, message",
    [
        ({"source_language": "fr"}, "'source_language' must be 'auto', 'ar' or 'en', not 'fr'"),
        ({"summary_sentences": 0}, "'summary_sentences' must be an integer from 1 to 100, not 0"),
        ({"summary_ratio": 1.5}, "'summary_ratio' must be a number greater than 0 and at most 1, not 1.5"),
        ({"summary_sentences": 2, "summary_ratio": 0.5}, "Give summary_sentences or summary_ratio, not both"),
        ({"summarizer": "magic"}, "'summarizer' must be 'extractive' or 'abstractive', not 'magic'"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(InvalidInput) as err:
        Options(**options)  # an Options is checked when it is made, before any pipeline sees it
    assert err.value.message == message


def test_forced_source_language_skips_detection_choice(pipeline):
    result = pipeline.process(ARTICLE, Options(source_language="ar", summarize=False))
    assert result.translation == ARTICLE_TRANSLATION


@pytest.mark.parametrize(
    ("text", "source", "script"),
    [(ARTICLE_TRANSLATION, "ar", "latin"), (ARTICLE, "en", "arabic"), ("2024 - 2025", "en", "none")],
)
def test_a_forced_source_language_must_fit_the_script(pipeline, text, source, script):
    with pytest.raises(UnsupportedLanguage) as err:
        pipeline.process(text, Options(source_language=source))
    assert (
        f"source_language is '{source}'" in err.value.message and f"its running text is {script}" in err.value.message
    )


def test_models_status(pipeline):
    rows = {row["role"]: row for row in pipeline.models.status()}
    assert rows["translation"]["loaded"] and rows["translation"]["present"]
    assert rows["summarization"]["loaded"]
    assert rows["translation"]["name"] == Path(pipeline.settings.translation_model).name
    assert "/" not in repr(rows)  # names, never server paths


def test_status_and_errors_of_missing_models_name_them_without_server_paths(settings, tmp_path):
    models = Models.load(settings.replace(translation_model="opus-mt-ar-en", models_dir=tmp_path))
    rows = {row["role"]: row for row in models.status()}
    assert rows["translation"]["name"] == "opus-mt-ar-en" and rows["translation"]["revision"]
    assert not rows["translation"]["loaded"]
    shown = repr(rows) + " ".join(models.readiness_problems()) + repr(models.load_errors["translation"].to_dict())
    assert str(tmp_path) not in shown and str(settings.models_dir) not in shown
    assert "models pull opus-mt-ar-en" in rows["translation"]["error"]


def test_abstractive_input_over_the_model_limit_is_summarized_in_windows(pipeline):
    import copy

    first = [t for _, t in PAIRS[:6]]
    second = ["The minister arrived in Baghdad on Tuesday morning.", "The attack caused no deaths."]
    summarizer = copy.copy(pipeline.models.abstractive)
    summarizer.max_input_tokens = summarizer.count_tokens(" ".join(first))  # the first text just fits, both do not
    assert summarizer.windows(first + second) == [" ".join(first), " ".join(second)]
    assert summarizer.summarize(first + second) == " ".join(
        ABSTRACT_SUMMARIES[" ".join(text)] for text in (first, second)
    )
