"""Language identification for the service's question: Arabic, English, or which language we refuse.

Four kinds of evidence, each where it is strong:

* the running text's script: words in Arabic script against Latin words that
  start in lower case, so that names and titles quoted in the other script
  (capitalised, or inside quotes) do not decide the language of a sentence;
* the letters: each Arabic-script language has an alphabet, and a word with a
  letter outside a language's alphabet is evidence against it, strong for
  letters that language never writes (the Uyghur ە ې ۇ, the Sindhi ڪ ٽ, the
  Pashto ښ ځ, the Sorani ێ ڵ, the Urdu ٹ ے) or writes only elsewhere in a
  word (ئ starting a word, ى inside one: Uyghur; ؤ starting a word: Kashmiri),
  mild for letters it borrows (Gulf and Iraqi گ چ, Maghrebi ڤ ڭ, پ in
  loanwords). Arabic typing slips that put a letter out of place (علىكم,
  إلىالسوق, الطا ئرة) are first read as the Arabic words they are, where
  Uyghur words are not (mostly by the Arabic word list). Languages without
  a langdetect profile (ug, sd, ps, ckb) are named from their letters, and
  letters of no language listed here give "und-Arab";
* character n-grams scored with langdetect's profiles deterministically (naive
  Bayes over every n-gram, no sampling), weighed down (NGRAM_WEIGHT) since
  overlapping 1-3-grams count each letter three times over;
* known words: word frequencies (wordfreq) of Arabic, Persian, Urdu, English
  and two dozen other languages, which settle one- to three-word inputs that
  n-grams cannot (a capitalised word, perhaps a name, counts half). Persian
  and Urdu words are known in their Arabic-keyboard spelling too (ي ك ه for
  ی ک ہ), and a word none of the lists knows is weighed by how each language's
  words end (the Persian copula in ـست, ـهاست); and a prior towards the
  languages this service receives (Arabic in its script, English in Latin
  script).

The weights were chosen by cross-validation on Tatoeba sentences
(bench/langid.py prints the held-out figures).

Text with no letters is "und", never silently English.
"""

from __future__ import annotations

import bisect
import ctypes
import functools
import hashlib
import json
import math
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import langdetect
import numpy as np
from langdetect.detector import Detector
from langdetect.utils.ngram import NGram

from .schemas import Detection

