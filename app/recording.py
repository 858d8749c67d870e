"""Record frames to a video file on a writer thread; the file appears complete or not at all.

The GUI's "record clip" feeds it every captured frame (from the engine's capture thread); encoding
happens on the recorder's own thread so capture never waits for the disk.
"""
from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from app.queues import Closed, DropOldestQueue
from core.atomic import atomic_path
from core.errors import InputError


class ClipRecorder:
    """Writes BGR frames to ``path`` (mp4v) at ``fps``; ``close`` publishes the file."""

    def __init__(self, path: str | Path, fps: float, max_backlog: int = 256) -> None:
        self.path = Path(path)
        self.fps = fps if fps and fps > 0 else 30.0
        self.frames = 0
        self._queue: DropOldestQueue[np.ndarray] = DropOldestQueue(max_backlog)
        self._error: str | None = None
        self._thread = threading.Thread(target=self._run, name="clip-recorder", daemon=True)
        self._thread.start()

    @property
    def dropped(self) -> int:
        """Frames lost because the disk could not keep up (the backlog was full)."""
        return self._queue.dropped

    def write(self, frame: np.ndarray, t: float | None = None) -> None:
        """Queue one frame (callable from any thread; ``t`` is accepted for engine subscriptions)."""
        try:
            self._queue.put(frame)
        except Closed:
            pass

    def close(self) -> Path:
        """Finish writing and move the file into place; InputError if nothing could be written."""
        self._queue.close()
        self._thread.join()
        if self._error:
            raise InputError(self._error)
        return self.path

    def _run(self) -> None:
        try:
            with atomic_path(self.path) as tmp:
                self._write_all(tmp)
        except InputError as err:
            self._error = str(err)

    def _write_all(self, tmp: Path) -> None:
        writer, size = None, None
        try:
            while True:
                try:
                    frame = self._queue.get()
                except Closed:
                    break
                if writer is None:
                    size = (frame.shape[1], frame.shape[0])
                    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, size)
                    if not writer.isOpened():
                        raise InputError(f"cannot write video {self.path}")
                if (frame.shape[1], frame.shape[0]) != size:
                    frame = cv2.resize(frame, size)
                writer.write(frame)
                self.frames += 1
        finally:
            if writer is not None:
                writer.release()
        if self.frames == 0:
            raise InputError(f"no frames were recorded for {self.path}")
