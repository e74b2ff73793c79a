"""The extractive summarizer's ranking: lead prior, centrality, length, redundancy."""

from summarizer.summarize import ExtractiveSummarizer

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
    assert ExtractiveSummarizer(length_exponent=0.5).select(STORY, "en", 2) == [0, 2]


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
