"""The form's server side through Flask's test client: errors in words for people, line breaks counted once, an
identical resubmission run once, Latin runs isolated inside Arabic, the plain-text download."""

import html
import io
import re
import threading

import pytest

from summarizer import create_app
from summarizer.errors import DeadlineExceeded
from summarizer.web import RecentSubmissions, as_text, isolate_latin
from tinymodels import EN_AR_PAIRS, PAIRS


def post(client, **fields):
    return client.post("/", data=fields, content_type="multipart/form-data")


def error_of(response) -> str:
    match = re.search(
        r'<div class="error"[^>]*><strong>Could not process this text.</strong> (.*?)</div>', response.text
    )
    assert match, response.text
    return match.group(1)


@pytest.mark.parametrize(
    "text, status, message",
    [
        ("   \r\n ", 400, "Paste or type a text (Arabic or English), or choose a .txt file."),
        (
            "Le gouvernement a annoncé de nouvelles mesures économiques pour le pays.",
            422,
            "This text looks like French.",
        ),
        (
            "دولت جمهوری اسلامی ایران امروز گفت که برنامه‌های جدیدی برای اقتصاد کشور دارد",
            422,
            # Arabic letters, but not Arabic: choosing a direction would not help, so it is not suggested.
            "This text looks like Persian. The service reads Arabic and English only.",
        ),
        ("12345 67 !!! 2024", 422, "This text has no letters. Paste or type a text in Arabic or English."),
    ],
)
def test_errors_in_words_for_people(client, text, status, message):
    response = post(client, text=text)
    assert response.status_code == status
    assert message in error_of(response)
    assert "'fr'" not in response.text and "'fa'" not in response.text
    assert 'id="summarize-form"' in response.text  # the form is still there, with the text
    if text.strip():
        assert f">{text}</textarea>" in response.text


@pytest.mark.parametrize(
    "text, direction, message",
    [
        (
            "The council met on Monday to discuss the budget.",
            "ar-en",
            "This text is not in Arabic: it looks like English.",
        ),
        (PAIRS[0][0], "en-ar", "This text is not in English: it looks like Arabic."),
    ],
)
def test_a_direction_the_text_cannot_be_in_is_refused_in_words(client, text, direction, message):
    response = post(client, text=text, direction=direction)
    assert response.status_code == 422
    assert html.unescape(error_of(response)).startswith(message)


def test_a_field_error_names_the_field_as_the_form_labels_it(client):
    response = post(client, text="The council met.", summary_sentences="many")
    assert response.status_code == 400
    assert error_of(response) == "Summary length must be an integer from 1 to 100."


def test_an_unknown_direction_is_refused(client):
    response = post(client, text="The council met.", direction="fr-en")
    assert response.status_code == 400
    assert "Choose a direction" in error_of(response)


