"""One Euro smoothing (lag, jitter, gaps) and resampling joint streams by their timestamps."""
import numpy as np
import pytest

from pose.resample import resample
from pose.smoothing import BETA_METRES, BETA_PIXELS, OneEuroFilter

FPS = 30.0


def _ramp_lag_frames(beta: float, speed: float, jitter_s: float = 0.0) -> float:
    """Steady-state lag, in frames, of the filter following x = speed * t on 25 values."""
    rng = np.random.default_rng(0)
    f = OneEuroFilter(beta=beta)
    t = 0.0
    for _ in range(120):
        t += (1 + rng.uniform(-jitter_s, jitter_s) * FPS) / FPS
        out = f(np.full(25, speed * t), t)
    return float(np.max(speed * t - out) / speed * FPS)


@pytest.mark.parametrize("speed", [0.15, 0.5, 2.0])
def test_lag_on_a_3d_ramp_is_at_most_one_frame(speed):
    assert 0 <= _ramp_lag_frames(BETA_METRES, speed) <= 1.0


@pytest.mark.parametrize("speed", [80.0, 300.0, 1000.0])
def test_lag_on_a_2d_ramp_is_at_most_one_frame(speed):
    assert 0 <= _ramp_lag_frames(BETA_PIXELS, speed) <= 1.0


def test_lag_stays_bounded_with_uneven_frame_times():
    assert _ramp_lag_frames(BETA_METRES, 0.5, jitter_s=0.01) <= 1.0


def test_jitter_at_rest_is_reduced():
    rng = np.random.default_rng(1)
    f = OneEuroFilter(beta=BETA_METRES)
    raw = rng.normal(0, 0.01, size=(200, 25, 3))
    out = np.stack([f(x, i / FPS) for i, x in enumerate(raw)])[20:]
    assert np.diff(out, axis=0).std() < 0.35 * np.diff(raw[20:], axis=0).std()


def test_invalid_values_pass_through_and_restart_the_filter():
    f = OneEuroFilter()
    f(np.zeros(3), 0.0)
    f(np.zeros(3), 1 / FPS)
    out = f(np.array([np.nan, 5.0, 5.0]), 2 / FPS, valid=np.array([True, True, False]))
    assert np.isnan(out[0]) and out[2] == 5.0 and 0 < out[1] < 5.0
    out = f(np.array([1.0, 6.0, 6.0]), 3 / FPS)
    assert out[0] == 1.0 and out[2] == 6.0  # restarted after a missing or masked value
    assert 5.0 < out[1] < 6.0  # still filtering
    out = f(np.array([2.0, 6.0, 7.0]), 4 / FPS)
    assert 1.0 < out[0] < 2.0 and 6.0 < out[2] < 7.0  # and filtering again from there


def test_reset_forgets_history():
    f = OneEuroFilter()
    f(np.zeros(2), 0.0)
    f.reset()
    np.testing.assert_array_equal(f(np.ones(2), 0.1), np.ones(2))


def test_resampling_uneven_timestamps_reproduces_a_linear_motion():
    rng = np.random.default_rng(2)
    ts = np.cumsum(rng.uniform(0.02, 0.06, size=60))  # 17-50 fps camera
    xyz = np.stack([ts * 2.0, -ts, np.full_like(ts, 3.0)], axis=-1)
    values = xyz[:, None, None, :].repeat(25, axis=2)  # (T, 1, 25, 3)
    grid, out, present = resample(ts, values, FPS)
    assert grid[0] == ts[0] and grid[-1] <= ts[-1] < grid[-1] + 1 / FPS
    np.testing.assert_allclose(np.diff(grid), 1 / FPS)
    np.testing.assert_allclose(out[:, 0, 3, 0], 2.0 * grid, atol=1e-5)
    np.testing.assert_allclose(out[:, 0, 3, 1], -grid, atol=1e-5)
    assert present.shape == (len(grid),) and present.all()


def test_resampling_respects_absent_people_and_the_recorded_span():
    ts = np.arange(10) / 10.0  # 10 fps source
    values = np.ones((10, 2, 25, 3)) * ts[:, None, None, None]
    present = np.ones((10, 2), bool)
    present[4:7, 1] = False
    grid, out, seen = resample(ts, values, 20.0, present=present, start=-0.19, stop=0.91)
    assert len(grid) == 23
    assert not seen[:4].any() and not out[:4].any()  # before the first frame: absent, zeros
    at = lambda time: np.flatnonzero(np.isclose(grid, time))[0]  # noqa: E731
    assert seen[at(0.51), 0] and not seen[at(0.51), 1] and not out[at(0.51), 1].any()
    assert not seen[at(0.36), 1]  # presence follows the nearest frame (0.4: absent)
    # next to a gap the present neighbour is used as is, not blended with zeros
    assert seen[at(0.31), 1] and np.allclose(out[at(0.31), 1], 0.3)
    assert seen[at(0.66), 1] and np.allclose(out[at(0.66), 1], 0.7)
    np.testing.assert_allclose(out[seen[:, 0], 0, 0, 0], grid[seen[:, 0]], atol=1e-6)


def test_resampling_sorts_and_drops_repeated_timestamps():
    ts = np.array([0.2, 0.0, 0.1, 0.1])
    values = np.array([2.0, 0.0, 9.0, 1.0])
    grid, out, _ = resample(ts, values, 20.0)
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0, 1.5, 2.0], atol=1e-6)  # the later 0.1 frame wins


def test_resampling_refuses_mismatched_inputs():
    with pytest.raises(ValueError):
        resample(np.arange(3), np.zeros(4), FPS)
    with pytest.raises(ValueError):
        resample(np.arange(3), np.zeros((3, 2)), FPS, present=np.ones(4, bool))
