"""Record one take of an action from a running engine into a clips folder: video plus skeleton sequence.

The video gets every captured frame (the engine's capture subscription, encoded on the
:class:`app.recording.ClipRecorder` thread); the sequence gets every frame the live pose stage
processed (its frame subscription), so it is exactly what recognition sees, with the same mapping
and smoothing. Both are saved under ``<clips>/<action>/take-<date>-<time>`` (``.mp4`` and ``.npz`` in
the format of :mod:`model.data.clips`); the sequence is written after the video, so training never
extracts the video again.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from app.engine import LiveFrame, RealtimeEngine
from app.recording import ClipRecorder
from core.errors import InputError
from core.labels import is_reserved_label
from model.data.clips import Clip, action_folder_name, write_sequence

VIDEO_SUFFIX = ".mp4"
MIN_TAKE_SECONDS = 0.5  # shorter takes (a key pressed twice, a source that ended) are not kept


def new_take_stem(folder: Path, now: float | None = None) -> str:
    """``take-YYYYmmdd-HHMMSS``, with ``-2``, ``-3`` ... when that name is taken in ``folder``."""
    stem = time.strftime("take-%Y%m%d-%H%M%S", time.localtime(now))
    candidate, n = stem, 1
    while any(folder.glob(f"{candidate}.*")):
        n += 1
        candidate = f"{stem}-{n}"
    return candidate


class TakeRecorder:
    """Records from ``engine`` (already running) until :meth:`stop` or :meth:`cancel`.

    Callbacks arrive on the engine's capture and pose threads; everything else is called from one
    thread (the GUI's)."""

    def __init__(self, engine: RealtimeEngine, clips_folder: str | Path, action: str,
                 fps: float | None = None) -> None:
        self.action = action_folder_name(action)
        if is_reserved_label(self.action):
            raise InputError(f"{self.action!r} is what the app shows when it recognises nothing; name the "
                             f"action differently")
        folder = Path(clips_folder) / self.action
        folder.mkdir(parents=True, exist_ok=True)
        stem = new_take_stem(folder)
        self.video_path = folder / f"{stem}{VIDEO_SUFFIX}"
        self.sequence_path = folder / f"{stem}.npz"
        self.engine = engine
        self._video = ClipRecorder(self.video_path, fps or engine.capture_rate.rate() or 30.0)
        self._lock = threading.Lock()
        self._open = True
        self._times: list[float] = []
        self._joints: list[np.ndarray] = []
        self._confidence: list[np.ndarray] = []
        self._seen = 0
        engine.subscribe_capture(self._on_capture)
        engine.subscribe_frames(self._on_frame)

    @property
    def frames(self) -> int:
        """Pose frames recorded so far."""
        return len(self._times)

    @property
    def frames_with_person(self) -> int:
        return self._seen

    @property
    def seconds(self) -> float:
        with self._lock:
            return self._times[-1] - self._times[0] if len(self._times) > 1 else 0.0

    def _on_capture(self, frame: np.ndarray, t: float) -> None:
        with self._lock:
            if self._open:
                self._video.write(frame, t)

    def _on_frame(self, live: LiveFrame) -> None:
        with self._lock:
            if not self._open:
                return
            self._times.append(live.t)
            self._joints.append(np.array(live.pose.joints3d, dtype=np.float32))
            self._confidence.append(np.array(live.pose.confidence, dtype=np.float32))
            self._seen += bool(live.pose.present.any())

    def _detach(self) -> None:
        self.engine.unsubscribe_capture(self._on_capture)
        self.engine.unsubscribe_frames(self._on_frame)
        with self._lock:
            self._open = False

    def stop(self) -> Clip:
        """Finish the take and save it; InputError (nothing kept) when nobody was seen in it or it
        is shorter than :data:`MIN_TAKE_SECONDS`."""
        self._detach()
        if not self._seen:
            self.cancel()
            raise InputError(f"nobody was seen during the take of {self.action!r}; nothing was saved "
                             f"(step into the camera's view)")
        if self.seconds < MIN_TAKE_SECONDS:
            self.cancel()
            raise InputError(f"the take of {self.action!r} was too short ({self.seconds:.1f} s); nothing "
                             f"was saved")
        video = self._video.close()
        joints = np.stack(self._joints)  # (T, M, V, 3)
        times = np.asarray(self._times, dtype=np.float64)
        write_sequence(self.sequence_path, joints.transpose(3, 0, 2, 1), self.action, video.name,
                       timestamps=times - times[0], visibility=np.stack(self._confidence).transpose(0, 2, 1))
        return Clip(self.action, self.sequence_path, video)

    def cancel(self) -> None:
        """Stop and keep nothing (a new action's folder goes too)."""
        self._detach()
        self._video.discard()
        _remove_if_empty(self.sequence_path.parent)


def delete_take(clip: Clip) -> None:
    """Remove a take's files, and its action folder once it holds nothing else."""
    for path in clip.files():
        path.unlink(missing_ok=True)
    _remove_if_empty(clip.sequence.parent)


def _remove_if_empty(folder: Path) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