UNDETERMINED = "und"
OTHER_ARABIC_SCRIPT = "und-Arab"  # an Arabic-script language none of the alphabets below matches
# Letters shared by every Arabic-script alphabet listed here (hamza seats, the 28 letters less the
# ones some alphabets drop, which the alphabets add back).
_COMMON = "ءآأؤإئابتجخدرزسشغفقلمنو"
_ARABIC_LOANS = "ثحذصضطظع"  # Arabic letters that Persian, Urdu, Pashto, Sindhi write in Arabic loanwords
_ZWNJ = "\u200c"  # the zero-width non-joiner inside words (می‌روم, خانه‌ها): Persian, Urdu, Kurdish, Pashto
# Letters where Arabic orthography never writes them, as pseudo-letters (private-use characters, which no word
# holds): ئ starting a word (Uyghur and Kurdish write every initial vowel so; Arabic writes أ إ), ى inside a
# word (Uyghur's i and e; Arabic writes ى only last, or before a final ء as in شىء), and ؤ starting a word
# (Kashmiri's ؤ, "v", as in ؤنِو "said"; Arabic writes ؤ only inside or at the end of a word).
INITIAL_YEH_HAMZA = "\ue000"
MEDIAL_MAKSURA = "\ue001"
INITIAL_WAW_HAMZA = "\ue002"
_INITIAL_HAMZA_SEATS = "ئؤ"  # seats that no Arabic word starts with: a word that does may be a PDF fragment
# Format characters that copies carry between the parts of a split word like a space (direction marks, the zero-width
# space, the byte-order mark, the soft hyphen); the non-joiner is a letter of Persian and Urdu spelling, not one.
_INVISIBLE = frozenset("\u200b\u200e\u200f\ufeff\u00ad\u2060")
_MEDIAL_MAKSURA = re.compile("ى[^ء]")
_MEDIAL_MAKSURA_ONLY = re.compile("ى(?=[^ء])")  # the same, matching the ى alone
# Informal and Egyptian writing types a word's final ي as ى, and keeps it when a pronoun or a verb's subject
# ending is attached (علىكم, فىه, اشترىت) or a hamza follows on its seat (شىئا): that ى, read as ي. Uyghur's ى
# elsewhere in a word (بىر, دىن) is not read.
_PRONOUN = "(?:ه|ها|هم|هما|هن|ك|كم|كما|كن|كي|كى|نا|ني|نى|ت|تم|تما|تن)$"
_SUFFIXED_MAKSURA = re.compile(f"ى(?={_PRONOUN}|ئ)")
_SUFFIX_AFTER_MAKSURA = re.compile(f"ى{_PRONOUN}")
_NON_JOINING = frozenset("اأإآدذرزو")  # letters that do not join the next one: where PDF copies split words
_VOWEL_AFTER_HAMZA = frozenset("اوى")  # vowels among Arabic letters that Uyghur and Sorani write after initial ئ
ALPHABETS = {
    "ar": _COMMON + _ARABIC_LOANS + "هةىيكٱ",
    "fa": _COMMON + _ARABIC_LOANS + "هپچژگکیۀ" + _ZWNJ,
    "ur": _COMMON + _ARABIC_LOANS + "پچژگکیٹڈڑںےۓہۃھۂ" + _ZWNJ,
    "ps": _COMMON + _ARABIC_LOANS + "هپچژگکیټډړږښګڼۍېځڅي" + _ZWNJ,
    "sd": _COMMON + _ARABIC_LOANS + "هپچژگکيڪٽٿڻڦڄڃڇڊڌڍڏڙڱٻڀٺڳھ۾۽" + _ZWNJ,
    "ug": _COMMON + "پچژگكڭھۇۆۈۋېىيە" + INITIAL_YEH_HAMZA + MEDIAL_MAKSURA,
    "ckb": _COMMON + "هحعپچژگکیڕڤڵەۆێھ" + _ZWNJ + INITIAL_YEH_HAMZA,
}
# Letters a language's writers borrow now and then, and what one word with one costs (in log-probability).
BORROWED = {
    # Gulf, Iraqi and Maghrebi writing, loanwords; Arabic orthography has no non-joiner, but text copied
    # from the web may carry a stray one.
    "ar": {**dict.fromkeys("پچگڤڭھ", 1.5), _ZWNJ: 3.0},
    "fa": {**dict.fromkeys("يك", 2.0), **dict.fromkeys("ةى", 3.0), "ھ": 2.0},  # Arabic keyboards and phrases
    "ur": {**dict.fromkeys("يك", 2.0), **dict.fromkeys("ةى", 3.0), "ه": 1.0},
}
_ALPHABET_SETS = {lang: frozenset(alphabet) for lang, alphabet in ALPHABETS.items()}
_WRITES = {lang: _ALPHABET_SETS[lang] | frozenset(BORROWED.get(lang, {})) for lang in ALPHABETS}
FOREIGN_COST = 12.0  # a word with a letter the language never writes
# A long text may quote a few foreign words (a name in Urdu spelling) without changing language.
FOREIGN_SHARE = 0.05
# Words with a letter out of place (INITIAL_YEH_HAMZA, MEDIAL_MAKSURA, INITIAL_WAW_HAMZA) are tolerated up to this
# share: Arabic typing slips make one now and then (a missing space after على, ى typed for ي), Uyghur writes them in
# most words.
# The largest share that refuses, on half of the UDHR, all that the foreign letters' share does (bench/langid_udhr.py).
POSITION_SHARE = 0.34
# A word glued after a word that ends in ى (إلىالسوق) is read as two when the first is at least this frequent in
# Arabic (log-frequency over LEXICON_FLOOR: على 9.6, حتى 7.6, مصطفى 4.4; the Uyghur دورىسى would be دورى 1.1 + سى 2.3).
GLUED_VALUE = 4.0
PROFILED_ARABIC_SCRIPT = ("ar", "fa", "ur")  # the ones langdetect has profiles for
# Log prior of the language this service expects, by script (others 0).
PRIORS = {"latin": {"en": 4.0}, "arabic": {"ar": 1.0}}
# Naive Bayes over overlapping 1-3-grams counts the same letters three times: its evidence is scaled down.
NGRAM_WEIGHT = 0.1
LEXICAL_WEIGHT = 1.0  # known words as the log-likelihood ratio they are
# Known words: of the languages we accept, of those that share their script, and of every other langdetect
# language that wordfreq has a list for, so that a word known in English and in French is not evidence for
# English alone. A language without a list (et, sw, so, af, cy, sq...) is left to its n-grams.
# fmt: off
LEXICON_LANGUAGES = (
    "ar", "fa", "ur", "en",
    "fr", "de", "es", "it", "pt", "nl", "id", "tr", "sv", "da", "no", "fi",
    "pl", "ro", "ca", "cs", "sk", "sl", "hu", "lt", "lv", "hr", "tl", "vi",
)
# fmt: on
LEXICON_SIZE = {"ar": 40000, "fa": 30000, "ur": 30000, "en": 30000}  # most frequent words kept per language
OTHER_LEXICON_SIZE = 5000
# Persian and Urdu typed on an Arabic keyboard: ي for ی, ك for ک (and ه for the Urdu ہ). Their words are known
# in that spelling too; the letters' cost (BORROWED) says how rare the keyboard is.
_ARABIC_KEYBOARD = {
    "fa": str.maketrans("یک", "يك"),
    "ur": str.maketrans("یکہ", "يكه"),
}
PROFILE_DIRECTORY = os.path.join(os.path.dirname(langdetect.__file__), "profiles")
MAX_TEXT_LENGTH = 10000  # langdetect's Detector.max_text_length: the text is cut there
WORD_CACHE_SIZE = 1 << 14  # words whose n-grams, known-word values and letters are kept, per cache
MAX_CACHED_WORD = 48  # characters; longer words are computed each time (see _WordCache)
T = TypeVar("T")
_WORDFREQ_CODES = {"no": "nb", "tl": "fil", "hr": "sh"}  # langdetect's code -> wordfreq's
# Unknown Arabic-script words: evidence from their last ENDING letters (see _ending_model).
ENDING = 3
ENDING_MIN_LENGTH = 5
ENDING_SMOOTHING = 0.5
ENDING_WEIGHT = 0.25
# Words below this frequency count as unknown (the lists stop about here).
LEXICON_FLOOR = 1e-6
# Additive smoothing of n-gram probabilities, as langdetect's alpha / BASE_FREQ.
SMOOTHING = 0.5 / 10000
# Running text: a capitalised Latin word (a name, a title) or a word inside quotes weighs less.
CAPITALISED_WEIGHT = 0.3
QUOTED_WEIGHT = 0.25
NAME_WEIGHT = 0.5  # known-word evidence of a capitalised word

