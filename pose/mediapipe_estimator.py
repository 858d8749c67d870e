"""MediaPipe Pose (legacy ``mp.solutions.pose``, model bundled in the wheel) for one or two people.

BlazePose finds one person per call. For two people the estimator runs two Pose instances, each in
tracking mode (it re-uses its own region of interest around its person from the previous frame and
only runs the person detector when it has lost them): the first sees the whole frame; the second
sees the frame with the first person painted out (a filled silhouette: torso polygon, thick limbs
and a head disc), so its detector can only settle on somebody else.

Two people at one-person speed. While the second instance follows somebody, or the first person
was seen in the previous frame, it runs on a worker thread beside the first instance (MediaPipe
keeps about one core busy, the other core is free), its view painted with the first person's
silhouette of the previous frame; otherwise it waits for the first instance's result of this
frame. With nobody second in view it does not search every frame: only every
:data:`SEARCH_INTERVAL` frames, and on every frame for :data:`WIDE_SEARCH_FRAMES` frames after it
lost somebody it had followed for a while (:data:`SETTLED_FRAMES`; the person is typically hidden
by their partner then). A second result that lands on the first person is dropped and the
instance is made to forget them (a blank image clears its region of interest, far cheaper than
restarting its graph); if it was following somebody, or lost them lately, the search is repeated
with a wider mask (:data:`MASK_LEVELS`), as is a search that finds nobody then. One-person mode
creates a single instance.

Which instance holds which person may change over time; :mod:`pose.tracking` keeps identities.
"""
from __future__ import annotations

import importlib.util
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from core import native_logs
from core.errors import InputError
from pose.mapping import NUM_LANDMARKS

DEFAULT_MODEL_COMPLEXITY = 1
"""BlazePose Full: the only landmark model mediapipe 0.10.21 ships in its wheel. Lite (0) and
Heavy (2) are downloaded by mediapipe on first use, which needs the network."""

_MODEL_FILES = {0: "pose_landmark_lite.tflite", 1: "pose_landmark_full.tflite", 2: "pose_landmark_heavy.tflite"}

DUPLICATE_DISTANCE = 0.15
"""A second-instance result whose landmarks are on average closer than this (as a fraction of the
first person's bounding-box diagonal) to the first person's is the same person."""

MASK_LEVELS = ((0.07, 0.8), (0.09, 1.6))
"""How much of a found person is painted out before the next search: (limb width as a fraction of
the person's bounding-box diagonal, head-disc radius in ear-to-ear distances). The tight mask
comes first, so that a partner it overlaps (a hug) stays visible; if the search still lands on the
found person, it is repeated with the wide mask. Chosen on ntu_sample.avi (1920x1080, two people
hugging; hand-marked head centres): wide only found both in 72/72 frames, but late in the hug
put the hidden man's head on his partner's (110 px off at frames 60 and 68); tight then wide
finds both in 71/72 frames (72/72 at 960x540), 34 px off at frame 60 (104 px at frame 68)."""

WIDE_SEARCH_FRAMES = 15
"""Frames after the second instance last found somebody (settled, :data:`SETTLED_FRAMES`) during
which it searches on every frame and a failed search is retried wide."""

SEARCH_INTERVAL = 10
"""Otherwise the second instance searches for somebody only every this many frames (a third of a
second at 30 fps), so that a one-person clip in two-person mode costs about one-person mode."""

SETTLED_FRAMES = 10
"""Only losing a second person followed for this many frames in a row starts the searches on
every frame: a real partner is followed for long stretches, while the second instance's false
finds on the first person's own limbs (a fast-moving arm outside the painted silhouette) come in
short bursts (at most 9 frames on waving.avi, where per-frame searches after them had the second
instance run on every frame, 1.6 calls per frame; 0.24 with this rule, ntu_sample.avi unchanged)."""

_BLANK = np.zeros((64, 64, 3), np.uint8)  # processed to make a Pose instance lose its person

_LIMBS = ((11, 13), (13, 15), (12, 14), (14, 16), (23, 25), (25, 27), (24, 26), (26, 28),
          (15, 19), (16, 20), (27, 31), (28, 32), (11, 12), (23, 24))
_TORSO = (11, 12, 24, 23)
_HEAD = (0, 7, 8)


