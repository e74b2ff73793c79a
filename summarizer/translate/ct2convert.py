"""A CTranslate2 conversion whose decoder knows only the target vocabulary.

The opus-mt models share one vocabulary (~62k pieces) between source and target, but their output is decoded
with target.spm, so only its pieces (and the special tokens) can appear in a correct output. Converting the
decoder onto those tokens alone (its embeddings, output projection and output bias cut to their rows, the
encoder's side unchanged) scores ~half the rows on every decoding step. A kept token's logit is computed from
the same row as before, so the output is that of the whole model with the other tokens' probability left out.

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
    """TransformersConverter for a MarianMT folder whose decoder is cut to the tokens `keep`."""

    def __init__(self, model_path: str, keep: Collection[str], **options):
        super().__init__(model_path, **options)
        self.keep = frozenset(keep)

    def _load(self):
        spec = super()._load()
        try:
            cut_target_vocabulary(spec, self.keep)
        except (AttributeError, KeyError, IndexError, TypeError) as exc:  # the private spec API moved
            raise CutUnsupported(f"this CTranslate2's model spec is not what the cut expects: {exc!r}") from exc
        return spec


def cut_target_vocabulary(spec: transformer_spec.TransformerSpec, keep: Collection[str]) -> list[str]:
    """Cut a loaded (not yet validated) spec's target vocabulary to the tokens in keep, in their order; the new
    target vocabulary is returned.

    The decoder's embeddings, output projection and its bias are cut to the kept rows; the source vocabulary and
    the encoder's embeddings stay whole. The end, unknown and decoder start tokens must be kept.
    """
    # The loader registered one target vocabulary (the shared one); CTranslate2 has no public call to replace
    # it, so the registered list is replaced in place.
    targets = spec._vocabularies["target"]
    if len(targets) != 1:
        raise CutUnsupported(f"expected one target vocabulary, found {len(targets)}")
    tokens = list(targets[0])
    rows = [i for i, token in enumerate(tokens) if token in keep]
    kept = [tokens[i] for i in rows]
    needed = {spec.config.eos_token, spec.config.unk_token, spec.config.decoder_start_token} - {None}
    if not needed <= set(kept):
        raise CutUnsupported(f"the target vocabulary must keep {sorted(needed - set(kept))}")
    index = torch.tensor(rows, dtype=torch.long)
    decoder = spec.decoder
    for layer in (decoder.embeddings, decoder.projection):
        if layer.weight.shape[0] != len(tokens):
            raise CutUnsupported(f"{type(layer).__name__} has {layer.weight.shape[0]} rows for {len(tokens)} tokens")
        layer.weight = _rows(layer.weight, index)
    projection: common_spec.LinearSpec = decoder.projection
    if projection.has_bias():  # final_logits_bias, when the model has a non-zero one
        projection.bias = _rows(projection.bias, index)
    targets[0] = kept
    log.info("target vocabulary cut from %d to %d tokens", len(tokens), len(kept))
    return kept


def _rows(weight, index: torch.Tensor) -> torch.Tensor:
    """The rows index of a weight (a torch tensor or a numpy array), as a new contiguous tensor."""
    weight = weight if isinstance(weight, torch.Tensor) else torch.from_numpy(weight)
    return weight.index_select(0, index).contiguous()
