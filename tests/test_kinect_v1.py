"""Kinect v1 -> Kinect v2 joint definitions: what moves, by how much, and what the result measures."""
import numpy as np
import pytest

from model.data.kinect_v1 import HIP_DROP, HIP_WIDTH, V2_TRUNK, Kinect2Joints, to_kinect2
from model.data.loader import read_file
from model.preprocess import normalize
from pose.layouts import NTU25, convert_ctvm
from skeleton_files import body_track

J = NTU25.index
TRUNK = {"spine_base", "spine_mid", "spine_shoulder", "neck", "head", "left_hip", "right_hip"}


def _frame(x):
    p = lambda n: x[:, :, J(n)]  # noqa: E731
    hip = (p("left_hip") + p("right_hip")) / 2
    sh = (p("left_shoulder") + p("right_shoulder")) / 2
    length = np.linalg.norm(sh - hip, axis=0)
    return hip, (sh - hip) / length, length


def _clip():
    x = np.stack([body_track(20, x0=0.7 * m, seed=m).transpose(2, 0, 1) for m in range(2)], -1)
    x[:, :5, :, 1] = 0
    return x.astype(np.float32)


def test_only_hips_and_trunk_move_by_the_documented_amounts():
    x = _clip()
    y = to_kinect2(x)
    moved = {NTU25.joints[v] for v in np.flatnonzero(np.any(np.abs(y - x) > 1e-6, axis=(0, 1, 3)))}
    assert moved == TRUNK
    assert not y[:, :5, :, 1].any()
    hip1, up, length = _frame(x[..., 0])
    hip2, _, _ = _frame(y[..., 0])
    np.testing.assert_allclose(hip2, hip1 - HIP_DROP * length * up, atol=1e-5)
    def width(a):
        return np.linalg.norm(a[:, :, J("left_hip"), 0] - a[:, :, J("right_hip"), 0], axis=0)

    np.testing.assert_allclose(width(y), HIP_WIDTH * width(x), rtol=1e-4)
    l2 = (1 + HIP_DROP) * length
    height = ((y[:, :, J("spine_shoulder"), 0] - hip2) * up).sum(0) / l2
    np.testing.assert_allclose(height, V2_TRUNK["spine_shoulder"][0], atol=1e-4)
    np.testing.assert_allclose(to_kinect2(x, amount=0.0), x, atol=1e-6)
    half = to_kinect2(x, amount=0.5)
    np.testing.assert_allclose(half[:, :, J("spine_mid")], (x + y)[:, :, J("spine_mid")] / 2, atol=1e-5)


def test_augmentation_returns_a_body_frame_clip():
    x = normalize(_clip(), "body_frame", NTU25)
    aug = Kinect2Joints(p=1.0)
    y = aug(x, np.random.default_rng(0))
    np.testing.assert_allclose(y[:, 5:, NTU25.center, 0], 0, atol=1e-5)
    torso = np.linalg.norm(y[:, :, J("spine_shoulder"), 0] - y[:, :, NTU25.center, 0], axis=0)
    assert np.median(torso) == pytest.approx(1.0, abs=1e-4)
    assert not np.allclose(y, x)
    np.testing.assert_array_equal(Kinect2Joints(p=0.0)(x, np.random.default_rng(0)), x)


def test_utd_mhad_measures_like_kinect_v2_after_conversion(utd_dir):
    files = sorted(utd_dir.glob("*.mat"))[::40]
    ratios = []
    for path in files:
        sample = read_file(path)
        x = to_kinect2(convert_ctvm(sample.array, sample.layout, NTU25))[..., 0]
        thigh = np.linalg.norm(x[:, :, J("left_knee")] - x[:, :, J("left_hip")], axis=0)
        shin = np.linalg.norm(x[:, :, J("left_ankle")] - x[:, :, J("left_knee")], axis=0)
        torso = np.linalg.norm(x[:, :, J("spine_shoulder")] - x[:, :, J("spine_base")], axis=0)
        ratios.append([np.median(thigh / shin), np.median(torso / shin)])
    thigh_shin, torso_shin = np.median(ratios, axis=0)
    # Kinect v2 (NTU samples): thigh / shin 0.91, spine base to spine shoulder / shin 1.43;
    # Kinect v1 as read: 1.27 and 1.13
    assert 0.85 < thigh_shin < 1.05
    assert 1.3 < torso_shin < 1.6
