"""``--eval`` on a plain folder of real UTD-MHAD files: accuracy equal to a hand computation, softmax
ensembles, classes matched by name, refusals, and damaged files skipped."""
import json
import re
import shutil

import numpy as np
import pytest
import torch

import main
from core.labels import named_action
from model.checkpoint import save_checkpoint
from model.data import cache
from model.data.cache import DataWarning
from model.data.classes import NTU60_CLASSES, UTD_CLASSES
from model.data.loader import read_file
from model.metrics import classification_report
from model.preprocess import InputSpec, prepare_input
from model.registry import build_model
from pose.layouts import convert_ctvm

FILES = [f"a{a}_s{s}_t1_skeleton.mat" for a in (1, 2, 5, 6, 22, 27) for s in (1, 3)]


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "DEFAULT_DIR", tmp_path / "cache")


@pytest.fixture
def folder(utd_dir, tmp_path):
    out = tmp_path / "held_out"
    out.mkdir()
    for name in FILES:
        shutil.copy(utd_dir / name, out / name)
    return out


def make_checkpoint(path, class_names, layout="ntu25", stream="joint", seed=0):
    torch.manual_seed(seed)
    model = build_model("hcn", len(class_names), layout=layout, num_person=1, window=16, dropout=0.0)
    meta = {"class_names": list(class_names), "window": 16, "window_seconds": 2.0, "fps": 30.0,
            "stream": stream, "normalization": "center_first_spine", "dataset": "utd_mhad"}
    save_checkpoint(path, model, meta)
    return model.eval(), InputSpec(layout=layout, window=16, window_seconds=2.0, stream=stream,
                                   normalization="center_first_spine", num_person=1)


def hand_scores(model, spec, folder, class_names):
    """Softmax scores and labels (indices into class_names) computed file by file."""
    scores, labels = [], []
    for name in FILES:
        sample = read_file(folder / name)
        x = prepare_input(convert_ctvm(sample.array, sample.layout, spec.layout), spec)
        with torch.no_grad():
            scores.append(torch.softmax(model(torch.from_numpy(x)[None]), 1)[0].numpy())
        labels.append(class_names.index(UTD_CLASSES[sample.label]))
    return np.array(scores), np.array(labels)


def accuracy(scores, labels, k):
    top = np.argsort(-scores, axis=1)[:, :k]
    return float((top == labels[:, None]).any(axis=1).mean())


def last_line(text):
    return text.strip().splitlines()[-1]


def test_single_checkpoint_matches_hand_computation(folder, tmp_path, capsys):
    model, spec = make_checkpoint(tmp_path / "m.pt", UTD_CLASSES)
    scores, labels = hand_scores(model, spec, folder, list(UTD_CLASSES))
    code = main.main(["--eval", "--checkpoint", str(tmp_path / "m.pt"), "--data", str(folder),
                      "--json", str(tmp_path / "r.json")])
    assert code == 0
    top1, top5 = accuracy(scores, labels, 1), accuracy(scores, labels, 5)
    assert last_line(capsys.readouterr().out) == f"top1={top1:.4f} top5={top5:.4f} n={len(FILES)}"
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["top1"] == pytest.approx(top1) and report["top5"] == pytest.approx(top5)
    assert report["n"] == len(FILES)
    confusion = np.array(report["confusion"])
    assert confusion.shape == (27, 27) and confusion.sum() == len(FILES)
    predicted = scores.argmax(1)
    for i in set(labels.tolist()):
        assert report["per_class"][UTD_CLASSES[i]] == pytest.approx(float((predicted[labels == i] == i).mean()))
    assert report["per_class"][UTD_CLASSES[3]] is None  # no sample of action 4 in the folder


def test_ensemble_sums_softmax_across_layouts_streams_and_class_orders(folder, tmp_path, capsys):
    first, spec1 = make_checkpoint(tmp_path / "joint.pt", UTD_CLASSES, seed=1)
    reordered = list(reversed(UTD_CLASSES))
    second, spec2 = make_checkpoint(tmp_path / "bone.pt", reordered, layout="utd20", stream="bone", seed=2)
    s1, labels = hand_scores(first, spec1, folder, list(UTD_CLASSES))
    s2, _ = hand_scores(second, spec2, folder, reordered)
    total = s1 + s2[:, [reordered.index(c) for c in UTD_CLASSES]]
    assert main.main(["--eval", "--checkpoint", str(tmp_path / "joint.pt"), str(tmp_path / "bone.pt"),
                      "--data", str(folder)]) == 0
    expected = f"top1={accuracy(total, labels, 1):.4f} top5={accuracy(total, labels, 5):.4f} n={len(FILES)}"
    assert last_line(capsys.readouterr().out) == expected


