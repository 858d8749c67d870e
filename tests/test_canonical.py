"""The canonical body (normalization "canonical", retarget) and the camera-space augmentations."""
import numpy as np
import pytest

from model.data.camera_view import CameraDepth, CameraView
from model.data.kinect_v1 import to_kinect2
from model.data.transforms import build_augmentations
from model.preprocess import CANONICAL_BONES, normalize, retarget
from pose.layouts import NTU25, convert_ctvm

from skeleton_files import body_track

J = NTU25.index


def _clip(frames=12, seed=0):
    return np.ascontiguousarray(body_track(frames, sway=0.2, seed=seed).transpose(2, 0, 1)[..., None])


def _length(x, a, b):
    return np.linalg.norm(x[:, :, J(a)] - x[:, :, J(b)], axis=0)


def test_every_bone_gets_its_canonical_length_and_keeps_its_direction():
    x = _clip()
    y = retarget(x, "ntu25")
    for child, parent, bone in [("left_elbow", "left_shoulder", "upper_arm"), ("right_wrist", "right_elbow", "forearm"),
                                ("left_knee", "left_hip", "thigh"), ("right_ankle", "right_knee", "shin")]:
        np.testing.assert_allclose(_length(y, child, parent), CANONICAL_BONES[bone], atol=1e-5)
        before = x[:, :, J(child)] - x[:, :, J(parent)]
        after = y[:, :, J(child)] - y[:, :, J(parent)]
        cos = (before * after).sum(0) / np.linalg.norm(before, axis=0) / np.linalg.norm(after, axis=0)
        assert cos.min() > 0.9999
    hip_mid = (x[:, :, J("left_hip")] + x[:, :, J("right_hip")]) / 2
    np.testing.assert_allclose(y[:, :, J("spine_base")], hip_mid, atol=1e-5)  # stays where it was
    np.testing.assert_allclose(_length(y, "spine_shoulder", "spine_base"), 1.0, atol=1e-5)


def test_body_size_proportions_and_sensor_joint_definitions_drop_out():
    x = _clip()
    ref = normalize(x, "canonical", "ntu25")
    assert normalize(x * 1.7 + np.array([1.0, 0.3, 2.0])[:, None, None, None], "canonical", "ntu25") == pytest.approx(ref, abs=1e-5)
    longer_legs = x.copy()
    for side in ("left", "right"):  # the same posture with 30% longer shins
        shin = x[:, :, J(f"{side}_ankle")] - x[:, :, J(f"{side}_knee")]
        longer_legs[:, :, J(f"{side}_ankle")] += 0.3 * shin
        longer_legs[:, :, J(f"{side}_foot")] += 0.3 * shin
    assert normalize(longer_legs, "canonical", "ntu25") == pytest.approx(ref, abs=1e-5)
    # Kinect v1's trunk joints, neck and head sit elsewhere than Kinect v2's: only the head moves
    moved = to_kinect2(x, 1.0)
    out = normalize(moved, "canonical", "ntu25")
    others = [i for i, n in enumerate(NTU25.joints) if n not in ("head", "neck")]
    assert np.abs(out[:, :, others] - ref[:, :, others]).max() < 0.05
    # and a clip read from a Kinect v1 layout gives the same as its NTU 25 conversion
    utd = convert_ctvm(x, "ntu25", "utd20")
    np.testing.assert_allclose(normalize(convert_ctvm(utd, "utd20", "ntu25"), "canonical", "ntu25"),
                               normalize(x, "canonical", "ntu25"), atol=1e-5)


def test_a_turned_person_is_turned_back_to_face_the_camera():
    x = _clip()
    a = np.radians(70)
    turn = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    turned = np.einsum("ij,jtvm->itvm", turn, x)
    np.testing.assert_allclose(normalize(turned, "canonical", "ntu25"), normalize(x, "canonical", "ntu25"), atol=1e-4)


def test_collapsed_limbs_stay_collapsed_and_absent_frames_zero():
    x = _clip()
    x[:, 3:5, J("left_wrist")] = x[:, 3:5, J("left_elbow")]  # the mapping's "not computable"
    x[:, 7] = 0
    y = normalize(x, "canonical", "ntu25")
    assert np.isfinite(y).all() and (y[:, 7] == 0).all()
    np.testing.assert_allclose(y[:, 3:5, J("left_wrist")], y[:, 3:5, J("left_elbow")], atol=1e-6)


def test_camera_view_turns_about_the_person_and_keeps_their_shape():
    x = _clip()
    y = CameraView(max_yaw=90)(x, np.random.default_rng(3))
    centre = lambda c: c.mean(axis=(1, 2, 3))  # noqa: E731
    np.testing.assert_allclose(centre(y), centre(x), atol=1e-5)
    np.testing.assert_allclose(_length(y, "left_elbow", "left_wrist"), _length(x, "left_elbow", "left_wrist"), atol=1e-5)
    assert not np.allclose(y, x, atol=1e-3)
    np.testing.assert_allclose(y[1], x[1], atol=1e-6)  # heights unchanged


def test_camera_depth_scales_depth_about_the_person():
    x = _clip()
    y = CameraDepth(scale=(0.5, 0.5), joint_sigma=0.0)(x, np.random.default_rng(0))
    np.testing.assert_allclose(y[:2], x[:2], atol=1e-6)
    depth = lambda c: c[2] - c[2].mean(axis=1, keepdims=True)  # noqa: E731
    np.testing.assert_allclose(depth(y), 0.5 * depth(x), atol=1e-5)


def test_retarget_augmentation_restores_canonical_lengths_after_noise():
    x = normalize(_clip(), "canonical", "ntu25")
    noisy = build_augmentations({"tracking_noise": {"sigma": 0.05}, "retarget": {}})(x, np.random.default_rng(1))
    np.testing.assert_allclose(_length(noisy, "left_knee", "left_hip"), CANONICAL_BONES["thigh"], atol=1e-5)
    assert not np.allclose(noisy, x, atol=1e-3)
