"""Clip folders and fine-tuning on them: real UTD-MHAD sequences stored as the user's clips (converted
to NTU joints) teach a randomly initialised base to well above chance on held-out clips; videos are
extracted once; unusable folders give one-line errors; --eval matches classes by name."""
from __future__ import annotations

import contextlib
import io
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from app_fakes import cut_clip

import main
from core.errors import InputError
from model import build_model, load_checkpoint, save_checkpoint
from model.data import clips
from model.data.loader import detect_format, load_dataset, read_file
from model.data.sets import DataWarning
from model.user_models import user_models
from pose.layouts import convert_ctvm

# UTD-MHAD action numbers -> the names the "user" gave them (folder names).
ACTIONS = {3: "wave", 22: "jog", 27: "squat"}
FAST = ["train.epochs=6", "data.repeat=5"]  # 30-50 steps per run: enough for three distinct actions


def utd_clip_folder(utd_dir: Path, target: Path, actions: dict[int, str], per_action: int) -> Path:
    """Store real UTD-MHAD sequences as a clip folder: ``<target>/<name>/<file>.npz`` in NTU joints."""
    for number, name in actions.items():
        files = sorted(utd_dir.glob(f"a{number}_s*_t*_skeleton.mat"))[:per_action]
        assert files, f"no UTD-MHAD files for action {number}"
        for path in files:
            sample = read_file(path)
            clips.write_sequence(target / name / f"{path.stem}.npz",
                                 convert_ctvm(sample.array, "utd20", "ntu25"), name, path.name)
    return target


def random_base(path: Path, normalization: str = "body_frame") -> Path:
    """An untrained HCN checkpoint with another class list: what it knows cannot help the test."""
    import torch

    torch.manual_seed(0)
    model = build_model("hcn", 4, layout="ntu25", num_person=1, window=32)
    return save_checkpoint(path, model, {
        "class_names": ["a", "b", "c", "d"], "window": 32, "window_seconds": 2.0, "fps": 30.0,
        "stream": "joint", "normalization": normalization, "dataset": "synthetic"})


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return random_base(tmp_path_factory.mktemp("base") / "base.pt")


@pytest.fixture(scope="module")
def taught(tmp_path_factory, utd_dir, base):
    """``--train --data`` on 8 clips of each action (plain .npz sequences, subjects 1 and 3)."""
    root = tmp_path_factory.mktemp("taught")
    folder = utd_clip_folder(utd_dir, root / "my clips", ACTIONS, 8)
    out = root / "models" / "mine.pt"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main.main(["--train", "--data", str(folder), "--base", str(base), "--out", str(out),
                          "--device", "cpu", *FAST])
    return code, buf.getvalue(), folder, out


# --- teaching -----------------------------------------------------------------------------------

def test_teaching_real_sequences_beats_chance_on_held_out_clips(taught, base):
    code, output, folder, out = taught
    assert code == 0, output
    match = re.search(r"held-out top1=([\d.]+) n=(\d+)", output)
    assert match, output
    top1, n = float(match.group(1)), int(match.group(2))
    assert n == 3 * 2  # 20% of each action's 8 clips held out
    assert top1 >= 5 / 6 - 1e-6, output  # chance is 1/3
    model, meta = load_checkpoint(out)
    assert meta["class_names"] == ["jog", "squat", "wave"] and meta["num_classes"] == 3
    base_meta = load_checkpoint(base)[1]
    for key in ("backbone", "window", "normalization", "stream", "fps", "num_person"):
        assert meta[key] == base_meta[key], key
    assert meta["accuracy"]["n"] == n and meta["accuracy"]["top1"] == pytest.approx(top1, abs=1e-4)
    assert meta["stdcl"] is not None and meta["trained"]["config"]["data"]["augmentation"]
    assert 1.0 < meta["window_seconds"] < 4.0  # the median clip length, not the base's


def test_the_run_logs_are_kept_beside_the_checkpoint(taught):
    _, output, folder, out = taught
    assert "warning" not in output
    assert (out.parent / "runs" / "mine" / "heldout" / "confusion.png").is_file()
    assert (out.parent / "runs" / "mine" / "final" / "last.pt").is_file()


