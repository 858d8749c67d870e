"""MediaPipe recordings of the user's videos, kept in a cache folder outside their data.

Evaluating models on a folder of labelled videos (``--eval --data VIDEOS``) runs MediaPipe once per
video and person count; later runs, with this or other checkpoints, replay the recording
(:mod:`pose.recorded`). The cache lives in ``$ACTION_RECOGNITION_CACHE`` when set, else the
platform's per-user cache folder (``$XDG_CACHE_HOME``, default ``~/.cache``, on Linux;
``~/Library/Caches`` on macOS; ``%LOCALAPPDATA%`` on Windows) under ``action-recognition/poses``,
never beside the videos (a user's folder may be read-only). An entry is found by the video's
resolved path, size and modification time and the estimator's settings, so a changed video is
recorded again.
"""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import numpy as np

from app.sources import open_source
from core.errors import InputError
from pose import recorded
from pose.mediapipe_estimator import DEFAULT_MODEL_COMPLEXITY, MediaPipePoseEstimator

ENV_VAR = "ACTION_RECOGNITION_CACHE"
FORMAT = 1  # bump when a recording's content changes


def cache_dir() -> Path:
    """The folder of cached recordings (it may not exist yet)."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser() / "poses"
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "action-recognition" / "poses"


def _key(video: Path, persons: int) -> str:
    import mediapipe

    stat = video.stat()
    text = "|".join(map(str, (FORMAT, video.resolve(), stat.st_size, stat.st_mtime_ns, persons,
                              DEFAULT_MODEL_COMPLEXITY, mediapipe.__version__)))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def landmarks(video: str | Path, persons: int = 1, progress: bool = False) -> tuple[dict[str, np.ndarray], bool]:
    """The recording of ``video`` for ``persons`` people, and whether it came from the cache."""
    video = Path(video)
    if not video.is_file():
        raise InputError(f"video file not found: {video}")
    entry = cache_dir() / f"{_key(video, persons)}.npz"
    if entry.is_file():
        try:
            return recorded.load(entry), True
        except InputError:
            pass  # damaged: record again
    source = open_source(str(video))
    try:
        with MediaPipePoseEstimator(persons, model_complexity=DEFAULT_MODEL_COMPLEXITY) as estimator:
            frames = source
            if progress:
                from tqdm import tqdm

                frames = tqdm(source, total=source.frame_count or None, unit="frame", desc=video.name,
                              leave=False)
            recording = recorded.record(frames, estimator.estimate, persons)
    finally:
        source.close()
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        recorded.save(entry, recording)
    except OSError as err:  # no room or no permission: evaluate anyway, just without caching
        print(f"note: could not cache the poses of {video.name} in {entry.parent}: {err.strerror or err}")
    return recording, False