@dataclass
class PersonLandmarks:
    """One person's BlazePose output."""

    image_xy: np.ndarray  # (33, 2) pixels in the input frame
    world: np.ndarray  # (33, 3) metres, MediaPipe axes (x right, y down, z away), origin at the hip midpoint
    visibility: np.ndarray  # (33,) in [0, 1]

    def box(self, min_visibility: float = 0.3) -> np.ndarray:
        """(x0, y0, x1, y1) around the landmarks seen with at least ``min_visibility`` (all if none)."""
        seen = self.visibility >= min_visibility
        pts = self.image_xy[seen] if seen.sum() >= 2 else self.image_xy
        return np.concatenate([pts.min(axis=0), pts.max(axis=0)])


def _landmark_model_path(model_complexity: int) -> Path:
    """Where mediapipe keeps the landmark model, found without importing mediapipe (a third of a
    second: the pose stage of ``--video`` runs in a worker process that imports it)."""
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("mediapipe is not installed (pip install -r requirements.txt)")
    root = Path(list(spec.submodule_search_locations)[0])
    return root / "modules" / "pose_landmark" / _MODEL_FILES[model_complexity]


def _check_model_complexity(model_complexity: int) -> None:
    if model_complexity not in _MODEL_FILES:
        raise InputError(f"pose model_complexity must be 0, 1 or 2, got {model_complexity!r}")
    path = _landmark_model_path(model_complexity)
    if not path.exists():
        raise InputError(
            f"pose model_complexity {model_complexity} needs {path.name}, which mediapipe does not "
            f"ship in its wheel and would download from the internet; use model_complexity "
            f"{DEFAULT_MODEL_COMPLEXITY} (bundled) or place the file at {path}")


def check_settings(persons: int, model_complexity: int = DEFAULT_MODEL_COMPLEXITY) -> None:
    """InputError unless an estimator can be made for ``persons`` with ``model_complexity``."""
    if persons not in (1, 2):
        raise InputError(f"persons must be 1 or 2, got {persons!r}")
    _check_model_complexity(model_complexity)


def _to_person(result, width: int, height: int) -> PersonLandmarks | None:
    if result.pose_landmarks is None or result.pose_world_landmarks is None:
        return None
    image = np.array([(p.x * width, p.y * height, p.visibility) for p in result.pose_landmarks.landmark])
    world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark])
    if image.shape[0] != NUM_LANDMARKS:
        return None
    return PersonLandmarks(image[:, :2], world, np.clip(image[:, 2], 0.0, 1.0))


def paint_out(rgb: np.ndarray, people: list[PersonLandmarks], level: tuple[float, float]) -> np.ndarray:
    """A copy of ``rgb`` with the silhouettes of ``people`` (torso polygon, limbs of the given width,
    head disc; see :data:`MASK_LEVELS`) filled with the image's mean colour."""
    out = rgb.copy()
    colour = tuple(int(c) for c in cv2.mean(rgb[::4, ::4])[:3])  # a sparse mean: same colour, less work
    limb_width, head_radius = level
    for person in people:
        x0, y0, x1, y1 = person.box(min_visibility=0.0)
        width = max(3, int(limb_width * np.hypot(x1 - x0, y1 - y0)))
        pts = np.round(person.image_xy).astype(np.int32)
        cv2.fillPoly(out, [pts[list(_TORSO)]], colour)
        for a, b in _LIMBS:
            cv2.line(out, tuple(pts[a]), tuple(pts[b]), colour, width)
        centre = pts[list(_HEAD)].mean(axis=0).astype(int)
        radius = int(max(np.linalg.norm(pts[7] - pts[8]), 1.0) * head_radius)
        cv2.circle(out, tuple(centre), radius, colour, -1)
    return out


def same_person(a: PersonLandmarks, b: PersonLandmarks, threshold: float = DUPLICATE_DISTANCE) -> bool:
    """True when ``b``'s landmarks lie on ``a``'s (mean distance under ``threshold`` box diagonals)."""
    x0, y0, x1, y1 = a.box()
    diagonal = max(np.hypot(x1 - x0, y1 - y0), 1.0)
    return float(np.linalg.norm(a.image_xy - b.image_xy, axis=1).mean()) < threshold * diagonal


