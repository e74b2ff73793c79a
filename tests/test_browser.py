"""The web form in headless Chromium (Debian's package) driven by Playwright, with and without JavaScript."""

import os
import shutil
from pathlib import Path

import pytest

from helpers import require
from tinymodels import PAIRS

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    require(Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def page(request, browser):
    context = browser.new_context(java_script_enabled=request.param, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.js = request.param
    yield page
    context.close()


def submit(page, live_server, text, sentences="3"):
    page.goto(live_server + "/")
    page.fill("#text", text)
    page.fill("#summary_sentences", sentences)
    page.click("#submit")
    page.wait_for_selector("#result .detected, #result .error", timeout=120_000)


def test_article(page, live_server, article_text):
    submit(page, live_server, article_text)
    assert "Arabic" in page.inner_text("#detected")
    rows = page.locator(".alignment tbody tr")
    assert rows.count() == 21  # one row a sentence (tests/test_segment.py checks the boundaries)
    first = rows.nth(0).locator("td")
    assert first.nth(1).inner_text() == article_text.splitlines()[0]  # the headline
    assert first.nth(1).get_attribute("dir") == "rtl"
    assert all(rows.nth(i).locator("td").nth(0).inner_text().strip() for i in range(21))
    assert page.inner_text("#summary-ar").startswith("افتتاح أكبر محطة لتحلية مياه البحر")
    assert page.inner_text("#summary-en").strip()
    # The headline and the two lead sentences, not the photo captions (rows 1 and 2).
    classes = [(rows.nth(i).get_attribute("class") or "").split() for i in range(21)]
    assert [i for i, names in enumerate(classes) if "in-summary" in names] == [0, 3, 4]
    assert page.input_value("#text") == article_text  # the text stays in the form
    page.screenshot(path=str(ARTIFACTS / f"article-{'js' if page.js else 'nojs'}.png"), full_page=True)


def test_known_sentences_show_exact_translation(page, live_server):
    text = f"{PAIRS[0][0]} {PAIRS[1][0]}\n\n{PAIRS[2][0]}"
    submit(page, live_server, text, sentences="2")
    cells = page.locator(".alignment tbody tr td:first-child")
    assert [cells.nth(i).inner_text() for i in range(cells.count())] == [PAIRS[0][1], PAIRS[1][1], PAIRS[2][1]]
    assert page.inner_text("#summary-en") == f"{PAIRS[0][1]} {PAIRS[1][1]}"
    assert page.inner_text("#summary-ar") == f"{PAIRS[0][0]} {PAIRS[1][0]}"


def test_error_is_inline_and_keeps_the_form(page, live_server):
    text = "Le gouvernement a annoncé de nouvelles mesures pour l'économie."
    submit(page, live_server, text)
    error = page.inner_text("#result .error")
    assert "'fr'" in error
    assert page.input_value("#text") == text  # the page and the text are still there
    assert page.locator("#submit").is_enabled()
    page.screenshot(path=str(ARTIFACTS / f"error-{'js' if page.js else 'nojs'}.png"), full_page=True)


def test_script_in_text_is_shown_not_run(page, live_server):
    text = "The army said <script>window.pwned = 1</script> the base <b>was hit</b>. Nobody died."
    submit(page, live_server, text, sentences="1")
    assert "<script>window.pwned = 1</script>" in page.inner_text("#summary-en")
    if page.js:
        assert page.evaluate("window.pwned") is None
