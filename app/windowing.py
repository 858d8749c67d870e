"""Per-person sliding windows over the pose stream, at the model's frame rate.

The pose stage delivers frames at whatever rate the machine manages (and drops some when it falls
behind). The model was trained on clips of ``window_seconds`` at ``fps``. This buffer keeps the
last ``window_seconds`` of joints, and every ``stride_seconds`` cuts a window resampled onto the
model's frame-rate grid by their timestamps, so the model sees motion at the speed it learned.
"""
from __future__ import annotations

import collections
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Window:
    """A cut of the pose stream: canonical skeleton (3, T, V, M) ending at time ``t``."""

    t: float
    skeleton: np.ndarray  # (3, T, V, M) float32, zeros where a person is absent
    present: np.ndarray  # (M,) bool: the person is seen for enough of the window
    fps: float

    def person(self, m: int) -> np.ndarray:
        """One person's frames as a one-slot canonical array (3, T', V, 1), absent ends trimmed."""
        return _trim(self.skeleton[..., m:m + 1])

    def pair(self) -> np.ndarray:
        """Both slots together (3, T', V, M), trimmed to the frames where anyone is present."""
        return _trim(self.skeleton)


def _interpolate(grid: np.ndarray, times: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``values`` (n, V, 3) sampled at increasing ``times`` onto ``grid``."""
    right = np.clip(np.searchsorted(times, grid, side="right"), 1, len(times) - 1)
    left = right - 1
    w = np.clip((grid - times[left]) / (times[right] - times[left]), 0.0, 1.0)[:, None, None]
    return (1 - w) * values[left] + w * values[right]


def _trim(x: np.ndarray) -> np.ndarray:
    seen = np.flatnonzero(np.any(x != 0, axis=(0, 2, 3)))
    return x[:, seen[0]:seen[-1] + 1] if seen.size else x[:, :0]


class WindowBuffer:
    """Keeps recent joints of ``persons`` fixed slots and cuts windows every ``stride_seconds``.

    A window is cut once the stream covers ``min_fill`` of ``window_seconds`` (so short clips still
    get results); a person counts as present in it when seen for at least ``min_fill`` of the
    window's span (or of the whole window, when it is full).
    """

    def __init__(self, persons: int, window_seconds: float, fps: float, stride_seconds: float,
                 num_joints: int = 25, min_fill: float = 0.5) -> None:
        if window_seconds <= 0 or fps <= 0 or stride_seconds <= 0:
            raise ValueError("window_seconds, fps and stride_seconds must be positive")
        self.persons = persons
        self.window_seconds = window_seconds
        self.fps = fps
        self.stride_seconds = stride_seconds
        self.num_joints = num_joints
        self.min_fill = min_fill
        self._frames: collections.deque[tuple[float, np.ndarray, np.ndarray]] = collections.deque()
        self._last_cut: float | None = None

    def push(self, t: float, joints: np.ndarray, present: np.ndarray) -> None:
        """Add one frame: ``joints`` (M, V, 3) metres, ``present`` (M,) bool. Times must increase;
        a jump backwards (a looped or re-opened source) starts the buffer afresh."""
        if self._frames and t <= self._frames[-1][0]:
            self.clear()
        joints = np.asarray(joints, dtype=np.float32).reshape(self.persons, self.num_joints, 3)
        present = np.asarray(present, dtype=bool).reshape(self.persons)
        self._frames.append((t, np.where(present[:, None, None], joints, 0.0), present))
        while self._frames and t - self._frames[0][0] > self.window_seconds:
            self._frames.popleft()

    def due(self, t: float) -> bool:
        """True when a window should be cut at time ``t``."""
        if len(self._frames) < 2:
            return False
        if self._last_cut is not None and t - self._last_cut < self.stride_seconds - 1e-9:
            return False
        return self._frames[-1][0] - self._frames[0][0] >= self.min_fill * self.window_seconds

    def cut(self) -> Window | None:
        """The window ending at the newest frame (None if fewer than two frames are buffered)."""
        if len(self._frames) < 2:
            return None
        times = np.array([f[0] for f in self._frames], dtype=np.float64)
        joints = np.stack([f[1] for f in self._frames])  # (n, M, V, 3)
        present = np.stack([f[2] for f in self._frames])  # (n, M)
        self._last_cut = times[-1]
        count = int(np.floor((times[-1] - times[0]) * self.fps + 1e-6)) + 1
        grid = times[-1] - np.arange(count - 1, -1, -1) / self.fps
        out = np.zeros((3, count, self.num_joints, self.persons), dtype=np.float32)
        enough = np.zeros(self.persons, dtype=bool)
        needed = self.min_fill * min(self.window_seconds, times[-1] - times[0])
        for m in range(self.persons):
            seen = np.flatnonzero(present[:, m])
            if seen.size < 2:
                continue
            t_seen = times[seen]
            inside = (grid >= t_seen[0] - 1e-9) & (grid <= t_seen[-1] + 1e-9)
            out[..., m][:, inside] = _interpolate(grid[inside], t_seen, joints[seen, m]).transpose(2, 0, 1)
            enough[m] = t_seen[-1] - t_seen[0] >= needed and seen.size >= self.min_fill * len(times)
        return Window(float(times[-1]), out, enough, self.fps)

    def clear(self) -> None:
        self._frames.clear()
        self._last_cut = None
