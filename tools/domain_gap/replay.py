"""Replay recorded MediaPipe landmarks (:mod:`tools.domain_gap.landmarks`) through the pose stage.

``stage_skeleton`` gives the canonical skeleton ``python main.py --video`` builds for a clip
(mapping, camera placement, One Euro smoothing: :class:`pose.stage.PoseStage` with a replaying
estimator), optionally with other :class:`pose.mapping.MappingConstants`, so mapping variants can
be compared without re-running MediaPipe.
"""
from __future__ import annotations

import contextlib
import functools
from pathlib import Path
from typing import Iterator

import numpy as np

import pose.stage
from pose.mapping import KINECT_V2, MappingConstants, mediapipe_image_to_ntu, mediapipe_to_ntu
from pose.mediapipe_estimator import PersonLandmarks


def load_landmarks(path: str | Path) -> dict[str, np.ndarray]:
    """The arrays written by :mod:`tools.domain_gap.landmarks`."""
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


class ReplayEstimator:
    """Stands in for the MediaPipe estimator: returns the recorded person of each frame in turn."""

    def __init__(self, recorded: dict[str, np.ndarray]):
        self.recorded = recorded
        self.frame = 0

    def estimate(self, frame_bgr: np.ndarray) -> list[PersonLandmarks]:
        r, i = self.recorded, self.frame
        self.frame += 1
        if not r["present"][i]:
            return []
        return [PersonLandmarks(r["image_xy"][i].astype(np.float64), r["world"][i].astype(np.float64),
                                r["visibility"][i].astype(np.float64))]

    def close(self) -> None:
        pass


@contextlib.contextmanager
def mapping_constants(constants: MappingConstants) -> Iterator[None]:
    """Make the pose stage map with ``constants`` inside the block."""
    saved = pose.stage.mediapipe_to_ntu, pose.stage.mediapipe_image_to_ntu
    pose.stage.mediapipe_to_ntu = functools.partial(mediapipe_to_ntu, constants=constants)
    pose.stage.mediapipe_image_to_ntu = functools.partial(mediapipe_image_to_ntu, constants=constants)
    try:
        yield
    finally:
        pose.stage.mediapipe_to_ntu, pose.stage.mediapipe_image_to_ntu = saved


def stage_frames(recorded: dict[str, np.ndarray], constants: MappingConstants = KINECT_V2,
                 smoothing: bool = True, camera_space: bool = True) -> Iterator[pose.stage.FramePose]:
    """The pose stage's output for every recorded frame (one person slot)."""
    width, height = (int(v) for v in recorded["size"])
    blank = np.zeros((height, width, 3), np.uint8)
    with mapping_constants(constants):
        stage = pose.stage.PoseStage(persons=1, smoothing=smoothing, camera_space=camera_space,
                                     estimator=ReplayEstimator(recorded))
        for t in recorded["timestamps"]:
            yield stage.process(blank, float(t))


def stage_skeleton(recorded: dict[str, np.ndarray], constants: MappingConstants = KINECT_V2,
                   smoothing: bool = True, camera_space: bool = True) -> np.ndarray:
    """Canonical ``(3, T, 25, 1)`` skeleton of the replayed clip (zeros where nobody was found)."""
    joints = [f.joints3d for f in stage_frames(recorded, constants, smoothing, camera_space)]
    return np.ascontiguousarray(np.stack(joints).transpose(3, 0, 2, 1), dtype=np.float32)
