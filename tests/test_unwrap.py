"""Hard-wrapped text: lines joined where they were only wrapped, real line structure kept."""

import textwrap
from pathlib import Path

import pytest

from summarizer.segment import split_paragraphs, unwrap
from summarizer.service import Options

ENGLISH = (
    "The city council voted on Tuesday to close the old river bridge to heavy traffic, after engineers "
    "found cracks in two of its supporting piers. Lorries will be sent through the northern ring road "
    "until repairs are finished, which the council expects to take at least eight months.\n"
    'Shop owners near the bridge said they feared losing customers. "We depend on people passing through," '
    "said one baker, who has run her shop on the corner for twenty years. The council promised to review "
    "the decision in the spring.\n"
    "A public meeting about the repairs will be held next week at the town hall."
)
ARABIC = (
    "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في المدينة الشمالية، بعد أعوام من العمل المتواصل "
    "وبتكلفة بلغت نحو مئتي مليون دولار. ويضم المستشفى أربعمئة سرير وقسما كاملا لعلاج الأطفال وآخر "
    "للحالات الطارئة، وفق ما ذكره بيان الوزارة.\n"
    "وقال وزير الصحة في كلمة ألقاها خلال حفل الافتتاح إن المستشفى سيخدم أكثر من مليون نسمة في المنطقة "
    "والقرى المحيطة بها. وأضاف أن الوزارة تعمل على توظيف مئات الأطباء والممرضين خلال الأشهر المقبلة.\n"
    "ومن المتوقع أن يستقبل المستشفى أول المرضى مطلع الشهر القادم."
)
WIDTHS = (40, 50, 60, 72, 80)


def wrap(text: str, width: int, separator: str = "\n") -> str:
    """Each paragraph of text wrapped at width, paragraphs joined by separator."""
    return separator.join(textwrap.fill(p, width) for p in text.split("\n"))


def sentences(text: str) -> list[str]:
    return [s for p in split_paragraphs(text) for s in p.sentences]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("text", [ENGLISH, ARABIC], ids=["en", "ar"])
def test_wrapped_text_splits_as_unwrapped(text, width):
    wrapped = wrap(text, width)
    assert wrapped.count("\n") > text.count("\n") + 3  # really wrapped
    assert sentences(wrapped) == sentences(text)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("text", [ENGLISH, ARABIC], ids=["en", "ar"])
def test_wrapped_paragraphs_separated_by_blank_lines_stay_paragraphs(text, width):
    paragraphs = split_paragraphs(wrap(text, width, "\n\n"))
    assert [p.sentences for p in paragraphs] == [p.sentences for p in split_paragraphs(text)]
    assert [p.separator for p in paragraphs] == ["\n\n", "\n\n", ""]


def test_text_set_in_a_proportional_font_splits_as_unwrapped():
    # PDFs and newspaper columns are set in proportional fonts: a line's character count varies with its letters,
    # so a wrapped line can look short in characters. The data file holds our own article, then the same article
    # wrapped at six column widths in DejaVu Sans (shaped by HarfBuzz).
    source, *wrapped = (
        (Path(__file__).parent / "data" / "wrapped_proportional_ar.txt").read_text().strip().split("\n\n")
    )
    assert len(wrapped) == 6
    for text in wrapped:
        assert text.count("\n") >= 10  # really wrapped: the source has 2 line breaks
        assert sentences(text) == sentences(source)


@pytest.mark.parametrize(
    ("headline", "lead"),
    [
        (
            "Storm closes coastal highway as rivers burst their banks",
            (
                "Heavy rain closed the coastal highway on Tuesday after two rivers burst their banks, police said. "
                "Hundreds of drivers were stranded overnight near the port, and rescue teams used boats to reach "
                "villages cut off by the water."
            ),
        ),
        (
            "السلطات تغلق الطريق الساحلي بعد فيضان نهرين في الشمال",
            (
                "أغلقت السلطات الطريق الساحلي يوم الثلاثاء بعد فيضان نهرين في شمال البلاد، وفق ما أعلنته الشرطة. "
                "وعلق مئات السائقين طوال الليل قرب الميناء، فيما استخدمت فرق الإنقاذ القوارب للوصول إلى القرى المعزولة."
            ),
        ),
    ],
    ids=["en", "ar"],
)
def test_a_headline_over_a_wrapped_lead_stays_a_line_of_its_own(headline, lead):
    # The headline fills most of the column, so by its length alone it could be a line wrapped in a proportional
    # font; a block's first line joins only with the little room of a character-wrapped column (ITEM_SLACK).
    text = headline + "\n" + textwrap.fill(lead, 72)
    assert sentences(text) == [headline, *sentences(lead)]


