"""Person identities across frames, and the fixed person slots the model sees.

Each detection (a person's image landmarks and visibility) is matched to the live tracks by the
Hungarian algorithm (``scipy.optimize.linear_sum_assignment``) on a pose distance: the mean pixel
distance between corresponding visible landmarks, after shifting the track's last pose by its
velocity, divided by the track's bounding-box diagonal. Comparing whole poses rather than boxes
keeps two people apart while they overlap (a hug, a handshake, crossing paths).

Slots. ``slots`` (1 or 2) fixed places in the output. A new track takes the lowest free slot;
people who appear in the same frame are given slots left to right in the image, so with two people
in view at the start slot 0 is the one on the image left. A track keeps its slot for life.

Leaving and re-entering. A track that is not seen is kept for ``max_missed_seconds``. A detection
that continues no track (pose distance over ``max_cost``) is, in this order: the return of a track
that has been gone for at least ``reentry_seconds`` (it resumes that track: same id, same slot; with
at most ``slots`` people tracked, a newcomer is taken to be the one who left); else a new track
with a new id in the lowest free slot; else, with every slot held, the track it is closest to among
those not seen in this frame (a jump in the pose estimate), or nobody when all are in view.
Tracks missing for longer than ``max_missed_seconds`` are dropped and free their slot. Frames with
nobody simply age all tracks.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MAX_COST = 0.6
"""Largest pose distance (in bounding-box diagonals) for a detection to continue a track."""

MIN_FINITE_LANDMARKS = 3
"""A detection with fewer finite image landmarks (not NaN or infinite) is ignored: it has no place."""

MIN_VISIBILITY = 0.3
"""Landmarks under this visibility are ignored when comparing poses and drawing boxes."""

REENTRY_SECONDS = 0.25
"""A track unseen for at least this long may be resumed by a detection anywhere in the image."""

VELOCITY_SMOOTHING = 0.5
"""Weight of the newest displacement in the track's velocity (an exponential average)."""

VELOCITY_MAX_GAP = 0.2
"""Velocity is only estimated across gaps up to this many seconds; after longer ones it restarts."""


@dataclass
class Track:
    """A tracked person."""

    track_id: int
    slot: int
    points: np.ndarray  # (K, 2) last image landmarks
    visibility: np.ndarray  # (K,)
    last_seen: float  # seconds
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))  # pixels per second

    def diagonal(self) -> float:
        seen = self.visibility >= MIN_VISIBILITY
        pts = self.points[seen] if seen.sum() >= 2 else self.points
        return max(float(np.linalg.norm(pts.max(axis=0) - pts.min(axis=0))), 1.0)

    def predicted(self, t: float) -> np.ndarray:
        return self.points + self.velocity * (t - self.last_seen)


def pose_distance(track: Track, points: np.ndarray, visibility: np.ndarray, t: float) -> float:
    """Mean distance between the track's predicted landmarks and a detection's, over landmarks both
    see (all when they share fewer than 3), in units of the track's box diagonal."""
    both = (track.visibility >= MIN_VISIBILITY) & (visibility >= MIN_VISIBILITY)
    if both.sum() < 3:
        both = np.ones_like(both)
    gaps = np.linalg.norm(track.predicted(t)[both] - points[both], axis=1)
    return float(np.nan_to_num(gaps.mean(), nan=np.inf)) / track.diagonal()