class MediaPipePoseEstimator:
    """BGR frame -> list of up to ``persons`` :class:`PersonLandmarks` (in no particular order)."""

    def __init__(self, persons: int = 1, model_complexity: int = DEFAULT_MODEL_COMPLEXITY,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                 smooth_landmarks: bool = False):
        """``smooth_landmarks`` turns on MediaPipe's own filter; it is off because :class:`pose.stage.
        PoseStage` smooths after tracking with a One Euro filter of bounded lag."""
        check_settings(persons, model_complexity)
        native_logs.before_native_load()  # before MediaPipe's C++ code loads and logs
        import mediapipe as mp

        self.persons = persons
        self.model_complexity = model_complexity
        self._instances = [
            mp.solutions.pose.Pose(static_image_mode=False, model_complexity=model_complexity,
                                   smooth_landmarks=smooth_landmarks,
                                   min_detection_confidence=min_detection_confidence,
                                   min_tracking_confidence=min_tracking_confidence)
            for _ in range(persons)
        ]
        self._first_before: PersonLandmarks | None = None  # the first instance's previous result
        self._second_follows = False  # the second instance found somebody in the previous frame
        self._frames_since_found = WIDE_SEARCH_FRAMES  # by the second instance
        self._frames_since_search = SEARCH_INTERVAL
        self._followed = 0  # frames in a row the second instance has found somebody
        self._settled = False  # it followed somebody for SETTLED_FRAMES, not yet gone for good
        self._beside = ThreadPoolExecutor(1, thread_name_prefix="pose-second") if persons == 2 else None

    def estimate(self, frame_bgr: np.ndarray) -> list[PersonLandmarks]:
        """Landmarks of the people found in one BGR uint8 frame (frames must come in time order)."""
        if frame_bgr is None or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
            raise ValueError("expected a BGR image of shape (H, W, 3)")
        height, width = frame_bgr.shape[:2]
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        if self.persons == 1:
            person = _to_person(self._instances[0].process(rgb), width, height)
            return [person] if person is not None else []
        return [p for p in self._estimate_two(rgb, width, height) if p is not None]

    def _estimate_two(self, rgb: np.ndarray, width: int, height: int) -> tuple:
        """(first person or None, second person or None); see the module docstring."""
        searching = not self._second_follows
        if self._frames_since_found >= WIDE_SEARCH_FRAMES:
            self._settled = False  # gone for good
        recently_lost = self._settled and self._frames_since_found < WIDE_SEARCH_FRAMES
        due = not searching or recently_lost or self._frames_since_search >= SEARCH_INTERVAL
        beside = None
        if due and (self._first_before is not None or not searching):
            painted = [self._first_before] if self._first_before is not None else []
            beside = self._beside.submit(self._second, rgb, painted, MASK_LEVELS[0], width, height)
        first = _to_person(self._instances[0].process(rgb), width, height)
        second = None
        if beside is not None:
            second = beside.result()
        elif due:
            second = self._second(rgb, [first] if first is not None else [], MASK_LEVELS[0], width, height)
        if second is not None and first is not None and same_person(first, second):
            self._instances[1].process(_BLANK)  # it landed on the first person: make it forget them
            lately = recently_lost or not searching  # and look again, wider, if somebody was there
            second = self._wide_search(rgb, first, width, height) if lately else None
        elif due and second is None and recently_lost and first is not None:
            second = self._wide_search(rgb, first, width, height)  # hidden by the first person?
        self._frames_since_search = 0 if due and searching else self._frames_since_search + 1
        self._frames_since_found = 0 if second is not None else self._frames_since_found + 1
        if second is not None:
            self._followed = self._followed + 1 if self._second_follows else 1
            self._settled = self._settled or self._followed >= SETTLED_FRAMES
        self._second_follows = second is not None
        self._first_before = first
        return first, second

    def _second(self, rgb: np.ndarray, painted: list[PersonLandmarks], level: tuple[float, float],
                width: int, height: int) -> PersonLandmarks | None:
        """The second instance on the frame with ``painted`` people painted out at ``level``."""
        image = paint_out(rgb, painted, level) if painted else rgb
        return _to_person(self._instances[1].process(image), width, height)

    def _wide_search(self, rgb: np.ndarray, first: PersonLandmarks, width: int, height: int):
        """The second instance (with no region of interest) on the frame with the first person
        painted out wide; None when it finds nobody or the first person again (then forgotten)."""
        person = self._second(rgb, [first], MASK_LEVELS[-1], width, height)
        if person is not None and same_person(first, person):
            self._instances[1].process(_BLANK)
            return None
        return person

    def close(self) -> None:
        """Release the MediaPipe graphs and the second instance's thread."""
        if self._beside is not None:
            self._beside.shutdown()
        for instance in self._instances:
            instance.close()
        self._instances = []

    def __enter__(self) -> "MediaPipePoseEstimator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