def test_classes_the_checkpoint_does_not_know_are_refused(ucla_dir, tmp_path, capsys):
    data = tmp_path / "ucla"
    data.mkdir()
    for path in sorted(ucla_dir.glob("*_v02.json"))[:3]:
        shutil.copy(path, data / path.name)
    make_checkpoint(tmp_path / "m.pt", UTD_CLASSES)
    assert main.main(["--eval", "--checkpoint", str(tmp_path / "m.pt"), "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert re.search(r"error: nw_ucla class 'pick up with one hand' is not one of the 27 classes", err)


def test_ensemble_of_different_class_sets_is_refused(folder, tmp_path, capsys):
    make_checkpoint(tmp_path / "a.pt", UTD_CLASSES)
    make_checkpoint(tmp_path / "b.pt", UTD_CLASSES[:20])
    assert main.main(["--eval", "--checkpoint", str(tmp_path / "a.pt"), str(tmp_path / "b.pt"),
                      "--data", str(folder)]) == 2
    assert "other classes" in capsys.readouterr().err


def test_damaged_file_is_skipped_and_named(folder, utd_dir, tmp_path, capsys):
    whole = (utd_dir / "a3_s1_t1_skeleton.mat").read_bytes()
    (folder / "a3_s1_t1_skeleton.mat").write_bytes(whole[: len(whole) // 2])  # a half-copied file
    model, spec = make_checkpoint(tmp_path / "m.pt", UTD_CLASSES)
    scores, labels = hand_scores(model, spec, folder, list(UTD_CLASSES))
    with pytest.warns(DataWarning, match="a3_s1_t1_skeleton.mat"):
        assert main.main(["--eval", "--checkpoint", str(tmp_path / "m.pt"), "--data", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "skipped 1 unreadable files" in out and "a3_s1_t1_skeleton.mat" in out
    assert last_line(out).endswith(f"n={len(FILES)}")
    assert last_line(out).startswith(f"top1={accuracy(scores, labels, 1):.4f}")


def test_missing_arguments_and_empty_folder(tmp_path, capsys):
    make_checkpoint(tmp_path / "m.pt", UTD_CLASSES)
    assert main.main(["--eval", "--data", str(tmp_path)]) == 2
    assert "--checkpoint" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main.main(["--eval", "--checkpoint", str(tmp_path / "m.pt"), "--data", str(empty)]) == 2
    assert "no skeleton files" in capsys.readouterr().err


def test_ntu_archive_is_scored_on_its_test_part(tmp_path, capsys):
    rng = np.random.default_rng(0)
    arrays = {}
    for part, count in (("train", 5), ("test", 3)):
        x = np.zeros((count, 40, 150), dtype=np.float32)
        x[:, :30, :75] = rng.normal(0, 0.3, size=(count, 30, 75))  # one person, 30 frames
        arrays[f"x_{part}"] = x
        arrays[f"y_{part}"] = np.eye(60, dtype=np.float32)[rng.integers(0, 60, size=count)]
    np.savez(tmp_path / "NTU60_CS.npz", **arrays)
    torch.manual_seed(0)
    model = build_model("hcn", 60, layout="ntu25", num_person=2, window=16)
    save_checkpoint(tmp_path / "ntu.pt", model, {"class_names": list(NTU60_CLASSES), "window": 16,
                                                   "window_seconds": 2.0, "normalization": "none"})
    assert main.main(["--eval", "--checkpoint", str(tmp_path / "ntu.pt"),
                      "--data", str(tmp_path / "NTU60_CS.npz")]) == 0
    assert last_line(capsys.readouterr().out).endswith(" n=3")


def test_named_accuracy_counts_background_classes_as_one():
    names = ["wave", "clap", "draw x", "draw circle"]
    scores = np.array([[0.6, 0.1, 0.2, 0.1],    # wave sample, wave named: right
                       [0.3, 0.1, 0.2, 0.4],    # draw x sample, circle best but no action named: right
                       [0.4, 0.0, 0.35, 0.25],  # draw circle sample, backgrounds 0.6 > 0.4: right
                       [0.5, 0.2, 0.2, 0.1],    # draw x sample, wave named: wrong
                       [0.1, 0.3, 0.35, 0.25]])  # clap sample, no action named: wrong
    labels = np.array([0, 2, 3, 2, 1])
    report = classification_report(scores, labels, names, background={"draw x", "draw circle"})
    assert report["top1"] == pytest.approx(1 / 5)  # plain top-1 counts background confusions
    assert report["top1_named"] == pytest.approx(3 / 5)
    assert named_action(scores[2], names, {"draw x", "draw circle"}) is None
    assert named_action(scores[3], names, {"draw x", "draw circle"}) == 0
    assert named_action(scores[3], names, set(names)) is None  # nothing to name
    assert "top1_named" not in classification_report(scores, labels, names)


def test_eval_reports_named_accuracy_for_a_model_with_background_classes(folder, tmp_path, capsys):
    model, spec = make_checkpoint(tmp_path / "m.pt", UTD_CLASSES)
    background = list(UTD_CLASSES[:20])
    meta = {"class_names": list(UTD_CLASSES), "window": 16, "window_seconds": 2.0, "fps": 30.0,
            "stream": "joint", "normalization": "center_first_spine", "dataset": "utd_mhad",
            "background_classes": background}
    save_checkpoint(tmp_path / "bg.pt", model, meta)
    scores, labels = hand_scores(model, spec, folder, list(UTD_CLASSES))
    expected = classification_report(scores, labels, UTD_CLASSES, set(background))["top1_named"]
    assert main.main(["--eval", "--checkpoint", str(tmp_path / "bg.pt"), "--data", str(folder),
                      "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert f"named right (background classes as no action): {expected:.4f}" in out
    assert json.loads((tmp_path / "r.json").read_text())["top1_named"] == pytest.approx(expected)
