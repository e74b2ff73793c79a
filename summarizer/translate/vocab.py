"""MarianTokenizer's encoding and decoding with sentencepiece alone.

The CTranslate2 engine needs no torch and no transformers at run time: this
reads the same opus-mt files (source.spm, target.spm, vocab.json) and gives the
same tokens as transformers' MarianTokenizer (tests/test_vocab.py checks it),
so a worker on CTranslate2 neither imports nor holds torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import sentencepiece as spm

EOS, UNK, PAD = "</s>", "<unk>", "<pad>"


class MarianVocab:
    """Source pieces in, target text out, for one opus-mt style folder."""

    def __init__(self, folder: Path):
        folder = Path(folder)
        config = _read_json(folder / "tokenizer_config.json")
        self.model_max_length = int(config.get("model_max_length") or 512)
        self.encoder: dict[str, int] = _read_json(folder / "vocab.json")
        if config.get("separate_vocabs"):
            raise ValueError(f"{folder}: separate source and target vocabularies are not supported")
        self.decoder = {i: piece for piece, i in self.encoder.items()}
        self.source = spm.SentencePieceProcessor(model_file=str(folder / "source.spm"))
        self.target = spm.SentencePieceProcessor(model_file=str(folder / "target.spm"))
        self.special = {EOS, UNK, PAD}

    def encode(self, text: str) -> list[str]:
        """The model's input tokens for text: pieces in the vocabulary (else <unk>), then </s>."""
        pieces = self.source.encode(text, out_type=str) if text else []
        return [p if p in self.encoder else UNK for p in pieces] + [EOS]

    def decode(self, tokens: list[str]) -> str:
        """Target text from output tokens, special tokens dropped."""
        pieces = [t for t in tokens if t not in self.special]
        return self.target.decode_pieces(pieces).replace("▁", " ").strip()

    def ids(self, tokens: list[str]) -> list[int]:
        """Vocabulary ids of tokens."""
        return [self.encoder[t] for t in tokens]


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