def test_eval_scores_a_clip_folder_matching_classes_by_name(taught, tmp_path, utd_dir, capsys):
    _, _, folder, out = taught
    # another folder holding a subset of the classes, other clips (subject 7): classes matched by name
    other = utd_clip_folder(utd_dir, tmp_path / "other", {27: "squat", 3: "wave"}, 16)
    for path in list(other.rglob("*_s[135]_*.npz")):
        path.unlink()
    assert main.main(["--eval", "--checkpoint", str(out), "--data", str(other)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    top1, n = re.fullmatch(r"top1=([\d.]+) top5=[\d.]+ n=(\d+)", lines[-1]).groups()
    assert int(n) == len(list(other.rglob("*.npz"))) > 0
    assert float(top1) > 0.5
    assert any("squat" in line for line in lines) and not any("jog" in line for line in lines)
    # a class the checkpoint does not know
    (other / "kick").mkdir()
    (other / "squat" / next(iter(os.listdir(other / "squat")))).rename(other / "kick" / "k.npz")
    assert main.main(["--eval", "--checkpoint", str(out), "--data", str(other)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "'kick'" in err and "not one of the 3 classes" in err


def test_default_output_is_in_the_user_models_folder(tmp_path, utd_dir, base, user_models_dir):
    from model.finetune import finetune

    folder = utd_clip_folder(utd_dir, tmp_path / "tiny set", {3: "wave", 27: "squat"}, 2)
    result = finetune(folder, base=base, overrides=["train.epochs=1"], device="cpu", log=lambda s: None,
                      progress=False)
    assert result.checkpoint == user_models_dir / "tiny_set.pt"
    assert user_models() == [result.checkpoint]
    assert result.holdout is None  # two clips per action: none can be held out
    assert any("no accuracy estimate" in w for w in result.warnings)
    assert any("action 'wave' has only 2 clips" in w for w in result.warnings)
    assert load_checkpoint(result.checkpoint)[1]["accuracy"] is None


# --- folders that cannot be taught ----------------------------------------------------------------

def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    return err


def test_one_action_is_refused_with_a_clear_message(tmp_path, utd_dir, base, capsys):
    folder = utd_clip_folder(utd_dir, tmp_path / "one", {3: "wave"}, 3)
    assert main.main(["--train", "--data", str(folder), "--base", str(base)]) == 2
    err = _one_line_error(capsys)
    assert "one action ('wave')" in err and "at least two actions" in err and str(folder) in err


def test_an_empty_action_is_refused_with_a_clear_message(tmp_path, utd_dir, base, capsys):
    folder = utd_clip_folder(utd_dir, tmp_path / "gap", {3: "wave", 27: "squat"}, 3)
    (folder / "clap").mkdir()
    assert main.main(["--train", "--data", str(folder), "--base", str(base)]) == 2
    err = _one_line_error(capsys)
    assert "action 'clap' has no clips" in err and str(folder / "clap") in err


def test_other_unusable_inputs(tmp_path, utd_dir, base, capsys):
    folder = utd_clip_folder(utd_dir, tmp_path / "ok", {3: "wave", 27: "squat"}, 3)
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "a.npz").write_bytes((folder / "wave" / os.listdir(folder / "wave")[0]).read_bytes())
    cases = [
        (["--data", str(flat), "--base", str(base)], "not a clips folder"),
        (["--data", str(folder), "--base", str(tmp_path / "none.pt")], "none.pt not found"),
        (["--data", str(folder), "--base", str(base), "model.name=ctrgcn"], "comes from the base checkpoint"),
        (["--data", str(folder), "--base", str(base), "--out", str(tmp_path / "x.onnx")], "a .pt file"),
    ]
    for args, message in cases:
        assert main.main(["--train", *args]) == 2, args
        assert message in _one_line_error(capsys), args


# --- the clip folder format -----------------------------------------------------------------------

def test_detect_and_load_a_folder_of_plain_sequences(tmp_path, utd_dir):
    folder = utd_clip_folder(utd_dir, tmp_path / "c", {3: "wave", 27: "squat"}, 3)
    assert detect_format(folder) == "clips"
    assert detect_format(utd_dir) == "utd"  # dataset folders are not taken for clips
    data = load_dataset(folder, progress=False)
    assert data.class_names == ("squat", "wave") and data.layout == "ntu25" and data.dataset == "clips"
    assert list(data.labels) == [0, 0, 0, 1, 1, 1]
    original = convert_ctvm(read_file(sorted(utd_dir.glob("a3_s*_t*_skeleton.mat"))[0]).array, "utd20", "ntu25")
    np.testing.assert_allclose(data.samples[3], original, atol=1e-6)  # no timestamps: taken as is


def test_sequences_are_resampled_to_30_fps_by_their_timestamps(tmp_path):
    t = np.arange(20) / 15.0  # a 15 fps webcam
    x = np.zeros((3, 20, 25, 1), np.float32)
    x[0, :, :, 0] = 1.0 + t[:, None]  # x grows 1 m per second
    clips.write_sequence(tmp_path / "s.npz", x, "wave", "cam", timestamps=t + 100.0)
    y = clips.read_sequence(tmp_path / "s.npz", fps=30.0)
    assert y.shape == (3, 39, 25, 1)
    np.testing.assert_allclose(y[0, :, 0, 0], 1.0 + np.arange(39) / 30.0, atol=1e-5)


def test_bad_sequences_are_skipped_naming_the_file(tmp_path, utd_dir):
    folder = utd_clip_folder(utd_dir, tmp_path / "c", {3: "wave", 27: "squat"}, 2)
    np.savez(folder / "wave" / "wrong.npz", skeleton=np.zeros((3, 5, 20, 1), np.float32))
    with pytest.warns(DataWarning, match="wrong.npz"):
        data = clips.load_clips(folder, progress=False)
    assert len(data) == 4 and "wrong.npz" in data.skipped[0]
    for f in (folder / "squat").iterdir():
        np.savez(f, skeleton=np.full((3, 5, 25, 1), np.nan, np.float32))
    with pytest.warns(DataWarning), pytest.raises(InputError, match="none of the 2 clips of action 'squat'"):
        clips.load_clips(folder, progress=False)


def test_action_names_become_safe_folder_names():
    assert clips.action_folder_name("  raise  left/arm ") == "raise left_arm"
    with pytest.raises(InputError):
        clips.action_folder_name(" .. ")


def test_videos_are_extracted_once_and_again_when_changed(tmp_path, utd_dir, videos_dir, monkeypatch):
    from pose import extract as pose_extract

    folder = utd_clip_folder(utd_dir, tmp_path / "c", {27: "squat"}, 2)
    (folder / "wave").mkdir()
    video = cut_clip(videos_dir / "waving.avi", folder / "wave" / "take1.avi", 60, 20, size=(320, 240))
    calls = []
    real = pose_extract.extract_skeleton

    def counting(path, persons=1, progress=True):
        calls.append(Path(path).name)
        return real(path, persons=persons, progress=progress)

    monkeypatch.setattr(pose_extract, "extract_skeleton", counting)
    first = load_dataset(folder, progress=False)
    assert calls == ["take1.avi"]
    with np.load(folder / "wave" / "take1.npz", allow_pickle=False) as z:
        assert set(z.files) == {"skeleton", "label", "label_name", "source", "timestamps", "visibility"}
        assert str(z["label_name"]) == "wave" and str(z["source"]) == "take1.avi"
        assert z["skeleton"].shape == (3, 20, 25, 1) and z["skeleton"].any()
    assert first.class_names == ("squat", "wave") and len(first) == 3

    second = load_dataset(folder, progress=False)
    assert calls == ["take1.avi"]  # not extracted again
    np.testing.assert_array_equal(second.samples[2], first.samples[2])

    stale = (folder / "wave" / "take1.npz").stat().st_mtime_ns - 10**9
    os.utime(video, ns=(stale + 2 * 10**9, stale + 2 * 10**9))  # the video changed after extraction
    monkeypatch.setattr(pose_extract, "extract_skeleton", lambda path, **kw: calls.append("again") or
                        {"skeleton": np.ones((3, 4, 25, 1), np.float32), "timestamps": np.arange(4) / 30,
                         "visibility": np.ones((4, 25, 1), np.float32)})
    third = load_dataset(folder, progress=False)
    assert calls == ["take1.avi", "again"] and third.samples[2].shape == (3, 4, 25, 1)


def test_a_video_without_anybody_is_skipped_with_a_warning(tmp_path, utd_dir):
    import cv2

    folder = utd_clip_folder(utd_dir, tmp_path / "c", {27: "squat", 3: "wave"}, 2)
    writer = cv2.VideoWriter(str(folder / "wave" / "empty.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48))
    for _ in range(5):
        writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = clips.load_clips(folder, progress=False)
    assert len(data) == 4 and any("empty.avi" in str(w.message) for w in caught)
    assert not (folder / "wave" / "empty.npz").exists()
