"""The cut conversion: CTranslate2's decoder holds only target.spm's pieces and the special tokens, the source
side is whole, and the translations are those of the whole model."""

import json
import shutil

import ctranslate2
import pytest
import sentencepiece as spm
import torch
from transformers import MarianMTModel

from summarizer.config import Settings
from summarizer.store import conversion_key, converted, target_tokens
from summarizer.translate import load_engine
from summarizer.translate.ct2 import CTranslate2Engine
from summarizer.translate.ct2convert import TargetVocabularyConverter
from tinymodels import LONG_SENTENCE, PAIRS

KNOWN = [s for s, _ in PAIRS]


def vocabularies(folder):
    """A conversion's (source, target) vocabularies."""
    if (folder / "shared_vocabulary.json").is_file():
        shared = json.loads((folder / "shared_vocabulary.json").read_text(encoding="utf-8"))
        return shared, shared
    source, target = (
        json.loads((folder / f"{side}_vocabulary.json").read_text(encoding="utf-8")) for side in ("source", "target")
    )
    return source, target


def test_the_cut_keeps_the_target_pieces_and_the_whole_source(settings, tiny_models):
    folder = tiny_models["translation"]
    whole, _ = vocabularies(converted(folder, "float32", settings.cache_dir, "full"))
    source, target = vocabularies(converted(folder, "float32", settings.cache_dir, "cut"))
    assert source == whole
    # The tiny model's joint vocabulary also holds its Arabic pieces: the cut is not the whole vocabulary.
    assert len(target) < len(whole)
    assert target == [token for token in whole if token in set(target_tokens(folder))]
    # Every piece target.spm can produce that the vocabulary has, and the end and unknown tokens, are kept
    # (<pad> is not in the conversion at all: CTranslate2 starts Marian's decoder from a zero embedding).
    pieces = spm.SentencePieceProcessor(model_file=str(folder / "target.spm"))
    producible = {pieces.id_to_piece(i) for i in range(pieces.get_piece_size())} & set(whole)
    assert producible | {"</s>", "<unk>"} == set(target)
    # Source-only tokens (the Arabic pieces here; a multilingual model's >>ara<< alike) stay on the source side.
    arabic = spm.SentencePieceProcessor(model_file=str(folder / "source.spm"))
    source_only = {arabic.id_to_piece(i) for i in range(arabic.get_piece_size())} & set(whole) - set(target)
    assert source_only and source_only <= set(source)


def test_the_cut_is_the_default_conversion(settings, tiny_models):
    folder = tiny_models["translation"]
    engine = load_engine(settings, folder)
    assert settings.ct2_target_vocabulary == "cut" and engine.target_vocabulary == "cut" and not engine.use_vmap
    assert conversion_key(folder, "int8").endswith("-cut1")
    assert conversion_key(folder, "int8", "cut") != conversion_key(folder, "int8", "full")
    assert conversion_key(folder, "int8", "map") == conversion_key(folder, "int8", "full")  # one conversion


def test_the_cut_scores_are_the_whole_model_renormalised_over_the_target_tokens(settings, tiny_models):
    # Each kept token's logit comes from its own row, unchanged: the cut's log-probabilities are the whole model's
    # log-softmax over the kept tokens only. They are higher than the whole model's, so the cut really removed
    # probability mass (it is not a no-op on this model).
    folder = tiny_models["translation"]
    cut = ctranslate2.Translator(str(converted(folder, "float32", settings.cache_dir, "cut")), compute_type="float32")
    whole = ctranslate2.Translator(
        str(converted(folder, "float32", settings.cache_dir, "full")), compute_type="float32"
    )
    engine = CTranslate2Engine(folder, compute_type="float32", cache_dir=settings.cache_dir)
    vocab = engine.vocab
    source, target = vocab.encode(PAIRS[3][0]), vocab.target.encode(PAIRS[3][1], out_type=str)
    [cut_scores] = cut.score_batch([source], [target])
    [whole_scores] = whole.score_batch([source], [target])

    model = MarianMTModel.from_pretrained(folder).eval()
    kept = torch.tensor(vocab.ids([t for t in target_tokens(folder) if t != "<pad>"]))
    labels = torch.tensor([vocab.ids(target + ["</s>"])])
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([vocab.ids(source)]), labels=labels).logits[0]
    full = torch.log_softmax(logits[:, : len(vocab.encoder) - 1], dim=-1)  # CTranslate2 drops <pad>, the last
    restricted = torch.log_softmax(logits[:, kept], dim=-1)
    position = {int(i): k for k, i in enumerate(kept)}
    expected = [float(restricted[t, position[int(i)]]) for t, i in enumerate(labels[0])]
    assert cut_scores.log_probs == pytest.approx(expected, abs=1e-4)
    assert whole_scores.log_probs == pytest.approx([float(full[t, i]) for t, i in enumerate(labels[0])], abs=1e-4)
    assert all(c > w for c, w in zip(cut_scores.log_probs, whole_scores.log_probs))


