"""What the program does with bad input that the other test files do not already cover: frames
with nobody, more than two people or NaN landmarks; truncated videos and skeleton files on the
command line and in the window; empty, mixed or broken data folders for --train; checkpoints that
do not fit. Each case checks the exact outcome: a one-line ``error:`` and exit code 2 (CLI), a
message in a window that stays usable (GUI), or a sample skipped by name while the run goes on."""
from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest
import torch
from app_fakes import make_checkpoint
from blazepose_synth import project, standing_world
from skeleton_files import body_track, write_skeleton, write_ucla, write_utd

import main
from model.data.loader import load_dataset
from model.data.sets import DataWarning
from pose.mediapipe_estimator import PersonLandmarks
from pose.stage import PoseStage

SIZE = (640, 480)


# --- frames: nobody, too many people, NaN landmarks (pose stage with scripted detections) -------------

class _Replay:
    def __init__(self, script):
        self.script, self.calls = script, 0

    def estimate(self, frame):
        people = self.script(self.calls)
        self.calls += 1
        return people

    def close(self):
        pass


def _person(x: float, z: float = 3.0, image_nan=False, world_nan=False, vis_nan=False) -> PersonLandmarks:
    world = standing_world()
    image = project(world, (x, 0.1, z), SIZE)
    visibility = np.full(33, 0.9)
    if image_nan:
        image[:] = np.nan
    if world_nan:
        world[:] = np.nan
    if vis_nan:
        visibility[:] = np.nan
    return PersonLandmarks(image, world, visibility)


def _run(script, persons: int, frames: int = 8):
    stage = PoseStage(persons=persons, estimator=_Replay(script))
    poses = [stage.process(np.zeros((SIZE[1], SIZE[0], 3), np.uint8), i / 30) for i in range(frames)]
    stage.close()
    for pose in poses:
        assert np.isfinite(pose.joints3d).all() and np.isfinite(pose.joints2d).all()
        assert ((pose.confidence >= 0) & (pose.confidence <= 1)).all()
    return poses


def test_frames_with_nobody_give_empty_slots():
    poses = _run(lambda i: [], persons=2)
    for pose in poses:
        assert not pose.present.any() and (pose.track_ids == -1).all()
        assert not pose.joints3d.any() and not pose.confidence.any()


def test_more_people_than_slots_keeps_the_first_tracked_ones():
    three = lambda i: [_person(-0.8), _person(0.0, 4.0), _person(0.8)]  # noqa: E731
    poses = _run(lambda i: three(i)[:2] if i < 2 else three(i), persons=2)
    for pose in poses:
        assert pose.present.tolist() == [True, True]
        assert sorted(pose.track_ids.tolist()) == [0, 1]  # the newcomer never takes a slot
    np.testing.assert_allclose(poses[-1].joints3d[:, 0, 2], [3.0, 4.0], atol=0.1)  # the first two


@pytest.mark.parametrize("broken, present, confident", [
    ({"image_nan": True}, False, False),  # no place in the image: not a person
    ({"world_nan": True}, True, False),  # placed but no 3-D landmarks: joints with confidence 0
    ({"vis_nan": True}, True, False),  # visibility unknown: confidence 0
])
def test_nan_landmarks_never_reach_the_skeletons(broken, present, confident):
    script = lambda i: [_person(0.0, **broken)] if i % 2 else [_person(0.0)]  # noqa: E731
    poses = _run(script, persons=1)
    assert all(p.present[0] for p in poses[0::2])  # clean frames are unaffected
    for pose in poses[1::2]:
        assert pose.present[0] == present
        assert pose.confidence.any() == confident
