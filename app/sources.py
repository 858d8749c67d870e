"""Where frames come from: a camera index, a network stream, a video file or a folder of images.

Every source iterates ``(frame_bgr uint8 (H, W, 3), t_seconds)`` and tells its ``fps`` (None when
unknown), ``frame_count`` (None for cameras and streams) and ``size`` (width, height). Problems
with the user's choice raise :class:`core.errors.InputError`: a missing, empty, truncated or
undecodable file, an empty folder or unreadable image, a camera that cannot be opened, a camera
that stops delivering frames while running, a stream that cannot be opened or, once dropped,
cannot be reconnected.
"""
from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path
from typing import Iterator, Protocol
from urllib.parse import urlsplit

import cv2
import numpy as np

from core.errors import InputError
from core.video import VideoReader

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
DEFAULT_FOLDER_FPS = 30.0
CAMERA_STALL_SECONDS = 2.0
"""A camera that returns no frame for this long is reported as stopped."""
STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https")
STREAM_TIMEOUT_SECONDS = 5.0
"""How long opening a stream, or waiting for its next frame, may take before it counts as lost."""
STREAM_RECONNECT_SECONDS = 15.0
"""How long a dropped stream is retried (every second) before it is reported as stopped."""


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


def is_stream_url(spec: object) -> bool:
    """True for ``rtsp://``, ``rtsps://``, ``http://`` and ``https://`` addresses."""
    if not isinstance(spec, str) or "://" not in spec:
        return False
    return urlsplit(spec.strip()).scheme.lower() in STREAM_SCHEMES


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and the source picker)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


class NetworkSource:
    """A network camera or stream (RTSP, HTTP(S) such as MJPEG or HLS) read by OpenCV's FFmpeg
    backend; timestamps are seconds since the first frame, like a camera's.

    A stream that delivers nothing for ``timeout_seconds`` (network drop, camera restart) is
    reopened every second; ``reconnecting`` is True meanwhile and ``reconnects`` counts the
    successes. After ``reconnect_seconds`` without success it is reported as stopped
    (InputError). ``close`` from another thread ends a pending reconnection; the reading thread
    then releases the stream."""

    def __init__(self, url: str, timeout_seconds: float = STREAM_TIMEOUT_SECONDS,
                 reconnect_seconds: float = STREAM_RECONNECT_SECONDS):
        self.url = url.strip()
        self.name = redact_url(self.url)
        self.timeout_seconds = timeout_seconds
        self.reconnect_seconds = reconnect_seconds
        self.reconnecting = False
        self.reconnects = 0
        self._closed = threading.Event()
        self._reader: int | None = None  # the thread iterating, which owns the capture then
        self._cap = self._open()
        ok, frame = self._cap.read() if self._cap is not None else (False, None)
        if not ok or frame is None:
            self.close()
            raise InputError(f"cannot open stream {self.name}: no video within {timeout_seconds:g} s "
                             "(check the address, that the camera is on and reachable, and any "
                             "user name and password)")
        self._first = frame
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps: float | None = float(fps) if np.isfinite(fps) and 0 < fps < 1000 else None
        self.frame_count: int | None = None
        self.size = (frame.shape[1], frame.shape[0])

    def _open(self) -> cv2.VideoCapture | None:
        ms = int(self.timeout_seconds * 1000)
        cap = cv2.VideoCapture(self.url, cv2.CAP_FFMPEG,
                               [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms])
        if cap.isOpened():
            return cap
        cap.release()
        return None

    def _reconnect(self) -> np.ndarray:
        """Reopen the stream until a frame arrives; InputError after ``reconnect_seconds``."""
        self.reconnecting = True
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        deadline = time.monotonic() + self.reconnect_seconds
        while not self._closed.is_set() and time.monotonic() < deadline:
            cap = self._open()
            ok, frame = cap.read() if cap is not None else (False, None)
            if ok and frame is not None:
                self._cap, self.reconnecting = cap, False
                self.reconnects += 1
                return frame
            if cap is not None:
                cap.release()
            self._closed.wait(min(1.0, max(0.0, deadline - time.monotonic())))
        if self._closed.is_set():
            raise InputError(f"stream {self.name} is closed")
        raise InputError(f"stream {self.name} stopped delivering frames and could not be reconnected "
                         f"within {self.reconnect_seconds:g} s")

    def __iter__(self) -> Iterator[tuple[np.ndarray, float]]:
        if self._closed.is_set():
            raise InputError(f"stream {self.name} is closed")
        start = time.monotonic()
        frame, self._first = self._first, None
        self._reader = threading.get_ident()
        try:
            while not self._closed.is_set():
                if frame is None:
                    ok, frame = self._cap.read() if self._cap is not None else (False, None)
                    if not ok or frame is None:
                        frame = self._reconnect()
                yield frame, time.monotonic() - start
                frame = None
        finally:
            self._reader = None
            self.close()

    def close(self) -> None:
        """Stop reading (and any reconnection) and release the stream."""
        self._closed.set()
        if self._reader not in (None, threading.get_ident()):
            return  # the reading thread releases it as soon as its current read returns
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()


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
    """Open a camera (an int, or a string of digits), a stream URL (``rtsp://``, ``http(s)://``),
    an image folder or a video file."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        return CameraSource(int(spec), size=camera_size)
    if is_stream_url(spec):
        return NetworkSource(spec)
    path = Path(spec)
    if path.is_dir():
        return ImageFolderSource(path, fps=folder_fps)
    return VideoReader(path)