# A word is a run of letters of one script: Arabic writing attaches its prefixes to Latin names (الFIFA,
# لInternational), which are two words. Arabic-script words may hold a non-joiner, Latin ones an apostrophe.
# Sindhi writes two of its most frequent words, ۽ "and" and ۾ "in", with signs that Unicode does not count as
# letters: they are words here, so their letters can say "Sindhi".
_ARABIC_LETTER = r"(?:(?=[\u0600-\u08ff])[^\W\d_]|[\u06fd\u06fe])"
_OTHER_LETTER = r"(?:(?![\u0600-\u08ff])[^\W\d_])"
_WORD = re.compile(rf"{_ARABIC_LETTER}+(?:\u200c{_ARABIC_LETTER}+)*|{_OTHER_LETTER}+(?:['’]{_OTHER_LETTER}+)*")
_QUOTED = re.compile(r"«[^»]*»|“[^”]*”|\"[^\"]*\"|\([^)]*\)|‘[^’]*’")
_MARKS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
# ى and a hamza above, with other marks between them in canonical order (ىًٔ), is ئ as it looks.
_MAKSURA_HAMZA = re.compile("ى([\u064b-\u0653]*)\u0654")
# Quranic (Uthmani) spelling keeps ى with a dagger alef before a suffix (هَدَىٰهُمْ), where the usual spelling has ا
# (هداهم); Uyghur never writes the dagger alef, so this ى is not a letter out of place.
_QURANIC_MAKSURA = re.compile(
    r"ى(?=[\u064b-\u065f]*\u0670[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]*[\u0621-\u064a\u0671-\u06d3])"
)


@dataclass
class Evidence:
    """What a text shows before the weights are applied: per-language scores to combine, or a settled answer."""

    script: str
    share: float  # the running text's share of the words' weight
    answer: Detection | None = None  # settled by the letters alone (or no letters at all)
    ngrams: np.ndarray | None = None  # log-likelihood of the character n-grams, per language
    lexical: np.ndarray | None = None  # known-word evidence, per language
    letters: np.ndarray | None = None  # letter costs (0, -cost, or -inf for excluded languages)


