"""The target-side vocabulary map (SUMMARIZER_CT2_TARGET_VOCABULARY=map): CTranslate2 decodes onto target.spm's
pieces only, with the same outputs."""

import json
import shutil

import ctranslate2
import pytest
import sentencepiece as spm

from summarizer.store import SPECIAL_TOKENS, conversion_key, converted, target_vocabulary_map
from summarizer.translate import load_engine
from summarizer.translate.ct2 import CTranslate2Engine
from tinymodels import LONG_SENTENCE, PAIRS

KNOWN = [s for s, _ in PAIRS]


def map_tokens(text: str) -> list[str]:
    """The always-candidate tokens of a vmap.txt holding one rule with an empty source n-gram."""
    key, _, tokens = text.rstrip("\n").partition("\t")
    assert key == "" and "\n" not in tokens
    return tokens.split(" ")


def test_the_map_is_the_target_pieces_and_the_special_tokens(tiny_models):
    folder = tiny_models["translation"]
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    target = spm.SentencePieceProcessor(model_file=str(folder / "target.spm"))
    tokens = map_tokens(target_vocabulary_map(folder))
    assert len(tokens) == len(set(tokens)) < len(vocab)  # the tiny model's joint vocabulary also holds Arabic
    assert set(tokens) == ({target.id_to_piece(i) for i in range(target.get_piece_size())} | set(SPECIAL_TOKENS)) & set(
        vocab
    )
    assert set(SPECIAL_TOKENS) <= set(tokens)


def test_the_map_is_part_of_the_cached_conversion(settings, tiny_models):
    folder = converted(tiny_models["translation"], "int8", settings.cache_dir, "map")
    assert (folder / "vmap.txt").read_text(encoding="utf-8") == target_vocabulary_map(tiny_models["translation"])
    assert conversion_key(tiny_models["translation"], "int8", "map").endswith("-vmap1")


def test_no_map_without_target_spm(tmp_path, tiny_models):
    shutil.copy(tiny_models["translation"] / "vocab.json", tmp_path)
    assert target_vocabulary_map(tmp_path) is None


@pytest.mark.parametrize("beams", [1, 4])
def test_outputs_are_the_same_with_and_without_the_map(settings, tiny_models, sample_text, beams):
    article = [line for line in sample_text.splitlines() if line.strip()]
    sources = KNOWN + [LONG_SENTENCE] + article
    outputs = {}
    for restricted in (True, False):
        vocabulary = "map" if restricted else "full"
        engine = load_engine(
            settings.replace(ct2_target_vocabulary=vocabulary, beam_size=beams), tiny_models["translation"]
        )
        assert engine.use_vmap is restricted and engine.target_vocabulary == vocabulary
        outputs[restricted] = engine.translate(sources)
        assert outputs[restricted][: len(KNOWN)] == [t for _, t in PAIRS]
    assert outputs[True] == outputs[False]


def test_ctranslate2_decodes_only_onto_the_map(settings, tiny_models, tmp_path):
    # The equality above would hold trivially if the map were ignored: a map of a few pieces must bind the output.
    engine = CTranslate2Engine(
        tiny_models["translation"], compute_type="float32", cache_dir=settings.cache_dir, target_vocabulary="map"
    )
    source = engine.vocab.encode(PAIRS[1][0])
    free = engine.translator.translate_batch([source], use_vmap=False)[0].hypotheses[0]
    allowed = set(engine.vocab.target.encode(PAIRS[0][1], out_type=str)) | set(SPECIAL_TOKENS)
    assert not set(free) <= allowed
    narrow = tmp_path / "narrow"
    shutil.copytree(converted(tiny_models["translation"], "float32", settings.cache_dir, "map"), narrow)
    (narrow / "vmap.txt").write_text("\t" + " ".join(sorted(allowed)) + "\n", encoding="utf-8")
    bound = ctranslate2.Translator(str(narrow), compute_type="float32")
    output = bound.translate_batch([source], use_vmap=True, max_decoding_length=20)[0].hypotheses[0]
    assert output and set(output) <= allowed
