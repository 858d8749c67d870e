"""The checkpoints shipped in assets/models/: small, complete metadata, and they run through --eval
on the real data they were trained on (a broken normalisation, layout or class order would show)."""
import json
import shutil
from pathlib import Path

import pytest

import main
from app.model_catalog import DEFAULT_MODEL, MODELS_DIR, shipped_models
from model import load_checkpoint

META_FIELDS = {"backbone", "num_classes", "class_names", "layout", "num_person", "window", "fps",
               "normalization", "stream", "dataset", "split", "trained"}
SHIPPED = shipped_models(MODELS_DIR)


def test_default_model_is_shipped():
    assert DEFAULT_MODEL.is_file(), "assets/models/default.pt is missing"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_checkpoint_is_small_and_complete(path: Path):
    assert path.stat().st_size < 20 * 2**20
    model, meta = load_checkpoint(path)
    assert META_FIELDS <= set(meta) and len(meta["class_names"]) == meta["num_classes"]
    assert not model.training


def _subset(source: Path, pattern: str, out: Path) -> Path:
    out.mkdir()
    for f in sorted(source.glob(pattern)):
        shutil.copy(f, out / f.name)
    return out


def test_default_model_recognises_its_training_subject(utd_dir, tmp_path):
    folder = _subset(utd_dir, "a*_s7_t1_skeleton.mat", tmp_path / "s7")
    report = tmp_path / "r.json"
    assert main.main(["--eval", "--checkpoint", str(DEFAULT_MODEL), "--data", str(folder), "--json", str(report)]) == 0
    result = json.loads(report.read_text())
    assert result["n"] == 27 and result["top1"] >= 0.85  # seen in training: far above chance (1/27)


def test_ucla_model_recognises_its_training_view(ucla_dir, tmp_path):
    ucla = [p for p in SHIPPED if load_checkpoint(p)[1]["dataset"] == "nw_ucla"]
    if not ucla:
        pytest.fail("no NW-UCLA checkpoint in assets/models/")
    folder = _subset(ucla_dir, "a*_s01_e0[12]_v01.json", tmp_path / "v1")
    report = tmp_path / "r.json"
    assert main.main(["--eval", "--checkpoint", str(ucla[0]), "--data", str(folder), "--json", str(report)]) == 0
    result = json.loads(report.read_text())
    assert result["n"] >= 15 and result["top1"] >= 0.8
