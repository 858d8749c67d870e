"""Checkpoint metadata is validated when it is read (issue 16, item 7): each damaged or hostile
field is an InputError naming it, on the command line (exit 2, one ``error:`` line) and in the
window (a message, the previous model kept, the source still opened), before any work is done
with it; the shipped checkpoints and metadata a newer program adds still load."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from app_fakes import make_checkpoint

import main
from app.model_catalog import shipped_models
from core.errors import InputError
from model.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from model.checkpoint_meta import check_meta
from model.registry import build_model


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return make_checkpoint(tmp_path_factory.mktemp("ck") / "good.pt")


def _bomb():
    """A list shared ten times at each of 8 levels: 10**8 entries once expanded (JSON, a copy)."""
    node = ["x"]
    for _ in range(8):
        node = [node] * 10
    return node


def _self_containing():
    node: list = []
    node.append(node)
    return node


BAD_META = [
    ("fps", "thirty", "meta field 'fps' must be null or a number > 0 and <= 1000, got 'thirty'"),
    ("window", "64", "meta field 'window' must be null or an integer >= 1 and <= 1024, got '64'"),
    ("backbone_args", [1, 2], "meta field 'backbone_args' must be a mapping, got [1, 2]"),
    ("class_names", ["wave", "clap"], "meta lists 2 class names for a 4-class model"),
    ("window", 10_000_000, "meta field 'window' must be null or an integer >= 1 and <= 1024, got 10000000"),
    ("window_seconds", 1e7, "meta field 'window_seconds' must be null or a number > 0 and <= 60, got 10000000.0"),
    ("trained", {"config": _bomb()}, "meta holds more than 100000 entries (counting repeated references)"),
    # variants
    ("fps", float("nan"), "meta field 'fps' must be null or a number > 0 and <= 1000, got nan"),
    ("fps", 0, "meta field 'fps' must be null or a number > 0 and <= 1000, got 0"),
    ("window", True, "meta field 'window' must be null or an integer >= 1 and <= 1024, got True"),
    ("num_person", 0, "meta field 'num_person' must be an integer >= 1 and <= 2, got 0"),
    ("num_classes", "4", "meta field 'num_classes' must be an integer >= 1 and <= 10000, got '4'"),
    ("layout", "kinect", "meta field 'layout' must be one of ntu25, utd20, ucla20, msr20, got 'kinect'"),
    ("stream", "rgb", "meta field 'stream' must be one of joint, bone, joint_motion, bone_motion, got 'rgb'"),
    ("class_names", "wave clap squat walk", "meta field 'class_names' must be null or a list of strings"),
    ("class_names", ["wave", "clap", "Wave", "walk"], "meta field 'class_names' names 'wave' twice"),
    ("class_names", ["wave", "clap\nsquat", "x", "walk"], "meta field 'class_names' holds 'clap\\nsquat'"),
    ("accuracy", {"top1": 7.0}, "meta field 'accuracy.top1' must be null or a number >= 0 and <= 1, got 7.0"),
    ("trained", [1, 2], "meta field 'trained' must be null or a mapping, got [1, 2]"),
    ("stdcl", {"deep": _self_containing()}, "meta contains itself"),
    ("background_classes", ["jump"], "meta field 'background_classes' names 'jump', which is not one of its class names"),
]


def _damaged(good: Path, folder: Path, field: str, value) -> Path:
    payload = torch.load(good, weights_only=True)
    payload["meta"][field] = value
    path = folder / f"bad_{field}.pt"
    torch.save(payload, path)
    return path


@pytest.mark.parametrize("field, value, message", BAD_META, ids=lambda v: str(v)[:20] if isinstance(v, str) else None)
def test_damaged_meta_is_refused_naming_the_field(tmp_path, good, field, value, message):
    path = _damaged(good, tmp_path, field, value)
    with pytest.raises(InputError) as err:
        read_checkpoint(path)
    assert str(err.value).startswith(f"checkpoint {path}: {message}")


@pytest.mark.parametrize("field, value, message", BAD_META[:7], ids=lambda v: str(v)[:20] if isinstance(v, str) else None)
def test_video_and_export_refuse_damaged_meta(tmp_path, capsys, good, field, value, message):
    path = _damaged(good, tmp_path, field, value)
    clip = tmp_path / "c.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48))
    for _ in range(3):
        writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    for argv in (["--video", str(clip), "--model", str(path)], ["--export", str(path), "--out", str(tmp_path / "m.onnx")]):
        assert main.main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert err.startswith(f"error: checkpoint {path}: {message}"), err
    assert not (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize("field, value, message", BAD_META[:7], ids=lambda v: str(v)[:20] if isinstance(v, str) else None)
def test_window_reports_damaged_meta_like_any_bad_checkpoint(qtbot, tmp_path, good, videos_dir, field, value, message):
    from app.gui.main_window import MainWindow, WindowOptions

    path = _damaged(good, tmp_path, field, value)
    win = MainWindow(WindowOptions(source=str(videos_dir / "walking.avi"), model=path, device="cpu",
                                   output_dir=tmp_path / "out"))
    qtbot.addWidget(win)
    win.show()
    try:
        win.start_up()  # the source opens, the model loads beside it and is reported bad: poses only
        qtbot.waitUntil(lambda: win.message.level == "error", timeout=15000)
        assert win.recognizer is None and win.engine is not None
        assert win.message.text().endswith("Showing poses only.")
        assert win.message.level == "error" and win.message.text().startswith(f"checkpoint {path}: {message}")
        qtbot.waitUntil(lambda: win.video.frames_shown > 0, timeout=15000)
        assert win.load_model(str(good))
        assert not win.load_model(str(path))
        assert win.message.level == "error" and win.message.text().startswith(f"checkpoint {path}: {message}")
        assert "internal error" not in win.message.text()
        assert win.recognizer.path == good  # the previous model is kept
    finally:
        win.close()


def test_the_shipped_checkpoints_pass_and_still_run():
    models = shipped_models()
    assert len(models) >= 2
    for path in models:
        model, meta = load_checkpoint(path)
        check_meta(meta, str(path))
        x = torch.zeros(1, meta["in_channels"], meta["window"], {"ntu25": 25, "ucla20": 20}[meta["layout"]], 1)
        with torch.no_grad():
            assert model(x).shape == (1, meta["num_classes"])


def test_fields_a_newer_program_adds_are_accepted(tmp_path):
    model = build_model("hcn", 3, layout="ntu25", num_person=1, window=16)
    meta = {"class_names": ["idle", "wave", "clap"], "window": 16, "window_seconds": 1.0, "fps": 30.0,
            "background_classes": ["idle"], "label_aliases": {"wave": ["waving", "hello"]},
            "future": {"anything": [1, 2.5, None, "x"]}}
    path = save_checkpoint(tmp_path / "new.pt", model, meta)
    _, back = load_checkpoint(path)
    assert back["background_classes"] == ["idle"] and back["label_aliases"] == {"wave": ["waving", "hello"]}
    assert back["future"] == meta["future"]
    with pytest.raises(InputError, match="'background_classes' names 'jump', which is not one of its class names"):
        save_checkpoint(tmp_path / "bad.pt", model, {**meta, "background_classes": ["jump"]})
    assert not (tmp_path / "bad.pt").exists()
