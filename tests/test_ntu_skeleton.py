"""NTU .skeleton parser and body cleaning: generated files with 0-3 bodies, damaged files, real files."""
import numpy as np
import pytest

from core.errors import InputError
from model.data.ntu_skeleton import (clean_skeleton, parse_skeleton_file, rank_bodies,
                                     read_ntu_skeleton)
from skeleton_files import body_track, skeleton_text, write_skeleton


def _frames(n, **tracks):
    """Frame lists from named tracks given as (first_frame, joints (k, 25, 3))."""
    frames = [[] for _ in range(n)]
    for body_id, (start, joints) in tracks.items():
        for i, j in enumerate(joints):
            frames[start + i].append((body_id, j))
    return frames


def test_frames_without_bodies_are_dropped_and_values_kept(tmp_path):
    a = body_track(20)
    frames = [[]] + [[("A", j)] for j in a[:10]] + [[], []] + [[("A", j)] for j in a[10:]]
    x = read_ntu_skeleton(write_skeleton(tmp_path / "S001C001P001R001A001.skeleton", frames))
    assert x.shape == (3, 20, 25, 2) and x.dtype == np.float32
    np.testing.assert_allclose(x[..., 0].transpose(1, 2, 0), a, atol=1e-6)
    assert not x[..., 1].any()


def test_zero_one_two_and_three_bodies_in_one_file(tmp_path):
    """Frame 0 empty, then one, two and three bodies; the short extra body is dropped as noise."""
    n = 60
    calm, active = body_track(n - 1, x0=-0.5, sway=0.01, seed=1), body_track(n - 11, x0=0.5, sway=0.2, seed=2)
    flicker = body_track(8, x0=1.5, sway=0.5, seed=3)
    frames = _frames(n, calm=(1, calm), active=(11, active), flicker=(30, flicker))
    assert {len(f) for f in frames} == {0, 1, 2, 3}
    raw = parse_skeleton_file(write_skeleton(tmp_path / "S001C001P001R001A050.skeleton", frames))
    assert (raw.num_frames, raw.num_valid_frames) == (n, n - 1)
    assert [b.body_id for b in raw.bodies] == ["calm", "active", "flicker"]
    assert [len(b.frames) for b in raw.bodies] == [n - 1, n - 11, 8]
    assert [b.body_id for b in rank_bodies(raw)] == ["active", "calm"]  # most active first
    x = clean_skeleton(raw)
    assert x.shape == (3, n - 1, 25, 2)
    np.testing.assert_allclose(x[:, 10:, :, 0].transpose(1, 2, 0), active, atol=1e-6)
    np.testing.assert_allclose(x[..., 1].transpose(1, 2, 0), calm, atol=1e-6)
    assert not x[:, :10, :, 0].any()  # the active body was not there yet


def test_lying_body_is_dropped_by_spread(tmp_path):
    upright = body_track(40, sway=0.02, seed=4)
    lying = body_track(40, x0=1.0, sway=0.3, seed=5)[:, :, [1, 0, 2]]  # wider than tall, moves more
    raw = parse_skeleton_file(write_skeleton(tmp_path / "a.skeleton", _frames(40, up=(0, upright), lie=(0, lying))))
    assert [b.body_id for b in rank_bodies(raw)] == ["up"]
    x = clean_skeleton(raw)
    np.testing.assert_allclose(x[..., 0].transpose(1, 2, 0), upright, atol=1e-6)
    assert not x[..., 1].any()


def test_tracking_id_switch_fills_one_slot(tmp_path):
    """Two ids one after the other are one person: both go to slot 0, slot 1 stays empty."""
    first, second = body_track(30, sway=0.1, seed=6), body_track(30, sway=0.05, seed=7)
    x = read_ntu_skeleton(write_skeleton(tmp_path / "a.skeleton", _frames(60, p=(0, first), q=(30, second))))
    assert x.shape == (3, 60, 25, 2) and not x[..., 1].any() and np.all(np.any(x[..., 0] != 0, axis=(0, 2)))


def test_no_body_at_all_is_a_clear_error(tmp_path):
    path = write_skeleton(tmp_path / "empty.skeleton", [[], [], []])
    with pytest.raises(InputError, match="empty.skeleton: no body"):
        read_ntu_skeleton(path)


@pytest.mark.parametrize("cut_line, expected_line", [(1, 2), (3, 4), (20, 21), (30, 31)])
def test_truncated_file_names_file_and_line(tmp_path, cut_line, expected_line):
    text = skeleton_text(_frames(5, a=(0, body_track(5))))
    lines = text.split("\r\n")[:cut_line]
    path = tmp_path / "S001C001P001R001A001.skeleton"
    path.write_text("\r\n".join(lines) + "\r\n", newline="")
    with pytest.raises(InputError, match=rf"S001C001P001R001A001.skeleton: truncated at line {expected_line}\b"):
        parse_skeleton_file(path)


def test_file_cut_inside_its_last_line_is_caught(tmp_path):
    text = skeleton_text(_frames(2, a=(0, body_track(2))))
    path = tmp_path / "cut.skeleton"
    path.write_text(text.rstrip("\r\n").rsplit(" ", 6)[0], newline="")  # last line keeps 6 of its 12 values
    with pytest.raises(InputError, match="cut.skeleton: line 57: truncated joint line"):
        parse_skeleton_file(path)


@pytest.mark.parametrize("line, bad, message", [
    (2, "x", "line 2: expected the body count"),
    (3, "72057594037931648 0 1", "line 3: expected a body header"),
    (4, "24", "line 4: expected 25 joints"),
    (9, "0.1 abc 3.2 0 0 0 0 0 0 0 0 2", "line 9: expected a joint line"),
    (30, "7", "line 30: unexpected content"),
])
def test_malformed_line_is_named(tmp_path, line, bad, message):
    lines = skeleton_text(_frames(1, a=(0, body_track(1)))).split("\r\n")[:-1]
    if line <= len(lines):
        lines[line - 1] = bad
    else:
        lines.append(bad)
    path = tmp_path / "bad.skeleton"
    path.write_text("\r\n".join(lines) + "\r\n", newline="")
    with pytest.raises(InputError, match=f"bad.skeleton: {message}"):
        parse_skeleton_file(path)


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "x.skeleton"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(InputError, match="x.skeleton: not an NTU"):
        parse_skeleton_file(path)


@pytest.mark.parametrize("name, frames, two_people", [
    ("S001C001P001R001A011", 82, False), ("S002C001P003R001A003", 100, False),
    ("S001C003P008R002A058", 70, True),
])
def test_real_ntu_samples(ntu_samples_dir, name, frames, two_people):
    path = ntu_samples_dir / f"{name}.skeleton"
    x = read_ntu_skeleton(path)
    assert x.shape == (3, frames, 25, 2) and x.dtype == np.float32
    present = np.any(x != 0, axis=(0, 2))  # (T, M)
    assert present[:, 0].all() and present[:, 1].all() == two_people and present[:, 1].any() == two_people
    # the first joint line of the file is the first frame's spine base of one of the slots
    first = np.array(path.read_text().splitlines()[4].split()[:3], dtype=np.float32)
    assert any(np.allclose(x[:, 0, 0, m], first) for m in range(2))
    head, foot = x[1, :, 3, 0], x[1, :, 15, 0]
    assert np.all(head > foot) and np.all((x[2][x[2] != 0] > 1) & (x[2][x[2] != 0] < 6))
