import pytest

from summarizer.segment import split_clauses, split_paragraphs, split_sentences


@pytest.mark.parametrize(
    "text, expected",
    [
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        ("قال الوزير، ثم غادر؛ وانتهى. هل عاد؟ نعم", ["قال الوزير، ثم غادر؛ وانتهى.", "هل عاد؟", "نعم"]),
        ("Dr. Smith went to the U.S. in May. He left.", ["Dr. Smith went to the U.S. in May.", "He left."]),
        ("Prices rose 3.5 percent. Then fell.", ["Prices rose 3.5 percent.", "Then fell."]),
        ("1. First item", ["1. First item"]),
        ("He said: “We stay. We fight.” Then left.", ["He said: “We stay. We fight.”", "Then left."]),
        ("قال «سنبقى. لن نرحل» ثم غادر. انتهى", ["قال «سنبقى. لن نرحل» ثم غادر.", "انتهى"]),
        ("Line one\nLine two", ["Line one", "Line two"]),
        ("   ", []),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_paragraph_breaks_are_kept():
    paragraphs = split_paragraphs("One. Two.\n\nThree.\nFour.\n \n\nFive.")
    assert [p.sentences for p in paragraphs] == [["One.", "Two."], ["Three."], ["Four."], ["Five."]]
    assert [p.separator for p in paragraphs] == ["\n\n", "\n", "\n\n", ""]


def test_sample_article(sample_text):
    paragraphs = split_paragraphs(sample_text)
    sentences = [s for p in paragraphs for s in p.sentences]
    assert len(sentences) == 13
    assert sentences[0] == "الجيش الأمريكي يعلن إصابة 8 من قواته بالعراق في هجوم بصاروخ باليستي"
    # The quoted span and the Arabic commas stay inside one sentence.
    assert sentences[3].startswith("أكد متحدث باسم وزارة الدفاع")
    assert sentences[3].endswith("موالية لإيران” وفق قوله.")
    assert sentences[-1] == "المصدر : الجزيرة مباشر + وكالات"
    assert paragraphs[1].separator == "\n"  # the two caption lines are one block


def test_split_clauses():
    assert split_clauses("قال، ثم؛ انتهى, done; ok") == ["قال،", "ثم؛", "انتهى,", "done;", "ok"]
