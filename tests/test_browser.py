"""The web form in headless Chromium (Debian's package) driven by Playwright, with and without JavaScript.

Desktop (1280x900) and phone (390x844) sizes, keyboard only where it matters; screenshots go to
artifacts/screenshots, which CI keeps. The accessibility check with axe-core is in tests/test_form_a11y.py.
"""

import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from helpers import require, wait_until
from tinymodels import PAIRS

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
# A name for the loopback address that is not "localhost": a page served there over plain HTTP is not a secure
# context, so it has no clipboard API (as at any other address a browser reaches over plain HTTP).
PLAIN_HOST = "form.test"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--host-resolver-rules=MAP {PLAIN_HOST} 127.0.0.1",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ENGLISH = "The council approved the new budget on Monday. Schools will get more money. Roads will be repaired."
# A proxy's own error pages, as nginx sends them when the service is down or too slow.
NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
    "<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n"
)


@pytest.fixture(scope="module")
def browser():
    require(Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


def open_page(browser, js=True, viewport=DESKTOP, **options):
    """A page in a context of its own (fresh storage); close its context when done."""
    phone = viewport == PHONE
    context = browser.new_context(
        java_script_enabled=js, viewport=viewport, is_mobile=phone, has_touch=phone, accept_downloads=True, **options
    )
    page = context.new_page()
    page.js = js
    return page


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def page(request, browser):
    page = open_page(browser, js=request.param)
    yield page
    page.context.close()


@pytest.fixture
def js_page(browser):
    page = open_page(browser)
    yield page
    page.context.close()


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def phone(request, browser):
    page = open_page(browser, js=request.param, viewport=PHONE)
    yield page
    page.context.close()


def shot(page, name):
    """Keep a screenshot of the whole page for CI's artifacts."""
    page.screenshot(path=str(ARTIFACTS / f"{name}-{'js' if page.js else 'nojs'}.png"), full_page=True)


def wait_result(page):
    page.wait_for_selector("#result .result, #result .error", timeout=120_000)


def submit(page, live_server, text, sentences="3", direction=None):
    page.goto(live_server + "/")
    page.fill("#text", text)
    page.fill("#summary_sentences", sentences)
    if direction:
        page.check(f"input[name=direction][value={direction}]")
    page.click("#submit")
    wait_result(page)


def in_viewport(page, selector):
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and -1 <= box["y"] < size["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
    )


# -- results -------------------------------------------------------------------------------------------------


def test_article(page, live_server, article_text):
    submit(page, live_server, article_text)
    assert "Arabic" in page.inner_text("#detected")
    assert page.inner_text("#result-heading") == "Result: Arabic → English"
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
    # ... and a legend says what the highlight means.
    assert "the sentences the summary is made of" in page.inner_text(".alignment .legend")
    assert page.input_value("#text") == article_text  # the text stays in the form
    # The result is brought into view: scrolled to and, with the script, focused.
    assert in_viewport(page, "#result-heading")
    if page.js:
        assert page.evaluate("document.activeElement.id") == "result-heading"
    else:
        assert urlsplit(page.url).fragment == "result"
    shot(page, "article")


def test_known_sentences_show_exact_translation(page, live_server):
    text = f"{PAIRS[0][0]} {PAIRS[1][0]}\n\n{PAIRS[2][0]}"
    submit(page, live_server, text, sentences="2")
    cells = page.locator(".alignment tbody tr td:first-child")
    assert [cells.nth(i).inner_text() for i in range(cells.count())] == [PAIRS[0][1], PAIRS[1][1], PAIRS[2][1]]
    assert page.inner_text("#summary-en") == f"{PAIRS[0][1]} {PAIRS[1][1]}"
    assert page.inner_text("#summary-ar") == f"{PAIRS[0][0]} {PAIRS[1][0]}"


def test_timing_line_names_the_model_and_beam_not_a_path(page, live_server, settings):
    page.goto(live_server + "/")
    page.fill("#text", PAIRS[0][0])
    page.select_option("#beam_size", "4")
    page.click("#submit")
    wait_result(page)
    timings = page.inner_text(".timings")
    name = Path(settings.translation_model).name
    assert re.search(rf"translation model: {re.escape(name)} \(beam 4\)", timings), timings
    assert str(Path(settings.translation_model).parent) not in timings and "/" not in timings


def test_script_in_text_is_shown_not_run(page, live_server):
    text = "The army said <script>window.pwned = 1</script> the base <b>was hit</b>. Nobody died."
    submit(page, live_server, text, sentences="1")
    assert "<script>window.pwned = 1</script>" in page.inner_text("#summary-en")
    if page.js:
        assert page.evaluate("window.pwned") is None


def test_numbers_and_latin_names_stay_readable_in_arabic(js_page, live_server):
    """A Latin name or "C++" inside Arabic keeps its own left-to-right order (isolated in a <bdi>)."""
    arabic = "وقال John Smith إن لغة C++ تنمو بنسبة 5.2% منذ 2024 في المنطقة."
    submit(js_page, live_server, f"{PAIRS[0][0]} {arabic}", sentences="2")
    cell = js_page.locator(".alignment tbody tr").nth(1).locator("td[lang=ar]")
    assert cell.inner_text() == arabic
    assert cell.locator("bdi").all_inner_texts() == ["John Smith", "C++", "5.2%", "2024"]
    # Where each character is drawn: "C" left of "++", "John" left of "Smith", although the line runs right to left.
    xs = js_page.evaluate(
        """(cell) => {
          const text = cell.textContent, node = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
          const at = {};
          for (let n = node.nextNode(); n; n = node.nextNode()) {
            for (const word of ["John", "Smith", "C", "++"]) {
              const i = n.textContent.indexOf(word);
              if (i < 0 || word in at) continue;
              const range = document.createRange();
              range.setStart(n, i); range.setEnd(n, i + word.length);
              at[word] = range.getBoundingClientRect().x;
            }
          }
          return at;
        }""",
        cell.element_handle(),
    )
    assert xs["John"] < xs["Smith"] and xs["C"] < xs["++"], xs


# -- the text box: counting, pasting, files ------------------------------------------------------------------


def test_line_breaks_count_once_everywhere(page, live_server):
    """A text of exactly the limit with many line breaks (sent as CRLF by the browser) is accepted."""
    limit = 20_000
    text = ("The council met on Monday and approved the budget for the schools.\n" * 400)[: limit - 1] + "."
    assert len(text) == limit and text.count("\n") > 250
    page.goto(live_server + "/")
    page.fill("#text", text)
    if page.js:
        assert page.inner_text("#counter") == "20,000 / 20,000 characters"
    page.click("#submit")
    wait_result(page)
    assert page.locator("#result .error").count() == 0, page.inner_text("#result")
    assert "English" in page.inner_text("#detected")
    assert page.input_value("#text") == text
    if not page.js:
        assert page.inner_text("#counter").startswith("20,000 / 20,000 characters")


def test_a_paste_over_the_limit_is_cut_and_says_so(js_page, live_server):
    js_page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    js_page.goto(live_server + "/")
    pasted = ("One line of a long article.\r\n" * 1200)[:30_000]
    js_page.evaluate("(text) => navigator.clipboard.writeText(text)", pasted)
    js_page.focus("#text")
    js_page.keyboard.press("Control+V")
    js_page.wait_for_selector("#text-note:has-text('cut at the limit')")
    assert len(js_page.input_value("#text")) == 20_000
    assert js_page.input_value("#text") == pasted.replace("\r\n", "\n")[:20_000]
    note = js_page.inner_text("#text-note")
    left_out = len(pasted.replace("\r\n", "\n")) - 20_000
    assert note == (
        f"The pasted text was cut at the limit of 20,000 characters: {left_out:,} characters were left out."
    )
    assert js_page.inner_text("#counter") == "20,000 / 20,000 characters"


def test_an_uploaded_file_is_shown_in_the_box_and_removable(js_page, live_server):
    js_page.goto(live_server + "/")
    js_page.fill("#text", "An old draft that must not be sent.")
    content = f"{PAIRS[0][0]}\r\n\r\n{PAIRS[2][0]}"
    js_page.set_input_files("#file", {"name": "story.txt", "mimeType": "text/plain", "buffer": content.encode()})
    js_page.wait_for_selector("#file-chosen:not([hidden])")
    assert js_page.input_value("#text") == content.replace("\r\n", "\n")
    assert "Loaded story.txt" in js_page.inner_text("#file-chosen")
    assert js_page.evaluate("document.getElementById('file').files.length") == 0  # the box is what is sent
    js_page.click("text=Remove story.txt")
    assert js_page.input_value("#text") == "An old draft that must not be sent."
    assert js_page.is_hidden("#file-chosen")
    # Loaded again, edited, sent: the result is the edited text's, not the file's.
    js_page.set_input_files("#file", {"name": "story.txt", "mimeType": "text/plain", "buffer": content.encode()})
    js_page.wait_for_selector("#file-chosen:not([hidden])")
    js_page.fill("#text", PAIRS[1][0])
    js_page.fill("#summary_sentences", "1")
    js_page.click("#submit")
    wait_result(js_page)
    assert js_page.inner_text("#summary-en") == PAIRS[1][1]
    shot(js_page, "file")


def test_an_uploaded_file_without_script_is_sent_and_shown(browser, live_server):
    page = open_page(browser, js=False)
    try:
        page.goto(live_server + "/")
        content = f"{PAIRS[0][0]}\r\n\r\n{PAIRS[2][0]}"
        page.set_input_files("#file", {"name": "story.txt", "mimeType": "text/plain", "buffer": content.encode()})
        page.click("text=Send the file")  # the text box is empty: its `required` does not stop a file
        wait_result(page)
        assert page.input_value("#text") == content.replace("\r\n", "\n")
        assert page.inner_text("#text-note") == "The text of story.txt is in the box."
        assert page.inner_text("#summary-en").strip()
    finally:
        page.context.close()


def test_a_file_too_large_says_the_limit_in_kb(page, live_server):
    page.goto(live_server + "/")
    big = b"a" * 1_100_000
    if page.js:
        page.fill("#text", "Kept text.")
        page.set_input_files("#file", {"name": "big.txt", "mimeType": "text/plain", "buffer": big})
        page.wait_for_selector("#text-note:has-text('KB')")
        assert page.inner_text("#text-note") == "big.txt is too large (1,074 KB): a file can be at most 976 KB."
        assert page.input_value("#text") == "Kept text."
    else:
        page.set_input_files("#file", {"name": "big.txt", "mimeType": "text/plain", "buffer": big})
        page.click("text=Send the file")
        wait_result(page)
        assert "an upload can be at most 976 KB" in page.inner_text("#result .error")
        assert page.locator("#summarize-form").is_visible()  # the form, not a bare error page
    shot(page, "file-too-large")


def test_a_file_over_the_character_limit_says_its_size(browser, live_server):
    page = open_page(browser, js=False)
    try:
        page.goto(live_server + "/")
        body = ("word " * 5000).encode()  # 25,000 characters, under the upload limit in bytes
        page.set_input_files("#file", {"name": "long.txt", "mimeType": "text/plain", "buffer": body})
        page.click("text=Send the file")
        wait_result(page)
        assert page.inner_text("#result .error") == (
            "Could not process this text. The file long.txt (24 KB) has 25,000 characters; the limit is 20,000. "
            "Shorten it and send it again."
        )
    finally:
        page.context.close()


# -- errors ----------------------------------------------------------------------------------------------------


def test_error_is_inline_and_keeps_the_form(page, live_server):
    text = "Le gouvernement a annoncé de nouvelles mesures pour l'économie."
    submit(page, live_server, text, direction="auto")
    error = page.inner_text("#result .error")
    assert "This text looks like French." in error and "'fr'" not in error
    assert page.input_value("#text") == text  # the page and the text are still there
    assert page.locator("#submit").is_enabled()
    shot(page, "error")


def test_an_empty_box_is_refused_by_the_browser(page, live_server):
    page.goto(live_server + "/")
    requests = []
    page.on("request", lambda r: requests.append(r) if r.method == "POST" else None)
    page.click("#submit")
    assert page.evaluate("document.getElementById('text').validity.valueMissing")
    assert page.evaluate("document.activeElement.id") == "text"  # the browser points at the box
    assert requests == [] and page.locator("#result .result").count() == 0


@pytest.mark.parametrize(
    "status, content_type, body, message",
    [
        (502, "text/html", NGINX_502, "The service is not answering right now (502 Bad Gateway)."),
        (504, "text/plain", "upstream request timeout", "The service took too long to answer (504 Gateway Timeout)."),
        (504, "text/html; charset=utf-8", "<html><body><h1>504 Gateway Time-out</h1></body></html>", "(504"),
    ],
)
def test_a_proxy_error_page_becomes_a_readable_message(js_page, live_server, status, content_type, body, message):
    js_page.goto(live_server + "/")
    js_page.route("**/?partial=1", lambda route: route.fulfill(status=status, content_type=content_type, body=body))
    js_page.fill("#text", ENGLISH)
    js_page.click("#submit")
    js_page.wait_for_selector("#result .error")
    shown = js_page.inner_text("#result .error")
    assert message in shown
    assert "<" not in shown and "nginx" not in shown and "upstream" not in shown


# -- working: progress, cancel, no double work ------------------------------------------------------------------


def test_a_long_request_shows_elapsed_time_and_can_be_cancelled(js_page, live_server):
    js_page.goto(live_server + "/")
    js_page.fill("#text", ENGLISH)
    js_page.click("#submit")
    wait_result(js_page)
    held = []
    js_page.route("**/?partial=1", lambda route: held.append(route))  # the answer never comes until the user gives up
    js_page.fill("#text", ENGLISH + " Parks will open later.")
    js_page.click("#submit")
    js_page.wait_for_selector("#elapsed:text-matches('Working… [1-9]')")
    assert js_page.is_visible("#progress") and js_page.is_disabled("#submit")
    assert "stale" in js_page.get_attribute("#result", "class")  # the previous result is dimmed
    assert js_page.get_attribute("#result", "aria-busy") == "true"
    shot(js_page, "working")
    js_page.click("#cancel")
    js_page.wait_for_selector("#progress", state="hidden")
    assert js_page.inner_text("#text-note") == "Cancelled: the previous result is still shown."
    assert js_page.is_enabled("#submit") and "stale" not in (js_page.get_attribute("#result", "class") or "")
    assert js_page.inner_text("#summary-en").startswith("The council approved")
    assert len(held) == 1


def test_a_second_click_does_not_send_again(js_page, live_server):
    """With the script, a click while a request is on its way sends nothing (tests/test_form_server.py covers the
    no-script case: the server runs an identical resubmission once)."""
    js_page.goto(live_server + "/")
    posts = []
    js_page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    held = []
    js_page.route("**/?partial=1", lambda route: held.append(route))
    js_page.fill("#text", ENGLISH)
    js_page.click("#submit")
    js_page.wait_for_selector("#progress:not([hidden])")
    js_page.evaluate("document.getElementById('summarize-form').requestSubmit()")
    assert len(posts) == 1
    held[0].continue_()
    wait_result(js_page)


# -- copying ----------------------------------------------------------------------------------------------------


def test_copy_uses_the_clipboard(js_page, live_server):
    js_page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    submit(js_page, live_server, f"{PAIRS[0][0]} {PAIRS[1][0]}", sentences="2")
    buttons = js_page.locator("#result button.copy")
    assert buttons.all_inner_texts() == [
        "Copy the English summary",
        "Copy the Arabic summary",
        "Copy the English translation",
    ]
    js_page.click("text=Copy the Arabic summary")
    js_page.wait_for_selector("text=Copied")
    assert js_page.evaluate("navigator.clipboard.readText()") == f"{PAIRS[0][0]} {PAIRS[1][0]}"


def test_copy_on_plain_http_selects_the_text(js_page, live_server):
    """At an address that is not localhost over plain HTTP there is no clipboard API: the text is shown selected."""
    port = urlsplit(live_server).port
    submit(js_page, f"http://{PLAIN_HOST}:{port}", f"{PAIRS[0][0]} {PAIRS[1][0]}", sentences="2")
    assert js_page.evaluate("window.isSecureContext") is False
    js_page.click("text=Copy the English summary")
    box = js_page.locator("#result textarea.copybox")
    assert box.input_value() == f"{PAIRS[0][1]} {PAIRS[1][1]}"
    selected = js_page.evaluate("(b) => b.value.slice(b.selectionStart, b.selectionEnd)", box.element_handle())
    assert selected == box.input_value()
    assert js_page.evaluate("document.activeElement.classList.contains('copybox')")
    shot(js_page, "copy-fallback")


# -- what users of translation pages expect ------------------------------------------------------------------------


def test_direction_is_shown_and_swapped(js_page, live_server):
    js_page.goto(live_server + "/")
    checked = lambda: js_page.evaluate("document.querySelector('input[name=direction]:checked').value")
    labels = js_page.locator("fieldset.direction label").all_inner_texts()
    assert [label.strip() for label in labels] == ["Detect the language", "Arabic → English", "English → Arabic"]
    assert checked() == "auto"
    js_page.fill("#text", PAIRS[0][0])  # Arabic: detected, it goes Arabic -> English, so the swap is the other way
    js_page.click("#swap")
    assert checked() == "en-ar"
    assert js_page.is_enabled("#translate")  # "the whole text into Arabic" applies to English -> Arabic only
    js_page.click("#swap")
    assert checked() == "ar-en"
    assert js_page.is_disabled("#translate")
    assert js_page.inner_text("#text-note") == "Direction: Arabic → English."


def test_direction_without_script_is_sent(browser, live_server):
    """The form sends the chosen direction (the server maps it to source_language/target_language: see
    tests/test_form_server.py); an Arabic text told to be Arabic comes back Arabic -> English."""
    page = open_page(browser, js=False)
    try:
        page.goto(live_server + "/")
        page.fill("#text", PAIRS[0][0])
        page.fill("#summary_sentences", "1")
        page.check("input[name=direction][value=ar-en]")
        with page.expect_request(lambda r: r.method == "POST") as sent:
            page.click("#submit")
        wait_result(page)
        body = sent.value.post_data or ""
        assert re.search(r'name="direction"\r\n\r\nar-en\r\n', body), body
        assert page.inner_text("#result-heading") == "Result: Arabic → English"
        assert page.inner_text("#summary-en") == PAIRS[0][1]
        assert page.is_checked("input[name=direction][value=ar-en]")  # the choice is kept
    finally:
        page.context.close()


def test_english_to_arabic_not_installed(js_page, live_server, settings):
    """Without the English->Arabic model its choice is disabled and says why, and there is no swap to it."""
    from summarizer import create_app

    app = create_app(settings.replace(en_ar_model="opus-mt-en-ar", load_abstractive=False))
    without = app.test_client().get("/")
    js_page.route(
        live_server + "/",
        lambda route: route.fulfill(status=200, headers=dict(without.headers), body=without.get_data()),
    )
    errors = []
    js_page.on("pageerror", lambda exc: errors.append(str(exc)))
    js_page.goto(live_server + "/")
    choice = js_page.locator("input[name=direction][value=en-ar]")
    assert choice.is_disabled()
    assert js_page.locator("fieldset.direction label", has=choice).inner_text().strip() == (
        "English → Arabic (not installed on this server)"
    )
    assert js_page.is_checked("input[name=direction][value=auto]")
    assert js_page.is_hidden("#swap")
    assert errors == []


def test_keyboard_only(page, live_server):
    page.goto(live_server + "/")
    for _ in range(10):  # Tab from the top of the page to the text box
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "text":
            break
    assert page.evaluate("document.activeElement.id") == "text"
    page.keyboard.type(ENGLISH)
    if page.js:
        page.keyboard.press("Control+Enter")  # sends from the text box
    else:
        for _ in range(12):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "submit":
                break
        page.keyboard.press("Enter")
    wait_result(page)
    assert page.inner_text("#summary-en").startswith("The council approved")
    if page.js:
        assert page.evaluate("document.activeElement.id") == "result-heading"
        page.keyboard.press("Tab")  # on from the result: its links and buttons
        assert page.evaluate("document.activeElement.closest('#result') !== null")


def test_downloads(page, live_server):
    submit(page, live_server, f"{PAIRS[0][0]} {PAIRS[1][0]}", sentences="1")
    with page.expect_download() as info:
        page.click("text=as JSON")
    data = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert info.value.suggested_filename == "summary.json"
    assert data["detected_language"]["language"] == "ar"
    assert data["summary"]["english"] == PAIRS[0][1]
    assert [s["translation"] for s in data["sentences"]] == [PAIRS[0][1], PAIRS[1][1]]
    with page.expect_download() as info:
        page.click("text=as plain text")
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert info.value.suggested_filename == "summary.txt"
    assert text.startswith("Detected language: Arabic\nDirection: Arabic → English\n")
    assert f"Summary (English)\n{PAIRS[0][1]}\n" in text and f"Summary (Arabic)\n{PAIRS[0][0]}\n" in text
    assert f"Translation (English)\n{PAIRS[0][1]} {PAIRS[1][1]}\n" in text


def test_text_is_kept_across_a_reload(js_page, live_server):
    """Kept for a reload of the tab, not beyond it: another tab (or the browser after the tab is closed, on a shared
    computer) does not get the article."""
    js_page.goto(live_server + "/")
    js_page.fill("#text", ENGLISH)
    wait_until(lambda: js_page.evaluate("sessionStorage.getItem('summarizer.text')"), 10, "the text stored")
    js_page.reload()
    assert js_page.input_value("#text") == ENGLISH
    assert js_page.inner_text("#counter") == f"{len(ENGLISH)} / 20,000 characters"
    assert js_page.evaluate("localStorage.getItem('summarizer.text')") is None
    other = js_page.context.new_page()
    other.goto(live_server + "/")
    assert other.input_value("#text") == ""


def test_the_status_note_stays_rendered_while_empty(page, live_server):
    """#text-note is a live region: hidden while empty, what is put in it later may not be announced."""
    page.goto(live_server + "/")
    assert page.inner_text("#text-note") == ""
    assert page.evaluate("getComputedStyle(document.getElementById('text-note')).display") != "none"
    assert page.get_by_role("status").count() == 1  # in the accessibility tree


def test_favicon(js_page, live_server):
    js_page.goto(live_server + "/")
    href = js_page.get_attribute("link[rel=icon]", "href")
    response = js_page.request.get(live_server + href)
    assert response.status == 200 and response.headers["content-type"].startswith("image/svg+xml")
    assert response.text().startswith("<svg")


def test_dark_mode_follows_the_system(browser, live_server):
    page = open_page(browser, color_scheme="dark")
    try:
        submit(page, live_server, f"{PAIRS[0][0]} {PAIRS[1][0]}", sentences="1")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        ink = page.evaluate("getComputedStyle(document.body).color")
        assert luminance(background) < 0.05 and luminance(ink) > 0.6, (background, ink)
        shot(page, "dark")
    finally:
        page.context.close()


# -- phones ---------------------------------------------------------------------------------------------------------


def test_phone_layout(phone, live_server, article_text):
    phone.goto(live_server + "/")
    sizes = phone.evaluate(
        "[...document.querySelectorAll('textarea, input:not([type=radio]):not([type=checkbox]):not([type=hidden]),"
        " select')].map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert sizes and min(sizes) >= 16, sizes  # phones zoom into a field under 16 px
    phone.fill("#text", article_text)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing sticks out
    box = phone.locator("#submit").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    if phone.js:
        phone.locator("#submit").tap()
    else:
        phone.click("#submit")
    wait_result(phone)
    assert in_viewport(phone, "#result-heading")  # the result is brought into view, not left below the fold
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The side-by-side table as stacked pairs: each cell as wide as the card, labelled with its language.
    cells = phone.locator(".alignment tbody tr").first.locator("td")
    widths = [cells.nth(i).bounding_box()["width"] for i in range(2)]
    assert min(widths) > PHONE["width"] * 0.7, widths
    assert cells.nth(0).bounding_box()["y"] < cells.nth(1).bounding_box()["y"]
    labels = phone.evaluate(
        "[...document.querySelectorAll('.alignment tbody tr:first-child td')]"
        ".map(td => getComputedStyle(td, '::before').content)"
    )
    assert labels == ['"English"', '"العربية"']
    shot(phone, "phone")


def luminance(css_color: str) -> float:
    """Relative luminance (WCAG) of an rgb()/rgba() colour."""
    r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", css_color)[:3])
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two CSS colours."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
