"""English -> Arabic through the web form in Chromium: the direction chosen (or swapped to), the Arabic summary and
translation right to left, copied and downloaded; axe-core on the Arabic result."""

from pathlib import Path

import pytest

from test_browser import PHONE, browser, open_page, shot, wait_result  # noqa: F401 (browser: fixture)
from test_form_a11y import axe_violations
from tinymodels import EN_AR_PAIRS

ENGLISH = [en for en, _ in EN_AR_PAIRS[:3]]
ARABIC = [ar for _, ar in EN_AR_PAIRS[:3]]


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def page(request, browser):  # noqa: F811
    page = open_page(browser, js=request.param)
    yield page
    page.context.close()


def send(page, url, text, sentences, whole=False):
    page.goto(url + "/")
    page.check("input[name=direction][value=en-ar]")
    page.fill("#text", text)
    page.fill("#summary_sentences", sentences)
    if whole:
        page.check("#translate")
    page.click("#submit")
    wait_result(page)


def right_to_left(page, selector) -> bool:
    """The element is laid out right to left: its direction, and its first line starting at its right edge."""
    return page.evaluate(
        """(el) => {
          const style = getComputedStyle(el), range = document.createRange();
          range.selectNodeContents(el);
          const line = range.getClientRects()[0], box = el.getBoundingClientRect();
          const right = box.right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth);
          return style.direction === 'rtl' && Math.abs(line.right - right) < 2;
        }""",
        page.locator(selector).element_handle(),
    )


def test_the_summary_in_arabic_right_to_left(page, live_server):
    send(page, live_server, " ".join(ENGLISH), sentences="2")
    assert page.inner_text("#result-heading") == "Result: English → Arabic"
    chosen = [i for i, sentence in enumerate(ENGLISH) if sentence in page.inner_text("#summary-en")]
    assert len(chosen) == 2
    assert page.inner_text("#summary-ar") == " ".join(ARABIC[i] for i in chosen)  # the same sentences
    arabic = page.locator("#summary-ar")
    assert arabic.get_attribute("lang") == "ar" and arabic.get_attribute("dir") == "rtl"
    assert right_to_left(page, "#summary-ar")
    assert page.locator(".alignment").count() == 0  # "summary" mode: only the summary's sentences are translated
    assert "translation model: tiny-opus-mt-en-ar (beam 1)" in page.inner_text(".timings")
    assert page.is_checked("input[name=direction][value=en-ar]")  # the direction stays chosen
    shot(page, "en-ar-summary")


def test_the_whole_text_in_arabic(page, live_server):
    send(page, live_server, f"{ENGLISH[0]} {ENGLISH[1]}\n\n{ENGLISH[2]}", sentences="1", whole=True)
    rows = page.locator(".alignment tbody tr")
    assert rows.count() == 3
    assert [rows.nth(i).locator("td[lang=en]").inner_text() for i in range(3)] == ENGLISH
    assert [rows.nth(i).locator("td[lang=ar]").inner_text() for i in range(3)] == ARABIC
    assert right_to_left(page, ".alignment tbody tr:first-child td[lang=ar]")
    assert page.locator(".alignment tbody tr.in-summary").count() == 1
    with page.expect_download() as info:
        page.click("text=as plain text")
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert "Direction: English → Arabic\n" in text
    assert f"Translation (Arabic)\n{ARABIC[0]} {ARABIC[1]}\n\n{ARABIC[2]}\n" in text
    if page.js:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        page.click("text=Copy the Arabic translation")
        page.wait_for_selector("text=Copied")
        assert page.evaluate("navigator.clipboard.readText()") == f"{ARABIC[0]} {ARABIC[1]}\n\n{ARABIC[2]}"
    shot(page, "en-ar-full")


def test_keyboard_only_swap_to_english_to_arabic(browser, live_server):  # noqa: F811
    page = open_page(browser)
    try:
        page.goto(live_server + "/")
        page.focus("#text")
        page.keyboard.type(ENGLISH[0])
        page.keyboard.press("Shift+Tab")  # back to the swap button, just before the box
        assert page.evaluate("document.activeElement.id") == "swap"
        page.keyboard.press("Enter")  # English text detected: the swap gives English -> Arabic
        assert page.is_checked("input[name=direction][value=en-ar]")
        page.focus("#text")
        page.keyboard.press("Control+Enter")
        wait_result(page)
        assert page.inner_text("#summary-ar") == ARABIC[0]
        assert page.evaluate("document.activeElement.id") == "result-heading"
    finally:
        page.context.close()


@pytest.mark.parametrize("size, scheme", [("desktop", "light"), ("phone", "dark")])
def test_axe_and_lang_on_the_arabic_result(browser, live_server, size, scheme):  # noqa: F811
    options = {"viewport": PHONE} if size == "phone" else {}
    page = open_page(browser, color_scheme=scheme, bypass_csp=True, **options)
    try:
        send(page, live_server, f"{ENGLISH[0]} {ENGLISH[1]}\n\n{ENGLISH[2]}", sentences="2", whole=True)
        assert axe_violations(page) == []
        unmarked = page.evaluate(
            """() => [...document.querySelectorAll('#result *')].filter(el =>
                 [...el.childNodes].some(n => n.nodeType === 3 && /\\p{Script=Arabic}/u.test(n.textContent))
                 && (el.closest('[lang]').lang !== 'ar' || el.closest('[dir]')?.getAttribute('dir') !== 'rtl'))
               .map(el => el.outerHTML.slice(0, 80))"""
        )
        assert unmarked == []
        shot(page, f"en-ar-{size}-{scheme}")
    finally:
        page.context.close()