class PersonTracker:
    """Assigns each detection of a frame to a track id and a person slot."""

    def __init__(self, slots: int = 2, max_missed_seconds: float = 2.0, max_cost: float = MAX_COST,
                 reentry_seconds: float = REENTRY_SECONDS):
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.slots = slots
        self.max_missed_seconds = max_missed_seconds
        self.max_cost = max_cost
        self.reentry_seconds = reentry_seconds
        self.tracks: list[Track] = []
        self._next_id = 0

    def update(self, points: list[np.ndarray], visibility: list[np.ndarray], t: float) -> list[Track | None]:
        """Match this frame's detections (image landmarks ``(K, 2)`` and visibility ``(K,)`` each)
        taken at ``t`` seconds. Returns, per detection, its :class:`Track` (with ``slot`` and
        ``track_id``), or None when every slot is held by a person in view or the detection has
        fewer than :data:`MIN_FINITE_LANDMARKS` finite landmarks (it cannot be placed)."""
        self.tracks = [tr for tr in self.tracks if t - tr.last_seen <= self.max_missed_seconds]
        clean = [_sanitised(p, v) for p, v in zip(points, visibility)]
        usable = [c for c, item in enumerate(clean) if item is not None]
        points = [item[0] if item else None for item in clean]
        visibility = [item[1] if item else None for item in clean]
        result: list[Track | None] = [None] * len(points)
        if self.tracks and usable:
            cost = np.array([[pose_distance(tr, points[c], visibility[c], t) for c in usable]
                             for tr in self.tracks])
            rows, cols = _assignment(cost)
            for r, col in zip(rows, cols):
                c = usable[col]
                if cost[r, col] <= self.max_cost:
                    result[c] = self._continue(self.tracks[r], points[c], visibility[c], t)
        leftover = [c for c in usable if result[c] is None]
        for c in sorted(leftover, key=lambda i: _centre(points[i], visibility[i])[0]):
            result[c] = self._place(points[c], visibility[c], t)
        return result

    def _place(self, points: np.ndarray, visibility: np.ndarray, t: float) -> Track | None:
        """Resume a departed track, start a new one, or take over a track that jumped."""
        unseen = [tr for tr in self.tracks if tr.last_seen < t]
        departed = [tr for tr in unseen if t - tr.last_seen >= self.reentry_seconds]
        used = {tr.slot for tr in self.tracks}
        free = [s for s in range(self.slots) if s not in used]
        candidates = departed or ([] if free else unseen)
        if candidates:
            track = min(candidates, key=lambda tr: pose_distance(tr, points, visibility, t))
            return self._continue(track, points, visibility, t)
        if not free:
            return None
        track = Track(self._next_id, free[0], points, visibility, t)
        self._next_id += 1
        self.tracks.append(track)
        return track

    def _continue(self, track: Track, points: np.ndarray, visibility: np.ndarray, t: float) -> Track:
        dt = t - track.last_seen
        if 0 < dt <= VELOCITY_MAX_GAP:
            shift = _centre(points, visibility) - _centre(track.points, track.visibility)
            track.velocity = (1 - VELOCITY_SMOOTHING) * track.velocity + VELOCITY_SMOOTHING * shift / dt
        else:
            track.velocity = np.zeros(2)
        track.points, track.visibility, track.last_seen = points, visibility, t
        return track


def _assignment(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Hungarian algorithm's matching (rows, columns) of a track x detection cost matrix. One
    track and one detection (every frame of one-person mode) need no solver: scipy.optimize, a
    sixth of a second to import, loads only when there is a choice to make."""
    if cost.shape == (1, 1):
        return np.zeros(1, int), np.zeros(1, int)
    from scipy.optimize import linear_sum_assignment

    return linear_sum_assignment(np.minimum(cost, 1e6))


def _sanitised(points: np.ndarray, visibility: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Landmarks as float64 with non-finite ones moved onto the mean of the others at visibility 0
    (so distances and boxes stay finite); None when fewer than MIN_FINITE_LANDMARKS are finite."""
    points = np.asarray(points, dtype=np.float64)
    visibility = np.nan_to_num(np.asarray(visibility, dtype=np.float64))
    finite = np.isfinite(points).all(axis=-1)
    if finite.sum() < MIN_FINITE_LANDMARKS:
        return None
    if finite.all():
        return points, visibility
    return np.where(finite[:, None], points, points[finite].mean(axis=0)), np.where(finite, visibility, 0.0)


def _centre(points: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    seen = visibility >= MIN_VISIBILITY
    return np.nanmean(points[seen] if seen.any() else points, axis=0)
