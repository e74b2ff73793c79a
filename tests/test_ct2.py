"""The CTranslate2 engine against the transformers reference, on the tiny model."""

import pytest

from summarizer.store import converted, default_cache_dir
from summarizer.translate import TranslationEngine, batching_translator
from summarizer.translate.ct2 import CTranslate2Engine
from summarizer.translate.marian import MarianEngine
from tinymodels import LONG_SENTENCE, LONG_TRANSLATION, PAIRS

KNOWN = [s for s, _ in PAIRS]


@pytest.fixture(scope="module")
def unknown(sample_text):
    # Sentences the tiny model never saw: its output is nonsense, but both engines must write the same nonsense.
    return [line for line in sample_text.splitlines() if line.strip()][:6]


@pytest.mark.parametrize("beams", [1, 4])
def test_float32_matches_transformers(settings, tiny_models, beams, unknown):
    options = {"beam_size": beams, "no_repeat_ngram_size": settings.no_repeat_ngram_size}
    reference = batching_translator(MarianEngine(tiny_models["translation"], **options), settings)
    fast = batching_translator(
        CTranslate2Engine(tiny_models["translation"], compute_type="float32", **options), settings
    )
    sources = KNOWN + [LONG_SENTENCE] + (unknown if beams == 1 else [])
    assert fast.translate_sentences(sources) == reference.translate_sentences(sources)
    assert fast.translate_sentences([LONG_SENTENCE]) == [LONG_TRANSLATION]
    reference.close()
    fast.close()


def test_int8_reproduces_the_pairs_and_conversion_is_cached(tiny_models):
    first = CTranslate2Engine(tiny_models["translation"], compute_type="int8")
    assert isinstance(first, TranslationEngine)
    assert first.translate(KNOWN) == [t for _, t in PAIRS]
    model_bin = converted(tiny_models["translation"], "int8", default_cache_dir()) / "model.bin"
    stamp = model_bin.stat().st_mtime_ns
    CTranslate2Engine(tiny_models["translation"], compute_type="int8")
    assert model_bin.stat().st_mtime_ns == stamp
    assert first.describe() == {"name": tiny_models["translation"].name, "engine": "ctranslate2-int8"}


def test_pipeline_with_ctranslate2(settings):
    from summarizer.models import Models
    from summarizer.service import Pipeline
    from tinymodels import ARTICLE, ARTICLE_TRANSLATION

    pipe = Pipeline(settings, Models.load(settings.replace(translation_engine="ctranslate2", load_abstractive=False)))
    result = pipe.process(ARTICLE)
    assert result.translation == ARTICLE_TRANSLATION
    assert result.models["translation"]["engine"] == "ctranslate2-int8"
    pipe.close()


@pytest.mark.parametrize("engine", [MarianEngine, CTranslate2Engine])
def test_a_translation_does_not_depend_on_its_batch(tiny_models, unknown, engine):
    # A tight bound (a tenth of the input) cuts every output; each sentence must be cut at its own bound.
    options = {"compute_type": "float32"} if engine is CTranslate2Engine else {}
    translator = engine(tiny_models["translation"], beam_size=1, output_ratio=0.1, output_offset=0, **options)
    short = min(unknown, key=len)
    alone = translator.translate([short])
    assert translator.translate([short] + unknown + [LONG_SENTENCE])[0] == alone[0]
    bound = translator.max_new_tokens(translator.count_tokens(short))
    assert len(translator.vocab.encode(alone[0])) - 1 <= bound  # encode() adds </s>


def test_blank_sentences_translate_to_blank_without_the_model(tiny_models):
    translator = CTranslate2Engine(tiny_models["translation"], compute_type="float32")
    assert translator.translate(["", "  "]) == ["", ""]
    assert translator.tokens_out == 0


def test_sub_batches_are_balanced_a_multiple_of_the_decoders_and_the_longest_go_first(tiny_models):
    # Two decoders, at most 2 rows a sub-batch: 9 sentences make 6 sub-batches of 1 or 2 rows, handed to
    # CTranslate2 longest first (the decoders take them in that order, so the short ones fill in at the end).
    translator = CTranslate2Engine(tiny_models["translation"], threads=2, batch_size=2)
    engine, lengths = translator.translator, []

    class Recording:  # CTranslate2's own translator, with the sub-batches it is handed written down
        def translate_batch(self, batch, **options):
            lengths.append([len(tokens) for tokens in batch])
            return engine.translate_batch(batch, **options)

    translator.translator = Recording()
    assert translator.translate(KNOWN) == [t for _, t in PAIRS]
    assert sorted(map(len, lengths)) == [1, 1, 1, 2, 2, 2]
