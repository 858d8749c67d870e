"""The pose stage's skeleton of a recorded video (:mod:`pose.recorded`), optionally with other mapping
constants, so mapping variants can be compared without running MediaPipe again.

``stage_skeleton`` gives the canonical skeleton ``python main.py --video`` builds for a clip
(mapping, camera placement, One Euro smoothing: :class:`pose.stage.PoseStage` replaying the
recording). Recordings come from :func:`app.pose_cache.landmarks` (cached per video).
"""
from __future__ import annotations

import contextlib
import functools
from typing import Iterator

import numpy as np

import pose.stage
from pose.mapping import KINECT_V2, MappingConstants, mediapipe_image_to_ntu, mediapipe_to_ntu
from pose.recorded import ReplayEstimator, replay_frames


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


def stage_skeleton(recording: dict[str, np.ndarray], constants: MappingConstants = KINECT_V2,
                   smoothing: bool = True, camera_space: bool = True) -> np.ndarray:
    """Canonical ``(3, T, 25, 1)`` skeleton of the replayed clip's first person (zeros where nobody was found)."""
    with mapping_constants(constants):
        stage = pose.stage.PoseStage(persons=1, smoothing=smoothing, camera_space=camera_space,
                                     estimator=ReplayEstimator(recording))
        joints = [stage.process(frame, t).joints3d for frame, t in replay_frames(recording)]
    return np.ascontiguousarray(np.stack(joints).transpose(3, 0, 2, 1), dtype=np.float32)
