"""model.preprocess: the deterministic path raw skeleton -> network input shared by eval and live."""
import numpy as np
import pytest
import torch

from core.errors import InputError
from model import preprocess
from model.preprocess import (NORMALIZATIONS, InputSpec, center_crop, normalize, prepare_input,
                              register_normalization, resize_time, set_persons, to_stream)
from pose.layouts import NTU25, UCLA20
from skeleton_files import body_track


def _clip(frames=40, persons=2, seed=0):
    """(3, T, 25, M) with the second person absent in the first 10 frames."""
    x = np.stack([body_track(frames, x0=0.6 * m, sway=0.1, seed=seed + m).transpose(2, 0, 1)
                  for m in range(persons)], axis=-1)
    if persons > 1:
        x[:, :10, :, 1] = 0
    return x.astype(np.float32)


@pytest.mark.parametrize("t, window", [(37, 64), (300, 64), (64, 64), (5, 120), (1, 16)])
def test_resize_matches_torch_interpolate(t, window):
    x = np.random.default_rng(t).normal(size=(3, t, 25, 2)).astype(np.float32)
    ref = torch.nn.functional.interpolate(
        torch.from_numpy(x).permute(0, 2, 3, 1).reshape(1, 1, -1, t), size=(3 * 25 * 2, window),
        mode="bilinear", align_corners=False).reshape(3, 25, 2, window).permute(0, 3, 1, 2).numpy()
    np.testing.assert_allclose(resize_time(x, window), ref, atol=1e-5)


def test_center_crop_follows_ctrgcn_bias():
    x = np.arange(100, dtype=np.float32)[None, :, None, None]
    y = center_crop(x, 0.95)  # bias int(0.05 * 100 / 2) = 2
    assert y[0, 0, 0, 0] == 2 and y[0, -1, 0, 0] == 97 and y.shape[1] == 96
    assert center_crop(x[:, :3], 0.5).shape[1] >= 1


def test_center_first_spine_puts_first_spine_at_origin_and_keeps_absent_zero():
    x = _clip()
    x = np.concatenate([np.zeros_like(x[:, :3]), x], axis=1)  # three empty frames first
    y = normalize(x, "center_first_spine", "ntu25")
    np.testing.assert_allclose(y[:, 3, NTU25.index("spine_mid"), 0], 0, atol=1e-6)
    np.testing.assert_allclose(y[:, 3:, :, :1] - x[:, 3:, :, :1],
                               -np.broadcast_to(x[:, 3, 1, 0][:, None, None, None], y[:, 3:, :, :1].shape), atol=1e-6)
    assert not y[:, :3].any() and not y[:, 3:13, :, 1].any()  # empty frames, absent person
    np.testing.assert_allclose(normalize(y, "center_first_spine", "ntu25"), y, atol=1e-6)  # idempotent


def test_center_first_spine_uses_kinect_v1_spine():
    x = np.random.default_rng(1).normal(size=(3, 5, 20, 1)).astype(np.float32)
    y = normalize(x, "center_first_spine", "ucla20")
    np.testing.assert_allclose(y[:, 0, UCLA20.index("spine"), 0], 0, atol=1e-6)


def test_registered_scheme_is_used_and_cannot_touch_absent_slots(monkeypatch):
    monkeypatch.setitem(NORMALIZATIONS, "plus_one", lambda x, layout: x + 1)  # writes everywhere
    x = _clip()
    spec = InputSpec(normalization="plus_one", window=30, stream="joint")
    y = normalize(x, "plus_one", "ntu25")
    np.testing.assert_allclose(y[:, 10:], x[:, 10:] + 1)
    assert not y[:, :10, :, 1].any()
    assert prepare_input(x, spec).shape == (3, 30, 25, 2)
    with pytest.raises(ValueError, match="already registered"):
        register_normalization("none")(lambda x, layout: x)


def test_bone_stream_root_zero_and_reconstructs_joints():
    x = _clip(persons=1)
    bone = to_stream(x, "bone", "ntu25")
    assert not bone[:, :, NTU25.root].any()
    rebuilt = np.zeros_like(x)
    rebuilt[:, :, NTU25.root] = x[:, :, NTU25.root]
    order = sorted(range(25), key=lambda j: _depth(j))
    for j in order:
        if j != NTU25.root:
            rebuilt[:, :, j] = rebuilt[:, :, NTU25.parents[j]] + bone[:, :, j]
    np.testing.assert_allclose(rebuilt, x, atol=1e-5)


