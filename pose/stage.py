"""The pose stage: frame -> tracked, smoothed NTU skeletons in fixed person slots.

estimator (MediaPipe, 1 or 2 people) -> tracker (identities, slots) -> mapping (33 landmarks -> 25
Kinect joints, 3-D and 2-D) -> placement in camera space -> One Euro smoothing per slot.

Camera space. MediaPipe's world landmarks are centred on the hips; the stage adds each person's
position in front of the camera (:func:`pose.mapping.camera_translation`, pinhole camera with
``hfov_deg``), so skeletons are in Kinect-like camera space as the canonical array expects and two
people keep their distance. ``camera_space=False`` keeps them hip-centred.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose.layouts import NTU25
from pose.mapping import DEFAULT_HFOV_DEG, camera_translation, mediapipe_image_to_ntu, mediapipe_to_ntu
from pose.mediapipe_estimator import (DEFAULT_MODEL_COMPLEXITY, MediaPipePoseEstimator, PersonLandmarks,
                                      check_settings)
from pose.smoothing import BETA_METRES, BETA_PIXELS, OneEuroFilter
from pose.tracking import PersonTracker

V = NTU25.num_joints


@dataclass
class FramePose:
    """One frame's people in fixed slots; absent slots are zeros with ``present`` False."""

    t: float  # seconds
    joints3d: np.ndarray  # (M, 25, 3) float32, Kinect camera space, metres
    joints2d: np.ndarray  # (M, 25, 2) float32, image pixels, for drawing
    confidence: np.ndarray  # (M, 25) float32 in [0, 1]
    present: np.ndarray  # (M,) bool
    track_ids: np.ndarray  # (M,) int, -1 where absent

    @classmethod
    def empty(cls, t: float, persons: int) -> "FramePose":
        return cls(t, np.zeros((persons, V, 3), np.float32), np.zeros((persons, V, 2), np.float32),
                   np.zeros((persons, V), np.float32), np.zeros(persons, bool), np.full(persons, -1))


class _SlotState:
    """Smoothing and placement memory of one person slot."""

    def __init__(self):
        self.track_id = -1
        self.filter3d = OneEuroFilter(beta=BETA_METRES)
        self.filter2d = OneEuroFilter(beta=BETA_PIXELS)
        self.translation = np.zeros(3)

    def restart(self, track_id: int) -> None:
        self.track_id = track_id
        self.filter3d.reset()
        self.filter2d.reset()
        self.translation = np.zeros(3)


class PoseStage:
    """``process(frame_bgr, t_seconds) -> FramePose`` for ``persons`` (1 or 2) slots; ``close()``.

    Frames must come in time order. ``estimator`` replaces the MediaPipe estimator (anything with
    ``estimate(frame) -> list[PersonLandmarks]`` and ``close()``), e.g. to replay landmarks. The
    MediaPipe estimator is made on first use: a stage whose estimation runs in another process
    (:mod:`pose.stream`) only tracks here and never loads MediaPipe."""

    def __init__(self, persons: int = 1, *, model_complexity: int = DEFAULT_MODEL_COMPLEXITY,
                 smoothing: bool = True, camera_space: bool = True, hfov_deg: float = DEFAULT_HFOV_DEG,
                 max_missed_seconds: float = 2.0, estimator=None):
        self.persons = persons
        self.model_complexity = model_complexity
        self.smoothing = smoothing
        self.camera_space = camera_space
        self.hfov_deg = hfov_deg
        if estimator is None:
            check_settings(persons, model_complexity)
        self.given_estimator = estimator is not None
        self._estimator = estimator
        self.tracker = PersonTracker(slots=persons, max_missed_seconds=max_missed_seconds)
        self._slots = [_SlotState() for _ in range(persons)]
        self._was_present = np.zeros(persons, bool)

    @property
    def estimator(self):
        """The landmark estimator: the one given, else MediaPipe for this stage's settings."""
        if self._estimator is None:
            self._estimator = MediaPipePoseEstimator(self.persons, model_complexity=self.model_complexity)
        return self._estimator

    def process(self, frame_bgr: np.ndarray, t: float) -> FramePose:
        """Pose of the people in one frame taken at ``t`` seconds."""
        return self.track(self.estimator.estimate(frame_bgr), (frame_bgr.shape[1], frame_bgr.shape[0]), t)

    def track(self, people: list[PersonLandmarks], size: tuple[int, int], t: float) -> FramePose:
        """The half of :meth:`process` after the estimator (tracking, mapping, placement,
        smoothing) for the ``people`` it found in a frame of ``size`` (width, height) taken at
        ``t``, so that the estimator can run on another thread (:mod:`pose.stream`)."""
        tracks = self.tracker.update([p.image_xy for p in people], [p.visibility for p in people], t)
        out = FramePose.empty(t, self.persons)
        for person, track in zip(people, tracks):
            if track is None:
                continue
            slot, state = track.slot, self._slots[track.slot]
            if state.track_id != track.track_id or not self._was_present[slot]:
                state.restart(track.track_id)
            out.joints3d[slot], out.joints2d[slot], out.confidence[slot] = self._joints(person, state, size, t)
            out.present[slot], out.track_ids[slot] = True, track.track_id
        self._was_present = out.present.copy()
        return out

    def _joints(self, person: PersonLandmarks, state: _SlotState, size: tuple[int, int], t: float):
        joints3d, conf = mediapipe_to_ntu(person.world, person.visibility)
        joints2d, _ = mediapipe_image_to_ntu(person.image_xy, person.visibility)
        if self.camera_space:
            placed = camera_translation(person.world, person.image_xy, person.visibility, size, self.hfov_deg)
            if placed is not None:
                state.translation = placed
            joints3d = joints3d + state.translation
        if self.smoothing:
            valid = (conf > 0)[:, None]
            joints3d = state.filter3d(joints3d, t, valid)
            joints2d = state.filter2d(joints2d, t, valid)
        return joints3d, joints2d, conf

    def close(self) -> None:
        """Release the estimator."""
        if self._estimator is not None:
            self._estimator.close()

    def __enter__(self) -> "PoseStage":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
