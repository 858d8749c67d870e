"""Camera-noise augmentations: each changes only what it imitates, by the configured amount."""
from pathlib import Path

import numpy as np
import pytest

from model.config import load_config
from model.data.camera_noise import (BodyShape, CameraTilt, DepthDistortion, FrameDrop, MissingJoints,
                                     SpeedChange, TrackingNoise)
from model.data.transforms import AUGMENTATIONS, build_augmentations
from model.preprocess import normalize
from pose.layouts import NTU25
from skeleton_files import body_track

ROOT = Path(__file__).resolve().parents[1]
ALL = (CameraTilt(), DepthDistortion(), BodyShape(), SpeedChange(), FrameDrop(), MissingJoints(p=1.0),
       TrackingNoise())


def _clip(frames=40, persons=2):
    """Body-frame clip (torso units) with the second person absent in the first 10 frames."""
    x = np.stack([body_track(frames, x0=0.6 * m, sway=0.15, seed=m).transpose(2, 0, 1)
                  for m in range(persons)], axis=-1).astype(np.float32)
    x[:, :10, :, 1] = 0
    return normalize(x, "body_frame", NTU25)


def _bones(x):
    b = np.array(NTU25.bones)
    return x[:, :, b[:, 0]] - x[:, :, b[:, 1]]


@pytest.mark.parametrize("aug", ALL, ids=lambda a: type(a).__name__)
def test_seeded_pure_and_absent_stays_zero(aug):
    x = _clip()
    before = x.copy()
    y = aug(x, np.random.default_rng(3))
    np.testing.assert_array_equal(x, before)
    assert y.shape == x.shape and y.dtype == np.float32 and np.isfinite(y).all()
    assert not y[:, :10, :, 1].any()
    np.testing.assert_array_equal(y, aug(x, np.random.default_rng(3)))
    assert not np.allclose(y, x)


def test_recipe_augmentations_are_registered_and_build():
    config = load_config(ROOT / "configs" / "default_model.yaml")
    for section in (config.data.camera_augmentation, config.data.augmentation):
        assert set(section) <= set(AUGMENTATIONS)
    camera = build_augmentations(config.data.camera_augmentation, "ntu25")
    assert [type(t).__name__ for t in camera.transforms] == ["CameraView", "CameraDepth"]
    compose = build_augmentations(config.data.augmentation, "ntu25")
    kinds = [type(t).__name__ for t in compose.transforms]
    assert kinds[-1] == "Retarget" and kinds.index("CameraTilt") < kinds.index("TrackingNoise")
    y = compose(camera(_clip(frames=32), np.random.default_rng(0)), np.random.default_rng(0))
    assert y.shape == (3, 32, 25, 2) and np.isfinite(y).all()


def test_tilt_pitches_the_body_towards_the_camera_rigidly():
    x = _clip()
    y = CameraTilt(min_deg=12, max_deg=12)(x, np.random.default_rng(0))
    length = lambda a: np.linalg.norm(_bones(a), axis=0)  # noqa: E731
    np.testing.assert_allclose(length(y), length(x), atol=1e-5)
    up_x, up_y = (a[:, :, NTU25.index("spine_shoulder"), 0].mean(axis=1) for a in (x, y))
    pitch = lambda u: np.degrees(np.arctan2(-u[2], u[1]))  # noqa: E731  (> 0: top towards the camera, -z)
    assert pitch(up_y) - pitch(up_x) == pytest.approx(12, abs=0.01)
    np.testing.assert_array_equal(y[0], x[0])


def test_depth_changes_only_depth_by_a_scale_and_a_constant_per_joint():
    x = _clip()
    y = DepthDistortion(scale=(0.8, 1.4), joint_sigma=0.05)(x, np.random.default_rng(1))
    np.testing.assert_array_equal(y[:2], x[:2])
    present = slice(10, None)
    z, w = x[2, present, :, 1], y[2, present, :, 1]
    slope = ((w - w.mean(0)) * (z - z.mean(0))).sum() / ((z - z.mean(0)) ** 2).sum()
    assert 0.8 <= slope <= 1.4
    bias = w - slope * z  # constant over time for every joint
    np.testing.assert_allclose(bias, bias[:1].repeat(len(bias), 0), atol=1e-5)
    assert 0.01 < bias[0].std() < 0.12