class LanguageDetector:
    """Deterministic language detection: script, letters, n-gram profiles and known words."""

    def __init__(
        self,
        ngram_weight: float = NGRAM_WEIGHT,
        lexical_weight: float = LEXICAL_WEIGHT,
        priors: dict | None = None,
        ending_weight: float = ENDING_WEIGHT,
        position_share: float = POSITION_SHARE,
    ):
        self.languages, gram_rows, self._log_probs = _load_profiles(PROFILE_DIRECTORY)
        self._index = {lang: i for i, lang in enumerate(self.languages)}
        self._ngrams = NgramRows(gram_rows, MAX_TEXT_LENGTH)
        self.ngram_weight = ngram_weight
        self.lexical_weight = lexical_weight
        self.priors = {script: dict(weights) for script, weights in (priors or PRIORS).items()}
        self._lexicon = Lexicon()
        self._lexicon_columns = [self.languages.index(lang) for lang in LEXICON_LANGUAGES]
        self.ending_weight = ending_weight
        self.position_share = position_share
        self._ending_columns = [self._index[lang] for lang in PROFILED_ARABIC_SCRIPT]
        self._slip_reading = _WordCache(self._slip_reading_of)
        _release_free_memory()

    def detect(self, text: str) -> Detection:
        """Detect the language of text; text with no letters is "und" with confidence 0."""
        return self.decide(self.evidence(text))

    def decide(self, evidence: Evidence) -> Detection:
        """Weigh the evidence: n-grams, known words, the script's prior and the letters."""
        if evidence.answer is not None:
            return evidence.answer
        # Evidence without an answer always carries both n-gram and known-word scores (see evidence()).
        assert evidence.ngrams is not None and evidence.lexical is not None
        scores = self.ngram_weight * evidence.ngrams + self.lexical_weight * evidence.lexical
        for lang, log_prior in self.priors.get(evidence.script, {}).items():
            scores[self._index[lang]] += log_prior
        if evidence.letters is not None:
            scores = scores + evidence.letters
        posterior = _posterior(scores)
        best = int(posterior.argmax())
        return Detection(self.languages[best], float(posterior[best]) * evidence.share, evidence.script)

    def evidence(self, text: str) -> Evidence:
        """Everything the text shows: running script, letters, n-grams, known words."""
        words = _running_words(text)
        if not words:
            return Evidence("none", 0.0, Detection(UNDETERMINED, 0.0, "none"))
        weights: dict[str, float] = {}
        for _, script, weight, _ in words:
            weights[script] = weights.get(script, 0.0) + weight
        script = max(weights, key=lambda s: (weights[s], s == "arabic", s == "latin"))
        share = weights[script] / sum(weights.values())
        own = [word for word, s, _, _ in words if s == script]
        letters: np.ndarray | None = None
        if script == "arabic":
            # A word may be the end of the one before it only when white space parts them (not زِ، ؤنِو).
            spaced = [
                apart and k > 0 and words[k - 1][1] == script for k, (_, s, _, apart) in enumerate(words) if s == script
            ]
            read = self._arabic_readings(own, spaced)
            # Words read apart or together do not change how many slips the text may hold.
            costs = self._arabic_letters(read, min(len(own), len(read)))
            own = read
            if isinstance(costs, Detection):
                return Evidence(script, share, Detection(costs.language, costs.confidence * share, script))
            letters = costs
        ngrams = self._log_likelihood(" ".join(own))
        if ngrams is None:
            return Evidence(script, share, Detection(UNDETERMINED, 0.0, script))
        return Evidence(script, share, None, ngrams, self._lexical(own), letters)

    def _arabic_readings(self, words: list[str], spaced: list[bool]) -> list[str]:
        """The words, with Arabic typing slips that put a letter out of place read as the Arabic words they are.

        A word that starts with ئ or ؤ is joined to the word before it when only white space parts them (spaced) and
        _fragment says it is the end of that word; a word with ى inside is read as _slip_reading_of says. Other words
        are left as they are.
        """
        read: list[str] = []
        joined = False  # the last word read is a join, which is not joined again: chains of ئ words stay apart
        for word, after_space in zip(words, spaced):
            if (
                word[0] in _INITIAL_HAMZA_SEATS
                and after_space
                and read
                and not joined
                and len(read[-1]) + len(word) <= MAX_CACHED_WORD
                and self._fragment(read[-1], word)
            ):
                read[-1] += word
                joined = True
                continue
            joined = False
            if "ى" in word:
                read.extend(self._slip_reading(word))
            else:
                read.append(word)
        return read

    def _fragment(self, before: str, word: str) -> bool:
        """Is word, which starts with ئ or ؤ, the end of the word before it (a PDF's space: الطا ئرة, ر ؤساء)?"""
        joined = before + word
        if self._known_arabic(joined):
            return True
        # PDF text breaks words where letters do not join (after ا د ر ز و). Uyghur and Sorani write ئ to start a
        # word that starts with a vowel (ئاش, ئىش, ئو), Arabic inside a word before a consonant or ي (عا ئلة, ـا ئي);
        # neither starts a word with ؤ, which Arabic writes before a vowel too (ر ؤوس).
        vowel_start = word[0] == "ئ" and word[1:2] in _VOWEL_AFTER_HAMZA
        return before[-1] in _NON_JOINING and not vowel_start and not _MEDIAL_MAKSURA.search(joined)

    def _slip_reading_of(self, word: str) -> tuple[str, ...]:
        """A word with ى inside, read as Arabic when that reading is known Arabic: ى for ي at the end of a stem
        before a pronoun or a hamza (علىكم, فىه, شىئا), or a missing space after a word that ends in ى (إلىالسوق).
        Uyghur words write ى inside most words (كىشىلىك), and often before endings like Arabic pronouns (بالىنى,
        تىك): those readings must be of a stem of two letters or more, or end in a pronoun with ه, a letter Uyghur
        does not write (its h is ھ)."""
        if len(word) > MAX_CACHED_WORD or not _MEDIAL_MAKSURA.search(word):
            return (word,)  # a slip is in a word of ordinary length; a long run of letters is no word to read
        yeh = _SUFFIXED_MAKSURA.sub("ي", word)
        if yeh != word:
            suffixed = _SUFFIX_AFTER_MAKSURA.search(word)
            stem = word[: suffixed.start()] if suffixed else word
            if stem and "ه" in word[len(stem) :] and (self._known_arabic(stem + "ي") or self._known_arabic(stem + "ى")):
                return (yeh,)  # a stem known to end in ي or ى, a form too rare for the list (يلقىه)
            if stem and (len(stem) >= 2 or "ه" in word[len(stem) :]) and self._known_arabic(yeh):
                return (yeh,)
        for match in _MEDIAL_MAKSURA_ONLY.finditer(word):
            head, tail = word[: match.end()], word[match.end() :]
            # A frequent word of three letters or more (على, إلى, حتى), then a frequent word or any of three letters
            # or more with no ى inside; Uyghur words do not split so (بى + كار, دورى + سى, سياسى + ي).
            if len(head) < 3 or len(tail) < 2 or _MEDIAL_MAKSURA.search(tail):
                continue
            if self._arabic_value(head) >= GLUED_VALUE and (len(tail) >= 3 or self._arabic_value(tail) >= GLUED_VALUE):
                return (head, tail)
        return (word,)

    def _known_arabic(self, word: str) -> bool:
        """True when the Arabic word list knows word."""
        return self._arabic_value(word) > 0

    def _arabic_value(self, word: str) -> float:
        """The word's log-frequency in the Arabic list above LEXICON_FLOOR (0 when unknown)."""
        vector = self._lexicon.vector(word)
        return 0.0 if vector is None else float(vector[0])

    def _arabic_letters(self, words: list[str], written: int) -> np.ndarray | Detection:
        """Letter costs for Arabic, Persian and Urdu, or the answer when the letters exclude all three; written is
        the number of words the tolerated shares are of."""
        profiles = [_letter_profile(word) for word in words]
        # Per alphabet: words with a foreign letter, words with a letter only out of place.
        foreign = [sum(column) for column in zip(*(profile[0] for profile in profiles))]
        placed = [sum(column) for column in zip(*(profile[2] for profile in profiles))]
        tolerated, tolerated_placed = int(FOREIGN_SHARE * written), int(self.position_share * written)
        fits = {lang: foreign[k] <= tolerated and placed[k] <= tolerated_placed for k, lang in enumerate(ALPHABETS)}
        profiled = [lang for lang in PROFILED_ARABIC_SCRIPT if fits[lang]]
        if profiled:
            letters = np.full(len(self.languages), -np.inf)
            for k, lang in enumerate(PROFILED_ARABIC_SCRIPT):
                if lang in profiled:
                    letters[self._index[lang]] = -sum(profile[1][k] for profile in profiles)
            return letters
        others = sorted(
            (foreign[k] + placed[k], lang) for k, lang in enumerate(ALPHABETS) if lang not in PROFILED_ARABIC_SCRIPT
        )
        fitting = [(count, lang) for count, lang in others if fits[lang]]
        if not fitting:
            count = others[0][0]
            return Detection(OTHER_ARABIC_SCRIPT, max(0.0, 1.0 - count / (len(words) + 1)), "arabic")
        count, lang = fitting[0]
        ties = [cand for c, cand in fitting if c == count]
        if len(ties) > 1:  # two alphabets fit: the one whose own letters occur more
            lang = max(ties, key=lambda cand: sum(_distinctive(word, cand) for word in words))
        return Detection(lang, 1.0 - 1.0 / (len(words) + 2), "arabic")

    def _log_likelihood(self, text: str) -> np.ndarray | None:
        rows = self._ngrams.rows(text)
        if not rows:
            return None
        return self._log_probs[rows].sum(axis=0, dtype=np.float64)

    def _lexical(self, words: list[str]) -> np.ndarray:
        """Per language, the log-frequency of each word above the floor, summed (0 for unknown words).

        A capitalised word is often a name, which may be a word of any language ("Sami" is Croatian for
        "alone"): its evidence counts NAME_WEIGHT.
        """
        vectors, weights = [], []
        total = np.zeros(len(self.languages))
        for word in words:
            key = word.lower().replace("’", "'")  # marks are gone already (_running_words)
            vector = self._lexicon.vector(key)
            if vector is not None:
                vectors.append(vector)
                weights.append(NAME_WEIGHT if word[0].isupper() else 1.0)
            elif len(key) >= ENDING_MIN_LENGTH and key[-ENDING:] in self._lexicon.endings:
                # An unknown Arabic-script word: how often each language's words end as it does.
                total[self._ending_columns] += self.ending_weight * self._lexicon.endings[key[-ENDING:]]
        if vectors:
            total[self._lexicon_columns] += np.asarray(weights, dtype=np.float32) @ np.stack(vectors)
        return total


