"""The real MarianMT code path on a tiny model trained to reproduce known pairs."""

import json

import pytest
import torch
from safetensors.torch import load_file

from summarizer.translate.marian import MarianTranslator
from tinymodels import LONG_SENTENCE, LONG_TRANSLATION, PAIRS


@pytest.fixture(scope="module")
def translator(settings, tiny_models):
    return MarianTranslator(tiny_models["translation"], settings)


def test_tiny_model_is_laid_out_like_opus_mt(tiny_models):
    folder = tiny_models["translation"]
    assert {"source.spm", "target.spm", "vocab.json", "config.json"} <= {p.name for p in folder.iterdir()}
    vocab = json.loads((folder / "vocab.json").read_text())
    assert max(vocab, key=vocab.get) == "<pad>"
    weights = load_file(folder / "model.safetensors")
    shared = next(v for k, v in weights.items() if k.endswith("shared.weight"))
    assert torch.count_nonzero(shared[vocab["<pad>"]]) == 0


def test_translates_every_known_sentence(translator):
    sources = [s for s, _ in PAIRS]
    assert translator.translate_sentences(sources) == [t for _, t in PAIRS]


def test_order_is_kept_across_length_sorted_batches(settings, tiny_models):
    small_batches = MarianTranslator(tiny_models["translation"], settings.replace(batch_size=2, beam_size=1))
    sources = [s for s, _ in PAIRS][::-1]
    assert small_batches.translate_sentences(sources) == [t for _, t in PAIRS][::-1]


def test_sentence_over_the_limit_is_split_not_truncated(translator):
    assert translator.count_tokens(LONG_SENTENCE) > translator.max_input_tokens
    pieces = translator.split_to_limit(LONG_SENTENCE)
    assert pieces == [s for s, _ in PAIRS[6:9]]
    assert all(translator.count_tokens(p) <= translator.max_input_tokens for p in pieces)
    assert translator.translate_sentences([LONG_SENTENCE]) == [LONG_TRANSLATION]


def test_a_word_over_the_limit_is_split_by_characters(translator):
    word = "ا" * 200
    pieces = translator.split_to_limit(word)
    assert "".join(pieces) == word
    assert all(translator.count_tokens(p) <= translator.max_input_tokens for p in pieces)


def test_output_length_is_bounded(settings, tiny_models):
    bounded = MarianTranslator(tiny_models["translation"], settings.replace(max_output_ratio=0.0, max_output_offset=3))
    (out,) = bounded.translate_sentences([PAIRS[0][0]])
    assert out != PAIRS[0][1]
    assert len(bounded.tokenizer(text_target=out).input_ids) <= 4  # 3 new tokens + </s>


def test_beam_size_comes_from_the_model_when_configured_as_0(settings, tiny_models):
    assert MarianTranslator(tiny_models["translation"], settings.replace(beam_size=0)).num_beams == 4
    assert MarianTranslator(tiny_models["translation"], settings.replace(beam_size=2)).num_beams == 2


def test_empty_sentences_translate_to_empty(translator):
    assert translator.translate_sentences(["", PAIRS[4][0]]) == ["", PAIRS[4][1]]
