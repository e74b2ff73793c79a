"""LibreTranslate's API at the root: its real Python client, Mastodon's request, HTML, keys, limits, errors."""

from html.parser import HTMLParser

import lxml.html
import pytest
from libretranslatepy import LibreTranslateAPI
from openapi_schema_validator import OAS31Validator

from summarizer import create_app
from summarizer.config import Settings
from summarizer.html_text import HtmlDocument
from summarizer.libretranslate import translate_html
from summarizer.security import KeyStore
from tinymodels import PAIRS

S = [src for src, _ in PAIRS]
T = [tgt for _, tgt in PAIRS]


def translate(client, q, **fields):
    """POST /translate as JSON; returns the response."""
    return client.post("/translate", json={"q": q, "source": "auto", "target": "en", **fields})


def translated_html(client, html, source="auto"):
    response = translate(client, html, source=source, format="html")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["translatedText"]


def visible_text(html: str, between_nodes: str = "") -> str:
    """The text a reader sees, spacing collapsed; between_nodes=" " keeps the text of separate blocks apart."""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return " ".join(between_nodes.join(root.itertext()).split())


def tags(html: str) -> list:
    """Every element's name and attributes, in document order."""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return [(el.tag, dict(el.attrib)) for el in root.iter() if el is not root and isinstance(el.tag, str)]


# -- the real client against the real server ------------------------------------------------------


def test_libretranslatepy_client(live_server):
    client = LibreTranslateAPI(live_server)
    for source, target in PAIRS[:6]:
        assert client.translate(source, "ar", "en") == target
        assert client.translate(source, "auto", "en") == target
    assert client.translate(T[1], "en", "en") == T[1]
    detected = client.detect(S[2])
    assert detected[0]["language"] == "ar" and 0 < detected[0]["confidence"] <= 100
    assert client.detect("The attack caused no deaths.")[0]["language"] == "en"
    assert {"code": "ar", "name": "Arabic", "targets": ["en"]} in client.languages()


# -- Mastodon ------------------------------------------------------------------------------------

LINK = (
    '<a href="https://example.com/news?id=1&amp;p=2" rel="nofollow noopener" target="_blank">'
    '<span class="invisible">https://</span><span class="">example.com/news?id=1&amp;p=2</span>'
    '<span class="invisible"></span></a>'
)
MENTION = '<span class="h-card" translate="no"><a href="https://x.example/@ali" class="u-url mention">@<span>ali</span></a></span>'
HASHTAG = '<a href="https://x.example/tags/news" class="mention hashtag" rel="tag">#<span>news</span></a>'


