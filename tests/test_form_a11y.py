"""Accessibility of the web form in Chromium: axe-core (from npm, tests/package.json) finds no violation, and the
checks axe does not make: one announcement of a result, no hidden copies read twice, 3:1 control borders, lang and
dir on every Arabic block."""

from pathlib import Path

import pytest

from helpers import require
from test_browser import DESKTOP, PHONE, browser, contrast, open_page, shot, submit  # noqa: F401 (browser: fixture)
from tinymodels import PAIRS

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
ARABIC_TEXT = f"{PAIRS[0][0]} {PAIRS[1][0]}\n\n{PAIRS[2][0]}"


def axe_violations(page) -> list[dict]:
    """What axe-core finds wrong on the page as it is now (its WCAG A/AA rules and best practices)."""
    require(AXE.exists(), f"axe-core is not installed at {AXE} (npm ci --prefix tests)")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")
    return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]} for v in found]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_axe_finds_nothing_with_a_result(browser, live_server, size, scheme):  # noqa: F811
    # The page's Content-Security-Policy allows no inline script; axe is injected as one, so this context lets it in.
    page = open_page(browser, viewport=DESKTOP if size == "desktop" else PHONE, color_scheme=scheme, bypass_csp=True)
    try:
        submit(page, live_server, ARABIC_TEXT, sentences="2")
        assert page.locator("#result .alignment").is_visible()
        assert axe_violations(page) == []
        shot(page, f"axe-{size}-{scheme}")
    finally:
        page.context.close()


def test_axe_finds_nothing_with_an_error(browser, live_server):  # noqa: F811
    page = open_page(browser, bypass_csp=True)
    try:
        submit(page, live_server, "Le gouvernement a annoncé de nouvelles mesures pour l'économie.")
        assert page.locator("#result .error").is_visible()
        assert axe_violations(page) == []
    finally:
        page.context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_announced_once_and_no_hidden_copy_read(browser, live_server, js):  # noqa: F811
    page = open_page(browser, js=js)
    try:
        page.goto(live_server + "/")
        # Typing announces nothing: the counter is described by the box, not a live region.
        live = page.evaluate(
            "[...document.querySelectorAll('[aria-live], [role=status], [role=alert]')].map(e => e.id)"
        )
        assert "counter" not in live and "result" not in live
        submit(page, live_server, f"{PAIRS[0][0]} {PAIRS[1][0]}", sentences="1")
        tree = page.locator("main").aria_snapshot()
        # The whole translation is kept for the copy button in a hidden element, which is not read out.
        assert f"{PAIRS[0][1]} {PAIRS[1][1]}" not in tree
        assert tree.count(f'cell "{PAIRS[1][1]}"') == 1  # once: its row of the table
        if js:  # buttons say what they copy
            for name in ("Copy the English summary", "Copy the Arabic summary", "Copy the English translation"):
                assert f'button "{name}"' in tree
    finally:
        page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_control_borders_have_3_to_1_contrast(browser, live_server, scheme):  # noqa: F811
    page = open_page(browser, color_scheme=scheme)
    try:
        submit(page, live_server, f"{PAIRS[0][0]} {PAIRS[1][0]}", sentences="1")
        pairs = page.evaluate(
            """() => {
              const card = getComputedStyle(document.getElementById('summarize-form')).backgroundColor;
              const controls = document.querySelectorAll(
                'textarea, input[type=number], select, button#swap, button.copy, button#submit');
              return [...controls].map(e => [e.id || e.className || e.tagName, getComputedStyle(e).borderTopColor, card]);
            }"""
        )
        assert len(pairs) >= 6
        low = [
            (name, border, round(contrast(border, card), 2))
            for name, border, card in pairs
            if not border.endswith(", 0)") and contrast(border, card) < 3
        ]
        assert low == []
    finally:
        page.context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_every_arabic_block_has_lang_and_dir(browser, live_server, article_text, js):  # noqa: F811
    page = open_page(browser, js=js)
    try:
        submit(page, live_server, article_text)
        wrong = page.evaluate(
            """() => {
              const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
              const wrong = [];
              for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                const el = n.parentElement;
                if (!/\\p{Script=Arabic}/u.test(n.textContent) || el.closest('textarea')) continue;
                const lang = el.closest('[lang]').getAttribute('lang'), dir = el.closest('[dir]');
                if (lang !== 'ar' || !dir || dir.getAttribute('dir') !== 'rtl') wrong.push(el.outerHTML.slice(0, 80));
              }
              return wrong;
            }"""
        )
        assert wrong == []
        assert page.locator("#result h4[lang=ar][dir=rtl]").count() == 1  # the heading of the Arabic summary
    finally:
        page.context.close()
