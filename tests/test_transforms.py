"""Training transforms and the torch Dataset: invariants, seeding, composition."""
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from core.errors import InputError
from model.data.dataset import SkeletonDataset
from model.data.sets import SkeletonSet
from model.data.transforms import (AUGMENTATIONS, BothArms, Compose, JointJitter, Mirror, RandomCropResize,
                                   RandomRotation, RandomScale, build_augmentations,
                                   register_augmentation)
from model.preprocess import InputSpec, prepare_input
from pose.layouts import NTU25
from skeleton_files import body_track


def _clip(frames=50, seed=0):
    x = np.stack([body_track(frames, x0=0.5 * m, sway=0.1, seed=seed + m).transpose(2, 0, 1)
                  for m in range(2)], axis=-1).astype(np.float32)
    x[:, :15, :, 1] = 0  # second person arrives later
    return x


def _bone_lengths(x):
    bones = np.array(NTU25.bones)
    return np.linalg.norm(x[:, :, bones[:, 0]] - x[:, :, bones[:, 1]], axis=0)


@pytest.mark.parametrize("t", [200, 80, 40])
def test_random_crop_takes_a_long_enough_contiguous_piece(t):
    ramp = np.broadcast_to(np.arange(1, t + 1, dtype=np.float32)[None, :, None, None], (3, t, 25, 2))
    crop = RandomCropResize(window=64, ratio=(0.5, 1.0), min_length=64)
    rng = np.random.default_rng(0)
    for _ in range(20):
        y = crop(ramp, rng)[0, :, 0, 0]
        assert y.shape == (64,) and np.all(np.diff(y) >= 0)  # order kept, one piece
        assert y[0] >= 1 and y[-1] <= t
        assert y[-1] - y[0] >= min(max(np.floor(0.5 * t), 64), t) - 2  # at least half (or 64)


def test_crop_is_seeded():
    x, crop = _clip(), RandomCropResize(window=32, min_length=10)
    a = crop(x, np.random.default_rng(5))
    np.testing.assert_array_equal(a, crop(x, np.random.default_rng(5)))
    assert not np.array_equal(a, crop(x, np.random.default_rng(6)))


def test_rotation_keeps_lengths_and_absent_zero():
    x = _clip()
    y = RandomRotation(0.3)(x, np.random.default_rng(1))
    np.testing.assert_allclose(_bone_lengths(y), _bone_lengths(x), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(y, axis=0), np.linalg.norm(x, axis=0), atol=1e-5)
    assert not y[:, :15, :, 1].any() and not np.allclose(y, x)


def test_scale_stays_in_range_per_axis():
    x = _clip()
    y = RandomScale(0.1)(x, np.random.default_rng(2))
    mask = x != 0
    for c in range(3):
        ratio = y[c][mask[c]] / x[c][mask[c]]
        assert np.ptp(ratio) < 1e-5 and 0.9 <= ratio[0] <= 1.1
    assert not y[:, :15, :, 1].any()


def test_jitter_noise_level_and_absent_zero():
    x = _clip(frames=200)
    y = JointJitter(sigma=0.02)(x, np.random.default_rng(3))
    noise = (y - x)[:, 15:]
    assert 0.018 < noise.std() < 0.022 and abs(noise.mean()) < 0.002
    assert not y[:, :15, :, 1].any()


def test_mirror_swaps_sides_and_negates_x():
    x = _clip()
    y = Mirror(p=1.0)(x, np.random.default_rng(0))
    left, right = NTU25.index("left_wrist"), NTU25.index("right_wrist")
    np.testing.assert_allclose(y[0, :, left], -x[0, :, right])
    np.testing.assert_allclose(y[1:, :, left], x[1:, :, right])
    np.testing.assert_allclose(Mirror(p=1.0)(y, np.random.default_rng(0)), x)  # its own inverse
    np.testing.assert_allclose(_bone_lengths(y), _bone_lengths(x)[:, _mirrored_bones()], atol=1e-5)
    assert not y[:, :15, :, 1].any()
    np.testing.assert_array_equal(Mirror(p=0.0)(x, np.random.default_rng(0)), x)


def _mirrored_bones():
    """Index of each bone's mirror image in NTU25.bones."""
    swap = dict(NTU25.flip_pairs) | {r: l for l, r in NTU25.flip_pairs}
    bones = [tuple(b) for b in NTU25.bones]
    return [bones.index((swap.get(c, c), swap.get(p, p))) for c, p in bones]


