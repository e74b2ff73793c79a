"""SUMMARIZER_DEVICE: where the translation model runs, resolved once and reported (no GPU here: the CPU path)."""

import ctranslate2
import pytest
import torch

from summarizer import create_app
from summarizer.models import Models
from summarizer.translate import load_engine, resolve_device

# What each engine's library sees (none on the machines the tests run on; the tests hold either way).
SEES_GPU = {"ctranslate2": ctranslate2.get_cuda_device_count() > 0, "transformers": torch.cuda.is_available()}


@pytest.mark.parametrize("engine", ["ctranslate2", "transformers"])
def test_auto_finds_what_the_engine_sees_and_explicit_devices_are_kept(engine):
    assert resolve_device("auto", engine) == ("cuda" if SEES_GPU[engine] else "cpu")
    assert resolve_device("cpu", engine) == "cpu"
    assert resolve_device("cuda", engine) == "cuda"


@pytest.mark.parametrize("engine", ["ctranslate2", "transformers"])
def test_the_cpu_path_is_as_before(settings, tiny_models, engine):
    translator = load_engine(settings.replace(translation_engine=engine, device="cpu"), tiny_models["translation"])
    assert translator.device == "cpu"
    if engine == "ctranslate2":
        assert translator.compute_type == settings.ct2_compute_type == "int8"  # not the GPU's int8_float16
        assert translator.translator.device == "cpu"
    else:
        assert next(translator.model.parameters()).device.type == "cpu"


def test_asking_for_a_gpu_without_one_is_a_load_error_not_a_crash(settings):
    models = Models.load(settings.replace(device="cuda", load_abstractive=False))
    if SEES_GPU["ctranslate2"]:  # a machine with a GPU: it is used
        assert models.status()[0]["device"] == "cuda"
        return
    assert models.translator is None and "translation" in models.load_errors
    assert models.status()[0]["device"] is None and models.status()[0]["error"]


def test_the_device_is_in_the_models_status_and_the_metrics(settings, pipeline):
    client = create_app(settings, pipeline=pipeline).test_client()
    rows = {row["role"]: row for row in client.get("/api/v1/models").get_json()["models"]}
    device = pipeline.models.translator.engine.device
    assert rows["translation"]["device"] == device
    assert rows["summarization"]["device"] == "cpu"
    assert device == ("cuda" if SEES_GPU[pipeline.settings.translation_engine] else "cpu")
    text = client.get("/metrics").get_data(as_text=True)
    name = rows["translation"]["name"]
    assert f'summarizer_model_device{{device="{device}",name="{name}",role="translation"}} 1.0' in text
