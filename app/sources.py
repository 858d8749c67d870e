"""Where frames come from: a camera index, a video file or a folder of images.

Every source iterates ``(frame_bgr uint8 (H, W, 3), t_seconds)`` and tells its ``fps`` (None when
unknown), ``frame_count`` (None for cameras) and ``size`` (width, height). Problems with the
user's choice raise :class:`core.errors.InputError`: a missing, empty, truncated or undecodable
file, an empty folder or unreadable image, a camera that cannot be opened, and a camera that stops
delivering frames while running.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Iterator, Protocol

import cv2
import numpy as np

from core.errors import InputError
from core.video import VideoReader

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
DEFAULT_FOLDER_FPS = 30.0
CAMERA_STALL_SECONDS = 2.0
"""A camera that returns no frame for this long is reported as stopped."""


class FrameSource(Protocol):
    """What every source offers."""

    name: str
    fps: float | None
    frame_count: int | None
    size: tuple[int, int]

    def __iter__(self) -> Iterator[tuple[np.ndarray, float]]: ...

    def close(self) -> None: ...


class CameraSource:
    """A live camera; timestamps are seconds since the first frame (monotonic clock)."""

    def __init__(self, index: int, size: tuple[int, int] | None = None,
                 stall_seconds: float = CAMERA_STALL_SECONDS):
        self.name = f"camera {index}"
        self.stall_seconds = stall_seconds
        self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            self._cap.release()
            raise InputError(f"cannot open camera {index} (is it connected and not used by another program?)")
        if size is not None:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
        ok, frame = self._read()
        if not ok:
            self.close()
            raise InputError(f"camera {index} opened but delivers no frames")
        self._first = frame
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps: float | None = float(fps) if np.isfinite(fps) and 0 < fps < 1000 else None
        self.frame_count: int | None = None
        self.size = (frame.shape[1], frame.shape[0])

    def _read(self) -> tuple[bool, np.ndarray | None]:
        deadline = time.monotonic() + self.stall_seconds
        while True:
            ok, frame = self._cap.read()
            if ok and frame is not None:
                return True, frame
            if time.monotonic() >= deadline:
                return False, None
            time.sleep(0.01)

    def __iter__(self) -> Iterator[tuple[np.ndarray, float]]:
        if self._cap is None:
            raise InputError(f"{self.name} is closed")
        start = time.monotonic()
        frame, self._first = self._first, None
        try:
            while True:
                if frame is None:
                    ok, frame = self._read()
                    if not ok:
                        raise InputError(f"{self.name} stopped delivering frames "
                                         f"(nothing for {self.stall_seconds:g} s; unplugged?)")
                yield frame, time.monotonic() - start
                frame = None
        finally:
            self.close()

    def close(self) -> None:
        """Release the camera."""
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def _natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


class ImageFolderSource:
    """Images of a folder in natural name order (frame2 before frame10), at a given frame rate."""

    def __init__(self, folder: str | os.PathLike, fps: float = DEFAULT_FOLDER_FPS):
        self.name = str(folder)
        self.files = sorted((p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES),
                            key=_natural_key)
        if not self.files:
            raise InputError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in folder {folder}")
        self.fps: float | None = fps
        self.frame_count: int | None = len(self.files)
        self.size = self._load(self.files[0]).shape[1::-1]

    @staticmethod
    def _load(path: Path) -> np.ndarray:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise InputError(f"cannot read image {path}")
        return image

    def __iter__(self) -> Iterator[tuple[np.ndarray, float]]:
        for i, path in enumerate(self.files):
            yield self._load(path), i / self.fps

    def close(self) -> None:
        """Nothing is held open between images."""


def open_source(spec: str | int | os.PathLike, *, folder_fps: float = DEFAULT_FOLDER_FPS,
                camera_size: tuple[int, int] | None = None) -> FrameSource:
    """Open a camera (an int, or a string of digits), an image folder or a video file."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        return CameraSource(int(spec), size=camera_size)
    path = Path(spec)
    if path.is_dir():
        return ImageFolderSource(path, fps=folder_fps)
    return VideoReader(path)