def test_body_shape_scales_bones_symmetrically_within_range():
    x = _clip()[..., :1]
    y = BodyShape(max_change=0.12)(x, np.random.default_rng(2))
    np.testing.assert_array_equal(y[:, :, NTU25.root], x[:, :, NTU25.root])
    bx, by = _bones(x), _bones(y)
    ratio = np.linalg.norm(by, axis=0) / np.linalg.norm(bx, axis=0)
    assert np.all((ratio[:, :, 0] > 0.88 - 1e-4) & (ratio[:, :, 0] < 1.12 + 1e-4))
    np.testing.assert_allclose(ratio[:, :, 0], ratio[:1, :, 0].repeat(len(ratio), 0), atol=1e-4)  # per bone
    cos = (bx * by).sum(0) / np.linalg.norm(bx, axis=0) / np.linalg.norm(by, axis=0)
    np.testing.assert_allclose(cos[:, :, 0], 1, atol=1e-5)  # directions kept
    index = {NTU25.joints[c]: k for k, (c, _) in enumerate(NTU25.bones)}
    for left, right in (("left_knee", "right_knee"), ("left_wrist", "right_wrist")):
        assert ratio[0, index[left], 0] == pytest.approx(ratio[0, index[right], 0], abs=1e-4)


def test_speed_plays_faster_or_slower_with_edge_poses():
    t = 41
    ramp = np.broadcast_to(np.arange(t, dtype=np.float32)[None, :, None, None] + 1, (3, t, 25, 1)).copy()
    same = SpeedChange(low=1.0, high=1.0)(ramp, np.random.default_rng(0))
    np.testing.assert_allclose(same, ramp, atol=1e-4)
    fast = SpeedChange(low=2.0, high=2.0)(ramp, np.random.default_rng(0))[0, :, 0, 0]
    step = np.diff(fast)
    assert np.all((step > -1e-4) & (step < 2 + 1e-3))
    assert np.sum(np.abs(step - 2) < 1e-3) >= 18  # twice as fast over about half of the frames ...
    assert np.sum(step < 1e-4) >= 18  # ... and at rest (first / last pose) over the rest
    assert fast.min() == 1 and fast.max() == t
    slow = SpeedChange(low=0.5, high=0.5)(ramp, np.random.default_rng(0))[0, :, 0, 0]
    np.testing.assert_allclose(np.diff(slow), 0.5, atol=1e-4)


def test_frame_drop_interpolates_between_kept_frames():
    t = 60
    line = np.broadcast_to(np.linspace(0, 1, t, dtype=np.float32)[None, :, None, None], (3, t, 25, 1)).copy()
    np.testing.assert_allclose(FrameDrop(p=0.5)(line, np.random.default_rng(0)), line, atol=1e-6)
    wave = np.sin(line * 12).astype(np.float32) + 2
    y = FrameDrop(p=0.5)(wave, np.random.default_rng(0))
    changed = np.any(np.abs(y - wave) > 1e-6, axis=(0, 2, 3))
    assert 0.2 * t < changed.sum() < 0.7 * t and not changed[0] and not changed[-1]
    np.testing.assert_array_equal(FrameDrop(p=0.0)(wave, np.random.default_rng(0)), wave)


def test_missing_joints_touch_one_limb_end_only():
    x = _clip()
    limbs = {f"{s}_{j}" for s in ("left", "right") for j in ("elbow", "wrist", "hand", "hand_tip", "thumb",
                                                              "knee", "ankle", "foot")}
    for seed in range(12):
        y = MissingJoints(p=1.0)(x, np.random.default_rng(seed))
        changed = {NTU25.joints[v] for v in np.flatnonzero(np.any(np.abs(y - x) > 1e-7, axis=(0, 1, 3)))}
        assert changed and changed <= limbs
        assert len({n.split("_")[0] for n in changed}) == 1  # one side
    np.testing.assert_array_equal(MissingJoints(p=0.0)(x, np.random.default_rng(0)), x)


def test_tracking_noise_level_and_smoothness():
    x = np.zeros((3, 4000, 25, 1), np.float32) + 1
    y = TrackingNoise(sigma=0.02, depth_factor=2.0, alpha=0.4)(x, np.random.default_rng(0))
    noise = (y - x)[:, 100:]
    assert noise[0].std() == pytest.approx(0.02, rel=0.1) and noise[2].std() == pytest.approx(0.04, rel=0.1)
    lag1 = np.corrcoef(noise[0, 1:, 0, 0], noise[0, :-1, 0, 0])[0, 1]
    assert lag1 == pytest.approx(0.6, abs=0.05)  # temporally smooth, not white
