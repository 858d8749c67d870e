"""Outputs never replace inputs or anything that is not a regular file, folder mode gives every clip
its own outputs and never analyses its own, and options a mode would ignore are refused (issue 16,
items 1, 3, 4 and 8). Every refusal is checked for its exact outcome: exit 2, one ``error:`` line
naming the paths, and the input unchanged."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import cv2
import numpy as np
import pytest
from app_fakes import make_checkpoint
from skeleton_files import write_ucla

import main
from core.atomic import write_text
from core.errors import InputError
from model.finetune import DEFAULT_BASE

ROOT = Path(main.__file__).resolve().parent


def _video(path: Path, frames: int = 6, size=(64, 48)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, size)
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), 30 + 10 * i, np.uint8))
    writer.release()
    return path


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return make_checkpoint(tmp_path_factory.mktemp("ck") / "m.pt")


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: "), err
    return err


def _aliases(src: Path, kind: str) -> Path:
    """Another name for ``src``: a path through ``..``, a symbolic link or a hard link."""
    if kind == "dotdot":
        (src.parent / "x").mkdir(exist_ok=True)
        return src.parent / "x" / ".." / src.name
    link = src.with_name(f"{kind}_{src.name}")
    if kind == "symlink":
        link.symlink_to(src)
    else:
        os.link(src, link)
    return link


# --- 1. an output equal to an input ---------------------------------------------------------------

@pytest.mark.parametrize("option", ["--out", "--timeline", "--csv"])
@pytest.mark.parametrize("kind", ["same", "dotdot", "symlink", "hardlink"])
def test_video_output_onto_its_source_is_refused(tmp_path, capsys, model, option, kind):
    src = _video(tmp_path / "src.avi")
    before = src.read_bytes()
    target = src if kind == "same" else _aliases(src, kind)
    assert main.main(["--video", str(src), "--model", str(model), option, str(target)]) == 2
    assert _error(capsys) == (f"error: {option} {target} would overwrite the input --video {src}; "
                              f"choose another output path")
    assert src.read_bytes() == before


def test_video_output_onto_the_model_or_another_output_is_refused(tmp_path, capsys, model):
    src = _video(tmp_path / "src.avi")
    before = model.read_bytes()
    assert main.main(["--video", str(src), "--model", str(model), "--timeline", str(model)]) == 2
    assert f"--timeline {model} would overwrite the input --model {model}" in _error(capsys)
    assert model.read_bytes() == before
    same = tmp_path / "r.txt"
    assert main.main(["--video", str(src), "--model", str(model), "--timeline", str(same),
                      "--csv", str(tmp_path / "x" / ".." / "r.txt")]) == 2
    assert "name the same file; give each output its own path" in _error(capsys)
    assert not same.exists()


def _clips_folder(folder: Path) -> Path:
    for action in ("wave", "clap"):
        (folder / action).mkdir(parents=True)
    return folder


@pytest.mark.parametrize("kind", ["same", "hardlink"])
def test_fine_tuning_onto_its_base_is_refused(tmp_path, capsys, model, kind):
    base = tmp_path / "b.pt"
    base.write_bytes(model.read_bytes())
    out = base if kind == "same" else _aliases(base, kind)
    clips = _clips_folder(tmp_path / "clips")
    assert main.main(["--train", "--data", str(clips), "--base", str(base), "--out", str(out)]) == 2
    assert _error(capsys) == f"error: --out {out} would overwrite the input --base {base}; choose another output path"
    assert base.read_bytes() == model.read_bytes()


def test_fine_tuning_onto_the_shipped_default_is_refused(tmp_path, capsys):
    before = DEFAULT_BASE.stat().st_mtime_ns
    clips = _clips_folder(tmp_path / "clips")
    out = ROOT / "assets" / "models" / ".." / "models" / "default.pt"
    assert main.main(["--train", "--data", str(clips), "--out", str(out)]) == 2
    assert (f"--out {out} would overwrite the input base (the shipped default) {DEFAULT_BASE}"
            in _error(capsys))
    assert DEFAULT_BASE.stat().st_mtime_ns == before


def _recipe(tmp_path: Path, out_dir: Path) -> Path:
    data = tmp_path / "ucla"
    data.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(4):
        write_ucla(data / f"a01_s{i + 1:02d}_e00_v01.json", rng.normal(size=(12, 20, 3)), 1)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"model: {{name: hcn}}\ndata: {{path: {data}, window: 16, num_person: 1, min_crop: 8, "
                      f"val: null, cache: {tmp_path / 'cache'}}}\nstdcl: {{enabled: false}}\n"
                      f"train: {{batch_size: 2, epochs: 1, progress: false, out_dir: {out_dir}}}\n")
    return recipe


@pytest.mark.parametrize("name", ["best.pt", "last.pt", "state.pt"])
def test_training_onto_its_base_checkpoint_is_refused(tmp_path, capsys, model, name):
    run = tmp_path / "run"
    run.mkdir()
    base = run / name
    base.write_bytes(model.read_bytes())
    assert main.main(["--train", "--config", str(_recipe(tmp_path, run)), "--base", str(base)]) == 2
    assert f"train.out_dir file {base} would overwrite the input --base {base}" in _error(capsys)
    assert base.read_bytes() == model.read_bytes() and sorted(p.name for p in run.iterdir()) == [name]


def test_training_onto_its_own_recipe_is_refused(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    recipe = _recipe(tmp_path, run)
    inside = run / "config.yaml"
    inside.write_text(recipe.read_text())
    assert main.main(["--train", "--config", str(inside)]) == 2
    assert f"train.out_dir file {inside} would overwrite the input recipe {inside}" in _error(capsys)
    assert inside.read_text() == recipe.read_text()


def test_eval_json_onto_a_checkpoint_or_a_data_file_is_refused(tmp_path, capsys, model):
    data = tmp_path / "ucla"
    data.mkdir()
    sample = write_ucla(data / "a01_s01_e00_v01.json", np.zeros((5, 20, 3)), 1)
    before = sample.read_bytes()
    assert main.main(["--eval", "--checkpoint", str(model), "--data", str(data), "--json", str(model)]) == 2
    assert f"--json {model} would overwrite the input --checkpoint {model}" in _error(capsys)
    assert main.main(["--eval", "--checkpoint", str(model), "--data", str(data), "--json", str(sample)]) == 2
    assert (f"--json {sample} would overwrite a file in the input folder --data {data}" in _error(capsys))
    assert sample.read_bytes() == before


@pytest.mark.parametrize("argv", [
    lambda d, m: ["--export", str(m), "--out", str(_aliases(m, "hardlink"))],
    lambda d, m: ["--source", str(_video(d / "v.avi")), "--screenshot", str(d / "v.avi")],
    lambda d, m: ["--benchmark", "--part", "pose", "--source", str(_video(d / "v.avi")), "--json", str(d / "v.avi")],
    lambda d, m: ["--convert", str(_video(d / "v.avi")), "--out", str(_aliases(d / "v.avi", "symlink"))],
])
def test_every_other_command_refuses_to_overwrite_its_input(tmp_path, capsys, model, argv):
    own = tmp_path / "own.pt"
    own.write_bytes(model.read_bytes())
    args = argv(tmp_path, own)
    inputs = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file() and not p.is_symlink()}
    assert main.main(args) == 2
    assert "would overwrite the input" in _error(capsys)
    assert {p: p.read_bytes() for p in inputs} == inputs


# --- 3. non-regular files ------------------------------------------------------------------------

def _special(tmp_path: Path, kind: str) -> Path:
    node = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(node)
        return node
    if os.geteuid() == 0:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # what /dev/null is
        return node
    return Path("/dev/null")  # without root it cannot be replaced anyway


@pytest.mark.parametrize("kind", ["fifo", "chardev"])
def test_a_device_or_fifo_is_never_replaced(tmp_path, capsys, model, kind):
    node = _special(tmp_path, kind)
    src = _video(tmp_path / "src.avi")
    assert main.main(["--video", str(src), "--model", str(model), "--timeline", str(node)]) == 2
    err = _error(capsys)
    assert err == (f"error: refusing to write {node}: it is not a regular file (a device, FIFO or socket), and "
                   f"replacing it could break whatever uses it")
    mode = os.stat(node).st_mode
    assert (stat.S_ISFIFO(mode) if kind == "fifo" else stat.S_ISCHR(mode))
    link = tmp_path / "link.json"
    link.symlink_to(node)
    with pytest.raises(InputError, match="not a regular file"):
        write_text(link, "{}")  # a link to one is followed, and refused too
    assert link.is_symlink()


def test_a_device_output_is_refused_before_any_work(tmp_path, capsys, model):
    node = _special(tmp_path, "fifo")
    data = tmp_path / "ucla"
    data.mkdir()
    write_ucla(data / "a01_s01_e00_v01.json", np.zeros((5, 20, 3)), 1)
    for argv in (["--eval", "--checkpoint", str(model), "--data", str(data), "--json", str(node)],
                 ["--source", str(_video(tmp_path / "v.avi")), "--screenshot", str(node)]):
        assert main.main(argv) == 2
        captured = capsys.readouterr()
        assert captured.err.strip().splitlines()[-1].startswith(f"error: refusing to write {node}: it is not a regular file")
        assert "top1=" not in captured.out and stat.S_ISFIFO(os.stat(node).st_mode)


def test_a_folder_as_a_single_output_is_refused(tmp_path, capsys, model):
    src = _video(tmp_path / "src.avi")
    (tmp_path / "dir").mkdir()
    assert main.main(["--video", str(src), "--model", str(model), "--timeline", str(tmp_path / "dir")]) == 2
    assert _error(capsys) == f"error: cannot write {tmp_path / 'dir'}: it is a folder; give a file name"


def test_symbolic_link_output_replaces_its_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_text(link, "new")
    assert link.is_symlink() and target.read_text() == "new"


def test_a_long_output_name_fits_its_temporary_name(tmp_path, capsys, model):
    src = _video(tmp_path / "src.avi")
    name = "t" * 245 + ".json"  # 250 characters: the longest names file systems take are 255 bytes
    assert main.main(["--video", str(src), "--model", str(model), "--timeline", str(tmp_path / name)]) == 0
    assert json.loads((tmp_path / name).read_text())["frames"] == 6
    wide = tmp_path / ("é" * 126 + ".j")  # 254 bytes of UTF-8
    write_text(wide, "x")
    assert wide.read_text() == "x" and sorted(p.name for p in tmp_path.iterdir()) == sorted([name, wide.name, "src.avi"])


# --- 4. folder mode ---------------------------------------------------------------------------------

def test_clips_sharing_a_stem_get_their_own_outputs(tmp_path, capsys, model):
    folder = tmp_path / "clips"
    folder.mkdir()
    _video(folder / "clip.avi", frames=5)
    _video(folder / "clip.mp4", frames=7)
    _video(folder / "other.avi", frames=3)
    out = tmp_path / "out"
    assert main.main(["--video", str(folder), "--model", str(model), "--out", str(out), "--timeline", str(out),
                      "--csv", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["clip.avi.annotated.mp4", "clip.avi.segments.csv", "clip.avi.timeline.json",
                     "clip.mp4.annotated.mp4", "clip.mp4.segments.csv", "clip.mp4.timeline.json",
                     "other.annotated.mp4", "other.segments.csv", "other.timeline.json"]
    for clip, frames in (("clip.avi", 5), ("clip.mp4", 7)):
        timeline = json.loads((out / f"{clip}.timeline.json").read_text())
        assert timeline["video"] == str(folder / clip) and timeline["frames"] == frames
        cap = cv2.VideoCapture(str(out / f"{clip}.annotated.mp4"))
        assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == frames
        cap.release()


def test_clips_whose_names_differ_only_in_case_get_their_own_outputs(tmp_path, model):
    folder = tmp_path / "clips"
    folder.mkdir()
    _video(folder / "Clip.avi", frames=4)
    _video(folder / "clip.mp4", frames=5)
    assert main.main(["--video", str(folder), "--model", str(model), "--timeline", str(tmp_path / "t")]) == 0
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["Clip.avi.timeline.json", "clip.mp4.timeline.json"]


def test_folder_mode_never_analyses_its_own_outputs(tmp_path, capsys, model):
    folder = tmp_path / "clips"
    folder.mkdir()
    _video(folder / "a.avi", frames=5)
    args = ["--video", str(folder), "--model", str(model), "--out", str(folder), "--timeline", str(folder)]
    for run in range(2):
        assert main.main(args) == 0
        out = capsys.readouterr().out
        assert out.count("dominant:") == 1 and "clip=a.avi" in out and "annotated" not in out.split("dominant")[1]
    assert sorted(p.name for p in folder.iterdir()) == ["a.annotated.mp4", "a.avi", "a.timeline.json"]
    # written elsewhere, an annotated video is a clip like any other
    other = tmp_path / "other"
    assert main.main(["--video", str(folder), "--model", str(model), "--out", str(other)]) == 0
    assert sorted(p.name for p in other.iterdir()) == ["a.annotated.annotated.mp4", "a.annotated.mp4"]


def test_an_all_bad_folder_ends_with_an_error_line(tmp_path, capsys, model):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "a.avi").write_bytes(b"not a video")
    (folder / "b.mp4").write_bytes(b"")
    assert main.main(["--video", str(folder), "--model", str(model)]) == 2
    captured = capsys.readouterr()
    assert "skipped a.avi:" in captured.out and "skipped b.mp4:" in captured.out
    assert captured.err.strip().splitlines()[-1] == f"error: none of the 2 videos in {folder} could be analysed (see above)"


def test_a_clip_name_with_a_newline_stays_on_its_dominant_line(tmp_path, capsys, model):
    folder = tmp_path / "clips"
    folder.mkdir()
    _video(folder / 'two\nlines "x".avi', frames=4)
    assert main.main(["--video", str(folder), "--model", str(model)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "dominant:" in line]
    assert lines == ['dominant: label="no action" score=0.000 best="no action" clip=two\\nlines \\"x\\".avi']


# --- 8. options a mode would ignore --------------------------------------------------------------

@pytest.mark.parametrize("argv, message", [
    (["--video", "c.avi", "--json", "j.json"], "--json only applies with --eval or --benchmark"),
    (["--train", "--data", "clips", "--out", "m.pt", "--model", "x.pt"],
     "--model only applies with the window (no mode option) or --video or --benchmark (to pick a backbone for --train, "
     "use model.name=NAME)"),
    (["--eval", "--checkpoint", "c.pt", "--data", "d", "--out", "e.json"],
     "--out only applies with --video or --convert or --export or --train"),
    (["--export", "c.pt", "--device", "cuda"], "--device only applies with the window (no mode option) or "
     "--video or --train or --eval"),
    (["--video", "c.avi", "--format", "torchscript"], "--format only applies with --export"),
    (["--convert", "c.avi", "--out", "c.npz", "--threshold", "0.5"],
     "--threshold only applies with the window (no mode option) or --video or --eval"),
    (["--video", "c.avi", "--screenshot", "s.png"], "--screenshot only applies with the window (no mode option)"),
    (["--export", "c.pt", "--persons", "2"],
     "--persons only applies with the window (no mode option) or --video or --train or --convert or --benchmark or --eval"),
    (["--source", "0", "--quit-after", "2", "--data", "d"], "--data only applies with --train or --eval"),
    (["--export", "c.pt", "--part", "pose"], "--part only applies with --benchmark"),
    (["--video", "c.avi", "--trust-pickle"], "--trust-pickle only applies with --train or --eval"),
])
def test_an_option_a_mode_would_ignore_is_refused(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main.main(argv)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"main.py: error: {message}"


@pytest.mark.parametrize("option, value, setting", [("--out", "m.pt", "train.out_dir=DIR"),
                                                     ("--persons", "1", "data.num_person=N")])
def test_fine_tuning_options_are_refused_with_a_recipe(tmp_path, capsys, option, value, setting):
    recipe = _recipe(tmp_path, tmp_path / "run")
    assert main.main(["--train", "--config", str(recipe), option, value]) == 2
    assert _error(capsys) == (f"error: {option} applies to --train --data CLIPS (your own clips); with --config "
                              f"set {setting} instead")
    assert not (tmp_path / "run").exists()
