"""A CTranslate2 conversion whose decoder knows only the target vocabulary and encoder only the source one.

The opus-mt models share one vocabulary (~62k pieces) between source and target, but their output is decoded
with target.spm, so only its pieces (and the special tokens) can appear in a correct output. Converting the
decoder onto those tokens alone (its embeddings, output projection and output bias cut to their rows) scores
~half the rows on every decoding step. A kept token's logit is computed from the same row as before, so the
output is that of the whole model with the other tokens' probability left out.

The encoder's embeddings are cut likewise to the tokens the source side can be given (store.source_tokens):
Marian ties them to the decoder's, so with a cut decoder the whole encoder matrix would be stored beside it.
CTranslate2 maps a source token missing from its vocabulary to <unk>, as MarianTokenizer maps one missing from
vocab.json, and every token the tokenizer can give is kept: the encoder sees the same rows as before.

Imported only to convert: it needs torch and transformers, which decoding does not.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

import ctranslate2
import torch
from ctranslate2.specs import common_spec, transformer_spec

log = logging.getLogger(__name__)


class CutUnsupported(ValueError):
    """The cut cannot be made, and will not be with this CTranslate2: the model lacks a token the cut must keep,
    or the converter's internals are not what the cut expects."""


class TargetVocabularyConverter(ctranslate2.converters.TransformersConverter):
    """TransformersConverter for a MarianMT folder whose decoder is cut to the tokens `keep` and, when
    source_keep is given, whose encoder is cut to the tokens source_keep."""

    def __init__(self, model_path: str, keep: Collection[str], source_keep: Collection[str] | None = None, **options):
        super().__init__(model_path, **options)
        self.keep = frozenset(keep)
        self.source_keep = None if source_keep is None else frozenset(source_keep)

    def _load(self):
        spec = super()._load()
        try:
            cut_target_vocabulary(spec, self.keep)
            if self.source_keep is not None:
                cut_source_vocabulary(spec, self.source_keep)
        except (AttributeError, KeyError, IndexError, TypeError) as exc:  # the private spec API moved
            raise CutUnsupported(f"this CTranslate2's model spec is not what the cut expects: {exc!r}") from exc
        return spec


def cut_target_vocabulary(spec: transformer_spec.TransformerSpec, keep: Collection[str]) -> list[str]:
    """Cut a loaded (not yet validated) spec's target vocabulary to the tokens in keep, in their order; the new
    target vocabulary is returned.

    The decoder's embeddings, output projection and its bias are cut to the kept rows. The end, unknown and
    decoder start tokens must be kept.
    """
    needed = {spec.config.eos_token, spec.config.unk_token, spec.config.decoder_start_token}
    decoder = spec.decoder
    kept, index = _cut_vocabulary(spec, "target", keep, needed, [decoder.embeddings, decoder.projection])
    projection: common_spec.LinearSpec = decoder.projection
    if projection.has_bias():  # final_logits_bias, when the model has a non-zero one
        projection.bias = _rows(projection.bias, index)
    return kept


def cut_source_vocabulary(spec: transformer_spec.TransformerSpec, keep: Collection[str]) -> list[str]:
    """Cut a loaded (not yet validated) spec's source vocabulary and the encoder's embeddings to the tokens in
    keep, in their order; the new source vocabulary is returned. The end and unknown tokens must be kept."""
    embeddings = spec.encoder.embeddings
    if not isinstance(embeddings, list) or len(embeddings) != 1:  # one list entry per source factor
        raise CutUnsupported(f"expected one source embedding, found {embeddings!r}")
    return _cut_vocabulary(spec, "source", keep, {spec.config.eos_token, spec.config.unk_token}, embeddings)[0]


def _cut_vocabulary(
    spec, side: str, keep: Collection[str], needed: set, layers: list
) -> tuple[list[str], torch.Tensor]:
    """Cut the spec's vocabulary of one side ("source", "target") and the weights of layers to the tokens in
    keep; the kept tokens and their row indices in the old vocabulary are returned."""
    # The loader registered one vocabulary per side (the shared one on both); CTranslate2 has no public call to
    # replace it, so the registered list is replaced in place.
    vocabularies = spec._vocabularies[side]
    if len(vocabularies) != 1:
        raise CutUnsupported(f"expected one {side} vocabulary, found {len(vocabularies)}")
    tokens = list(vocabularies[0])
    rows = [i for i, token in enumerate(tokens) if token in keep]
    kept = [tokens[i] for i in rows]
    missing = needed - {None} - set(kept)
    if missing:
        raise CutUnsupported(f"the {side} vocabulary must keep {sorted(missing)}")
    index = torch.tensor(rows, dtype=torch.long)
    for layer in layers:
        if layer.weight.shape[0] != len(tokens):
            raise CutUnsupported(f"{type(layer).__name__} has {layer.weight.shape[0]} rows for {len(tokens)} tokens")
        layer.weight = _rows(layer.weight, index)
    vocabularies[0] = kept
    log.info("%s vocabulary cut from %d to %d tokens", side, len(tokens), len(kept))
    return kept, index


def _rows(weight, index: torch.Tensor) -> torch.Tensor:
    """The rows index of a weight (a torch tensor or a numpy array), as a new contiguous tensor."""
    weight = weight if isinstance(weight, torch.Tensor) else torch.from_numpy(weight)
    return weight.index_select(0, index).contiguous()
