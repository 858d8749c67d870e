"""The project as a package: ``pip install .`` gets the dependencies of requirements.txt, an
``action-recognition`` command that is ``main.py``, and the shipped models and recipes beside the
code, where it looks for them. (Installing into a fresh virtual environment is checked by hand,
see the README; here the wheel is built and its contents checked.)"""
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import main
from app import model_catalog
from model import finetune

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "pose", "model", "app")


def test_the_command_is_main_py():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"] == {"action-recognition": "main:cli"}
    assert project["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}
    assert callable(main.cli)
    with pytest.raises(SystemExit) as done:  # the same parser as python main.py
        main.main(["--help"])
    assert done.value.code == 0


def test_data_files_are_found_relative_to_the_code():
    assert model_catalog.MODELS_DIR == ROOT / "assets" / "models"
    assert finetune.RECIPE == ROOT / "configs" / "finetune_clips.yaml"


def _setuptools_ok() -> bool:
    try:
        import setuptools
    except ImportError:
        return False
    return int(setuptools.__version__.split(".")[0]) >= 68


@pytest.mark.skipif(not _setuptools_ok(), reason="building the wheel offline needs setuptools >= 68 here")
def test_the_wheel_holds_the_code_models_recipes_and_command(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "requirements.txt", "main.py"):
        shutil.copy(ROOT / name, source / name)
    for name in PACKAGES + ("assets", "configs"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(source)], check=True, capture_output=True, timeout=300)
    wheel = zipfile.ZipFile(next((tmp_path / "dist").glob("action_recognition-*.whl")))
    names = set(wheel.namelist())
    expected = {"main.py"} | {p.relative_to(source).as_posix() for name in PACKAGES + ("assets", "configs")
                              for p in (source / name).rglob("*") if p.is_file()}
    assert {"assets/models/default.pt", "configs/finetune_clips.yaml"} <= expected
    assert expected <= names, sorted(expected - names)
    assert not [n for n in names if n.startswith(("tests/", "tools/"))]
    info = next(n for n in names if n.endswith(".dist-info/METADATA"))
    requires = [line.split(": ", 1)[1] for line in wheel.read(info).decode().splitlines()
                if line.startswith("Requires-Dist: ")]
    pinned = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    as_set = lambda lines: {(r.name.lower(), r.specifier) for r in map(Requirement, lines)}  # noqa: E731
    assert as_set(requires) == as_set(pinned)  # the same pins as requirements.txt
    entry = wheel.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "action-recognition = main:cli" in entry
