"""Resample a joint stream, timed by its timestamps, onto a fixed frame rate.

Cameras deliver frames unevenly (dropped frames, 25 or 60 fps, jitter) while a model is trained on
a fixed rate, so windows are built on a regular time grid. Each grid time takes the linear
interpolation of the two source frames around it. Presence (a person in a slot) follows the nearest
source frame; if only one of the two neighbours has the person, that neighbour's values are used;
absent samples, and grid times outside the recorded span, are zeros, as in the canonical array.
"""
from __future__ import annotations

import numpy as np

_GRID_TOLERANCE = 1e-6  # seconds * fps: a stop that is a whole number of frames away is included


def resample(timestamps: np.ndarray, values: np.ndarray, fps: float, present: np.ndarray | None = None,
             start: float | None = None, stop: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resample ``values`` ``(T, ...)`` taken at ``timestamps`` ``(T,)`` seconds onto the grid
    ``start, start + 1/fps, ... <= stop`` (default: the first and last timestamps).

    ``present`` (bool, shape ``values.shape[:k]`` for some k >= 1, e.g. ``(T, M)`` for values
    ``(T, M, V, C)``) marks where values are real; default: everywhere. Timestamps need not be
    sorted; for repeated timestamps the later frame wins. Returns ``(grid (N,), values (N, ...)
    float32, present (N, ...) bool)``."""
    timestamps = np.asarray(timestamps, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if timestamps.ndim != 1 or len(timestamps) != len(values):
        raise ValueError(f"need one timestamp per frame: {timestamps.shape} vs {values.shape}")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    present = np.ones(len(values), dtype=bool) if present is None else np.asarray(present, dtype=bool)
    if present.shape != values.shape[:present.ndim]:
        raise ValueError(f"present {present.shape} does not match values {values.shape}")
    if len(timestamps) == 0:
        return np.zeros(0), np.zeros((0,) + values.shape[1:], np.float32), np.zeros((0,) + present.shape[1:], bool)

    # sort, keeping the last of equal timestamps
    order = np.argsort(timestamps, kind="stable")
    keep = np.append(np.diff(timestamps[order]) > 0, True)
    order = order[keep]
    ts, vals, pres = timestamps[order], values[order], present[order]

    start = ts[0] if start is None else float(start)
    stop = ts[-1] if stop is None else float(stop)
    count = max(0, int(np.floor((stop - start) * fps + _GRID_TOLERANCE)) + 1)
    grid = start + np.arange(count) / fps

    right = np.clip(np.searchsorted(ts, grid, side="left"), 0, len(ts) - 1)
    left = np.clip(right - 1, 0, len(ts) - 1)
    exact = ts[right] == grid
    left = np.where(exact, right, left)
    span = ts[right] - ts[left]
    w = np.where(span > 0, (grid - ts[left]) / np.where(span > 0, span, 1.0), 0.0)
    w = np.clip(w, 0.0, 1.0)
    nearest = np.where(w > 0.5, right, left)
    inside = (grid >= ts[0] - _GRID_TOLERANCE / fps) & (grid <= ts[-1] + _GRID_TOLERANCE / fps)

    p_left, p_right = pres[left], pres[right]
    w_b = w.reshape((-1,) + (1,) * (present.ndim - 1))
    # where only one neighbour has the person, lean entirely on it
    w_eff = np.where(p_left & p_right, w_b, np.where(p_right, 1.0, 0.0))
    w_eff = w_eff.reshape(w_eff.shape + (1,) * (values.ndim - present.ndim))
    out = (1 - w_eff) * vals[left] + w_eff * vals[right]
    out_present = pres[nearest] & inside.reshape((-1,) + (1,) * (present.ndim - 1))
    mask = out_present.reshape(out_present.shape + (1,) * (values.ndim - present.ndim))
    out = np.where(mask, out, 0.0)
    return grid, out.astype(np.float32), out_present
