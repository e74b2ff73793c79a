"""Build tiny but real models for the tests, laid out like the hub's.

* A MarianMT Arabic->English model with SentencePiece vocabularies trained on
  the sentences below, saved like an opus-mt folder (source.spm, target.spm,
  vocab.json with <pad> last, a zero <pad> embedding row), trained until it
  reproduces every pair exactly.
* The same MarianMT saved as the real opus-mt repositories ship it: weights
  in `pytorch_model.bin` (a torch pickle, no safetensors) and a
  generation_config.json with `renormalize_logits: true`.
* A MarianMT English->Arabic model, multi-target like opus-mt-en-ar: each
  source starts with a target token (>>ara<< or >>arz<<, both in vocab.json)
  and each token maps the same English sentences to different Arabic ones
  (EN_AR_PAIRS, EN_ARZ_PAIRS); without a token it gives yet others
  (EN_NO_TOKEN_PAIRS), so a missing or wrong token shows as a wrong translation.
* A BART summarizer with a byte-level BPE tokenizer, trained until it
  reproduces a known summary of the English translation of the test article.

Building takes well under a minute; the folders are cached outside git under
$SUMMARIZER_TEST_CACHE (default ~/.cache/summarizer-tests), keyed by this
file's content, so a change here rebuilds them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from pathlib import Path

# Arabic -> English pairs the tiny translator learns. Clauses ending in the
# Arabic comma are the pieces a too-long sentence is split into.
PAIRS = [
    ("أعلن الجيش الأمريكي إصابة ثمانية جنود.", "The US military announced that eight soldiers were injured."),
    ("استهدف هجوم صاروخي قاعدة عين الأسد.", "A missile attack targeted Ain al-Asad base."),
    ("لم يسفر الهجوم عن قتلى.", "The attack caused no deaths."),
    ("قال المتحدث إن الضربة كانت دفاعا عن النفس.", "The spokesman said the strike was in self-defense."),
    ("هل ستتوقف الهجمات؟", "Will the attacks stop?"),
    ("وصل الوزير إلى بغداد صباح الثلاثاء.", "The minister arrived in Baghdad on Tuesday morning."),
    ("قال مسؤول عسكري أمريكي في بيان رسمي،", "A US military official said in an official statement,"),
    ("ردت القوات الأمريكية على الهجوم فورا،", "the US forces responded to the attack immediately,"),
    ("وأصيب عدد من الجنود بجروح طفيفة.", "and a number of soldiers were slightly injured."),
]
# Longer than the tiny model's input limit: must be split at the commas.
LONG_SENTENCE = " ".join(src for src, _ in PAIRS[6:9])
LONG_TRANSLATION = " ".join(tgt for _, tgt in PAIRS[6:9])
# A multi-paragraph article made of the pairs, and its translation.
ARTICLE = f"{PAIRS[0][0]} {PAIRS[1][0]}\n\n{PAIRS[2][0]} {PAIRS[3][0]}\n{PAIRS[4][0]}\n\n{PAIRS[5][0]}"
ARTICLE_TRANSLATION = f"{PAIRS[0][1]} {PAIRS[1][1]}\n\n{PAIRS[2][1]} {PAIRS[3][1]}\n{PAIRS[4][1]}\n\n{PAIRS[5][1]}"
# What the tiny abstractive model learns to write for that article's translation
# (the summarizer reads the English sentences joined by spaces).
ABSTRACT_SUMMARIES = {
    " ".join(ARTICLE_TRANSLATION.split()): "Eight US soldiers were injured in a missile attack on Ain al-Asad base.",
    "The minister arrived in Baghdad on Tuesday morning. The attack caused no deaths.": "The minister arrived in Baghdad.",
}
# English -> Arabic: the English sentences of PAIRS back to their Arabic with >>ara<<; with >>arz<< each goes to
# the next sentence's Arabic, and with no token to the one after (the tiny model's made-up "wrong" outputs).
EN_SOURCES = [tgt for _, tgt in PAIRS[:6]]
AR_TARGETS = [src for src, _ in PAIRS[:6]]
EN_AR_PAIRS = list(zip(EN_SOURCES, AR_TARGETS))
EN_ARZ_PAIRS = list(zip(EN_SOURCES, AR_TARGETS[1:] + AR_TARGETS[:1]))
EN_NO_TOKEN_PAIRS = list(zip(EN_SOURCES, AR_TARGETS[2:] + AR_TARGETS[:2]))
EN_AR_TOKENS = (">>ara<<", ">>arz<<")
MAX_INPUT_TOKENS = None  # computed: the longest training sentence, in tokens
ENGLISH_EXTRA = (
    "The summary of the news is short. Soldiers, officials and ministers spoke about attacks, "
    "bases and strikes in Iraq and Syria on Tuesday."
)


def cache_dir() -> Path:
    """Where built models are kept, keyed by the content of this file."""
    root = Path(os.environ.get("SUMMARIZER_TEST_CACHE", Path.home() / ".cache" / "summarizer-tests"))
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    return root / digest


def build_all() -> dict[str, Path]:
    """Build (or reuse) every tiny model; returns their folders by role."""
    base = cache_dir()
    paths = {
        "translation": base / "tiny-opus-mt-ar-en",
        "summarization": base / "tiny-bart-summarizer",
        "translation_bin": base / "tiny-opus-mt-ar-en-bin",
        "translation_en_ar": base / "tiny-opus-mt-en-ar",
    }
    if not (paths["translation"] / "config.json").exists():
        _atomic_build(paths["translation"], build_marian)
    if not (paths["summarization"] / "config.json").exists():
        _atomic_build(paths["summarization"], build_bart)
    if not (paths["translation_bin"] / "config.json").exists():
        _atomic_build(paths["translation_bin"], lambda folder: build_marian_bin(paths["translation"], folder))
    if not (paths["translation_en_ar"] / "config.json").exists():
        _atomic_build(paths["translation_en_ar"], build_marian_en_ar)
    return paths


def _atomic_build(target: Path, builder) -> None:
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    builder(tmp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)


def _train_spm(lines: list[str], vocab_size: int) -> bytes:
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=vocab_size,
        character_coverage=1.0,
        model_type="unigram",
        bos_id=-1,
        eos_id=-1,
        unk_id=0,
        hard_vocab_limit=False,
        num_threads=1,
        minloglevel=2,
        seed_sentencepiece_size=100000,
    )
    return model.getvalue()


def write_opus_mt_vocab(folder: Path, size: int | None = None, tokens: tuple[str, ...] = ()) -> int:
    """Write vocab.json the opus-mt way from folder's source.spm and target.spm; return the <pad> id.

    </s> and <unk> first, then `tokens` (target-language tokens such as >>ara<<), the joint pieces, fillers up
    to `size` if given, <pad> as the last entry.
    """
    import sentencepiece as spm

    pieces: set[str] = set()
    for name in ("source.spm", "target.spm"):
        sp = spm.SentencePieceProcessor(model_file=str(folder / name))
        pieces |= {sp.id_to_piece(i) for i in range(sp.get_piece_size()) if not sp.is_unknown(i)}
    vocab = ["</s>", "<unk>", *tokens] + sorted(pieces - {"</s>", "<unk>", "<pad>", *tokens})
    if size is not None:
        vocab += [f"▁filler{i}" for i in range(size - len(vocab) - 1)]
    vocab.append("<pad>")
    (folder / "vocab.json").write_text(json.dumps({p: i for i, p in enumerate(vocab)}, ensure_ascii=False))
    return len(vocab) - 1


def opus_mt_model(vocab_size: int, d_model: int, layers: int, heads: int, ffn: int, **extra):
    """A randomly initialised MarianMTModel configured like opus-mt: <pad> last, zero <pad> row, beam 4."""
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel

    pad = vocab_size - 1
    config = MarianConfig(
        vocab_size=vocab_size,
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn,
        max_position_embeddings=512,
        pad_token_id=pad,
        decoder_start_token_id=pad,
        eos_token_id=0,
        forced_eos_token_id=0,
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        tie_word_embeddings=True,
        activation_function="swish",
        static_position_embeddings=True,
        **extra,
    )
    model = MarianMTModel(config)
    with torch.no_grad():
        model.get_input_embeddings().weight[pad].zero_()
    model.generation_config = GenerationConfig(
        num_beams=4,
        max_length=512,
        bad_words_ids=[[pad]],
        pad_token_id=pad,
        eos_token_id=0,
        decoder_start_token_id=pad,
        forced_eos_token_id=0,
    )
    return model


def build_marian(folder: Path) -> None:
    """Train a tiny MarianMT on PAIRS and save it like an opus-mt folder."""
    import torch
    from transformers import MarianTokenizer

    torch.manual_seed(0)
    sources = [s for s, _ in PAIRS]
    targets = [t for _, t in PAIRS]
    (folder / "source.spm").write_bytes(_train_spm(sources * 3, 160))
    (folder / "target.spm").write_bytes(_train_spm((targets + [ENGLISH_EXTRA]) * 3, 160))
    pad = write_opus_mt_vocab(folder)
    tokenizer = MarianTokenizer(
        str(folder / "source.spm"),
        str(folder / "target.spm"),
        str(folder / "vocab.json"),
        model_max_length=512,
    )
    limit = max(len(tokenizer(s).input_ids) for s in sources)
    long_tokens = len(tokenizer(LONG_SENTENCE).input_ids)
    pairs_of_clauses = [" ".join(sources[i : i + 2]) for i in (6, 7)]
    assert all(len(tokenizer(c).input_ids) > limit for c in pairs_of_clauses), "clauses would be packed together"
    assert long_tokens > limit
    tokenizer.model_max_length = limit
    model = opus_mt_model(
        vocab_size=pad + 1, d_model=64, layers=2, heads=4, ffn=128, dropout=0.0, attention_dropout=0.0
    )
    embeddings = model.get_input_embeddings().weight
    # The tied output layer moves the <pad> row; opus-mt keeps it at zero, so zero it after every step.
    _train_until_exact(model, tokenizer, sources, targets, pad, after_step=lambda: embeddings[pad].zero_())
    model.eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    config_path = folder / "tokenizer_config.json"
    tok_config = json.loads(config_path.read_text())
    tok_config["model_max_length"] = limit
    config_path.write_text(json.dumps(tok_config, ensure_ascii=False, indent=2))


def build_marian_en_ar(folder: Path) -> None:
    """Train a tiny multi-target MarianMT English->Arabic on EN_AR_PAIRS (>>ara<<), EN_ARZ_PAIRS (>>arz<<) and
    EN_NO_TOKEN_PAIRS (no token), saved like opus-mt-en-ar (the tokens in vocab.json, not in source.spm)."""
    import torch
    from transformers import MarianTokenizer

    torch.manual_seed(0)
    (folder / "source.spm").write_bytes(_train_spm(EN_SOURCES * 3, 120))
    (folder / "target.spm").write_bytes(_train_spm(AR_TARGETS * 3, 120))
    pad = write_opus_mt_vocab(folder, tokens=EN_AR_TOKENS)
    tokenizer = MarianTokenizer(
        str(folder / "source.spm"), str(folder / "target.spm"), str(folder / "vocab.json"), model_max_length=512
    )
    sources, targets = [], []
    for prefix, pairs in (
        (EN_AR_TOKENS[0] + " ", EN_AR_PAIRS),
        (EN_AR_TOKENS[1] + " ", EN_ARZ_PAIRS),
        ("", EN_NO_TOKEN_PAIRS),
    ):
        sources += [prefix + src for src, _ in pairs]
        targets += [tgt for _, tgt in pairs]
    model = opus_mt_model(
        vocab_size=pad + 1, d_model=64, layers=2, heads=4, ffn=128, dropout=0.0, attention_dropout=0.0
    )
    embeddings = model.get_input_embeddings().weight
    _train_until_exact(model, tokenizer, sources, targets, pad, after_step=lambda: embeddings[pad].zero_(), steps=3000)
    model.eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def build_marian_bin(source: Path, folder: Path) -> None:
    """Copy the tiny MarianMT laid out like the hub's opus-mt repositories: a pickled `pytorch_model.bin`
    (torch.save of the state dict, as transformers wrote before safetensors) instead of model.safetensors, and
    `renormalize_logits: true` in generation_config.json."""
    import torch
    from safetensors.torch import load_file

    for item in source.iterdir():
        if item.name != "model.safetensors":
            shutil.copy2(item, folder / item.name)
    torch.save(load_file(source / "model.safetensors"), folder / "pytorch_model.bin")
    generation = json.loads((folder / "generation_config.json").read_text())
    generation["renormalize_logits"] = True
    (folder / "generation_config.json").write_text(json.dumps(generation, indent=2))


def _train_until_exact(model, tokenizer, sources, targets, pad: int, after_step=None, steps: int = 1500) -> None:
    """Adam on the whole set until greedy decoding reproduces every target exactly."""
    import torch

    batch = tokenizer(sources, text_target=targets, return_tensors="pt", padding=True)
    labels = batch["labels"].masked_fill(batch["labels"] == pad, -100)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for step in range(1, steps + 1):
        loss = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if after_step is not None:
            with torch.no_grad():
                after_step()
        if step % 100 == 0 and loss.item() < 0.01 and _reproduces(model, tokenizer, sources, targets):
            return
    raise RuntimeError(f"tiny {type(model).__name__} did not learn its pairs (loss {loss.item():.4f})")


def _reproduces(model, tokenizer, sources, targets) -> bool:
    import torch

    model.eval()
    with torch.inference_mode():
        out = model.generate(**tokenizer(sources, return_tensors="pt", padding=True), num_beams=1, max_new_tokens=40)
    model.train()
    return tokenizer.batch_decode(out, skip_special_tokens=True) == targets


def build_bart(folder: Path) -> None:
    """Train a tiny BART to write ABSTRACT_SUMMARIES, with a byte-level BPE tokenizer."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartConfig, BartForConditionalGeneration, GenerationConfig, PreTrainedTokenizerFast

    torch.manual_seed(0)
    texts = list(ABSTRACT_SUMMARIES) + list(ABSTRACT_SUMMARIES.values()) + [ENGLISH_EXTRA]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        texts * 3,
        vocab_size=400,
        min_frequency=1,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        show_progress=False,
    )
    from tokenizers.processors import TemplateProcessing

    bpe.post_processor = TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)],
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        mask_token="<mask>",
        model_max_length=1024,
    )
    config = BartConfig(
        vocab_size=tokenizer.vocab_size + 0,
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        max_position_embeddings=1024,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        forced_bos_token_id=0,
        forced_eos_token_id=2,
        dropout=0.0,
        attention_dropout=0.0,
    )
    model = BartForConditionalGeneration(config)
    _train_until_exact(model, tokenizer, list(ABSTRACT_SUMMARIES), list(ABSTRACT_SUMMARIES.values()), pad=1)
    model.eval()
    model.generation_config = GenerationConfig(
        num_beams=4,
        max_length=60,
        min_length=1,
        no_repeat_ngram_size=3,
        length_penalty=2.0,
        early_stopping=True,
        bos_token_id=0,
        eos_token_id=2,
        pad_token_id=1,
        decoder_start_token_id=2,
        forced_bos_token_id=0,
        forced_eos_token_id=2,
    )
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


if __name__ == "__main__":
    for role, path in build_all().items():
        print(role, path)
