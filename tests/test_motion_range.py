"""tools/domain_gap/motion_range.py: posture measures of real clips against their class's training clips."""
import numpy as np
import pytest

from pose.layouts import get_layout
from tools.domain_gap import motion_range

ROOT = motion_range.ROOT


def _skeleton(t: int = 20) -> np.ndarray:
    """A standing ntu25 person (torso units, hip midpoint at the origin), one slot."""
    lay = get_layout("ntu25")
    x = np.zeros((3, t, 25, 1), np.float32)
    place = {"left_hip": (-0.13, 0, 0), "right_hip": (0.13, 0, 0), "left_shoulder": (-0.32, 1, 0),
             "right_shoulder": (0.32, 1, 0), "left_knee": (-0.13, -0.7, 0), "right_knee": (0.13, -0.7, 0),
             "left_ankle": (-0.13, -1.4, 0), "right_ankle": (0.13, -1.4, 0), "left_wrist": (-0.3, 0.1, -0.3),
             "right_wrist": (0.3, 0.1, -0.3), "head": (0, 1.45, 0)}
    for name, point in place.items():
        x[:, :, lay.index(name), 0] = np.asarray(point, np.float32)[:, None]
    return x


def test_measures_read_hands_stride_knees_and_hand_height():
    x = _skeleton()
    lay = get_layout("ntu25")
    x[0, :, lay.index("left_wrist"), 0] = np.linspace(-0.3, 0.1, 20)  # hands meet and cross
    x[2, :, lay.index("left_ankle"), 0] = np.linspace(-0.5, 0.5, 20)  # a stride front to back
    x[1, 10:, lay.index("right_knee"), 0] = 0.2  # a knee raised above the hip
    x[1, :, lay.index("right_wrist"), 0] = 1.5  # a hand 0.5 above the shoulders
    x[:, 18:] = 0  # frames without the person do not count
    m = motion_range.measures(x, "ntu25")
    gap = np.abs(np.linspace(-0.3, 0.1, 20)[:18] - 0.3)
    assert m["hands apart"] == pytest.approx(np.percentile(gap, 5))
    assert m["stride"] == pytest.approx(np.percentile(np.abs(np.linspace(-0.5, 0.5, 20)[:18]), 95))
    assert m["knee lift"] == pytest.approx(0.2)
    assert m["hand height"] == pytest.approx(0.5)
    standing = motion_range.measures(_skeleton(), "ntu25")
    assert standing["stride"] == 0 and standing["knee lift"] == pytest.approx(-0.7)
    assert standing["hands apart"] == pytest.approx(0.6)


def test_negative_draws_is_a_one_line_error(capsys):
    assert motion_range.main(["--draws", "-1"]) == 2
    assert capsys.readouterr().err.strip() == "error: --draws must be 0 or more"


def test_running_across_the_frame_strides_beyond_every_training_jog(videos_dir, tmp_path, monkeypatch):
    """Running across the frame (read as walk by the default) strides far beyond UTD-MHAD's and
    MSR Action3D's jogging in place; a side-view punch (named right) lies within its class."""
    pytest.importorskip("mediapipe")
    monkeypatch.chdir(ROOT)  # the recipe's data paths are relative to the checkout
    for name in ("running.avi", "punch_side.mp4"):
        (tmp_path / name).symlink_to(videos_dir / name)
    (tmp_path / "labels.csv").write_text("file,label\nrunning.avi,jog\npunch_side.mp4,boxing\n")
    rows = {r["file"]: r for r in motion_range.report(str(tmp_path), "configs/default_model.yaml", 0)}
    run, punch = rows["running.avi"], rows["punch_side.mp4"]
    assert run["class"] == "jog" and run["training_clips"] >= 30
    assert run["stride"]["rank"] == 1.0 and run["stride"]["outside"]
    assert run["stride"]["clip"] > 4 * run["stride"]["median"]
    assert not any(punch[m]["outside"] for m in motion_range.MEASURES)
    table = motion_range.format_rows(list(rows.values()))
    assert table.splitlines()[-1].startswith("clips=2 outside_training=1")
