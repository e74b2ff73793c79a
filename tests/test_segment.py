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


def test_article(article_text):
    paragraphs = split_paragraphs(article_text)
    sentences = [s for p in paragraphs for s in p.sentences]
    assert len(sentences) == 21
    assert "".join("".join(sentences).split()) == "".join(article_text.split())  # nothing lost or added
    assert sentences[0] == "افتتاح أكبر محطة لتحلية مياه البحر في محافظة الوادي الأخضر بطاقة 120 ألف متر مكعب يوميا"
    # The two caption lines are one block: a single line break between them, a paragraph break after.
    assert [p.separator for p in paragraphs[:3]] == ["\n\n", "\n", "\n\n"]
    assert sentences[2] == "عمال يفحصون أنابيب الضخ قبل تشغيل المحطة (الصحافة المحلية)"
    # The dateline's colon and the Arabic comma do not end the sentence; the decimal 3.5 does not either.
    assert sentences[3].startswith("الوادي الأخضر – 14 مارس/آذار: افتتحت")
    assert sentences[3].endswith("منذ سنوات.")
    assert sentences[6].startswith("وأوضح الوزير أن كلفة المشروع بلغت 3.5 مليارات دينار،")
    # Full stops inside «…» and “…” stay inside one sentence.
    assert sentences[5].endswith(
        "«لم يعد الماء حلما مؤجلا. اليوم نفتح صنبورا لكل بيت» مضيفا أن أعمال البناء استمرت ثلاث سنوات."
    )
    assert sentences[13].endswith(
        "“انتظرنا طويلا. نريد أن نرى الماء في قنوات الري، لا في الصور فقط” قبل أن يعود إلى أرضه."
    )
    # The list: its numbers do not end sentences, one line each.
    assert sentences[7] == "وتشمل المرحلة الأولى من المشروع ما يلي:"
    assert [s[:3] for s in sentences[8:11]] == ["1. ", "2. ", "3. "]
    assert sentences[10].endswith("30% من حاجة المحطة إلى الكهرباء.")
    # The list items are one line each; the line holding only a no-break space after the list is part of one
    # paragraph break, not an empty paragraph.
    assert [p.separator for p in paragraphs[5:9]] == ["\n", "\n", "\n", "\n\n"]
    assert paragraphs[8].sentences == [sentences[10]]
    # ؟ and ! end sentences.
    assert sentences[12] == "فهل يصل الماء إلى حقولها قبل موسم الصيف؟"
    assert sentences[15].endswith("دراسة الأثر البيئي كاملة!")
    assert sentences[-1] == "المصدر : وكالة أنباء الوادي + صحف محلية"
    assert paragraphs[-1].separator == ""


def test_split_clauses():
    assert split_clauses("قال، ثم؛ انتهى, done; ok") == ["قال،", "ثم؛", "انتهى,", "done;", "ok"]
