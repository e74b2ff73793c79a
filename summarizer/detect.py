"""Language identification on langdetect's profiles, guided by what the script tells.

langdetect's own `detect` samples n-grams at random: seeded it is repeatable,
but on one to three words it is wrong more often than right. We score the same
character n-grams with langdetect's language profiles deterministically (naive
Bayes over every n-gram, no sampling) and add two kinds of evidence:

* the script: letters that only Urdu or only Persian use (and the Arabic ones
  they do not) decide between the languages that share the Arabic script;
* a prior towards the languages this service receives (English among the
  Latin-script languages), so that "Good." or "Go away." comes out English
  while a French or German sentence still comes out French or German.

Text with no letters at all is "und" (undetermined), never silently English.
"""

from __future__ import annotations

import os
import unicodedata

import langdetect
import numpy as np
from langdetect import DetectorFactory

from .schemas import Detection

UNDETERMINED = "und"
ARABIC_SCRIPT_LANGUAGES = ("ar", "fa", "ur")
# Letters each Arabic-script language uses and the others do not.
URDU_LETTERS = frozenset("ٹڈڑںےۓہۃھ")
PERSIAN_LETTERS = frozenset("پچژگکی")
ARABIC_LETTERS = frozenset("يكةى")
# Prior weight (relative to 1 for every other language) by script.
PRIORS = {"latin": {"en": 5000.0}, "arabic": {"ar": 5.0, "fa": 3.0}}
# Additive smoothing of n-gram probabilities, as langdetect's alpha / BASE_FREQ.
SMOOTHING = 0.5 / 10000


class LanguageDetector:
    """Deterministic language detection over langdetect's 55 language profiles."""

    def __init__(self, seed: int = 0):
        self._factory = DetectorFactory()
        self._factory.load_profile(os.path.join(os.path.dirname(langdetect.__file__), "profiles"))
        self._factory.set_seed(seed)  # only used by langdetect's own text cleaning
        self.languages: list[str] = list(self._factory.get_lang_list())
        self._index = {lang: i for i, lang in enumerate(self.languages)}
        grams = self._factory.word_lang_prob_map
        # One float32 matrix of log-probabilities (n-gram x language) instead of langdetect's lists of floats;
        # the factory keeps only n-gram -> row, which is all its n-gram extraction looks at.
        self._log_probs = np.log(np.asarray(list(grams.values()), dtype=np.float32) + np.float32(SMOOTHING))
        self._factory.word_lang_prob_map = {gram: row for row, gram in enumerate(grams)}
        self._priors = {script: self._log_prior(weights) for script, weights in PRIORS.items()}

    def detect(self, text: str) -> Detection:
        """Detect the language of text; text with no letters is "und" with confidence 0."""
        counts = _script_counts(text)
        letters = sum(counts.values())
        if not letters:
            return Detection(UNDETERMINED, 0.0, "none")
        script, n = max(counts.items(), key=lambda kv: kv[1])
        share = n / letters
        scores = self._log_likelihood(text)
        if scores is None:
            return Detection(UNDETERMINED, 0.0, script)
        scores = scores + self._priors.get(script, 0.0)
        if script == "arabic":
            allowed = _arabic_script_rule(set(text))
            scores[[lang not in allowed for lang in self.languages]] = -np.inf
        posterior = _posterior(scores)
        best = int(posterior.argmax())
        return Detection(self.languages[best], float(posterior[best]) * share, script)

    def _log_likelihood(self, text: str) -> np.ndarray | None:
        detector = self._factory.create()
        detector.append(text)
        grams = detector._extract_ngrams()  # langdetect's own normalisation and n-grams
        if not grams:
            return None
        rows = self._factory.word_lang_prob_map
        return self._log_probs[[rows[g] for g in grams]].sum(axis=0, dtype=np.float64)

    def _log_prior(self, weights: dict[str, float]) -> np.ndarray:
        prior = np.array([weights.get(lang, 1.0) for lang in self.languages])
        return np.log(prior / prior.sum())


def _arabic_script_rule(chars: set[str]) -> tuple[str, ...]:
    """The Arabic-script languages the letters leave possible."""
    if chars & URDU_LETTERS:
        return ("ur",)
    persian, arabic = bool(chars & PERSIAN_LETTERS), bool(chars & ARABIC_LETTERS)
    if persian and not arabic:
        return ("fa", "ur")  # Urdu writes these letters too
    if arabic and not persian:
        return ("ar",)
    return ARABIC_SCRIPT_LANGUAGES


def _posterior(scores: np.ndarray) -> np.ndarray:
    p = np.exp(scores - scores.max())
    return p / p.sum()


def _script_counts(text: str) -> dict[str, int]:
    """Letters per script, from the Unicode character names (ARABIC, LATIN, CYRILLIC...)."""
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            script = unicodedata.name(ch, "UNKNOWN").split(" ")[0].lower()
            counts[script] = counts.get(script, 0) + 1
    return counts
