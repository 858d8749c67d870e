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

from pose.resample import resample


@dataclass(frozen=True)
class Window:
    """A cut of the pose stream: canonical skeleton (3, T, V, M) ending at time ``t``."""

    t: float
    skeleton: np.ndarray  # (3, T, V, M) float32, zeros where a person is absent
    present: np.ndarray  # (M,) bool: the person is seen for enough of the window
    fps: float

    def person(self, m: int) -> np.ndarray:
        """One person as a one-slot canonical array (3, T, V, 1)."""
        return self.skeleton[..., m:m + 1]


class WindowBuffer:
    """Keeps recent joints of ``persons`` fixed slots and cuts windows every ``stride_seconds``.

    A window is cut once the stream covers ``min_fill`` of ``window_seconds`` (so short clips still
    get results); a person counts as present in it when seen in at least ``min_fill`` of the
    buffered frames. Resampling (``pose.resample``) leaves gaps where a person was absent as zeros.
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
        a jump backwards (a looped or re-opened source) starts the buffer afresh. A person whose
        joints are not all finite is taken as absent in this frame."""
        if self._frames and t <= self._frames[-1][0]:
            self.clear()
        joints = np.asarray(joints, dtype=np.float32).reshape(self.persons, self.num_joints, 3)
        present = np.asarray(present, dtype=bool).reshape(self.persons)
        present = present & np.isfinite(joints).all(axis=(1, 2))  # a broken estimate counts as absent
        self._frames.append((t, np.where(present[:, None, None], joints, np.float32(0)), present))
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
        _, values, seen = resample(times, joints, self.fps, present=present,
                                   start=times[-1] - (count - 1) / self.fps, stop=times[-1])
        out = np.ascontiguousarray(values.transpose(3, 0, 2, 1))  # (T, M, V, 3) -> (3, T, V, M)
        enough = np.array([present[:, m].sum() >= self.min_fill * len(times)
                           and seen[:, m].sum() >= 2 for m in range(self.persons)])
        return Window(float(times[-1]), out, enough, self.fps)

    def clear(self) -> None:
        self._frames.clear()
        self._last_cut = None
