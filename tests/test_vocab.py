"""MarianVocab (sentencepiece only) must tokenize and detokenize exactly like transformers' MarianTokenizer."""

from transformers import MarianTokenizer

from summarizer.translate.vocab import MarianVocab
from tinymodels import ENGLISH_EXTRA, LONG_SENTENCE, PAIRS


def test_same_tokens_and_text_as_marian_tokenizer(tiny_models, sample_text):
    folder = tiny_models["translation"]
    reference = MarianTokenizer.from_pretrained(folder)
    vocab = MarianVocab(folder)
    texts = [s for s, _ in PAIRS] + [LONG_SENTENCE, "", "Hello <b>world</b> 123 😀"] + sample_text.splitlines()
    for text in texts:
        ids = reference(text, verbose=False).input_ids
        assert vocab.encode(text) == reference.convert_ids_to_tokens(ids), text
        assert vocab.ids(vocab.encode(text)) == ids
    for _, english in PAIRS + [("", ENGLISH_EXTRA)]:
        ids = reference(text_target=english).input_ids
        tokens = reference.convert_ids_to_tokens(ids)
        assert vocab.decode(tokens) == reference.decode(ids, skip_special_tokens=True) == english
    assert vocab.model_max_length == reference.model_max_length