class NgramRows:
    """langdetect's n-gram extraction (Detector.append, then _extract_ngrams), made fast and kept exact.

    langdetect feeds the text to an NGram buffer one character at a time: each character is normalised
    (a Unicode-block search), the buffer restarts at a space, and at every position the 1-, 2- and 3-grams
    ending there are kept, unless the character and the one before it are both upper case. The same
    n-grams in the same order follow from the text's words alone: normalise with a table (built as
    characters are met), split at spaces, and take each word's n-grams with the space before it and the
    one after it (if any), cached per word. tests/test_detect.py checks the equality against langdetect.
    """

    def __init__(self, gram_rows: dict[str, int], max_text_length: int):
        self._gram_rows = gram_rows
        self._max_text_length = max_text_length
        self._normal = _NormalisedCharacters()
        self._word_rows = _WordCache(self._padded_word_rows)

    def rows(self, text: str) -> list[int]:
        """The profile rows of the text's n-grams, in langdetect's order (repeats kept)."""
        # Detector.append: URLs and e-mail addresses out, Vietnamese marks composed, then the length limit.
        text = Detector.URL_RE.sub(" ", text)
        text = Detector.MAIL_RE.sub(" ", text)
        text = NGram.normalize_vi(text)[: self._max_text_length]
        # Normalising turns punctuation and digits into spaces; the buffer ignores a space after a space, so
        # runs of spaces (the empty words between them) emit nothing.
        words = text.translate(self._normal).split(" ")
        rows: list[int] = []
        last = len(words) - 1
        for i, word in enumerate(words):
            if word:
                rows.extend(self._word_rows(" " + word + (" " if i < last else "")))
        return rows

    def clear_cache(self) -> None:
        """Forget the words seen so far (for benchmarks of unseen text)."""
        self._word_rows.cache_clear()

    def _padded_word_rows(self, padded: str) -> tuple[int, ...]:
        """The rows of the n-grams emitted at each position of " word" or " word " (not the first space)."""
        get = self._gram_rows.get
        found = []
        for i in range(1, len(padded)):
            ch = padded[i]
            if ch.isupper() and padded[i - 1].isupper():
                continue  # langdetect skips words in capitals from their second letter on
            grams = (ch, padded[i - 1 : i + 1], padded[i - 2 : i + 1] if i >= 2 else "")
            for gram in grams if ch != " " else grams[1:]:
                row = get(gram)
                if row is not None:
                    found.append(row)
        return tuple(found)


