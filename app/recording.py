"""Record frames to a video file on a writer thread; the file appears complete or not at all.

Before the file is put in place it is opened again and its frame count and last frame checked
(:func:`core.video.check_written_video`): encoders report no write errors, so a full disk would
otherwise publish a file that cannot be played.

The GUI's "record clip" feeds it every captured frame (from the engine's capture thread) and the
headless analysis every annotated frame; encoding happens on the recorder's own thread, so capture
never waits for the disk and, offline, encoding overlaps the pose stage of the next frame.
"""
from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from app.queues import Closed, DropOldestQueue
from core.atomic import atomic_path
from core.errors import InputError
from core.video import check_written_video


class _Discarded(Exception):
    """Raised inside the writer thread to abandon the temporary file."""


class ClipRecorder:
    """Writes BGR frames to ``path`` (mp4v) at ``fps``; ``close`` publishes the file, ``discard``
    abandons it. ``lossless=True`` makes ``write`` wait when ``max_backlog`` frames are pending
    instead of dropping the oldest (live recording must not hold up capture; offline must not
    lose frames). Frames handed to ``write`` must not be modified afterwards."""

    def __init__(self, path: str | Path, fps: float, max_backlog: int = 256, lossless: bool = False) -> None:
        self.path = Path(path)
        self.fps = fps if fps and fps > 0 else 30.0
        self.lossless = lossless
        self.frames = 0
        self._queue: DropOldestQueue[np.ndarray] = DropOldestQueue(max_backlog)
        self._error: str | None = None
        self._discard = False
        self._thread = threading.Thread(target=self._run, name="clip-recorder", daemon=True)
        self._thread.start()

    @property
    def dropped(self) -> int:
        """Frames lost because the disk could not keep up (the backlog was full)."""
        return self._queue.dropped

    def write(self, frame: np.ndarray, t: float | None = None) -> None:
        """Queue one frame (callable from any thread; ``t`` is accepted for engine subscriptions).

        Once writing has failed, frames are ignored (live) or InputError is raised (lossless)."""
        try:
            self._queue.put(frame, wait=self.lossless)
        except Closed:
            if self.lossless and self._error:
                raise InputError(self._error) from None

    def close(self) -> Path:
        """Finish writing and move the file into place; InputError if nothing could be written."""
        self._queue.close()
        self._thread.join()
        if self._error:
            raise InputError(self._error)
        return self.path

    def discard(self) -> None:
        """Stop and leave no file behind (e.g. the analysis feeding it failed)."""
        self._discard = True
        self._queue.close()
        self._thread.join()

    def _run(self) -> None:
        try:
            with atomic_path(self.path, verify=self._verify, kind="video") as tmp:
                self._write_all(tmp)
                if self._discard:
                    raise _Discarded
        except InputError as err:
            self._error = str(err)
        except _Discarded:
            pass
        finally:
            self._queue.close()  # a producer waiting for room must not wait forever

    def _verify(self, tmp: Path) -> None:
        check_written_video(tmp, self.frames, shown=self.path)

    def _write_all(self, tmp: Path) -> None:
        writer, size = None, None
        try:
            while True:
                try:
                    frame = self._queue.get()
                except Closed:
                    break
                if self._discard:
                    continue
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
