"""The whole pipeline on the tiny models: exact English out, alignment, bilingual summaries, errors."""

import pytest

from summarizer.errors import InvalidInput, ModelUnavailable, TextTooLong, UnsupportedLanguage
from summarizer.service import Options, Pipeline
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
        "name": pipeline.settings.translation_model,
        "engine": "ctranslate2-int8",
        "beam_size": 1,
    }
    assert set(result.timings_ms) == {"detect", "segment", "translate", "summarize", "total"}


def test_transformers_engine_gives_the_same_article(settings):
    pipe = Pipeline.load(settings.replace(translation_engine="transformers", load_abstractive=False))
    result = pipe.process(ARTICLE)
    assert result.translation == ARTICLE_TRANSLATION
    assert result.models["translation"]["engine"] == "transformers"


def test_unknown_engine_is_a_load_error(settings):
    pipe = Pipeline.load(settings.replace(translation_engine="fast", load_abstractive=False))
    assert "SUMMARIZER_TRANSLATION_ENGINE must be one of" in pipe.readiness_problems()[0]


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
    assert result.models["summarization"]["name"] == pipeline.settings.summarization_model


def test_long_sentence_through_the_pipeline(pipeline):
    result = pipeline.translate(f"{PAIRS[4][0]}\n\n{LONG_SENTENCE}")
    assert result.translation == f"{PAIRS[4][1]}\n\n{LONG_TRANSLATION}"
    assert result.sentences[1].translation == LONG_TRANSLATION
    assert result.summary is None


def test_english_is_summarized_without_any_model(settings, tmp_path):
    bare = Pipeline.load(
        settings.replace(
            translation_model="opus-mt-ar-en", summarization_model="distilbart-cnn-12-6", models_dir=tmp_path
        )
    )
    assert bare.translator is None
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
        (Options(source_language="fr"), "source_language must be one of"),
        (Options(summary_sentences=0), "summary_sentences must be between 1 and 100"),
        (Options(summary_ratio=1.5), "summary_ratio must be greater than 0"),
        (Options(summary_sentences=2, summary_ratio=0.5), "not both"),
        (Options(summarizer="magic"), "summarizer must be one of"),
    ],
)
def test_bad_options(pipeline, options, message):
    with pytest.raises(InvalidInput) as err:
        pipeline.process(ARTICLE, options)
    assert message in err.value.message


def test_forced_source_language_skips_detection_choice(pipeline):
    result = pipeline.process(ARTICLE, Options(source_language="ar", summarize=False))
    assert result.translation == ARTICLE_TRANSLATION


def test_models_status(pipeline):
    rows = {row["role"]: row for row in pipeline.models_status()}
    assert rows["translation"]["loaded"] and rows["translation"]["present"]
    assert rows["summarization"]["loaded"]


def test_abstractive_input_over_the_model_limit_is_summarized_in_windows(pipeline):
    import copy

    first = [t for _, t in PAIRS[:6]]
    second = ["The minister arrived in Baghdad on Tuesday morning.", "The attack caused no deaths."]
    summarizer = copy.copy(pipeline.abstractive)
    summarizer.max_input_tokens = summarizer._tokens(" ".join(first))  # the first text just fits, both do not
    assert summarizer._windows(first + second) == [" ".join(first), " ".join(second)]
    assert summarizer.summarize(first + second) == " ".join(
        ABSTRACT_SUMMARIES[" ".join(text)] for text in (first, second)
    )
