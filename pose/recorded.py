"""MediaPipe's raw output for every frame of a video, recorded once and replayed through the pose stage.

Running MediaPipe is most of the cost of analysing a video. A recording holds what the estimator
returned for each frame (up to ``persons`` people: 33 world and image landmarks and visibility),
the frame times and the frame size. Replaying it with :class:`ReplayEstimator` in place of the
estimator gives the pose stage (tracking, mapping, smoothing) exactly the input a live run on the
same video gives it, so everything downstream is the same as ``python main.py --video`` on it.

Arrays of a recording: ``world`` (T, P, 33, 3), ``image_xy`` (T, P, 33, 2), ``visibility``
(T, P, 33), ``count`` (T,) people found in the frame (their slots first, NaN after),
``timestamps`` (T,) seconds, ``size`` (width, height), ``persons`` P.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from core.atomic import atomic_path
from core.errors import InputError
from pose.mapping import NUM_LANDMARKS
from pose.mediapipe_estimator import PersonLandmarks

KEYS = ("world", "image_xy", "visibility", "count", "timestamps", "size", "persons")


def record(frames: Iterable[tuple[np.ndarray, float]], estimate: Callable[[np.ndarray], list[PersonLandmarks]],
           persons: int) -> dict[str, np.ndarray]:
    """Run ``estimate`` on every ``(frame, t)`` and keep up to ``persons`` people per frame."""
    world, image, vis, count, times = [], [], [], [], []
    size = (0, 0)
    for frame, t in frames:
        size = (frame.shape[1], frame.shape[0])
        people = estimate(frame)[:persons]
        w = np.full((persons, NUM_LANDMARKS, 3), np.nan, np.float32)
        im = np.full((persons, NUM_LANDMARKS, 2), np.nan, np.float32)
        v = np.zeros((persons, NUM_LANDMARKS), np.float32)
        for i, person in enumerate(people):
            w[i], im[i], v[i] = person.world, person.image_xy, person.visibility
        world.append(w), image.append(im), vis.append(v), count.append(len(people)), times.append(t)
    shape = (len(times), persons, NUM_LANDMARKS)
    return {"world": np.asarray(world, np.float32).reshape(shape + (3,)),
            "image_xy": np.asarray(image, np.float32).reshape(shape + (2,)),
            "visibility": np.asarray(vis, np.float32).reshape(shape),
            "count": np.asarray(count, np.int64), "timestamps": np.asarray(times, np.float64),
            "size": np.asarray(size, np.int64), "persons": np.asarray(persons, np.int64)}


def save(path: str | Path, recording: dict[str, np.ndarray]) -> None:
    """Write a recording as one ``.npz`` (atomically, no pickle)."""
    with atomic_path(path) as tmp:
        np.savez_compressed(tmp, **{k: recording[k] for k in KEYS})


def load(path: str | Path) -> dict[str, np.ndarray]:
    """Read a recording written by :func:`save`; InputError when it is not one."""
    try:
        with np.load(path, allow_pickle=False) as data:
            recording = {k: data[k] for k in KEYS}
    except (OSError, ValueError, KeyError) as err:
        raise InputError(f"{path}: not a pose recording ({type(err).__name__})") from None
    t, p = len(recording["timestamps"]), int(recording["persons"])
    if recording["world"].shape != (t, p, NUM_LANDMARKS, 3) or recording["count"].shape != (t,):
        raise InputError(f"{path}: not a pose recording (inconsistent array shapes)")
    return recording


class ReplayEstimator:
    """Stands in for the MediaPipe estimator: returns the recorded people of each frame in turn."""

    def __init__(self, recording: dict[str, np.ndarray]):
        self.recording = recording
        self.frame = 0

    def estimate(self, frame_bgr: np.ndarray) -> list[PersonLandmarks]:
        r, i = self.recording, self.frame
        self.frame += 1
        return [PersonLandmarks(r["image_xy"][i, k].astype(np.float64), r["world"][i, k].astype(np.float64),
                                r["visibility"][i, k].astype(np.float64)) for k in range(int(r["count"][i]))]

    def close(self) -> None:
        pass


def replay_frames(recording: dict[str, np.ndarray]) -> Iterable[tuple[np.ndarray, float]]:
    """``(blank frame of the recorded size, t)`` per recorded frame, to drive a pose stage whose
    estimator is a :class:`ReplayEstimator` (only the frame's size is used)."""
    width, height = (int(v) for v in recording["size"])
    blank = np.zeros((max(height, 1), max(width, 1), 3), np.uint8)
    for t in recording["timestamps"]:
        yield blank, float(t)