def _depth(j):
    d = 0
    while NTU25.parents[j] != j:
        j, d = NTU25.parents[j], d + 1
    return d


def test_motion_streams():
    x = _clip()
    motion = to_stream(x, "joint_motion", "ntu25")
    assert not motion[:, -1].any()
    np.testing.assert_allclose(np.cumsum(motion[:, :-1], axis=1) + x[:, :1], x[:, 1:], atol=1e-5)
    bone_motion = to_stream(x, "bone_motion", "ntu25")
    bone = to_stream(x, "bone", "ntu25")
    np.testing.assert_allclose(bone_motion[:, :-1], bone[:, 1:] - bone[:, :-1], atol=1e-6)
    with pytest.raises(InputError, match="stream"):
        to_stream(x, "velocity", "ntu25")


def test_set_persons_pads_and_trims():
    x = _clip(persons=2)
    assert set_persons(x, 1).shape[3] == 1 and np.array_equal(set_persons(x, 1)[..., 0], x[..., 0])
    padded = set_persons(x[..., :1], 2)
    assert padded.shape[3] == 2 and not padded[..., 1].any()


def test_prepare_input_ignores_empty_frames_and_is_deterministic():
    spec = InputSpec(window=48, num_person=2)
    x = _clip()
    padded = np.concatenate([np.zeros_like(x[:, :7]), x, np.zeros_like(x[:, :20])], axis=1)
    y = prepare_input(padded, spec)
    assert y.shape == (3, 48, 25, 2) and y.dtype == np.float32
    np.testing.assert_array_equal(y, prepare_input(x, spec))
    np.testing.assert_array_equal(y, prepare_input(x, spec))
    assert not prepare_input(np.zeros((3, 10, 25, 1), np.float32), spec).any()


def test_prepare_input_refuses_wrong_layout():
    with pytest.raises(InputError, match="layout ntu25"):
        prepare_input(np.zeros((3, 10, 20, 1), np.float32), InputSpec())


def test_input_spec_validation_and_round_trip():
    spec = InputSpec(layout="ucla20", window=52, window_seconds=2.0, stream="bone",
                     normalization="none", num_person=1)
    assert InputSpec.from_dict({**spec.to_dict(), "extra": 1}) == spec
    for bad in ({"stream": "speed"}, {"normalization": "zscore"}, {"layout": "coco17"}, {"window": 0}):
        with pytest.raises(InputError):
            InputSpec(**bad)
    assert set(preprocess.STREAMS) == {"joint", "bone", "joint_motion", "bone_motion"}


def test_window_timing_sees_window_seconds_of_a_clip_as_live_video_is():
    from model.preprocess import fit_duration, window_frames
    from model.data.transforms import RandomWindow

    x = np.arange(1, 11, dtype=np.float32)[None, :, None, None] * np.ones((3, 1, 25, 1), np.float32)
    np.testing.assert_array_equal(fit_duration(x, 4)[0, :, 0, 0], [4, 5, 6, 7])  # the middle
    np.testing.assert_array_equal(fit_duration(x, 14)[0, :, 0, 0], [1, 1] + list(range(1, 11)) + [10, 10])
    np.testing.assert_array_equal(fit_duration(x, 13, offset=0)[0, :, 0, 0], list(range(1, 11)) + [10] * 3)
    spec = InputSpec(window=8, window_seconds=0.5, fps=20.0, timing="window", normalization="none", num_person=1)
    assert window_frames(spec) == 10
    # a live window of exactly window_seconds is only resized; a long clip gives its middle 0.5 s
    np.testing.assert_allclose(prepare_input(x, spec), resize_time(x, 8), atol=1e-6)
    long = np.concatenate([x, x + 10, x + 20], axis=1)
    np.testing.assert_allclose(prepare_input(long, spec), resize_time(long[:, 10:20], 8), atol=1e-6)
    crop = RandomWindow(window=8, frames=10, speed=(1.0, 1.0))
    outs = {tuple(crop(long, np.random.default_rng(s))[0, :, 0, 0].round(3)) for s in range(20)}
    assert len(outs) > 5 and all(max(o) - min(o) == pytest.approx(8.75) for o in outs)  # always 10 frames, resized
    with pytest.raises(InputError, match="timing"):
        InputSpec(timing="sometimes")
