"""Run the pose stage over a whole video and return the canonical skeleton array (for ``--convert``)."""
from __future__ import annotations

import os

import numpy as np
from tqdm import tqdm

from core.errors import InputError
from core.video import VideoReader
from pose.stage import PoseStage
from pose.stream import PoseStream


def extract_skeleton(video_path: str | os.PathLike, persons: int = 1, progress: bool = True,
                     threaded: bool = True) -> dict:
    """Skeletons of up to ``persons`` tracked people in every frame of a video (decoded and
    estimated on threads of their own, :mod:`pose.stream`; ``threaded=False``: all in this one).

    Returns ``skeleton`` (3, T, 25, M) float32 in Kinect camera space (metres; one slot per tracked
    person, zeros where absent), ``timestamps`` (T,) float64 seconds from the container, and
    ``visibility`` (T, 25, M) float32 per-joint confidence (zeros where absent). Raises InputError
    for an unreadable or truncated video, or one in which nobody is found."""
    if persons not in (1, 2):
        raise InputError(f"--persons must be 1 or 2, got {persons!r}")
    video = VideoReader(video_path)
    joints, confidence, timestamps = [], [], []
    with PoseStage(persons=persons) as stage, PoseStream(video, stage, threaded=threaded) as poses, \
            tqdm(total=video.frame_count, unit="frame", disable=not progress, desc=f"pose {video.path.name}") as bar:
        for _, pose in poses:
            bar.update(1)
            joints.append(pose.joints3d)
            confidence.append(pose.confidence)
            timestamps.append(pose.t)
    skeleton = np.stack(joints).transpose(3, 0, 2, 1)  # (T, M, V, 3) -> (3, T, V, M)
    if not skeleton.any():
        raise InputError(f"no person found in any frame of {video_path}")
    return {
        "skeleton": np.ascontiguousarray(skeleton, dtype=np.float32),
        "timestamps": np.asarray(timestamps, dtype=np.float64),
        "visibility": np.ascontiguousarray(np.stack(confidence).transpose(0, 2, 1), dtype=np.float32),
    }