def test_mastodons_request(client, spec):
    posts = [f"<p>{S[0]}<br>{S[1]} {LINK}</p>", f"<p>{MENTION} {S[2]} {HASHTAG} {S[3]}</p><p>{S[4]}</p>"]
    # Exactly what Mastodon's LibreTranslate service sends: JSON, a list of HTML texts, source auto, no key.
    response = client.post(
        "/translate",
        data=f'{{"q":{_json(posts)},"source":"auto","target":"en","format":"html","api_key":null}}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200
    body = response.get_json()
    expected = posts
    for source, target in PAIRS[:5]:
        expected = [html.replace(source, target) for html in expected]
    assert body["translatedText"] == expected  # every tag, attribute and entity as sent; the text translated
    assert [d["language"] for d in body["detectedLanguage"]] == ["ar", "ar"]
    assert all(0 < d["confidence"] <= 100 for d in body["detectedLanguage"])
    check(spec, "/translate", response)


def _json(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def test_discourses_requests(client):
    # Discourse's LibreTranslate provider: /detect on the post's text, /languages for both codes, then /translate
    # of the cooked HTML; every POST form-encoded, with api_key sent empty when none is set.
    detected = client.post("/detect", data=f"q={S[0]} {S[1]}&api_key", content_type="application/x-www-form-urlencoded")
    language = detected.get_json()[0]["language"]
    codes = {entry["code"] for entry in client.get("/languages").get_json()}
    assert language == "ar" and {"ar", "en"} <= codes
    cooked = (
        f'<p>{S[0]} <a href="/t/1">{S[1]}</a></p>\n<aside class="quote"><blockquote><p>{S[2]}</p></blockquote></aside>'
    )
    response = client.post(
        "/translate", data={"q": cooked, "source": language, "target": "en", "format": "html", "api_key": ""}
    )
    assert response.get_json() == {"translatedText": cooked.replace(S[0], T[0]).replace(S[1], T[1]).replace(S[2], T[2])}


# -- HTML ----------------------------------------------------------------------------------------


def test_a_sentence_across_nested_inline_tags_is_translated_whole(client):
    words = S[0].split()  # أعلن الجيش الأمريكي إصابة ثمانية جنود.
    html = (
        f'<p dir="rtl">{words[0]} <a href="/army?x=1&amp;y=2" title="army"><b>{words[1]}</b> {words[2]}</a> '
        f"{words[3]} <em>{words[4]}</em> {words[5]}</p>"
    )
    out = translated_html(client, html)
    assert visible_text(out) == T[0]  # the whole sentence's translation, not fragments translated apart
    assert tags(out) == tags(html)  # same elements, same attributes, same order
    root = lxml.html.fragment_fromstring(out, create_parent="div")
    assert all(el.text_content().strip() for el in root.iter("a", "b", "em"))  # no tag left empty
    assert 'href="/army?x=1&amp;y=2"' in out


def test_sentences_in_and_around_inline_tags(client):
    html = f"<div><p>{S[0]} <strong>{S[1]}</strong> {S[2]}</p><ul><li>{S[3]}</li><li><i>{S[4]}</i></li></ul></div>"
    expected = html
    for source, target in PAIRS[:5]:
        expected = expected.replace(source, target)
    assert translated_html(client, html) == expected


def test_entities_are_kept(client):
    html = (
        f'<p title="a &amp; b">{S[0]} &amp; &lt;&gt; 5 &gt; 3.&nbsp;{S[1]}</p><p><a href="/?a=1&amp;b=2">&amp;</a></p>'
    )
    assert translated_html(client, html, source="ar") == html.replace(S[0], T[0]).replace(S[1], T[1])


def test_script_style_pre_and_code_are_left_untouched(client):
    untouched = (
        '<script>if (a < b && c) { document.write("<p>" + x); }</script>'
        "<style>p > b { color: red; }</style>"
        f"<pre>  {S[1]}\n  &lt;kept&gt;</pre>"
    )
    html = f"<p>{S[0]}</p>{untouched}<p>{S[2]} <code>{S[3]}</code></p>"
    response = translate(client, html, format="html")
    assert response.get_json()["translatedText"] == f"<p>{T[0]}</p>{untouched}<p>{T[2]} <code>{S[3]}</code></p>"
    # The answer is JSON, never a page a browser would run a script from.
    assert (
        response.mimetype == "application/json" and "script-src 'self'" in response.headers["Content-Security-Policy"]
    )


def test_the_response_can_carry_no_markup_the_client_did_not_send():
    document = HtmlDocument(f"<p>{S[0]} <b>{S[1]}</b></p>")
    document.apply([(S[0], '<script>alert("x")</script> <img src=x onerror=alert(1)>'), (S[1], "B & <i>")])
    out = document.serialize()
    assert tags(out) == [("p", {}), ("b", {})]
    assert "&lt;script&gt;" in out and "&lt;img" in out and "B &amp; &lt;i&gt;" in out


@pytest.mark.parametrize(
    "html, translation, expected",
    [
        # A name or number the translation copies keeps its tag, wherever the translation moved it.
        (
            "<p>قال حلف <b>NATO</b> إن الهجوم كان كبيرا.</p>",
            "The attack was big, NATO said.",
            "<p>The attack was big, <b>NATO</b> said.</p>",
        ),
        (
            '<p>قتل <a href="/n">20</a> شخصا.</p>',
            "20 people were killed.",
            '<p> <a href="/n">20</a> people were killed.</p>',
        ),
        # Otherwise the words are shared in proportion to the text each node held; no link is left empty.
        (
            '<p>قال <a href="/s">المتحدث</a> إن الضربة كانت دفاعا.</p>',
            "The spokesman said the strike was defensive.",
            '<p>The <a href="/s">spokesman</a> said the strike was defensive.</p>',
        ),
    ],
)
def test_where_the_words_of_a_sentence_across_tags_go(html, translation, expected):
    document = HtmlDocument(html)
    source = " ".join(document.texts())
    document.apply([(source, translation)])
    assert document.serialize() == expected


class _Balance(HTMLParser):
    """Counts what a real HTML tokenizer sees: every non-void start tag must be closed, in order."""

    VOID = frozenset({"br", "img", "hr", "input", "meta", "link", "wbr"})

    def __init__(self):
        super().__init__()
        self.stack, self.ok = [], True

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.ok = False


@pytest.mark.parametrize(
    "html, sentences",
    [
        (f"<p>{S[0]} <b>{S[1]}</p> <div>{S[2]}</span></i>", 3),
        (f"<p>{S[0]}<p>{S[1]}<li>{S[2]}", 3),
        (f"</div>{S[0]} <em>{S[1]}", 2),
        (f"<p>{S[0]} <a href='/x'>{S[1]}</p></a>", 2),
    ],
)
def test_malformed_html_comes_back_well_formed(client, html, sentences):
    out = translated_html(client, html)
    checker = _Balance()
    checker.feed(out)
    checker.close()
    assert checker.ok and not checker.stack, out
    assert visible_text(out, between_nodes=" ") == " ".join(T[:sentences])


def test_html_without_words_and_html_in_english(client):
    assert translated_html(client, "<p> 12 &amp; 13 </p><hr>") == "<p> 12 &amp; 13 </p><hr>"
    odd = "<P CLASS=x>The attack caused no deaths.<BR/></p>"
    response = translate(client, odd, format="html")
    assert response.get_json() == {"translatedText": odd, "detectedLanguage": response.get_json()["detectedLanguage"]}
    assert response.get_json()["detectedLanguage"]["language"] == "en"
    assert translated_html(client, odd, source="en") == odd


@pytest.mark.parametrize("one_call", [True, False], ids=["one-chunk", "chunk-per-block"])
def test_a_block_in_another_script_is_kept_as_it_is(pipeline, settings, one_call):
    # Under source "ar", a block in Latin script (a note, a line of code) is kept and the Arabic around it is
    # still translated: whether the blocks go to the pipeline together (the English is most of the letters, so
    # the whole is refused) or one by one.
    note = "Posted by the newsroom desk of our partner agency, with reporting from the field and from the wires."
    html = f"<p>{S[0]}</p><p>{note}</p><p>{S[1]}</p>"
    limit = settings.max_chars if one_call else len(S[0]) + 5
    translated, detected = translate_html(pipeline, html, "ar", limit=limit)
    assert translated == f"<p>{T[0]}</p><p>{note}</p><p>{T[1]}</p>" and detected is None


def test_a_document_of_twenty_thousand_characters(client, settings):
    paragraphs, size = [], 0
    while size < settings.max_chars - 200:
        paragraph = f"<p>{S[len(paragraphs) % 6]}</p>\n"
        paragraphs.append(paragraph)
        size += len(paragraph)
    html = "".join(paragraphs)
    out = translated_html(client, html, source="ar")
    assert out.count("<p>") == len(paragraphs)
    for i in range(6):
        assert out.count(f"<p>{T[i]}</p>") == len(paragraphs[i::6])
    too_long = html + "<p>" + "ب" * 300 + "</p>"
    response = translate(client, too_long, format="html")
    assert response.status_code == 400
    assert response.get_json() == {
        "error": f"Invalid request: 'q' has {len(too_long)} characters; the limit is {settings.max_chars}"
    }


def test_a_full_document_keeps_its_head_and_doctype(client):
    html = f'<!DOCTYPE html>\n<html lang="ar"><head><meta charset="utf-8"><title>{S[4]}</title></head><body><p>{S[5]}</p></body></html>'
    out = translated_html(client, html)
    assert out == html.replace(S[4], T[4]).replace(S[5], T[5])


# -- text, forms, the other routes ----------------------------------------------------------------


def test_text_single_list_and_form(client, spec):
    response = translate(client, S[0], source="ar")
    assert response.get_json() == {"translatedText": T[0]}
    check(spec, "/translate", response)
    response = translate(client, [S[1], "", S[2]])
    body = response.get_json()
    assert body["translatedText"] == [T[1], "", T[2]]
    assert [d["language"] for d in body["detectedLanguage"]] == ["ar", "und", "ar"]
    check(spec, "/translate", response)
    form = client.post("/translate", data={"q": [S[3], S[4]], "source": "ar", "target": "en"})
    assert form.get_json() == {"translatedText": [T[3], T[4]]}
    query = client.post(f"/translate?q={S[5]}&source=auto&target=en")
    assert query.get_json()["translatedText"] == T[5]
    english = "The summary is short.\n\nIt stays  as it came."
    assert translate(client, english, source="en").get_json() == {"translatedText": english}
    with_alternatives = translate(client, S[0], source="ar", alternatives=3).get_json()
    assert with_alternatives == {"translatedText": T[0], "alternatives": []}


def test_detect_languages_and_settings(client, spec, settings):
    response = client.post("/detect", data={"q": S[0]})
    assert response.status_code == 200
    assert response.get_json()[0]["language"] == "ar"
    check(spec, "/detect", response)
    assert client.post("/detect", json={"q": "The minister arrived in Baghdad."}).get_json()[0]["language"] == "en"
    languages = client.get("/languages")
    assert languages.get_json() == [
        {"code": "ar", "name": "Arabic", "targets": ["en"]},
        {"code": "en", "name": "English", "targets": ["en", "ar"]},  # the English->Arabic model is loaded
    ]
    check(spec, "/languages", languages, "get")
    front = client.get("/frontend/settings")
    body = front.get_json()
    assert body["charLimit"] == settings.max_chars and body["keyRequired"] is False
    assert body["suggestions"] is False and body["supportedFilesFormat"] == []
    assert body["language"]["target"]["code"] == "en"
    check(spec, "/frontend/settings", front, "get")


@pytest.mark.parametrize(
    "body, message",
    [
        ({"source": "ar", "target": "en"}, "Invalid request: missing q parameter"),
        ({"q": S[0], "target": "en"}, "Invalid request: missing source parameter"),
        ({"q": S[0], "source": "ar"}, "Invalid request: missing target parameter"),
        ({"q": S[0], "source": "fr", "target": "en"}, "'source' must be one of ['auto', 'ar', 'en'], not 'fr'"),
        ({"q": S[0], "source": "ar", "target": "de"}, "'target' must be one of ['en', 'ar'], not 'de'"),
        (
            {"q": S[0], "source": "ar", "target": "en", "format": "pdf"},
            "'format' must be one of ['text', 'html'], not 'pdf'",
        ),
        ({"q": 7, "source": "ar", "target": "en"}, "'q' must be a string or a list of strings"),
        ({"q": [S[0], None], "source": "ar", "target": "en"}, "'q' must be a string or a list of strings"),
        (
            {"q": S[0], "source": "ar", "target": "en", "alternatives": -1},
            "'alternatives' must be a whole number, 0 or more",
        ),
        ({"q": [S[0]] * 17, "source": "ar", "target": "en"}, "Invalid request: 'q' has 17 texts; the limit is 16"),
        (
            {"q": "Bonjour tout le monde, comment allez-vous aujourd'hui ?", "source": "auto", "target": "en"},
            "Detected language 'fr' is not supported",
        ),
    ],
)
def test_bad_requests_are_400_in_libretranslates_shape(client, spec, body, message):
    response = client.post("/translate", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"].startswith(message)
    check(spec, "/translate", response)


def test_api_v1_keeps_its_own_error_shape(client):
    ours = client.post("/api/v1/translate", json={"q": S[0]}).get_json()
    assert ours["error"]["code"] == "invalid_input"
    assert client.post("/translate", data="{not json", headers={"Content-Type": "application/json"}).get_json() == {
        "error": "The body is not valid JSON"
    }
    assert client.post("/detect", json={}).get_json() == {"error": "Invalid request: missing q parameter"}


# -- keys, limits, the switch ---------------------------------------------------------------------


def test_api_keys_in_the_body_or_the_query(settings, pipeline, tmp_path):
    store = KeyStore(tmp_path / "keys.json")
    key = store.add("mastodon")
    client = create_app(settings.replace(api_keys_file=str(store.path)), pipeline=pipeline).test_client()
    fields = {"q": S[0], "source": "ar", "target": "en"}
    for wrong in ({}, {"api_key": None}, {"api_key": "sk_wrong"}):
        response = client.post("/translate", json={**fields, **wrong})
        assert response.status_code == 403
        assert "API key" in response.get_json()["error"]
    assert client.post("/translate?api_key=sk_wrong", json=fields).status_code == 403
    assert client.post("/detect", data={"q": S[0], "api_key": "sk_wrong"}).status_code == 403
    assert client.post("/translate", json={**fields, "api_key": key}).get_json() == {"translatedText": T[0]}
    assert client.post(f"/translate?api_key={key}", json={**fields, "api_key": None}).status_code == 200
    assert client.post("/translate", data={**fields, "api_key": key}).status_code == 200
    assert client.post(f"/detect?api_key={key}", data={"q": S[0]}).status_code == 200
    assert client.get("/languages").status_code == 200  # Mastodon asks for the languages without its key
    assert client.get("/frontend/settings").get_json()["keyRequired"] is True


def test_rate_limit_is_429_in_libretranslates_shape(settings, pipeline):
    client = create_app(settings.replace(rate_limit="2 per minute"), pipeline=pipeline).test_client()
    fields = {"q": S[0], "source": "ar", "target": "en"}
    statuses = [client.post("/translate", json=fields).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = client.post("/translate", json=fields)
    assert response.get_json()["error"].startswith("Slow down")
    assert int(response.headers["Retry-After"]) > 0


def test_switched_off_by_the_environment(settings, pipeline, monkeypatch):
    monkeypatch.setenv("SUMMARIZER_LIBRETRANSLATE_API", "false")
    switched = settings.replace(libretranslate_api=Settings.from_env().libretranslate_api)
    client = create_app(switched, pipeline=pipeline).test_client()
    assert client.post("/translate", json={"q": S[0], "source": "ar", "target": "en"}).status_code == 404
    assert client.get("/languages").status_code == 404
    assert "/translate" not in client.get("/api/v1/openapi.json").get_json()["paths"]
    assert client.post("/api/v1/translate", json={"text": S[0]}).get_json()["translation"] == T[0]


# -- the OpenAPI document -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def check(spec, path, response, method="post"):
    """Validate a real response against the schema documented for its status."""
    documented = spec["paths"][path][method]["responses"][str(response.status_code)]
    schema = {**documented["content"]["application/json"]["schema"], "components": spec["components"]}
    OAS31Validator(schema).validate(response.get_json())


def test_listed_in_the_openapi_document(spec):
    from openapi_spec_validator import validate

    validate(spec)
    assert {"/translate", "/detect", "/languages", "/frontend/settings"} <= set(spec["paths"])
