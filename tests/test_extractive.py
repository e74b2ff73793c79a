"""The extractive summarizer's ranking: lead prior, centrality, length, redundancy."""

from summarizer.summarize import ExtractiveSummarizer
from summarizer.summarize.extractive import quoted_share

STORY = [
    "Flooding closed the main coastal road north of the city on Sunday after two days of heavy rain.",
    (
        "Officials from the regional transport authority, speaking at a long press conference held in the town hall "
        "with reporters from several newspapers, radio stations and television channels, said that the coastal road "
        "would stay closed while engineers from three different companies inspected the damaged bridges, culverts, "
        "retaining walls and drainage channels along a stretch of about forty kilometres."
    ),
    "The coastal road will stay closed until engineers have inspected its bridges.",
    "Schools in the area will open as usual.",
]


def test_the_length_preference_moves_the_choice_to_the_shorter_of_two_sentences_saying_the_same():
    # Without it the lead prior keeps the rambling second sentence; the default preference is mild and keeps it
    # too (its position and centrality outweigh being three times as long); a stronger one takes the third.
    assert ExtractiveSummarizer(length_exponent=0.0).select(STORY, "en", 2) == [0, 1]
    assert ExtractiveSummarizer().select(STORY, "en", 2) == [0, 1]
    assert ExtractiveSummarizer(length_exponent=1.0).select(STORY, "en", 2) == [0, 2]


def test_the_length_preference_does_not_favour_fragments():
    # It only weighs against sentences longer than the article's mean: however strong, it never lifts the
    # two-word aside over the sentences about the attack (dividing every score by its relative length did).
    sentences = [
        "The army reported an attack on the base.",
        "Fine weather.",
        "The attack on the base injured eight soldiers of the army.",
        "The base was attacked again by the militia, the army said.",
    ]
    for exponent in (0.0, 0.5, 1.0, 2.0):
        chosen = ExtractiveSummarizer(length_exponent=exponent).select(sentences, "en", 2)
        assert chosen[0] == 0 and 1 not in chosen
    # with shorter-than-mean sentences divided by their relative length too, a strong preference takes the aside
    assert ExtractiveSummarizer(length_exponent=1.0, length_floor=0.2).select(sentences, "en", 2) == [0, 1]


def test_the_first_sentence_is_kept():
    for k in (1, 2, 3):
        assert ExtractiveSummarizer().select(STORY, "en", k)[0] == 0


def test_arabic_central_sentence_beats_an_aside():
    sentences = [
        "أغلقت الفيضانات الطريق الساحلي الرئيسي شمال المدينة يوم الأحد بعد يومين من الأمطار الغزيرة.",
        "الطقس كان جميلا في الصيف الماضي.",
        "وقالت السلطات إن الطريق الساحلي سيبقى مغلقا حتى يفحص المهندسون الجسور التي أضرت بها الفيضانات.",
    ]
    assert ExtractiveSummarizer().select(sentences, "ar", 2) == [0, 2]


def test_k_at_least_the_number_of_sentences_keeps_all():
    assert ExtractiveSummarizer().select(STORY, "en", 4) == [0, 1, 2, 3]
    assert ExtractiveSummarizer().select(STORY, "en", 9) == [0, 1, 2, 3]


NEWS = [
    "Flooding closes coastal road north of the city",
    "Flooding closed the main coastal road north of the city on Sunday after two days of heavy rain.",
    "Engineers will inspect the bridges along the road before it opens again.",
    "Schools in the area will open as usual on Monday.",
]


def test_a_sentence_repeating_the_headline_is_not_chosen_beside_it():
    # The lead sentence holds five of the headline's six content words: with the rule off both are kept
    # (their cosine is under the near-duplicate threshold), with it the summary says it once.
    assert ExtractiveSummarizer(headline_containment=2.0).select(NEWS, "en", 2) == [0, 1]
    assert ExtractiveSummarizer().select(NEWS, "en", 2) == [0, 2]


def test_a_punctuated_first_sentence_is_not_a_headline():
    story = [NEWS[0] + ".", *NEWS[1:]]
    assert ExtractiveSummarizer(headline_containment=2.0).select(story, "en", 2) == [0, 1]
    assert ExtractiveSummarizer().select(story, "en", 2) == [0, 1]


def test_arabic_headline_repeated_in_the_lead_is_said_once():
    sentences = [
        "الفيضانات تغلق الطريق الساحلي شمال المدينة",
        "أغلقت الفيضانات الطريق الساحلي الرئيسي شمال المدينة يوم الأحد بعد يومين من الأمطار الغزيرة.",
        "وسيفحص المهندسون الجسور على طول الطريق قبل إعادة فتحه.",
        "وستفتح المدارس في المنطقة أبوابها كالمعتاد يوم الاثنين.",
    ]
    assert ExtractiveSummarizer(headline_containment=2.0).select(sentences, "ar", 2) == [0, 1]
    assert ExtractiveSummarizer().select(sentences, "ar", 2) == [0, 2]


QUOTED = [
    "Flooding closed the main coastal road north of the city on Sunday after two days of heavy rain.",
    "“We have never seen the water on the coastal road rise so fast,” said a man who lives in the city.",
    "The water on the coastal road rose two metres in an hour, the city's engineers said.",
    "Schools in the area will open as usual on Monday.",
]


def test_a_quote_counts_less_than_the_reporters_own_sentence():
    # Without the discount the quote wins on position; words in quotation marks count half, so the reported
    # fact that follows it is taken instead.
    assert ExtractiveSummarizer(quote_discount=0.0).select(QUOTED, "en", 2) == [0, 1]
    assert ExtractiveSummarizer().select(QUOTED, "en", 2) == [0, 2]


def test_quoted_share_counts_quotes_not_quoted_names():
    assert quoted_share("“We will rebuild the bridge,” the mayor said.") == 5 / 8
    assert quoted_share("«سنعيد بناء الجسر» قال رئيس البلدية.") == 3 / 6
    assert quoted_share("وقالت حركة «حماس» إن الجسر سيعاد بناؤه.") == 0.0  # a name in quotation marks
    assert quoted_share("He called it “a disaster” on Sunday.") == 0.0
    # a quote running over two sentences: open to the end, then the start up to the closing mark
    assert quoted_share("“We will rebuild the bridge and the road.") == 1.0
    assert quoted_share("The schools come next,” the mayor said.") == 4 / 7
    assert quoted_share("The mayor spoke on Sunday.") == 0.0
