"""The cut conversion: CTranslate2's decoder holds only target.spm's pieces and the special tokens, its encoder
only the tokens MarianTokenizer can give, and the translations are those of the whole model."""

import json
import shutil

import ctranslate2
import pytest
import sentencepiece as spm
import torch
from transformers import MarianMTModel, MarianTokenizer

from summarizer.config import Settings
from summarizer.store import conversion_key, converted, source_tokens, target_tokens
from summarizer.translate import load_engine
from summarizer.translate.ct2 import CTranslate2Engine
from summarizer.translate.ct2convert import TargetVocabularyConverter
from tinymodels import EN_AR_PAIRS, EN_ARZ_PAIRS, LONG_SENTENCE, PAIRS

KNOWN = [s for s, _ in PAIRS]
# Text the tiny models never saw: characters neither source.spm knows (so not in vocab.json either: <unk>), and
# on the Arabic model Latin letters, which its source.spm does not know but vocab.json holds as target pieces
# ("s", "e"): MarianTokenizer looks such a run up whole and the encoder gets its row, not <unk>.
UNSEEN_AR = ["أعلن الجيش ☃ 中文 soldiers s e؟", "The minister s attack e", "قال ✓✓ المتحدث Ωmega"]
UNSEEN_EN = ["The attack ☃ 中文 caused no deaths.", "Will the قال attacks ل stop?", "Ωmega ✓"]


def vocabularies(folder):
    """A conversion's (source, target) vocabularies."""
    if (folder / "shared_vocabulary.json").is_file():
        shared = json.loads((folder / "shared_vocabulary.json").read_text(encoding="utf-8"))
        return shared, shared
    source, target = (
        json.loads((folder / f"{side}_vocabulary.json").read_text(encoding="utf-8")) for side in ("source", "target")
    )
    return source, target


def test_the_cut_keeps_the_target_pieces_and_the_source_tokens(settings, tiny_models):
    folder = tiny_models["translation"]
    whole, _ = vocabularies(converted(folder, "float32", settings.cache_dir, "full"))
    source, target = vocabularies(converted(folder, "float32", settings.cache_dir, "cut"))
    # The tiny model's joint vocabulary also holds its Arabic pieces: the cut is not the whole vocabulary.
    assert len(target) < len(whole)
    assert target == [token for token in whole if token in set(target_tokens(folder))]
    # Every piece target.spm can produce that the vocabulary has, and the end and unknown tokens, are kept
    # (<pad> is not in the conversion at all: CTranslate2 starts Marian's decoder from a zero embedding).
    pieces = spm.SentencePieceProcessor(model_file=str(folder / "target.spm"))
    producible = {pieces.id_to_piece(i) for i in range(pieces.get_piece_size())} & set(whole)
    assert producible | {"</s>", "<unk>"} == set(target)
    # The source side: source.spm's pieces, the end and unknown tokens, and the tokens made only of characters
    # source.spm has no piece for (here the English pieces without a leading "▁"); the other English pieces go.
    arabic = spm.SentencePieceProcessor(model_file=str(folder / "source.spm"))
    characters = {arabic.id_to_piece(i) for i in range(arabic.get_piece_size())}
    unknown = {t for t in whole if not set(t) & characters}
    assert source == [t for t in whole if t in characters | unknown | {"</s>", "<unk>"}]
    assert source == [t for t in whole if t in set(source_tokens(folder))]
    assert {"s", "e"} <= set(source) and len(source) < len(whole) and "▁attack" in set(whole) - set(source)
    # Every token MarianTokenizer gives is in the cut's source vocabulary.
    tokenizer = MarianTokenizer.from_pretrained(folder)
    given = {t for text in KNOWN + UNSEEN_AR for t in tokenizer.convert_ids_to_tokens(tokenizer(text).input_ids)}
    assert "s" in given and given <= set(source)


def test_the_source_side_of_a_multi_target_model_keeps_its_language_tokens(settings, tiny_models):
    folder = tiny_models["translation_en_ar"]
    whole, _ = vocabularies(converted(folder, "float32", settings.cache_dir, "full"))
    source, _ = vocabularies(converted(folder, "float32", settings.cache_dir, "cut"))
    english = spm.SentencePieceProcessor(model_file=str(folder / "source.spm"))
    pieces = {english.id_to_piece(i) for i in range(english.get_piece_size())}
    assert {">>ara<<", ">>arz<<", "</s>", "<unk>"} | (pieces & set(whole)) <= set(source)
    assert "▁ال" in set(whole) - set(source)  # an Arabic piece with its "▁" never reaches the encoder
    tokenizer = MarianTokenizer.from_pretrained(folder)
    texts = [">>ara<< " + text for text in [s for s, _ in EN_AR_PAIRS] + UNSEEN_EN]
    given = {t for text in texts for t in tokenizer.convert_ids_to_tokens(tokenizer(text).input_ids)}
    assert given <= set(source)


def test_the_cut_is_the_default_conversion(settings, tiny_models):
    folder = tiny_models["translation"]
    engine = load_engine(settings, folder)
    assert settings.ct2_target_vocabulary == "cut" and engine.target_vocabulary == "cut" and not engine.use_vmap
    assert conversion_key(folder, "int8").endswith("-cut2")
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
    # The source holds a target piece ("s", its own row) and characters no vocabulary has (<unk>).
    source = vocab.encode(PAIRS[3][0] + " " + UNSEEN_AR[0])
    assert "s" in source and "<unk>" in source
    target = vocab.target.encode(PAIRS[3][1], out_type=str)
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
@pytest.mark.parametrize(
    "model, token, pairs, unseen",
    [
        ("translation", "", PAIRS, UNSEEN_AR),
        ("translation_en_ar", ">>ara<<", EN_AR_PAIRS, UNSEEN_EN),
        ("translation_en_ar", ">>arz<<", EN_ARZ_PAIRS, UNSEEN_EN),
    ],
)
def test_outputs_are_the_same_cut_whole_and_in_transformers(
    settings, tiny_models, sample_text, beams, model, token, pairs, unseen
):
    article = [line for line in sample_text.splitlines() if line.strip()] if model == "translation" else []
    sources = [s for s, _ in pairs] + ([LONG_SENTENCE] if model == "translation" else []) + unseen + article
    base = settings.replace(beam_size=beams)
    outputs = {
        name: load_engine(
            base.replace(ct2_compute_type=compute, ct2_target_vocabulary=vocabulary), tiny_models[model], None, token
        ).translate(sources)
        for name, compute, vocabulary in [
            ("cut", "int8", "cut"),
            ("full", "int8", "full"),
            ("map", "int8", "map"),
            ("cut float32", "float32", "cut"),
            ("full float32", "float32", "full"),
        ]
    }
    outputs["transformers"] = load_engine(
        base.replace(translation_engine="transformers"), tiny_models[model], None, token
    ).translate(sources)
    assert outputs["cut"][: len(pairs)] == [t for _, t in pairs]
    assert outputs["cut"] == outputs["full"] == outputs["map"]
    assert outputs["cut float32"] == outputs["full float32"]
    # CTranslate2's and transformers' beam searches part on a few of the tiny English->Arabic model's outputs for
    # text it never saw, cut or whole alike (the whole conversion's output is the cut's): compared on its pairs.
    compared = len(sources) if beams == 1 or model == "translation" else len(pairs)
    assert outputs["cut float32"][:compared] == outputs["transformers"][:compared]


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