class _NormalisedCharacters(dict):
    """str.translate table: NGram.normalize for each character, kept for the first MAX_KEPT characters met."""

    MAX_KEPT = 4096  # texts in many scripts (CJK has tens of thousands of characters) must not grow it for ever

    def __missing__(self, code: int) -> str:
        normal = NGram.normalize(chr(code))
        if len(self) < self.MAX_KEPT:
            self[code] = normal
        return normal


class _WordCache(Generic[T]):
    """function with an LRU cache of WORD_CACHE_SIZE entries for words of at most MAX_CACHED_WORD characters.

    A longer "word" (a script written without spaces, glued text) is computed and not kept: one such entry
    can weigh a hundred KB, so an entry count alone would not bound the memory.
    """

    def __init__(self, function: Callable[[str], T]):
        self._function = function
        self._cached = functools.lru_cache(maxsize=WORD_CACHE_SIZE)(function)

    def __call__(self, word: str) -> T:
        return self._cached(word) if len(word) <= MAX_CACHED_WORD else self._function(word)

    def cache_clear(self) -> None:
        """Forget every word kept."""
        self._cached.cache_clear()


def _load_profiles(directory: str) -> tuple[list[str], dict[str, int], np.ndarray]:
    """langdetect's profiles as DetectorFactory.load_profile reads them, straight into one float32 matrix.

    Returns the languages (in langdetect's order), n-gram -> row, and the (n-gram x language) matrix of
    log(probability + SMOOTHING). One profile is read at a time, so langdetect's 87,000 lists of 55 floats
    never exist.
    """
    languages: list[str] = []
    gram_rows: dict[str, int] = {}
    columns: list[tuple[np.ndarray, np.ndarray]] = []
    for filename in os.listdir(directory):  # the order load_profile reads them in
        path = os.path.join(directory, filename)
        if filename.startswith(".") or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as file:
            profile = json.load(file)
        languages.append(profile["name"])
        n_words = profile["n_words"]
        found, probs = [], []
        for gram, count in profile["freq"].items():
            row = gram_rows.setdefault(gram, len(gram_rows))
            if 1 <= len(gram) <= 3:
                found.append(row)
                probs.append(1.0 * count / n_words[len(gram) - 1])  # as DetectorFactory.add_profile
        columns.append((np.asarray(found, dtype=np.int64), np.asarray(probs, dtype=np.float64)))
    matrix = np.zeros((len(gram_rows), len(languages)), dtype=np.float32)
    for column, (found_rows, found_probs) in enumerate(columns):
        matrix[found_rows, column] = found_probs
    return languages, gram_rows, np.log(matrix + np.float32(SMOOTHING))


