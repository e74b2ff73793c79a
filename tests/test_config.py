from pathlib import Path

import pytest

from summarizer.config import Settings


def test_environment_overrides_defaults():
    env = {
        "SUMMARIZER_NUM_BEAMS": "1",
        "SUMMARIZER_MAX_OUTPUT_RATIO": "1.5",
        "SUMMARIZER_LOAD_ABSTRACTIVE": "off",
        "SUMMARIZER_MODELS_DIR": "/srv/models",
        "SUMMARIZER_TRANSLATION_MODEL": "opus-mt-tc-big-ar-en",
        "OTHER_NUM_BEAMS": "7",
    }
    settings = Settings.from_env(env)
    assert settings.num_beams == 1
    assert settings.max_output_ratio == 1.5
    assert settings.load_abstractive is False
    assert settings.models_dir == Path("/srv/models")
    assert settings.translation_model == "opus-mt-tc-big-ar-en"
    assert Settings.from_env({}).num_beams == 1  # greedy unless configured
    assert Settings.from_env({"SUMMARIZER_NUM_BEAMS": "0"}).num_beams == 0  # the model's own generation config


@pytest.mark.parametrize("name, value", [("SUMMARIZER_NUM_BEAMS", "four"), ("SUMMARIZER_LOAD_ABSTRACTIVE", "maybe")])
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})
