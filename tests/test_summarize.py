from summarizer.summarize import ExtractiveSummarizer
from summarizer.textnorm import content_words, normalize_arabic


def test_normalize_arabic():
    assert normalize_arabic("أإآٱ") == "اااا"
    assert normalize_arabic("مدرسةٌ") == "مدرسه"  # ta marbuta and tanween
    assert normalize_arabic("علـــى") == "علي"  # tatweel, alef maqsura


def test_content_words_drop_stop_words():
    assert content_words("الجيش في العراق", "ar") == ["جيش", "عراق"]
    assert content_words("The soldiers of the base", "en") == ["soldier", "base"]


def test_selects_k_in_document_order():
    sentences = [
        "The army reported an attack on the base.",
        "Fine weather.",
        "The attack on the base injured eight soldiers of the army.",
        "The base was attacked again by the militia, the army said.",
    ]
    chosen = ExtractiveSummarizer().select(sentences, "en", 2)
    assert chosen == [0, 2]  # the short, off-topic sentence loses to a central one
    assert ExtractiveSummarizer().select(sentences, "en", 10) == [0, 1, 2, 3]


def test_near_duplicates_are_not_both_kept():
    sentences = ["Breaking news from the base.", "Breaking news from the base.", "Eight soldiers were injured."]
    assert ExtractiveSummarizer().select(sentences, "en", 2) == [0, 2]


def test_article_keeps_headline_and_lead_and_skips_captions(article_text):
    from summarizer.segment import split_paragraphs

    sentences = [s for p in split_paragraphs(article_text) for s in p.sentences]
    assert sentences[1].startswith("صورة عامة") and sentences[2].startswith("عمال يفحصون")  # the photo captions
    # first-k would take the headline and the two photo-caption lines (1, 2); the list and source line lose too
    chosen = ExtractiveSummarizer().select(sentences, "ar", 3)
    assert len(chosen) == 3 and chosen[0] == 0 and not {1, 2, 7, 20} & set(chosen)
    chosen = ExtractiveSummarizer().select(sentences, "ar", 6)
    assert 0 in chosen and not {1, 2, 7, 20} & set(chosen)


def test_a_hard_wrapped_article_gets_the_summary_of_the_unwrapped_one(article_text):
    import textwrap

    from summarizer.segment import split_paragraphs

    def sentences_of(text):
        return [s for p in split_paragraphs(text) for s in p.sentences]

    plain = sentences_of(article_text)
    for width in (40, 60, 72):
        # body paragraphs folded at a column width, as copied from a newspaper column or a PDF
        wrapped = "\n".join(
            textwrap.fill(line, width) if len(line) > 100 else line for line in article_text.split("\n")
        )
        assert wrapped.count("\n") > article_text.count("\n") + 10
        folded = sentences_of(wrapped)
        for k in (3, 6):
            summary = [plain[i] for i in ExtractiveSummarizer().select(plain, "ar", k)]
            assert [folded[i] for i in ExtractiveSummarizer().select(folded, "ar", k)] == summary