class Lexicon:
    """Known words: per word and lexicon language, log(frequency / floor), from wordfreq's small lists.

    Words are kept as sorted 64-bit BLAKE2 digests and their values as one sparse row each (a word is known
    in one or two of the languages): a few MB, where a dict of 200,000 strings and a dense matrix took
    over 50 MB in every worker. An unknown word matches a known one's digest about once in 10^14.
    """

    def __init__(self) -> None:
        import wordfreq  # imported here: its data are read once, when a detector is built

        digests: list[np.ndarray] = []
        columns: list[np.ndarray] = []
        values: list[np.ndarray] = []
        ending_words: dict[str, set[str]] = {lang: set() for lang in PROFILED_ARABIC_SCRIPT}
        for column, lang in enumerate(LEXICON_LANGUAGES):
            # Buckets of words by frequency, most frequent first: bucket i holds words of frequency 10^(-i/100).
            buckets = wordfreq.get_frequency_list(_WORDFREQ_CODES.get(lang, lang), "small")
            found: list[int] = []
            found_values: list[float] = []
            for i, bucket in enumerate(buckets):
                log_ratio = math.log(wordfreq.cB_to_freq(-i) / LEXICON_FLOOR)
                if log_ratio <= 0 or len(found) >= LEXICON_SIZE.get(lang, OTHER_LEXICON_SIZE):
                    break
                for word in bucket:
                    for spelling in {word, word.translate(_ARABIC_KEYBOARD.get(lang, {}))}:
                        found.append(_digest(spelling))
                        found_values.append(log_ratio)
                        if lang in ending_words and len(spelling) >= ENDING_MIN_LENGTH:
                            ending_words[lang].add(spelling)
            digests.append(np.asarray(found, dtype=np.uint64))
            columns.append(np.full(len(found), column, dtype=np.int8))
            values.append(np.asarray(found_values, dtype=np.float32))
        wordfreq.get_frequency_list.cache_clear()  # wordfreq keeps every list it read: drop them
        digest, column_of, value = np.concatenate(digests), np.concatenate(columns), np.concatenate(values)
        # By word, then language, best value first: a spelling found twice in one language keeps its best.
        order = np.lexsort((-value, column_of, digest))
        digest, column_of, value = digest[order], column_of[order], value[order]
        first = np.ones(len(digest), dtype=bool)
        first[1:] = (digest[1:] != digest[:-1]) | (column_of[1:] != column_of[:-1])
        digest, self._columns, self._values = digest[first], column_of[first], value[first]
        self._digests, starts = np.unique(digest, return_index=True)
        self._starts = np.append(starts, len(digest)).astype(np.int64)
        self.endings = _ending_model(ending_words)
        self.vector = _WordCache(self._vector)

    def __len__(self) -> int:
        return len(self._digests)

    def _vector(self, word: str) -> np.ndarray | None:
        """The word's value in each lexicon language (0 where unknown), or None for a word no list knows."""
        digest = np.uint64(_digest(word))
        row = int(np.searchsorted(self._digests, digest))
        if row == len(self._digests) or self._digests[row] != digest:
            return None
        start, end = self._starts[row], self._starts[row + 1]
        vector = np.zeros(len(LEXICON_LANGUAGES), dtype=np.float32)
        vector[self._columns[start:end]] = self._values[start:end]
        vector.flags.writeable = False  # shared by every caller through the cache
        return vector


