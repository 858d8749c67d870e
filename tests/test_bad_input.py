"""What the program does with bad input that the other test files do not already cover: frames
with nobody, more than two people or NaN landmarks; truncated, empty or person-less videos on the
command line and in the window; truncated .skeleton/.mat/.json files in a data folder; empty, mixed
or unreadable data folders for --train; bad recipe files; checkpoints that do not fit (weights,
--base of another backbone or layout, NaN weights); outputs that cannot be written. Each case checks
the exact outcome: a one-line ``error:`` and exit code 2 (CLI), a message in a window that stays
usable (GUI), or a sample skipped by name while the run goes on."""
from __future__ import annotations

import contextlib
import struct
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from app_fakes import make_checkpoint
from blazepose_synth import project, standing_world
from skeleton_files import body_track, write_skeleton, write_ucla, write_utd

import main
from core.errors import InputError
from model.data.loader import load_dataset
from model.data.sets import DataWarning
from pose.mediapipe_estimator import PersonLandmarks
from pose.stage import PoseStage

SIZE = (640, 480)
ROOT = Path(main.__file__).resolve().parent


# --- frames: nobody, too many people, NaN landmarks (pose stage with scripted detections) -------------

class _Replay:
    def __init__(self, script):
        self.script, self.calls = script, 0

    def estimate(self, frame):
        people = self.script(self.calls)
        self.calls += 1
        return people

    def close(self):
        pass


def _person(x: float, z: float = 3.0, image_nan=False, world_nan=False, vis_nan=False) -> PersonLandmarks:
    world = standing_world()
    image = project(world, (x, 0.1, z), SIZE)
    visibility = np.full(33, 0.9)
    if image_nan:
        image[:] = np.nan
    if world_nan:
        world[:] = np.nan
    if vis_nan:
        visibility[:] = np.nan
    return PersonLandmarks(image, world, visibility)


def _run(script, persons: int, frames: int = 8):
    stage = PoseStage(persons=persons, estimator=_Replay(script))
    poses = [stage.process(np.zeros((SIZE[1], SIZE[0], 3), np.uint8), i / 30) for i in range(frames)]
    stage.close()
    for pose in poses:
        assert np.isfinite(pose.joints3d).all() and np.isfinite(pose.joints2d).all()
        assert ((pose.confidence >= 0) & (pose.confidence <= 1)).all()
    return poses


def test_frames_with_nobody_give_empty_slots():
    poses = _run(lambda i: [], persons=2)
    for pose in poses:
        assert not pose.present.any() and (pose.track_ids == -1).all()
        assert not pose.joints3d.any() and not pose.confidence.any()


def test_more_people_than_slots_keeps_the_first_tracked_ones():
    three = lambda i: [_person(-0.8), _person(0.0, 4.0), _person(0.8)]  # noqa: E731
    poses = _run(lambda i: three(i)[:2] if i < 2 else three(i), persons=2)
    for pose in poses:
        assert pose.present.tolist() == [True, True]
        assert sorted(pose.track_ids.tolist()) == [0, 1]  # the newcomer never takes a slot
    np.testing.assert_allclose(poses[-1].joints3d[:, 0, 2], [3.0, 4.0], atol=0.1)  # the first two


@pytest.mark.parametrize("broken, present, confident", [
    ({"image_nan": True}, False, False),  # no place in the image: not a person
    ({"world_nan": True}, True, False),  # placed but no 3-D landmarks: joints with confidence 0
    ({"vis_nan": True}, True, False),  # visibility unknown: confidence 0
])
def test_nan_landmarks_never_reach_the_skeletons(broken, present, confident):
    script = lambda i: [_person(0.0, **broken)] if i % 2 else [_person(0.0)]  # noqa: E731
    poses = _run(script, persons=1)
    assert all(p.present[0] for p in poses[0::2])  # clean frames are unaffected
    for pose in poses[1::2]:
        assert pose.present[0] == present
        assert pose.confidence.any() == confident


# --- videos: truncated, or with nobody in them (command line) -----------------------------------------

def _video(path, frames=30, size=(160, 120), fps=25.0):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), 40 + i, np.uint8))
    writer.release()
    return path


def _truncated_video(path):
    data = _video(path.with_name("whole.avi")).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return make_checkpoint(tmp_path_factory.mktemp("ck") / "one.pt")


def _one_line_error(capsys) -> str:
    """The error line main.py printed last on stderr (progress bars may come before it)."""
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: "), err
    return err


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_truncated_video_is_an_error_and_leaves_no_output(tmp_path, capsys, model):
    clip = _truncated_video(tmp_path / "cut.avi")
    out = tmp_path / "out"
    code = main.main(["--video", str(clip), "--model", str(model), "--out", str(out / "a.mp4"),
                      "--timeline", str(out / "t.json"), "--csv", str(out / "s.csv")])
    err = _one_line_error(capsys)
    assert code == 2 and "truncated" in err and "cut.avi" in err
    assert not out.exists() or not list(out.iterdir())  # no partial video, no temporary files


