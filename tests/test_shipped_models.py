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


def _eval(checkpoint: Path, folder: Path, report: Path) -> dict:
    assert main.main(["--eval", "--checkpoint", str(checkpoint), "--data", str(folder), "--json", str(report)]) == 0
    return json.loads(report.read_text())


def test_default_model_is_trained_with_stdcl_on_the_merged_label_set():
    meta = load_checkpoint(DEFAULT_MODEL)[1]
    assert meta["stdcl"]["enabled"] and meta["stdcl"]["weight"] > 0
    assert meta["normalization"] == "canonical" and meta["background_classes"] == ["other"]
    assert {"wave", "clap", "boxing", "walk", "squat", "other"} <= set(meta["class_names"])
    assert "right hand wave" in meta["label_aliases"]["wave"]  # UTD-MHAD's name for it


@pytest.mark.parametrize("dataset, pattern, n", [
    ("utd_dir", "a*_s7_t1_skeleton.mat", 27),  # all 27 classes, read as the merged ones
    ("msr_dir", "a*_s01_e01_skeleton3D.txt", 20),
    ("ucla_dir", "a*_s01_e01_v01.json", 10),
])
def test_default_model_scores_each_dataset_it_was_trained_on(dataset, pattern, n, request, tmp_path):
    folder = _subset(request.getfixturevalue(dataset), pattern, tmp_path / dataset)
    result = _eval(DEFAULT_MODEL, folder, tmp_path / "r.json")
    # seen in training: far above chance (1/16); a class-name mapping, layout or normalisation
    # that broke would fall towards it
    assert result["n"] == n and result["top1"] >= 0.8, result["top1"]


def test_ucla_model_recognises_its_training_view(ucla_dir, tmp_path):
    ucla = [p for p in SHIPPED if load_checkpoint(p)[1]["dataset"] == "nw_ucla"]
    if not ucla:
        pytest.fail("no NW-UCLA checkpoint in assets/models/")
    folder = _subset(ucla_dir, "a*_s01_e0[12]_v01.json", tmp_path / "v1")
    result = _eval(ucla[0], folder, tmp_path / "r.json")
    assert result["n"] >= 15 and result["top1"] >= 0.8