def test_both_arms_copies_the_right_arm_mirrored_onto_the_left():
    x = _clip()
    y = BothArms(p=1.0)(x, np.random.default_rng(0))
    for name in ("elbow", "wrist", "hand", "hand_tip", "thumb"):
        left, right = NTU25.index("left_" + name), NTU25.index("right_" + name)
        lp, rp = NTU25.parents[left], NTU25.parents[right]
        np.testing.assert_allclose((y[:, 15:, left] - y[:, 15:, lp])[0], -(x[:, 15:, right] - x[:, 15:, rp])[0],
                                   atol=1e-6)
        np.testing.assert_allclose((y[:, 15:, left] - y[:, 15:, lp])[1:], (x[:, 15:, right] - x[:, 15:, rp])[1:],
                                   atol=1e-6)
    untouched = [NTU25.index(n) for n in NTU25.joints if not n.startswith("left_") or "shoulder" in n
                 or any(k in n for k in ("hip", "knee", "ankle", "foot"))]
    np.testing.assert_array_equal(y[:, :, untouched], x[:, :, untouched])
    assert not y[:, :15, :, 1].any()


def test_transforms_do_not_modify_input():
    x = _clip()
    before = x.copy()
    rng = np.random.default_rng(4)
    for t in (RandomCropResize(32), RandomRotation(), RandomScale(), JointJitter()):
        t(x, rng)
    np.testing.assert_array_equal(x, before)


def test_build_augmentations_in_order_and_refuses_unknown(monkeypatch):
    compose = build_augmentations({"scale": {"max_change": 0.2}, "rotate": None})
    assert [type(t) for t in compose.transforms] == [RandomScale, RandomRotation]
    assert compose.transforms[0].max_change == 0.2
    with pytest.raises(InputError, match="unknown; available"):
        build_augmentations({"flip": {}})
    with pytest.raises(InputError, match="unknown option"):
        build_augmentations({"jitter": {"std": 1}})

    monkeypatch.setattr("model.data.transforms.AUGMENTATIONS", dict(AUGMENTATIONS))

    @register_augmentation("drop_joint")
    @dataclass
    class DropJoint:
        joint: str = "head"
        layout: str = ""

        def __call__(self, x, rng):
            y = x.copy()
            y[:, :, NTU25.index(self.joint)] = 0
            return y

    t = build_augmentations({"drop_joint": {"joint": "neck"}}, layout="ntu25").transforms[0]
    assert t.layout == "ntu25" and not t(_clip(), None)[:, :, NTU25.index("neck")].any()


def _set(n=6):
    samples = [_clip(frames=30 + 10 * i, seed=i) for i in range(n)]
    return SkeletonSet(samples, np.arange(n) % 3, [f"s{i}" for i in range(n)], ("a", "b", "c"),
                       "ntu25", "toy")


def test_dataset_train_items_are_seeded_by_epoch_and_index():
    spec = InputSpec(window=32, stream="bone")
    aug = Compose([RandomRotation(), JointJitter(0.01)])
    ds = SkeletonDataset(_set(), spec, train=True, augment=aug, min_crop=16, seed=3)
    x, label, index = ds[4]
    assert x.shape == (3, 32, 25, 2) and x.dtype == torch.float32 and (label, index) == (1, 4)
    torch.testing.assert_close(ds[4][0], x)
    assert not torch.equal(ds[3][0], x)
    ds.set_epoch(1)
    assert not torch.equal(ds[4][0], x)
    assert not x[:, :, NTU25.root].any()  # bone stream


def test_dataset_eval_items_equal_prepare_input_and_batch():
    spec = InputSpec(window=24, num_person=1)
    data = _set()
    ds = SkeletonDataset(data, spec)
    np.testing.assert_array_equal(ds[2][0].numpy(), prepare_input(data.samples[2], spec))
    x, y, idx = next(iter(torch.utils.data.DataLoader(ds, batch_size=4)))
    assert x.shape == (4, 3, 24, 25, 1) and y.tolist() == [0, 1, 2, 0] and idx.tolist() == [0, 1, 2, 3]


def test_dataset_converts_layout_to_the_spec():
    data = _set().to_layout("ucla20")
    ds = SkeletonDataset(data, InputSpec(window=16))
    assert ds[0][0].shape == (3, 16, 25, 2)
