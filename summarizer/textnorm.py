"""Word normalisation for ranking and scoring: Arabic orthography, stop words, light stemming."""

from __future__ import annotations

import re

_DIACRITICS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_TATWEEL = "\u0640"
_ALEF = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
_WORD = re.compile(r"[\w\u0600-\u06ff]+", re.UNICODE)
_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "و", "ب", "ل", "ف")
_SUFFIXES = ("ها", "ات", "ون", "ين", "ان", "ية", "يه", "ه", "ي")

ARABIC_STOP_WORDS = frozenset(
    normal
    for normal in (
        w.translate(_ALEF)
        for w in """
        في من على إلى الى عن مع هذا هذه ذلك تلك التي الذي الذين اللذين اللتين اللواتي هو هي هم هن أنا نحن أنت
        انت كان كانت يكون تكون كانوا ان أن إن لا ما لم لن قد كل بعض غير بين حتى أو او ثم بل لكن إذا اذا
        عند عندما منذ خلال حول ضد دون فوق تحت قبل بعد أمام امام وقد وكان وكانت وهو وهي وفي ومن وعلى كما
        ليس لها له لهم فيها فيه منها منه عليها عليه إليه اليه به بها هناك هنا أي اي أيضا ايضا وأن وان
        التى الى، ذات نحو لدى يتم تم قال وقال وأضاف اضاف أكد وأكد حيث إلا الا أول اول أكثر اكثر
        """.split()
        if w
    )
)
ENGLISH_STOP_WORDS = frozenset(
    """
    a an the and or but if then of to in on at by for with from as into about over after before
    under between through during without within is are was were be been being has have had do does did
    it its this that these those he she they them his her their we our you your i me my not no so
    than too very can could will would shall should may might must also which who whom whose what
    when where why how all any both each few more most other some such only own same just said says
    there here up down out off again further once
    """.split()
)


def normalize_arabic(text: str) -> str:
    """Drop diacritics and tatweel; unify alef, ya, ta marbuta and hamza seats."""
    return _DIACRITICS.sub("", text).replace(_TATWEEL, "").translate(_ALEF)


def stem_arabic(word: str) -> str:
    """Light stemming: strip one common prefix and one suffix while three letters remain."""
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            word = word[len(prefix) :]
            break
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word


def content_words(text: str, language: str) -> list[str]:
    """The normalised, stemmed words of text without stop words, for ranking."""
    return [stem for _, stem in content_word_forms(text, language)]


def content_word_forms(text: str, language: str) -> list[tuple[str, str]]:
    """(normalised word, its stem) for each word of text that is not a stop word or a number."""
    if language == "ar":
        words = _WORD.findall(normalize_arabic(text))
        return [(w, stem_arabic(w)) for w in words if w not in ARABIC_STOP_WORDS and not w.isdigit()]
    words = _WORD.findall(text.lower())
    return [(w, w.rstrip("s") if len(w) > 3 else w) for w in words if w not in ENGLISH_STOP_WORDS and not w.isdigit()]


def rouge_tokens(text: str) -> list[str]:
    """Tokens for ROUGE on Arabic or English: normalised words, Arabic letters kept."""
    return _WORD.findall(normalize_arabic(text).lower())
