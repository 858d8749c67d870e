"""The smaller cases of issue 16, item 8: sequences whose timestamps span a billion seconds, timer
options that are not finite, and an action called "no action". (Ignored options, SIGTERM, long
output names, all-bad folders, progress bars before ``error:`` and newlines in clip names are in
test_outputs.py, test_full_disk.py and test_hostile_recipes.py.)"""
from __future__ import annotations

import re

import numpy as np
import pytest

import main
from core.errors import InputError
from model.data.clips import read_sequence, write_sequence
from skeleton_files import body_track


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: "), err
    return err


@pytest.mark.parametrize("span", [1e9, 601.0])
def test_a_sequence_whose_timestamps_span_too_long_is_refused(tmp_path, span):
    skeleton = body_track(10).transpose(2, 0, 1)[..., None]
    path = write_sequence(tmp_path / "s.npz", skeleton, "wave", "x.mp4", timestamps=np.linspace(0, span, 10))
    with pytest.raises(InputError, match=re.escape(f"s.npz: 'timestamps' span {span:.3g} s; a clip of one action "
                                                   f"lasts at most 600 s")):
        read_sequence(path)
    fine = write_sequence(tmp_path / "f.npz", skeleton, "wave", "x.mp4", timestamps=np.linspace(0, 9 / 30, 10))
    assert read_sequence(fine).shape == (3, 10, 25, 1)


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "1e12"])
def test_quit_after_must_be_a_sensible_number_of_seconds(capsys, value):
    assert main.main(["--source", "0", "--quit-after", value]) == 2
    assert _error(capsys) == (f"error: --quit-after must be a number of seconds above 0 and at most 86400 (a day), "
                              f"got {float(value)}")


@pytest.mark.parametrize("value", ["inf", "nan", "0"])
def test_stride_must_be_a_finite_positive_number(tmp_path, capsys, value):
    import cv2

    clip = tmp_path / "c.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48))
    writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    assert main.main(["--video", str(clip), "--stride", value]) == 2
    assert _error(capsys) == f"error: --stride must be a positive number of seconds, got {float(value)}"


@pytest.mark.parametrize("name", ["no action", "No  Action", " no action"])
def test_an_action_called_no_action_is_refused(tmp_path, capsys, name):
    clips = tmp_path / "clips"
    for action in ("wave", name):
        (clips / action).mkdir(parents=True)
        skeleton = body_track(20).transpose(2, 0, 1)[..., None]
        for i in range(3):
            write_sequence(clips / action / f"t{i}.npz", skeleton, action, "x")
    assert main.main(["--train", "--data", str(clips), "--out", str(tmp_path / "m.pt")]) == 2
    assert _error(capsys) == (f"error: clips folder {clips}: an action may not be called {name!r}, which is what the "
                              f"app shows when it recognises nothing; rename the folder {clips / name}")
    assert not (tmp_path / "m.pt").exists()


def test_the_teach_tab_refuses_to_record_an_action_called_no_action(tmp_path):
    from app.takes import TakeRecorder

    with pytest.raises(InputError, match="'No Action' is what the app shows when it recognises nothing"):
        TakeRecorder(engine=None, clips_folder=tmp_path, action="No Action")
    assert not any(tmp_path.iterdir())
