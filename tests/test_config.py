"""Settings: environment parsing, refusal of wrong values and names, the generated configuration table."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from summarizer import create_app
from summarizer.config import Settings, SettingsError, settings_table

ROOT = Path(__file__).resolve().parents[1]


def test_environment_overrides_defaults():
    env = {
        "SUMMARIZER_BEAM_SIZE": "4",
        "SUMMARIZER_MAX_OUTPUT_RATIO": "1.5",
        "SUMMARIZER_LOAD_ABSTRACTIVE": "off",
        "SUMMARIZER_MODELS_DIR": "/srv/models",
        "SUMMARIZER_CACHE_DIR": "/var/cache/summarizer",
        "SUMMARIZER_TRANSLATION_MODEL": "opus-mt-tc-big-ar-en",
        "SUMMARIZER_LOG_LEVEL": "debug",
        "SUMMARIZER_RATE_LIMIT": "",
        "SUMMARIZER_LIBRETRANSLATE_API": "false",
        "OTHER_BEAM_SIZE": "7",
    }
    settings = Settings.from_env(env)
    assert settings.beam_size == 4
    assert settings.max_output_ratio == 1.5
    assert settings.load_abstractive is False
    assert settings.models_dir == Path("/srv/models")
    assert settings.cache_dir == Path("/var/cache/summarizer")
    assert settings.translation_model == "opus-mt-tc-big-ar-en"
    assert settings.log_level == "DEBUG"
    assert settings.rate_limit == ""
    assert settings.libretranslate_api is False
    assert Settings.from_env({}).beam_size == 1  # greedy unless configured
    assert Settings.from_env({"SUMMARIZER_BEAM_SIZE": "0"}).beam_size == 0  # the model's own generation config
    assert Settings.from_env(env, beam_size=2).beam_size == 2  # overrides win over the environment


def test_cache_dir_follows_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert Settings.from_env({}).cache_dir == tmp_path / "summarizer"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert Settings.from_env({}).cache_dir == Path.home() / ".cache" / "summarizer"


def test_settings_are_frozen_and_replace_validates():
    settings = Settings()
    with pytest.raises(ValueError):
        settings.beam_size = 3
    assert settings.replace(beam_size=3).beam_size == 3
    assert settings.beam_size == 1
    with pytest.raises(ValueError, match="translation_engine"):
        settings.replace(translation_engine="fast")


@pytest.mark.parametrize(
    "name, value, message",
    [
        (
            "SUMMARIZER_SUMMARIZER",
            "abstractve",
            "SUMMARIZER_SUMMARIZER: must be 'extractive' or 'abstractive', got 'abstractve'",
        ),
        (
            "SUMMARIZER_TRANSLATION_ENGINE",
            "fast",
            "SUMMARIZER_TRANSLATION_ENGINE: must be 'ctranslate2' or 'transformers', got 'fast'",
        ),
        ("SUMMARIZER_BEAM_SIZE", "four", "SUMMARIZER_BEAM_SIZE: must be an integer from 0 to 8, got 'four'"),
        ("SUMMARIZER_BEAM_SIZE", "9", "SUMMARIZER_BEAM_SIZE: must be an integer from 0 to 8, got '9'"),
        ("SUMMARIZER_LOAD_ABSTRACTIVE", "maybe", "SUMMARIZER_LOAD_ABSTRACTIVE: must be true or false, got 'maybe'"),
        (
            "SUMMARIZER_REQUEST_TIMEOUT_S",
            "0",
            "SUMMARIZER_REQUEST_TIMEOUT_S: must be a number greater than 0 and at most 86400, got '0'",
        ),
        ("SUMMARIZER_WORKERS", "0", "SUMMARIZER_WORKERS: must be an integer from 1 to 64, got '0'"),
        (
            "SUMMARIZER_TRANSLATION_CACHE_SIZE",
            "-1",
            "SUMMARIZER_TRANSLATION_CACHE_SIZE: must be an integer of at least 0, got '-1'",
        ),
        (
            "SUMMARIZER_LOG_LEVEL",
            "LOUD",
            "SUMMARIZER_LOG_LEVEL: must be 'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL', got 'LOUD'",
        ),
        (
            "SUMMARIZER_CT2_COMPUTE_TYPE",
            "int4",
            (
                "SUMMARIZER_CT2_COMPUTE_TYPE: must be 'int8', 'int8_float32', 'int8_float16', 'int8_bfloat16', "
                "'int16', 'float16', 'bfloat16' or 'float32', got 'int4'"
            ),
        ),
        ("SUMMARIZER_THREDS", "2", "SUMMARIZER_THREDS: not a setting; did you mean SUMMARIZER_THREADS?"),
        ("SUMMARIZER_NUM_BEAMS", "4", "SUMMARIZER_NUM_BEAMS: renamed; use SUMMARIZER_BEAM_SIZE"),
        (
            "SUMMARIZER_CT2_VOCABULARY_MAP",
            "false",
            "SUMMARIZER_CT2_VOCABULARY_MAP: renamed; use SUMMARIZER_CT2_TARGET_VOCABULARY",
        ),
        (
            "SUMMARIZER_CT2_TARGET_VOCABULARY",
            "true",
            "SUMMARIZER_CT2_TARGET_VOCABULARY: must be 'cut', 'map' or 'full', got 'true'",
        ),
        (
            "SUMMARIZER_ZZZ",
            "1",
            "SUMMARIZER_ZZZ: not a setting; see `python -m summarizer settings` for the list",
        ),
    ],
)
def test_bad_values_name_the_variable(name, value, message):
    with pytest.raises(SettingsError) as err:
        Settings.from_env({name: value})
    assert str(err.value) == message


def test_every_wrong_variable_is_named_at_once():
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"SUMMARIZER_WORKERS": "0", "SUMMARIZER_SUMMARIZER": "x", "SUMMARIZER_THREDS": "1"})
    assert [line.split(":")[0] for line in str(err.value).splitlines()] == [
        "SUMMARIZER_THREDS",
        "SUMMARIZER_SUMMARIZER",
        "SUMMARIZER_WORKERS",
    ]


def test_the_test_suites_own_variables_are_not_settings_errors():
    assert Settings.from_env({"SUMMARIZER_TEST_CACHE": "/tmp/x", "SUMMARIZER_BENCH_CACHE": "/tmp/y"}) == Settings()


def test_settings_table_lists_every_variable():
    table = settings_table(markdown=True)
    rows = {line.split("`")[1]: line for line in table.splitlines()[2:]}
    assert list(rows) == ["SUMMARIZER_" + name.upper() for name in Settings.model_fields]
    for name, field in Settings.model_fields.items():
        assert field.description, name
        assert field.description in rows["SUMMARIZER_" + name.upper()]
    assert "| `SUMMARIZER_SUMMARIZER` | 'extractive' or 'abstractive' | `extractive` |" in table
    assert "| `SUMMARIZER_LOAD_ABSTRACTIVE` | true or false | `true` |" in table


def run_cli(*args, **env):
    return run([sys.executable, "-m", "summarizer", *args], **env)


def run(argv, **env):
    """argv in the source tree with no SUMMARIZER_* variable but env's."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SUMMARIZER_")} | env
    return subprocess.run(
        argv,
        check=False,
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_readme_shows_the_generated_settings_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("<!-- settings-table:start -->\n", 1)[1].split("\n<!-- settings-table:end -->", 1)[0]
    assert shown == settings_table(markdown=True).strip(), "regenerate it: summarizer settings --markdown"


def test_cli_settings_prints_the_table():
    proc = run_cli("settings", "--markdown")
    assert proc.returncode == 0
    assert proc.stdout.strip() == settings_table(markdown=True)


def test_cli_stops_on_a_wrong_setting(tmp_path):
    text = tmp_path / "a.txt"
    text.write_text("The base was hit. Nobody died.")
    proc = run_cli("summarize", str(text), SUMMARIZER_SUMMARIZER="abstractve")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip() == "SUMMARIZER_SUMMARIZER: must be 'extractive' or 'abstractive', got 'abstractve'"


def test_gunicorn_stops_on_a_wrong_setting():
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = run(
        [str(gunicorn), "-c", "python:summarizer.gunicorn_conf", "wsgi:app"],
        SUMMARIZER_WORKERS="0",
        SUMMARIZER_BIND="127.0.0.1:0",
    )
    assert proc.returncode != 0
    assert "SUMMARIZER_WORKERS: must be an integer from 1 to 64, got '0'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_create_app_stops_on_a_wrong_setting(monkeypatch):
    monkeypatch.setenv("SUMMARIZER_TRANSLATION_ENGINE", "fast")
    with pytest.raises(SettingsError, match="SUMMARIZER_TRANSLATION_ENGINE: must be 'ctranslate2' or 'transformers'"):
        create_app()
