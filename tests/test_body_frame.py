"""The ``body_frame`` normalisation: invariant to where the person is, which way they face and how big
they are; keeps lean, turning and the second person's placement."""
import numpy as np
import pytest

from model.preprocess import InputSpec, normalize, prepare_input
from pose.layouts import NTU25, UTD20, convert_ctvm
from skeleton_files import body_track

J = NTU25.index


def _yaw(x, degrees):
    a = np.radians(degrees)
    r = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]], dtype=np.float32)
    return np.einsum("ij,jtvm->itvm", r, x).astype(np.float32)


def _pitch(x, degrees):
    a = np.radians(degrees)
    r = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]], dtype=np.float32)
    return np.einsum("ij,jtvm->itvm", r, x).astype(np.float32)


def _clip(frames=30, persons=1):
    """(3, T, 25, M) standing people swinging their arms, 2.5 m in front of the camera."""
    x = np.stack([body_track(frames, x0=0.8 * m, sway=0.1, seed=m).transpose(2, 0, 1)
                  for m in range(persons)], axis=-1)
    x[2] += 2.5
    return x.astype(np.float32)


def _body(x):
    return normalize(x, "body_frame", NTU25)


def test_output_is_centred_facing_the_camera_in_torso_units():
    y = _body(_yaw(_clip(), 70))
    np.testing.assert_allclose(y[:, :, NTU25.center, 0], 0, atol=1e-6)  # every frame on the spine base
    across = sum(y[:, :, J(f"right_{j}"), 0] - y[:, :, J(f"left_{j}"), 0] for j in ("shoulder", "hip"))
    across = across.mean(axis=1)
    assert across[0] > 0 and abs(across[2]) < 1e-4 * across[0]  # the right side at +x, no depth
    torso = np.linalg.norm(y[:, :, J("spine_shoulder"), 0] - y[:, :, NTU25.center, 0], axis=0)
    assert np.median(torso) == pytest.approx(1.0, abs=1e-5)
    assert (y[1, :, J("head"), 0] > 1.0).all()  # still upright


@pytest.mark.parametrize("degrees", [-120, -30, 45, 90, 180])
def test_invariant_to_turning_the_whole_clip_about_the_vertical(degrees):
    x = _clip()
    np.testing.assert_allclose(_body(_yaw(x, degrees)), _body(x), atol=1e-4)


def test_invariant_to_per_frame_translation_and_to_size():
    x = _clip(persons=2)
    walk = np.stack([np.linspace(-1, 1.5, x.shape[1]), 0.05 * np.sin(np.arange(x.shape[1])),
                     np.linspace(0, 1, x.shape[1])]).astype(np.float32)
    moved = (x + walk[:, :, None, None]) * 1.7
    np.testing.assert_allclose(_body(moved), _body(x), atol=1e-4)


def test_keeps_lean_turning_and_the_second_persons_place():
    x = _clip(persons=2)
    leaning = _body(_pitch(x, 20))
    up = leaning[:, :, J("spine_shoulder"), 0].mean(axis=1)
    assert np.degrees(np.arctan2(abs(up[2]), up[1])) == pytest.approx(20, abs=0.5)  # pitch is not removed
    turning = x.copy()
    for t in range(x.shape[1]):  # the person turns by 60 degrees during the clip
        turning[:, t:t + 1] = _yaw(x[:, t:t + 1] - x[:, t:t + 1, :1], 2 * t) + x[:, t:t + 1, :1]
    y = _body(turning)
    across = y[:, :, J("right_shoulder"), 0] - y[:, :, J("left_shoulder"), 0]
    angles = np.degrees(np.arctan2(across[2], across[0]))
    assert np.ptp(angles) == pytest.approx(2 * (x.shape[1] - 1), abs=1.0)
    # the second person stays where they were relative to the first, in torso units
    y = _body(x)
    torso = np.median(np.linalg.norm(x[:, :, J("spine_shoulder"), 0] - x[:, :, 0, 0], axis=0))
    gap = np.linalg.norm(x[:, :, 0, 1] - x[:, :, 0, 0], axis=0) / torso
    np.testing.assert_allclose(np.linalg.norm(y[:, :, 0, 1], axis=0), gap, rtol=1e-4)


def test_absent_frames_stay_zero_and_the_most_seen_person_sets_the_frame():
    x = _clip(persons=2)
    x[:, :12, :, 0] = 0  # the first slot is empty for a while: slot 1 is seen longer
    x[:, 20:22] = 0  # nobody in two frames
    y = _body(x)
    assert not y[:, :12, :, 0].any() and not y[:, 20:22].any()
    np.testing.assert_allclose(y[:, 22:, NTU25.center, 1], 0, atol=1e-6)
    assert np.abs(y[:, 12:20, NTU25.center, 0]).max() > 0.5  # slot 0 is placed relative to slot 1


def test_kinect_v1_layout_and_prepare_input():
    x = _clip()
    utd = convert_ctvm(x, NTU25, UTD20)
    y = normalize(utd, "body_frame", UTD20)
    np.testing.assert_allclose(y[:, :, UTD20.center, 0], 0, atol=1e-6)
    spec = InputSpec(window=16, normalization="body_frame", num_person=1)
    out = prepare_input(_yaw(x, 90) + 3.0, spec)
    assert out.shape == (3, 16, 25, 1) and np.isfinite(out).all()
    np.testing.assert_allclose(out, prepare_input(x, spec), atol=1e-4)