def test_truncated_clip_in_a_folder_is_skipped_and_the_rest_analysed(tmp_path, capsys, model):
    folder = tmp_path / "clips"
    folder.mkdir()
    _truncated_video(folder / "a_cut.avi")
    _video(folder / "b_fine.avi", frames=10)
    (folder / "whole.avi").unlink()
    assert main.main(["--video", str(folder), "--model", str(model)]) == 0
    out = capsys.readouterr().out
    assert "skipped a_cut.avi:" in out and "truncated" in out
    assert "clip=b_fine.avi" in out and "clip=a_cut.avi" not in out


def test_video_with_nobody_reports_no_action(tmp_path, capsys, model):
    import json

    clip = _video(tmp_path / "empty_room.avi", frames=12)
    args = ["--video", str(clip), "--model", str(model), "--timeline", str(tmp_path / "t.json")]
    assert main.main(args) == 0
    out = capsys.readouterr().out
    assert "12 frames, 0 with a person" in out and "(no action recognised)" in out
    assert 'dominant: label="no action"' in out
    timeline = json.loads((tmp_path / "t.json").read_text())
    assert timeline["frames_with_pose"] == 0 and timeline["segments"] == [] and timeline["windows"] == []


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.mp4", "no such file"),
    (lambda d: _write(d / "empty.mp4", b""), "video file is empty"),
    (lambda d: _write(d / "notes.avi", b"not a video"), "not a readable video"),
    (lambda d: _truncated_video(d / "cut.avi"), "truncated"),
    (lambda d: _video(d / "empty_room.avi", frames=6), "no person found in any frame"),
])
def test_convert_refuses_bad_videos(tmp_path, capsys, make, message):
    src = make(tmp_path)
    assert main.main(["--convert", str(src), "--out", str(tmp_path / "o.npz")]) == 2
    err = _one_line_error(capsys)
    assert message in err and src.name in err
    assert not (tmp_path / "o.npz").exists()


# --- the window: bad files and a video cut short ---------------------------------------------------------

@pytest.fixture
def window(qtbot, tmp_path, model, videos_dir):
    from app.gui.main_window import MainWindow, WindowOptions

    win = MainWindow(WindowOptions(source=str(videos_dir / "walking.avi"), model=model, device="cpu",
                                   output_dir=tmp_path / "out"))
    qtbot.addWidget(win)
    win.show()
    win.start_up()
    yield win
    win.close()


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.mp4", "video file not found"),
    (lambda d: _write(d / "empty.mp4", b""), "video file is empty"),
])
def test_window_says_what_is_wrong_with_a_file_and_stays_usable(window, qtbot, tmp_path, videos_dir,
                                                                  make, message):
    src = make(tmp_path)
    assert not window.open_source(str(src))
    assert message in window.message.text() and src.name in window.message.text()
    assert window.message.level == "error" and window.engine is None
    assert window.open_source(str(videos_dir / "walking.avi"))
    qtbot.waitUntil(lambda: window.video.frames_shown > 2, timeout=15000)