@pytest.mark.parametrize(
    "text",
    [
        (
            "عدد المقاعد التي حصل عليها كل حزب في البرلمان الجديد.\n\u200f١٢٠ مقعدا لحزب العدالة والتنمية في البرلمان\n"
            "\u200f٨٥ مقعدا لحزب الاستقلال الوطني المعارض\n\u200f٤٠ مقعدا للمستقلين"
        ),
        (
            "وتشمل المرحلة الأولى من المشروع ما يلي:\n\u200f1. مد خط رئيسي للمياه بطول 42 كيلومترا من المحطة\n"
            "\u200f2. بناء خزانين بسعة 50 ألف متر مكعب لكل منهما.\n\u200f3. تركيب ألواح شمسية تغطي حاجة المحطة"
        ),
    ],
    ids=["table", "numbered"],
)
def test_direction_marks_at_line_starts_do_not_hide_items(text):
    # Text copied from word processors and chat apps starts lines with a right-to-left mark.
    assert unwrap(text) == text


def test_hyphenated_word_at_line_end_is_rejoined():
    text = "The committee published a well-\nknown report about the harbour and the\nfishing fleet last year."
    assert sentences(text) == [
        "The committee published a well-known report about the harbour and the fishing fleet last year."
    ]


def test_lower_case_continuation_after_a_shorter_line():
    text = "Copied from a PDF, the lines of this paragraph\nare not all as long as each other, and this\none continues the sentence too."
    assert len(sentences(text)) == 1


@pytest.mark.parametrize(
    "text",
    [
        # a heading over a paragraph
        "Results of the annual survey\nThe survey was sent to two thousand households across the region in March.",
        # a list introduced by a full line
        (
            "The committee asked the council for three things before the vote:\n- a new survey of the bridge\n"
            "- a plan for diverting the lorries\n- a date for the public meeting"
        ),
        # numbered items
        (
            "Before you install the program, make sure the following is true\n1. you have an account\n"
            "2. you have a licence key"
        ),
        # an address
        "Town Hall\n12 Market Street\nSpringfield",
        # verse: short lines of similar length, each capitalised (a lower-case line would continue the one before)
        "The river runs beneath the hill\nAnd all the town is sleeping still\nThe lamps are out along the quay",
        # a help text's options: lines of items, long enough to pass for a proportional font's wrapped lines
        (
            "Usage: backup [OPTION]... SOURCE TARGET\n-a, --all   copy the hidden files and the folders too\n"
            "-n, --dry-run   show what would be copied, copy none\n"
            "-v, --verbose   name each file as it is copied to the target folder."
        ),
        # numbered lines under each other
        (
            "The program ends with one of these codes:\n0   if every file was copied and checked again\n"
            "1   if some files could not be read at all\n2   if the target disk was full before the copy could end."
        ),
        # Arabic heading over a paragraph
        "نتائج الانتخابات البلدية\nأعلنت اللجنة العليا للانتخابات اليوم النتائج النهائية للانتخابات البلدية في جميع المحافظات.",
    ],
    ids=["heading", "dash-list", "numbered-list", "address", "verse", "options", "exit-codes", "arabic-heading"],
)
def test_real_line_structure_is_kept(text):
    assert unwrap(text) == text
    assert len(split_paragraphs(text)) == text.count("\n") + 1


def test_sentence_ending_lines_of_an_unwrapped_text_stay_paragraphs():
    text = "First paragraph, one sentence long, ending here.\nSecond paragraph, also one sentence, ending here too."
    assert [p.sentences for p in split_paragraphs(text)] == [[text.split("\n")[0]], [text.split("\n")[1]]]


def test_windows_line_ends():
    assert sentences(wrap(ENGLISH, 60).replace("\n", "\r\n")) == sentences(ENGLISH)


@pytest.mark.parametrize("width", (40, 72))
def test_wrapped_arabic_article_through_the_pipeline(pipeline, width):
    plain = pipeline.process(ARABIC, Options(summary_sentences=2))
    for separator in ("\n", "\n\n"):
        wrapped = wrap(ARABIC, width, separator)
        assert wrapped.count("\n") > 5
        folded = pipeline.process(wrapped, Options(summary_sentences=2))
        # The translation model gets the same sentences and the summary is the same.
        assert [(s.source, s.translation) for s in folded.sentences] == [
            (s.source, s.translation) for s in plain.sentences
        ]
        assert len(folded.sentences) == 5
        assert folded.summary == plain.summary
    # Between blank-line paragraphs the alignment and the translation keep them. (With single line breaks a
    # paragraph whose last line happens to be full cannot be told from a wrapped line.)
    assert [s.paragraph for s in folded.sentences] == [0, 0, 1, 1, 2]
    assert folded.translation == plain.translation.replace("\n", "\n\n")


def test_wrapped_english_summary_is_the_unwrapped_one(pipeline):
    plain, folded = (pipeline.process(t, Options(summary_sentences=2)) for t in (ENGLISH, wrap(ENGLISH, 50)))
    assert folded.summary == plain.summary
    assert folded.source_language == "en"