def _release_free_memory() -> None:
    """Give the C heap's free pages back to the system (glibc): reading the word lists and profiles leaves
    about 20 MB free but still counted in every worker's memory. Elsewhere a no-op."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _digest(word: str) -> int:
    """A word's 64-bit BLAKE2 digest (the same in every process, unlike hash())."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def _ending_model(words: dict[str, set[str]]) -> dict[str, np.ndarray]:
    """Last ENDING letters -> log share of Arabic, Persian and Urdu known words ending so (centred).

    Persian and Urdu suffixes (the copula ـست, plural ـها, verb endings) differ from Arabic ones, so the
    ending of a word none of the lists knows is still evidence. Endings no list has are left out.
    """
    counts: dict[str, np.ndarray] = {}
    totals = np.zeros(len(PROFILED_ARABIC_SCRIPT))
    for k, lang in enumerate(PROFILED_ARABIC_SCRIPT):
        for word in words[lang]:
            if _script(word[0]) == "arabic":
                totals[k] += 1
                counts.setdefault(word[-ENDING:], np.zeros(len(PROFILED_ARABIC_SCRIPT)))[k] += 1
    model = {}
    for ending, count in counts.items():
        log_share = np.log((count + ENDING_SMOOTHING) / (totals + ENDING_SMOOTHING * len(counts)))
        model[ending] = (log_share - log_share.mean()).astype(np.float32)
    return model


def _letter_profile_of(word: str) -> tuple[tuple[bool, ...], tuple[float, ...], tuple[bool, ...]]:
    """Per alphabet, does word have a letter foreign to it; per profiled language, what its letters cost; per
    alphabet, does it have a letter only out of place (INITIAL_YEH_HAMZA, MEDIAL_MAKSURA, INITIAL_WAW_HAMZA)."""
    letters = set(word)
    placed = set()
    if word[0] == "ئ":
        placed.add(INITIAL_YEH_HAMZA)
    elif word[0] == "ؤ":
        placed.add(INITIAL_WAW_HAMZA)
    if _MEDIAL_MAKSURA.search(word):
        placed.add(MEDIAL_MAKSURA)
    return (
        tuple(_foreign(letters, lang) for lang in ALPHABETS),
        tuple(_letter_cost(letters | placed, lang) for lang in PROFILED_ARABIC_SCRIPT),
        tuple(not _foreign(letters, lang) and _foreign(placed, lang) for lang in ALPHABETS),
    )


_letter_profile = _WordCache(_letter_profile_of)


def _foreign(letters: set[str], lang: str) -> bool:
    """True when a word's letters include one that lang neither writes nor borrows."""
    return not letters <= _WRITES[lang]


def _letter_cost(letters: set[str], lang: str) -> float:
    """What a word's least likely letter costs lang: 0, a borrowing's cost, or FOREIGN_COST."""
    extra = letters - _ALPHABET_SETS[lang]
    if not extra:
        return 0.0
    borrowed = BORROWED.get(lang, {})
    return max(borrowed.get(ch, FOREIGN_COST) for ch in extra)


def _distinctive(word: str, lang: str) -> int:
    """Letters of word that lang writes and Arabic, Persian and Urdu do not."""
    shared = set(ALPHABETS["ar"]) | set(ALPHABETS["fa"]) | set(ALPHABETS["ur"])
    return sum(ch in ALPHABETS[lang] and ch not in shared for ch in word)


def _running_words(text: str) -> list[tuple[str, str, float, bool]]:
    """(word, script, weight, spaced) for each word; quoted words and capitalised Latin words weigh less; spaced:
    only white space (line breaks too) or invisible marks part the word from the one before it."""
    # NFKC: PDF copies often carry presentation forms (the lam-alef ligature ﻻ) instead of letters.
    text = unicodedata.normalize("NFKC", text)
    # ى with a hamza above is ئ as it looks (NFKC composes ي with it, not ى); the joiner only shapes letters and
    # splits no word (مسا\u200dئل is مسائل), unlike the non-joiner.
    if "\u0654" in text:
        text = _MAKSURA_HAMZA.sub(r"ئ\1", text)
    if "\u200d" in text:
        text = text.replace("\u200d", "")
    if "\u0670" in text:
        text = _QURANIC_MAKSURA.sub("ا", text)
    text = _MARKS.sub("", text)
    quoted = [m.span() for m in _QUOTED.finditer(text)]  # in order, not overlapping
    starts = [a for a, _ in quoted]
    words = []
    end = 0
    for match in _WORD.finditer(text):
        word = match.group()
        script = _script(word[0])
        weight = CAPITALISED_WEIGHT if script == "latin" and word[0].isupper() else 1.0
        inside = bisect.bisect_right(starts, match.start()) - 1  # the last quote opened at or before the word
        if inside >= 0 and match.start() < quoted[inside][1]:
            weight *= QUOTED_WEIGHT
        gap = text[end : match.start()]
        words.append((word, script, weight, bool(gap) and all(ch.isspace() or ch in _INVISIBLE for ch in gap)))
        end = match.end()
    return words


@functools.lru_cache(maxsize=1 << 12)
def _script(ch: str) -> str:
    """The script of a letter, from its Unicode name (ARABIC, LATIN, CYRILLIC...)."""
    return unicodedata.name(ch, "UNKNOWN").split(" ")[0].lower()


def _posterior(scores: np.ndarray) -> np.ndarray:
    p = np.exp(scores - scores.max())
    return p / p.sum()
