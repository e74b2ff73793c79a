"""`pip install .` gives a `summarizer` command that works from any directory (the manifest, templates and
static files are package data)."""

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A throwaway venv that sees this interpreter's packages, with the project installed into it (from a copy
    of the sources, so the checkout gets no build/ or egg-info)."""
    base = tmp_path_factory.mktemp("pkg")
    source = base / "src"
    source.mkdir()
    for name in ("pyproject.toml", "requirements.txt", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "summarizer", source / "summarizer", ignore=shutil.ignore_patterns("__pycache__"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # The new venv reuses this one's packages (pip, setuptools, the dependencies): nothing is downloaded.
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "parent-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return venv


def run(venv: Path, *args, cwd: Path):
    return subprocess.run(
        [str(venv / "bin" / "summarizer"), *args],
        check=False,  # the tests read the return code
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "SUMMARIZER_MODELS_DIR": str(cwd / "models")},
        timeout=120,
    )


def test_the_summarizer_command_has_the_same_verbs(installed, tmp_path):
    proc = run(installed, "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: summarizer ")
    module = subprocess.run([sys.executable, "-m", "summarizer", "--help"], capture_output=True, text=True, check=True)
    verbs = module.stdout.split("{", 1)[1].split("}", 1)[0]  # usage: python -m summarizer [-h] {summarize,...}
    assert "{" + verbs + "}" in proc.stdout and "worker" in verbs


def test_models_list_from_another_directory_uses_the_packaged_manifest(installed, tmp_path):
    proc = run(installed, "models", "list", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "opus-mt-ar-en" in proc.stdout and "Helsinki-NLP/opus-mt-ar-en@f830c0f1" in proc.stdout
    assert "missing" in proc.stdout


def test_package_data_is_installed(installed, tmp_path):
    code = (
        "import summarizer, importlib.resources as r; f = r.files('summarizer');"
        "print(summarizer.__file__);"
        "print(all(f.joinpath(p).is_file() for p in ('manifest.json', 'templates/index.html', 'static/app.js')))"
    )
    proc = subprocess.run(
        [str(installed / "bin" / "python"), "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    where, ok = proc.stdout.split()
    assert Path(where).is_relative_to(installed) and ok == "True"
