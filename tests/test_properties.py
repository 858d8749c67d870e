"""Property-based tests (hypothesis) of the places that take raw outside data: the dataset file
readers, above all the NTU ``.skeleton`` parser (random and corrupted files: only InputError, never
another exception or a hang), and the BlazePose -> NTU mapping (random, NaN, infinite and absurd
landmarks and visibilities: finite joints, confidence in [0, 1], zeros for a person with no usable
landmark)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from core.errors import InputError
from model.data.loader import read_file
from model.data.ntu_skeleton import parse_skeleton_file
from pose.mapping import NUM_LANDMARKS, mediapipe_image_to_ntu, mediapipe_to_ntu
from skeleton_files import body_track, skeleton_text

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy on deliberate NaN/inf input
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])  # one file, rewritten


def _valid_file(frames: int, bodies: int) -> str:
    tracks = [body_track(frames, x0=0.8 * b, seed=b) for b in range(bodies)]
    return skeleton_text([[(f"id{b}", tracks[b][f]) for b in range(bodies)] for f in range(frames)])


def _read(tmp_path, data: bytes):
    """Parse and fully read ``data`` as a .skeleton file; return the sample or the InputError."""
    path = tmp_path / "S001C001P001R001A001.skeleton"
    path.write_bytes(data)
    try:
        parse_skeleton_file(path)
        return read_file(path)
    except InputError as err:
        assert str(path) in str(err) and "\n" not in str(err)
        return err


# --- the .skeleton parser ----------------------------------------------------------------------------

@SETTINGS
@given(data=st.binary(max_size=400))
def test_random_bytes_are_refused_with_input_error(tmp_path, data):
    _read(tmp_path, data)


_LINE = st.one_of(
    st.integers(-3, 40).map(str),
    st.sampled_from(["", " ", "#", "nan nan nan", "inf 1 2", "1e999 0 0", "25", "0", "x", "1_0",
                     "9" * 5000, "0.1 0.2", "\t", "72057594037932705 0 1 1 1 1 0 -0.1 0.1 2"]),
    st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1, max_size=13)
    .map(lambda xs: " ".join(repr(x) for x in xs)),
    st.text(alphabet="0123456789.-e +", max_size=30),
)


@SETTINGS
@given(lines=st.lists(_LINE, max_size=80))
def test_random_lines_are_refused_or_read(tmp_path, lines):
    result = _read(tmp_path, "\r\n".join(lines).encode("ascii"))
    if not isinstance(result, InputError):
        assert np.isfinite(result.array).all()


@SETTINGS
@given(frames=st.integers(1, 6), bodies=st.integers(1, 3), data=st.data())
def test_corrupted_valid_files_are_refused_or_read(tmp_path, frames, bodies, data):
    lines = _valid_file(frames, bodies).split("\r\n")
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        edit = data.draw(st.sampled_from(["delete", "replace", "duplicate", "cut", "insert"]), label="edit")
        if edit == "delete":
            del lines[i]
        elif edit == "replace":
            lines[i] = data.draw(_LINE, label="new line")
        elif edit == "duplicate":
            lines.insert(i, lines[i])
        elif edit == "cut":
            lines[i] = lines[i][: data.draw(st.integers(0, max(len(lines[i]) - 1, 0)), label="keep")]
        else:
            lines.insert(i, data.draw(_LINE, label="inserted"))
        if not lines:
            break
    result = _read(tmp_path, "\r\n".join(lines).encode("ascii"))
    if not isinstance(result, InputError):
        assert result.array.shape[0] == 3 and result.array.shape[2:] == (25, 2)
        assert np.isfinite(result.array).all()


@SETTINGS
@given(frames=st.integers(1, 5), bodies=st.integers(1, 3), cut=st.floats(0.0, 0.999))
def test_any_truncation_of_a_valid_file_is_an_input_error(tmp_path, frames, bodies, cut):
    data = _valid_file(frames, bodies).encode("ascii").rstrip(b"\r\n")
    keep = int(len(data) * cut)
    assume(data[:keep].rstrip(b"\r\n") != data)  # the whole file (minus line ends) is not a cut
    result = _read(tmp_path, data[:keep])
    assert isinstance(result, InputError)


@pytest.mark.parametrize("joint_line", ["", "   ", "# 0.1 0.2 0.3", "0.1 0.2"])
def test_blank_comment_or_short_joint_line_is_named(tmp_path, joint_line):
    lines = _valid_file(2, 1).split("\r\n")
    lines[5] = joint_line  # the second joint line of the first body (hypothesis found the blank one)
    result = _read(tmp_path, "\r\n".join(lines).encode("ascii"))
    assert isinstance(result, InputError) and "line 6: expected a joint line" in str(result)


@pytest.mark.parametrize("header", ["9" * 12, str(2**40)])
def test_huge_counts_fail_fast_instead_of_hanging(tmp_path, header):
    result = _read(tmp_path, f"{header}\r\n{header}\r\n".encode())
    assert isinstance(result, InputError) and "truncated" in str(result)


# --- the other dataset files: UTD-MHAD .mat and NW-UCLA .json ------------------------------------------

def _mat_and_json(tmp_path) -> dict[str, bytes]:
    from skeleton_files import write_ucla, write_utd

    joints = np.random.default_rng(0).normal(size=(6, 20, 3))
    return {".mat": write_utd(tmp_path / "a1_s1_t1_skeleton.mat", joints).read_bytes(),
            ".json": write_ucla(tmp_path / "a01_s01_e00_v01.json", joints, 1).read_bytes()}


@SETTINGS
@given(suffix=st.sampled_from([".mat", ".json"]), cut=st.floats(0, 1),
       flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=4))
def test_damaged_mat_and_json_files_are_refused_or_read(tmp_path, suffix, cut, flips):
    original = _mat_and_json(tmp_path)[suffix]
    data = bytearray(original[: int(len(original) * cut)])
    for where, value in flips:
        if data:
            data[min(int(where * len(data)), len(data) - 1)] = value
    path = tmp_path / ("a1_s1_t1_skeleton.mat" if suffix == ".mat" else "a01_s01_e00_v01.json")
    path.write_bytes(bytes(data))
    try:
        sample = read_file(path)
    except InputError as err:
        assert str(path) in str(err) and "\n" not in str(err)
    else:
        assert np.isfinite(sample.array).all() and sample.array.shape[2] == 20


# --- the BlazePose -> NTU mapping --------------------------------------------------------------------

_COORD = st.one_of(st.floats(-50, 50, width=32), st.sampled_from([np.nan, np.inf, -np.inf]),
                   st.floats(allow_nan=True, allow_infinity=True))  # any double, beyond float32 too
_VISIBILITY = st.one_of(st.floats(-2, 3, width=32), st.sampled_from([np.nan, np.inf, -np.inf]))


def _check_mapping(joints: np.ndarray, conf: np.ndarray, dims: int, batch: tuple = ()) -> None:
    assert joints.shape == batch + (25, dims) and conf.shape == batch + (25,)
    assert joints.dtype == np.float32 and conf.dtype == np.float32
    assert np.isfinite(joints).all() and np.isfinite(conf).all()
    assert ((conf >= 0) & (conf <= 1)).all()


@SETTINGS
@given(world=arrays(np.float64, (NUM_LANDMARKS, 3), elements=_COORD),
       visibility=arrays(np.float64, (NUM_LANDMARKS,), elements=_VISIBILITY))
def test_world_mapping_is_finite_with_confidence_in_range(world, visibility):
    joints, conf = mediapipe_to_ntu(world, visibility)
    _check_mapping(joints, conf, 3)
    if not np.isfinite(world).any():
        assert not joints.any() and not conf.any()  # nobody usable: zeros, documented


@SETTINGS
@given(image=arrays(np.float64, (2, NUM_LANDMARKS, 2), elements=st.one_of(
           st.floats(-5000, 5000, width=32), st.sampled_from([np.nan, np.inf]), st.floats())),
       visibility=arrays(np.float64, (2, NUM_LANDMARKS), elements=_VISIBILITY))
def test_image_mapping_is_finite_with_confidence_in_range(image, visibility):
    joints, conf = mediapipe_image_to_ntu(image, visibility)
    _check_mapping(joints, conf, 2, (2,))


@SETTINGS
@given(missing=arrays(bool, (NUM_LANDMARKS,)), visibility=arrays(np.float64, (NUM_LANDMARKS,),
                                                                  elements=st.floats(0, 1)))
def test_missing_landmarks_lower_confidence_and_never_move_joints_far(missing, visibility):
    from blazepose_synth import standing_world

    world = standing_world()
    full, _ = mediapipe_to_ntu(world, np.ones(NUM_LANDMARKS))
    world[missing] = np.nan
    joints, conf = mediapipe_to_ntu(world, visibility)
    _check_mapping(joints, conf, 3)
    if missing.all():
        return
    # a joint built only from present landmarks stays near its place; collapsed ones sit on a parent
    assert np.abs(joints).max() <= np.abs(full).max() * 3 + 1.0
