import pytest

from summarizer.detect import LanguageDetector


@pytest.fixture(scope="module")
def detector():
    return LanguageDetector()


@pytest.mark.parametrize(
    "text, language",
    [
        ("Hello", "en"),
        ("Good.", "en"),
        ("Come here.", "en"),
        ("The US military said eight soldiers were injured.", "en"),
        ("مرحبا", "ar"),
        ("أعلن الجيش الأمريكي إصابة ثمانية جنود.", "ar"),
        ("خودکار سرتوپی دار تبدیل به یک ابزار دست نویسی جهانی شده", "fa"),
        ("ٹیکسی انتظار کر رہی ہے۔", "ur"),
        ("Le gouvernement a annoncé de nouvelles mesures pour l'économie.", "fr"),
        ("Ich habe heute keine Zeit, morgen vielleicht.", "de"),
        ("123 456", "und"),
        ("😀😀😀", "und"),
        ("", "und"),
    ],
)
def test_detect(detector, text, language):
    assert detector.detect(text).language == language


def test_deterministic(detector):
    answers = {detector.detect("Someone named").language for _ in range(20)}
    assert len(answers) == 1
    assert answers == {LanguageDetector(seed=0).detect("Someone named").language}


def test_confidence_is_a_probability(detector):
    detection = detector.detect("أعلن الجيش الأمريكي إصابة ثمانية جنود.")
    assert 0.5 < detection.confidence <= 1.0
    assert detection.script == "arabic"
    assert detector.detect("42").confidence == 0.0
