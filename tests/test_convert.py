"""``main.py --convert``: skeleton files and videos -> canonical NTU-layout .npz (a stable contract)."""
import sys
import types

import numpy as np
import pytest

import main
from model.data.ntu_skeleton import read_ntu_skeleton
from pose.layouts import NTU25, UCLA20, UTD20
from skeleton_files import body_track, write_skeleton, write_ucla, write_utd


def _convert(src, out, *extra):
    return main.main(["--convert", str(src), "--out", str(out), *extra])


def _load(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def test_skeleton_round_trip(tmp_path, capsys):
    a, b = body_track(30, x0=-0.4, sway=0.2, seed=1), body_track(30, x0=0.4, sway=0.02, seed=2)
    src = write_skeleton(tmp_path / "S003C002P004R001A058.skeleton",
                         [[("7", ja), ("9", jb)] for ja, jb in zip(a, b)])
    assert _convert(src, tmp_path / "out.npz") == 0
    z = _load(tmp_path / "out.npz")
    assert set(z) == {"skeleton", "label", "label_name", "source"}
    assert z["skeleton"].shape == (3, 30, 25, 2) and z["skeleton"].dtype == np.float32
    np.testing.assert_array_equal(z["skeleton"], read_ntu_skeleton(src))
    np.testing.assert_allclose(z["skeleton"][..., 0].transpose(1, 2, 0), a, atol=1e-6)  # more active
    assert (int(z["label"]), str(z["label_name"]), str(z["source"])) == (
        57, "handshaking", "S003C002P004R001A058.skeleton")
    assert "30 frames" in capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["ucla", "utd"])
def test_kinect_v1_files_become_ntu_layout(tmp_path, fmt):
    joints = np.random.default_rng(3).normal(size=(12, 20, 3))
    if fmt == "ucla":
        src, layout, label = write_ucla(tmp_path / "a09_s02_e01_v03.json", joints, 8), UCLA20, 7
    else:
        src, layout, label = write_utd(tmp_path / "a4_s2_t3_skeleton.mat", joints), UTD20, 3
    assert _convert(src, tmp_path / "o.npz") == 0
    z = _load(tmp_path / "o.npz")
    assert z["skeleton"].shape == (3, 12, 25, 1) and int(z["label"]) == label
    for name in ("head", "left_elbow", "right_knee"):
        np.testing.assert_allclose(z["skeleton"][:, :, NTU25.index(name), 0],
                                   joints[:, layout.index(name)].T, rtol=1e-6)
    np.testing.assert_allclose(z["skeleton"][:, :, NTU25.index("spine_base"), 0],
                               joints[:, layout.index("hip_center")].T, rtol=1e-6)


def test_unknown_label_when_name_has_none(tmp_path):
    src = write_skeleton(tmp_path / "my_clip.skeleton", [[("1", j)] for j in body_track(5)])
    assert _convert(src, tmp_path / "o.npz") == 0
    z = _load(tmp_path / "o.npz")
    assert int(z["label"]) == -1 and str(z["label_name"]) == ""


def test_truncated_file_exits_2_naming_file_and_line(tmp_path, capsys):
    src = write_skeleton(tmp_path / "cut.skeleton", [[("1", j)] for j in body_track(3)])
    src.write_text("\r\n".join(src.read_text().splitlines()[:40]), newline="")
    assert _convert(src, tmp_path / "o.npz") == 2
    err = capsys.readouterr().err
    assert "cut.skeleton: truncated at line 41" in err and not (tmp_path / "o.npz").exists()


def test_bad_output_and_input_are_input_errors(tmp_path, capsys):
    src = write_skeleton(tmp_path / "a.skeleton", [[("1", j)] for j in body_track(3)])
    assert _convert(src, tmp_path / "o.csv") == 2
    assert _convert(tmp_path / "clip.txt", tmp_path / "o.npz") == 2
    assert main.main(["--convert", str(src)]) == 2
    err = capsys.readouterr().err
    assert "npz" in err and "clip.txt" in err and "--out" in err


def test_video_goes_through_the_pose_stage(tmp_path, monkeypatch):
    calls = []

    def extract_skeleton(path, persons):
        calls.append((path.name, persons))
        return {"skeleton": np.ones((3, 4, 25, persons)), "timestamps": np.arange(4) / 30,
                "visibility": np.full((4, 25, persons), 0.9)}

    monkeypatch.setitem(sys.modules, "pose.extract", types.SimpleNamespace(extract_skeleton=extract_skeleton))
    video = tmp_path / "walk.MP4"
    video.write_bytes(b"not decoded by the fake pose stage")
    assert _convert(video, tmp_path / "v.npz", "--persons", "2") == 0
    z = _load(tmp_path / "v.npz")
    assert calls == [("walk.MP4", 2)]
    assert z["skeleton"].shape == (3, 4, 25, 2) and z["skeleton"].dtype == np.float32
    assert z["timestamps"].shape == (4,) and z["visibility"].shape == (4, 25, 2)
    assert int(z["label"]) == -1 and str(z["source"]) == "walk.MP4"


def test_real_two_person_sample(ntu_samples_dir, tmp_path):
    assert _convert(ntu_samples_dir / "S001C003P008R002A058.skeleton", tmp_path / "o.npz") == 0
    z = _load(tmp_path / "o.npz")
    assert z["skeleton"].shape == (3, 70, 25, 2) and str(z["label_name"]) == "handshaking"