def test_line_breaks_are_counted_once(client, settings):
    limit = settings.max_chars
    text = ("A line of the article.\r\n" * limit)[: limit + limit // 20]
    fitting = text.replace("\r\n", "\n")[:limit]
    assert len(fitting.replace("\n", "\r\n")) > limit  # over the limit if CRLF counted two
    response = post(client, text=fitting.replace("\n", "\r\n"), summary_sentences="1")
    assert response.status_code == 200, error_of(response)
    over = fitting + "x"
    response = post(client, text=over.replace("\n", "\r\n"))
    assert response.status_code == 413
    assert error_of(response) == (
        f"The text has {limit + 1:,} characters; the limit is {limit:,}. Shorten it and send it again."
    )


def test_a_file_over_the_character_limit_says_its_size_in_kb(client, settings):
    body = ("word " * (settings.max_chars // 4)).encode()
    response = client.post(
        "/", data={"text": "", "file": (io.BytesIO(body), "long.txt")}, content_type="multipart/form-data"
    )
    assert response.status_code == 413
    assert error_of(response) == (
        f"The file long.txt ({round(len(body) / 1024)} KB) has {len(body):,} characters; "
        f"the limit is {settings.max_chars:,}. Shorten it and send it again."
    )


def test_a_body_over_the_limit_shows_the_form_with_the_limit_in_kb(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        "/",
        data={"text": "", "file": (io.BytesIO(b"a" * (limit + 1)), "big.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert error_of(response) == f"The file is too large: an upload can be at most {limit // 1024:,} KB."
    assert 'id="summarize-form"' in response.text


def test_an_identical_resubmission_runs_once(app, pipeline, monkeypatch):
    """Two clicks on the submit button without the script: the second post, the same page token and the same
    fields, waits for the first run and shows its result; a changed text runs again."""
    calls, entered, release = [], threading.Event(), threading.Event()
    process = pipeline.process

    def counting(text, options):
        calls.append(text)
        entered.set()
        assert release.wait(30)
        return process(text, options)

    monkeypatch.setattr(pipeline, "process", counting)
    fields = {"text": f"{PAIRS[0][0]} {PAIRS[1][0]}", "summary_sentences": "1", "submission": "page-token-1"}
    answers = []

    def send():
        answers.append(post(app.test_client(), **fields))

    first = threading.Thread(target=send)
    first.start()
    assert entered.wait(30)
    second = threading.Thread(target=send)
    second.start()
    release.set()
    first.join(30)
    second.join(30)
    assert len(calls) == 1
    assert [a.status_code for a in answers] == [200, 200]
    results = [a.text[a.text.index('<div class="result"') :] for a in answers]
    assert results[0] == results[1] and PAIRS[0][1] in results[0]
    post(app.test_client(), **dict(fields, text=PAIRS[2][0]))
    assert len(calls) == 2


def test_isolate_latin_wraps_runs_and_escapes():
    text = "قال John Smith إن C++ و<script>x</script> نمت 5.2% في 2024."
    assert str(isolate_latin(text)) == (
        "قال <bdi>John Smith</bdi> إن <bdi>C++</bdi> و&lt;<bdi>script</bdi>&gt;<bdi>x</bdi>&lt;/<bdi>script</bdi>&gt; "
        "نمت <bdi>5.2%</bdi> في <bdi>2024</bdi>."
    )
    assert str(isolate_latin(None)) == ""


def test_isolate_latin_keeps_an_abbreviations_period_inside():
    assert str(isolate_latin("زار الرئيس U.S. أمس")) == "زار الرئيس <bdi>U.S.</bdi> أمس"
    assert str(isolate_latin("قال e.g. هنا")) == "قال <bdi>e.g.</bdi> هنا"
    # A sentence's own period after a word or a figure stays outside.
    assert str(isolate_latin("قال John Smith.")) == "قال <bdi>John Smith</bdi>."
    assert str(isolate_latin("نمت 5.2.")) == "نمت <bdi>5.2</bdi>."


def test_the_plain_text_download(pipeline):
    from summarizer.schemas import Options

    result = pipeline.process(f"{PAIRS[0][0]} {PAIRS[1][0]}", Options(summary_sentences=1))
    assert as_text(result) == (
        "Detected language: Arabic\nDirection: Arabic → English\n\n"
        f"Summary (English)\n{PAIRS[0][1]}\n\nSummary (Arabic)\n{PAIRS[0][0]}\n\n"
        f"Translation (English)\n{PAIRS[0][1]} {PAIRS[1][1]}\n"
    )


def test_english_to_arabic_from_the_direction_field(client):
    english = [en for en, _ in EN_AR_PAIRS[:2]]
    response = post(client, text=" ".join(english), direction="en-ar", translate="full", summary_sentences="1")
    assert response.status_code == 200, error_of(response)
    for _, arabic in EN_AR_PAIRS[:2]:
        assert f'<td dir="rtl" lang="ar" data-label="العربية">{arabic}</td>' in response.text
    assert "Result: English → Arabic" in response.text
    # "translate" applies to English -> Arabic only: with another direction it is not sent on.
    response = post(client, text=" ".join(english), direction="auto", translate="full")
    assert response.status_code == 200 and "Result: English</h2>" in response.text


def test_english_to_arabic_without_its_model(settings):
    """The form disables the choice and, if it is sent anyway, speaks to people; the API keeps the command."""
    app = create_app(settings.replace(en_ar_model="opus-mt-en-ar", load_abstractive=False))
    client = app.test_client()
    page = client.get("/").text
    radio = re.search(
        r'<label class="unavailable"><input type="radio" name="direction" value="en-ar"[^>]*>([^<]*)<', page
    )
    assert radio and " disabled" in radio.group(0)
    assert radio.group(1).strip() == "English → Arabic (not installed on this server)"
    response = post(client, text=EN_AR_PAIRS[0][0], direction="en-ar")
    assert response.status_code == 503
    assert error_of(response) == "English → Arabic is not installed on this server; ask its operator."
    assert "python -m summarizer" not in response.text
    assert f">{EN_AR_PAIRS[0][0]}</textarea>" in response.text
    assert 'value="auto" checked' in response.text  # a choice that can be sent is checked
    api = client.post("/api/v1/summarize", json={"text": EN_AR_PAIRS[0][0], "target_language": "ar"})
    assert api.status_code == 503
    assert "python -m summarizer models pull opus-mt-en-ar" in api.get_json()["error"]["message"]


def test_english_to_arabic_is_offered_when_its_model_is_loaded(client):
    page = client.get("/").text
    assert re.search(r'<label><input type="radio" name="direction" value="en-ar" > English → Arabic</label>', page)
    assert "not installed" not in page
    # The abstractive summary is written in English, and translated when the direction is English -> Arabic.
    assert ">Abstractive (written in English; translated for English → Arabic)</option>" in page
    assert "English only" not in page


@pytest.mark.parametrize(
    "body, message",
    [
        ({"text": 5}, "The text could not be read: paste or type plain text."),
        ({"text": ["a"]}, "The text could not be read: paste or type plain text."),
        ({"text": "The council met.", "direction": [1]}, "Choose a direction"),
        ({"text": "The council met.", "direction": 5}, "Choose a direction"),
        ({"text": "The council met.", "submission": [1]}, "must be the page&#39;s token"),
        ({"text": "The council met.", "submission": {"a": 1}}, "must be the page&#39;s token"),
        ({"direction": "auto"}, "Paste or type a text"),
    ],
)
def test_a_json_body_with_wrong_types_is_a_clear_400(client, body, message):
    response = client.post("/", json=body)
    assert response.status_code == 400
    assert message in error_of(response)


def test_a_json_body_is_still_served(client):
    response = client.post("/", json={"text": PAIRS[3][0], "direction": "ar-en", "submission": "t"})
    assert response.status_code == 200 and PAIRS[3][1] in response.text


def test_without_script_a_file_does_not_silently_replace_a_typed_text(client):
    typed = "The council approved the new budget on Monday."

    def send(text, **extra):
        return client.post(
            "/",
            data={"text": text, "file": (io.BytesIO(PAIRS[0][0].encode()), "story.txt"), **extra},
            content_type="multipart/form-data",
        )

    response = send(typed)
    assert response.status_code == 400
    assert html.unescape(error_of(response)) == (
        "You typed a text and chose a file: press 'Send the file' to use the file, or remove the file."
    )
    assert f">{typed}</textarea>" in response.text  # the typed text is kept
    response = send(typed, send_file="1")  # asked for: the file is used
    assert response.status_code == 200 and PAIRS[0][1] in response.text
    assert f">{PAIRS[0][0]}</textarea>" in response.text
    response = send("  ")  # an empty box: the file is what there is
    assert response.status_code == 200 and PAIRS[0][1] in response.text


@pytest.mark.parametrize(
    "fields, message",
    [
        (
            {"text": "The council\x00 met."},
            "The text contains control characters (such as NUL) that cannot be translated; paste plain text.",
        ),
        ({"text": "The council met.", "direction": "en-ar", "translate": "all"}, "Translate the whole text must be"),
    ],
)
def test_field_errors_in_peoples_words(client, fields, message):
    response = post(client, **fields)
    assert response.status_code == 400
    shown = html.unescape(error_of(response))
    assert shown.startswith(message)
    assert "'text'" not in shown and "'translate'" not in shown


@pytest.mark.parametrize(
    "direction, source, target", [("auto", "auto", "en"), ("ar-en", "ar", "en"), ("en-ar", "en", "ar")]
)
def test_the_direction_is_sent_as_source_and_target(client, pipeline, monkeypatch, direction, source, target):
    seen = []
    process = pipeline.process

    def recording(text, options):
        seen.append((options.source_language, options.target_language))
        return process(text, options)

    monkeypatch.setattr(pipeline, "process", recording)
    text = PAIRS[0][0] if direction != "en-ar" else EN_AR_PAIRS[0][0]
    response = post(client, text=text, direction=direction)
    assert response.status_code == 200, error_of(response)
    assert seen == [(source, target)]


def test_resubmissions_never_evict_a_running_entry():
    """Over its size, the oldest finished entries go: a running one stays, so its resubmission waits for it."""
    submissions = RecentSubmissions(size=1, wait_s=30)
    calls, entered, release = [], threading.Event(), threading.Event()

    def slow():
        calls.append("slow")
        entered.set()
        assert release.wait(30)
        return "slow result"

    answers = []
    first = threading.Thread(target=lambda: answers.append(submissions.run("running", slow)))
    first.start()
    assert entered.wait(30)
    assert submissions.run("b", lambda: "b") == "b"
    assert submissions.run("c", lambda: "c") == "c"
    assert "running" in submissions.entries and "b" not in submissions.entries
    second = threading.Thread(target=lambda: answers.append(submissions.run("running", slow)))
    second.start()
    release.set()
    first.join(30)
    second.join(30)
    assert calls == ["slow"] and answers == ["slow result", "slow result"]


def test_resubmissions_wait_at_most_the_request_timeout(settings):
    app = create_app(settings.replace(request_timeout_s=7.0))
    with app.test_request_context("/"):
        from summarizer.web import _submissions

        assert _submissions().wait_s == 7.0


def test_a_resubmission_whose_first_run_outlasts_the_wait_gets_a_deadline_error():
    submissions = RecentSubmissions(wait_s=0.2)
    entered, release = threading.Event(), threading.Event()

    def slow():
        entered.set()
        release.wait(30)
        return "late"

    first = threading.Thread(target=lambda: submissions.run("k", slow))
    first.start()
    try:
        assert entered.wait(30)
        with pytest.raises(DeadlineExceeded):
            submissions.run("k", lambda: "never run")  # waits for the first run, not runs the text again
    finally:
        release.set()
        first.join(30)