@pytest.mark.parametrize("beams", [1, 4])
def test_outputs_are_the_same_cut_whole_and_in_transformers(settings, tiny_models, sample_text, beams):
    article = [line for line in sample_text.splitlines() if line.strip()]
    sources = KNOWN + [LONG_SENTENCE] + article
    base = settings.replace(beam_size=beams)
    outputs = {
        name: load_engine(
            base.replace(ct2_compute_type=compute, ct2_target_vocabulary=vocabulary), tiny_models["translation"]
        ).translate(sources)
        for name, compute, vocabulary in [
            ("cut", "int8", "cut"),
            ("full", "int8", "full"),
            ("map", "int8", "map"),
            ("cut float32", "float32", "cut"),
        ]
    }
    outputs["transformers"] = load_engine(
        base.replace(translation_engine="transformers"), tiny_models["translation"]
    ).translate(sources)
    assert outputs["cut"][: len(KNOWN)] == [t for _, t in PAIRS]
    assert outputs["cut"] == outputs["full"] == outputs["map"]
    assert outputs["cut float32"] == outputs["transformers"]


def test_a_narrow_cut_binds_the_output(tiny_models, tmp_path):
    # The equality above would hold trivially if the cut were not applied: a cut to a few tokens must confine
    # the output to them, where the whole model's output leaves them.
    folder = tiny_models["translation"]
    engine = CTranslate2Engine(folder, compute_type="float32", cache_dir=tmp_path / "cache", target_vocabulary="full")
    source = engine.vocab.encode(PAIRS[1][0])
    free = engine.translator.translate_batch([source])[0].hypotheses[0]
    allowed = set(engine.vocab.target.encode(PAIRS[0][1], out_type=str)) | {"</s>", "<unk>"}
    assert not set(free) <= allowed
    TargetVocabularyConverter(str(folder), allowed).convert(str(tmp_path / "narrow"), quantization="float32")
    _, target = vocabularies(tmp_path / "narrow")
    assert set(target) == allowed
    narrow = ctranslate2.Translator(str(tmp_path / "narrow"), compute_type="float32")
    output = narrow.translate_batch([source], max_decoding_length=20)[0].hypotheses[0]
    assert output and set(output) <= allowed


def test_a_cut_without_the_end_token_is_refused(tiny_models, tmp_path):
    tokens = set(target_tokens(tiny_models["translation"])) - {"</s>"}
    with pytest.raises(ValueError, match="</s>"):
        TargetVocabularyConverter(str(tiny_models["translation"]), tokens).convert(str(tmp_path / "x"))


def test_the_setting_reaches_the_engine(settings, tiny_models):
    engine = load_engine(settings.replace(ct2_target_vocabulary="full"), tiny_models["translation"])
    assert engine.target_vocabulary == "full" and not engine.use_vmap
    assert Settings.from_env({"SUMMARIZER_CT2_TARGET_VOCABULARY": "map"}).ct2_target_vocabulary == "map"


def test_a_model_the_cut_cannot_handle_loads_with_its_whole_vocabulary(settings, tiny_models, tmp_path, caplog):
    # A real model the cut must refuse: its unknown token is a source-only piece, which the cut would drop.
    model = shutil.copytree(tiny_models["translation"], tmp_path / "m")
    vocab = json.loads((model / "vocab.json").read_text(encoding="utf-8"))
    source_only = next(token for token in vocab if token not in set(target_tokens(model)))
    config = json.loads((model / "tokenizer_config.json").read_text(encoding="utf-8"))
    (model / "tokenizer_config.json").write_text(json.dumps(config | {"unk_token": source_only}), encoding="utf-8")
    with caplog.at_level("WARNING", logger="summarizer.store"):
        path = converted(model, "int8", tmp_path / "cache")
    assert path.name == conversion_key(model, "int8", "full") != conversion_key(model, "int8", "cut")
    assert "cannot cut the target vocabulary" in caplog.text
    refused = conversion_key(model, "int8", "cut") + ".cut-refused"
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == sorted([path.name, refused])  # no half cut
    caplog.clear()
    with caplog.at_level("INFO", logger="summarizer.store"):
        assert converted(model, "int8", tmp_path / "cache") == path  # the next process does not try again
    assert "cannot cut" not in caplog.text and "converting" not in caplog.text
    translator = ctranslate2.Translator(str(path), compute_type="int8")
    assert translator.translate_batch([["</s>"]], max_decoding_length=5)[0].hypotheses
    engine = load_engine(settings.replace(cache_dir=tmp_path / "cache"), model)
    assert engine.target_vocabulary == "full"  # what the engine reports is what it loaded
