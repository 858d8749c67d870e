"""Read a video file frame by frame with its timestamps, refusing files that are not playable video.

Shared by the frame sources of the app (:mod:`app.sources`) and by skeleton extraction
(:mod:`pose.extract`), which sits below ``app`` in the package order.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from core.errors import InputError

TRUNCATION_SLACK = 0.1
"""A file that ends more than this fraction of frames short of its header's frame count is
reported as truncated (headers of some containers give estimates, hence the slack)."""


class VideoReader:
    """A video file as an iterator of ``(frame_bgr uint8 (H, W, 3), t_seconds)``.

    Opening checks the file exists, is not empty, and decodes a first frame; iterating to the end
    checks it was not cut short. Timestamps are the container's (so variable frame rates are kept),
    falling back to ``index / fps`` where the container gives none."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.name = str(self.path)
        if not self.path.is_file():
            raise InputError(f"video file not found: {self.path}")
        if self.path.stat().st_size == 0:
            raise InputError(f"video file is empty: {self.path}")
        cap = cv2.VideoCapture(str(self.path))
        ok, frame = cap.read() if cap.isOpened() else (False, None)
        if not ok or frame is None:
            cap.release()
            raise InputError(f"not a readable video (cannot decode a frame): {self.path}")
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps: float | None = float(fps) if np.isfinite(fps) and 0 < fps < 1000 else None
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.frame_count: int | None = count if count > 0 else None
        self.size: tuple[int, int] = (frame.shape[1], frame.shape[0])
        cap.release()

        self._active: Iterator | None = None

    def __iter__(self) -> Iterator[tuple[np.ndarray, float]]:
        self._active = self._frames()
        return self._active

    def _frames(self) -> Iterator[tuple[np.ndarray, float]]:
        cap = cv2.VideoCapture(str(self.path))
        step = 1.0 / (self.fps or 30.0)
        t_prev, index = -np.inf, 0
        try:
            while True:
                ok, frame = cap.read()
                if not ok or frame is None:
                    break
                t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                if not np.isfinite(t) or t <= t_prev or (index > 0 and t == 0):
                    t = index * step if t_prev == -np.inf else t_prev + step
                yield frame, t
                t_prev, index = t, index + 1
        finally:
            cap.release()
        if self.frame_count and index < (1 - TRUNCATION_SLACK) * self.frame_count:
            raise InputError(f"video ended after {index} of {self.frame_count} frames; the file looks "
                             f"truncated: {self.path}")

    def close(self) -> None:
        """Stop the current iteration early and release the decoder."""
        if self._active is not None:
            self._active.close()
            self._active = None


def check_written_video(path: str | os.PathLike, frames: int, shown: str | os.PathLike | None = None) -> None:
    """InputError unless the video file at ``path`` opens, reports ``frames`` frames and decodes its
    last one. Encoders report no write errors (a full disk leaves a file without its index), so a
    video is checked like this before it is put in place; ``shown`` is the name used in messages."""
    shown = shown or path
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise InputError(f"video {shown} was not written completely (it cannot be opened again; is the "
                             f"disk full?); nothing was saved")
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        if count != frames:
            raise InputError(f"video {shown} was not written completely ({count} of {frames} frames readable; "
                             f"is the disk full?); nothing was saved")
        cap.set(cv2.CAP_PROP_POS_FRAMES, frames - 1)
        ok, _ = cap.read()
        if not ok:
            raise InputError(f"video {shown} was not written completely (its last frame cannot be decoded; "
                             f"is the disk full?); nothing was saved")
    finally:
        cap.release()