def test_window_reports_a_video_that_turns_out_truncated(window, qtbot, tmp_path, videos_dir):
    from app_fakes import cut_clip

    whole = cut_clip(videos_dir / "walking.avi", tmp_path / "whole.avi", 0, 120, size=(320, 240))
    data = whole.read_bytes()
    cut = _write(tmp_path / "cut.avi", data[: len(data) // 2])
    assert window.open_source(str(cut))  # it opens and plays ...
    qtbot.waitUntil(lambda: "truncated" in window.message.text(), timeout=20000)  # ... then says so
    assert window.video.frames_shown > 0 and window.engine is None
    assert window.message.level == "error" and "cut.avi" in window.message.text()
    assert window.open_source(str(videos_dir / "walking.avi"))


def test_window_refuses_a_checkpoint_whose_weights_do_not_fit(window, tmp_path, model):
    payload = torch.load(model, weights_only=True)
    payload["meta"]["num_classes"] = 7  # the classifier in the weights has 4 outputs
    payload["meta"]["class_names"] = [f"c{i}" for i in range(7)]
    torch.save(payload, tmp_path / "misfit.pt")
    assert not window.load_model(str(tmp_path / "misfit.pt"))
    assert "misfit.pt does not fit model hcn" in window.message.text()
    assert window.recognizer.path == model  # the previous model is kept


# --- data folders -------------------------------------------------------------------------------------

def _dataset_folder(folder, fmt: str):
    """Three small files of one format; returns the folder and the files' stems."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    if fmt == "skeleton":
        stems = ["S001C001P001R001A001", "S001C001P002R001A002", "S001C001P003R001A003"]
        for i, stem in enumerate(stems):
            write_skeleton(folder / f"{stem}.skeleton", [[("b", j)] for j in body_track(20, seed=i)])
    elif fmt == "mat":
        stems = ["a1_s1_t1_skeleton", "a2_s1_t1_skeleton", "a3_s1_t1_skeleton"]
        for stem in stems:
            write_utd(folder / f"{stem}.mat", rng.normal(size=(30, 20, 3)))
    else:
        stems = ["a01_s01_e00_v01", "a02_s01_e00_v01", "a03_s01_e00_v01"]
        for label, stem in enumerate(stems, 1):
            write_ucla(folder / f"{stem}.json", rng.normal(size=(30, 20, 3)), label)
    return folder, stems


@pytest.mark.parametrize("fmt", ["skeleton", "mat", "json"])
@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_truncated_file_in_a_folder_is_skipped_by_name_and_the_rest_read(tmp_path, fmt, keep):
    folder, stems = _dataset_folder(tmp_path / "data", fmt)
    cut = folder / f"{stems[1]}.{fmt}"
    data = cut.read_bytes()
    cut.write_bytes(data[: int(len(data) * keep)])  # a half-copied download
    with pytest.warns(DataWarning, match=rf"skipped {cut}: "):
        ds = load_dataset(folder, use_cache=False, progress=False)
    assert ds.names == [stems[0], stems[2]] and len(ds.skipped) == 1 and str(cut) in ds.skipped[0]


def _folder(tmp_path, kind: str):
    folder = tmp_path / kind
    folder.mkdir()
    rng = np.random.default_rng(0)
    if kind in ("mixed", "broken"):
        write_ucla(folder / "a01_s01_e00_v01.json", rng.normal(size=(10, 20, 3)), 1)
    if kind == "mixed":
        write_utd(folder / "a1_s1_t1_skeleton.mat", rng.normal(size=(10, 20, 3)))
    if kind == "broken":
        (folder / "a01_s01_e00_v01.json").write_text('{"skeletons": [[[0.1, 0.2')  # cut short
        (folder / "a02_s01_e00_v01.json").write_bytes(b"\x00" * 64)
    return folder


@pytest.mark.parametrize("kind, message", [
    ("empty", "no skeleton files"),
    ("mixed", "mixes file formats ("),
    ("broken", "none of its 2 .json files could be read"),
])
def test_train_on_an_unusable_data_folder_exits_2(tmp_path, capsys, kind, message):
    folder = _folder(tmp_path, kind)
    args = ["--train", "--config", str(ROOT / "configs" / "utd_mhad.yaml"), "--data", str(folder),
            f"train.out_dir={tmp_path / 'run'}", f"data.cache={tmp_path / 'cache'}"]
    with pytest.warns(DataWarning) if kind == "broken" else contextlib.nullcontext():
        assert main.main(args) == 2
    err = _one_line_error(capsys)
    assert message in err and str(folder) in err
    assert not (tmp_path / "run").exists()


# --- configs and checkpoints that do not fit ----------------------------------------------------------

@pytest.mark.parametrize("recipe, message", [
    ("train:\n  epochs: many\n", "config: train.epochs must be"),
    ("train:\n  epochs: 3\nsolver: {lr: 0.1}\n", "config: unknown field 'solver'"),
    ("train: [1, 2\n", "not valid YAML"),
    (b"PK\x03\x04\x00\xff\xfe binary", "not a text file"),
])
def test_bad_recipe_file_exits_2_naming_the_problem(tmp_path, capsys, recipe, message):
    path = tmp_path / "recipe.yaml"
    path.write_bytes(recipe if isinstance(recipe, bytes) else recipe.encode())
    assert main.main(["--train", "--config", str(path)]) == 2
    err = _one_line_error(capsys)
    assert message in err


def test_video_with_a_checkpoint_whose_weights_do_not_fit_exits_2(tmp_path, capsys, model):
    payload = torch.load(model, weights_only=True)
    payload["meta"]["layout"] = "utd20"  # weights were made for 25 joints
    torch.save(payload, tmp_path / "other_layout.pt")
    clip = _video(tmp_path / "c.avi", frames=4)
    assert main.main(["--video", str(clip), "--model", str(tmp_path / "other_layout.pt")]) == 2
    err = _one_line_error(capsys)
    assert "other_layout.pt does not fit model hcn" in err


def test_train_refuses_a_base_checkpoint_of_another_backbone_or_layout(tmp_path, capsys):
    from model import build_model, save_checkpoint

    folder = tmp_path / "ucla"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        write_ucla(folder / f"a01_s{i + 1:02d}_e00_v01.json", rng.normal(size=(12, 20, 3)), 1)
    bases = {"agcn_ntu25": ("agcn", "ntu25"), "hcn_utd20": ("hcn", "utd20")}
    for name, (backbone, layout) in bases.items():
        save_checkpoint(tmp_path / f"{name}.pt", build_model(backbone, 3, layout=layout, num_person=1))
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"model: {{name: hcn}}\ndata: {{path: {folder}, layout: ntu25, window: 16, "
                      f"num_person: 1, min_crop: 8, val: null, cache: {tmp_path / 'cache'}}}\n"
                      f"stdcl: {{enabled: false}}\n"
                      f"train: {{batch_size: 2, epochs: 1, progress: false, out_dir: {tmp_path / 'run'}}}\n")
    expected = {"agcn_ntu25": "its backbone is 'agcn', expected 'hcn'",
                "hcn_utd20": "its layout is 'utd20', expected 'ntu25'"}
    for name, message in expected.items():
        assert main.main(["--train", "--config", str(recipe), "--base", str(tmp_path / f"{name}.pt")]) == 2
        err = _one_line_error(capsys)
        assert f"{name}.pt does not fit: {message}" in err
    assert not (tmp_path / "run").exists()


# --- outputs that cannot be written ---------------------------------------------------------------------

def test_output_path_that_cannot_be_created_is_a_one_line_error(tmp_path, capsys, model):
    blocker = _write(tmp_path / "not_a_folder", b"a file where a folder should be")
    src = write_skeleton(tmp_path / "a.skeleton", [[("1", j)] for j in body_track(3)])
    assert main.main(["--convert", str(src), "--out", str(blocker / "o.npz")]) == 2
    assert str(blocker) in _one_line_error(capsys)  # "File exists" / "Not a directory" naming it
    clip = _video(tmp_path / "c.avi", frames=6)
    assert main.main(["--video", str(clip), "--model", str(model), "--out", str(blocker / "a.mp4")]) == 2
    err = _one_line_error(capsys)
    assert f"cannot write video {blocker / 'a.mp4'}:" in err


def test_window_says_when_a_recording_cannot_be_saved(qtbot, tmp_path, model, videos_dir):
    from app.gui.main_window import MainWindow, WindowOptions

    blocker = _write(tmp_path / "not_a_folder", b"x")
    win = MainWindow(WindowOptions(source=str(videos_dir / "walking.avi"), model=model, device="cpu",
                                   output_dir=blocker / "out"))
    qtbot.addWidget(win)
    win.show()
    win.start_up()
    try:
        win.toggle_recording()
        qtbot.wait(500)
        win.toggle_recording()
        assert "cannot write video" in win.message.text() and "Saved clip" not in win.message.text()
        assert win.message.level == "error" and win.engine is not None  # still running
    finally:
        win.close()


def test_checkpoint_with_nan_weights_is_refused(tmp_path, capsys, model):
    payload = torch.load(model, weights_only=True)
    name = next(k for k, v in payload["state_dict"].items() if v.is_floating_point())
    payload["state_dict"][name][...] = float("nan")  # a diverged run, or bytes flipped on disk
    torch.save(payload, tmp_path / "nan.pt")
    clip = _video(tmp_path / "c.avi", frames=4)
    assert main.main(["--video", str(clip), "--model", str(tmp_path / "nan.pt")]) == 2
    assert f"nan.pt has NaN or infinite weights (in {name})" in _one_line_error(capsys)


def test_damaged_compressed_ntu_archive_is_an_input_error(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.random((3, 300, 150), np.float32), "y_train": np.eye(60)[:3]}
    np.savez_compressed(tmp_path / "whole.npz", **arrays)
    data = bytearray((tmp_path / "whole.npz").read_bytes())
    with zipfile.ZipFile(tmp_path / "whole.npz") as zf:
        offset = zf.getinfo("x_train.npy").header_offset
    name_length, extra_length = struct.unpack("<HH", data[offset + 26:offset + 30])  # local file header
    data[offset + 30 + name_length + extra_length] = 0x07  # first deflate block: invalid type (zlib.error)
    (tmp_path / "NTU60_CS.npz").write_bytes(bytes(data))
    with pytest.raises(InputError, match="NTU60_CS.npz: "):
        load_dataset(tmp_path / "NTU60_CS.npz", progress=False)


@pytest.mark.parametrize("argv, message", [
    (["--video", "clip.avi", "--checkpoint", "m.pt"], "--checkpoint only applies with --eval (to run a checkpoint, use --model)"),
    (["--eval", "--checkpoint", "m.pt", "--config", "r.yaml"], "--config only applies with --train"),
    (["--video", "clip.avi", "--base", "m.pt"], "--base only applies with --train"),
    (["--source", "0", "--timeline", "t.json"], "--timeline only applies with --video"),
])
def test_an_option_of_another_mode_is_refused_not_ignored(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main.main(argv)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"main.py: error: {message}"
