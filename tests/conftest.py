"""Shared test fixtures: offscreen Qt, and the real data in ../shared (skipped when absent)."""
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"


def _shared_dir(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not present: {path} (it sits beside the checkout in CI)")
    return path


@pytest.fixture(autouse=True)
def user_models_dir(tmp_path_factory, monkeypatch) -> Path:
    """Fine-tuned checkpoints go to (and the model picker reads) a fresh folder, never the user's."""
    folder = tmp_path_factory.mktemp("user_models")
    monkeypatch.setenv("ACTION_RECOGNITION_MODELS", str(folder))
    return folder


@pytest.fixture(autouse=True)
def pose_cache_dir(tmp_path_factory, monkeypatch) -> Path:
    """Cached MediaPipe recordings go to a fresh folder per test, never the user's cache."""
    folder = tmp_path_factory.mktemp("pose_cache")
    monkeypatch.setenv("ACTION_RECOGNITION_CACHE", str(folder))
    return folder / "poses"


@pytest.fixture(scope="session")
def utd_dir() -> Path:
    return _shared_dir("data", "utd_mhad")


@pytest.fixture(scope="session")
def ucla_dir() -> Path:
    return _shared_dir("data", "nw_ucla")


@pytest.fixture(scope="session")
def msr_dir() -> Path:
    return _shared_dir("data", "msr_action3d")


@pytest.fixture(scope="session")
def ntu_samples_dir() -> Path:
    return _shared_dir("data", "ntu_samples")


@pytest.fixture(scope="session")
def videos_dir() -> Path:
    return _shared_dir("videos")


@pytest.fixture(scope="module")
def recognizer(tmp_path_factory):
    """A tiny one-person HCN recogniser with random weights, on the CPU (app_fakes.make_checkpoint)."""
    from app.recognizer import Recognizer
    from app_fakes import make_checkpoint

    return Recognizer(make_checkpoint(tmp_path_factory.mktemp("ck") / "one.pt"), "cpu")


@pytest.fixture(scope="module")
def pair_recognizer(tmp_path_factory):
    """The same for a two-person model."""
    from app.recognizer import Recognizer
    from app_fakes import make_checkpoint

    return Recognizer(make_checkpoint(tmp_path_factory.mktemp("ck") / "pair.pt", num_person=2), "cpu")
