"""From raw class probabilities to what the user sees: smoothing over time and the "no action" rule.

Raw per-window probabilities flicker; an exponential moving average per person steadies them. A
person who is standing still, or whose best smoothed score is below the threshold, is shown as
"no action" rather than a confident guess.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Collection

import numpy as np

from core.labels import NO_ACTION, named_action


@dataclass(frozen=True)
class ActionState:
    """The recognised action of one person at time ``t`` (seconds on the source's clock)."""

    person: int
    t: float
    label: str  # a class name, or NO_ACTION
    score: float  # smoothed probability of the top class
    top: tuple[tuple[str, float], ...]  # best classes first, smoothed probabilities
    motion: float  # joint speed in metres per second (see joint_motion)
    still: bool  # True when the person is below the stillness threshold
    reps: int = 0  # repetitions of the series the person is doing now (app.repetitions)

    @property
    def is_action(self) -> bool:
        return self.label != NO_ACTION


def joint_motion(window: np.ndarray, fps: float, person: int = 0) -> float:
    """How much a person moves in a canonical window (3, T, V, M), in metres per second.

    For each joint, the extent of its path (the diagonal of the box around its positions in the
    frames where the person is present) divided by the time covered; the largest over the joints
    counts, so a waving hand is motion even when the rest of the body is still. Extents, unlike
    summed frame-to-frame steps, hardly grow with pose-estimation jitter. 0 for fewer than two
    frames with the person.
    """
    x = np.asarray(window[..., person], dtype=np.float32)  # (3, T, V)
    present = np.flatnonzero(np.any(x != 0, axis=(0, 2)))
    if present.size < 2:
        return 0.0
    seen = x[:, present]
    extent = np.linalg.norm(seen.max(axis=1) - seen.min(axis=1), axis=0)  # (V,) metres
    return float(extent.max() * fps / (present[-1] - present[0]))


class ScoreSmoother:
    """Exponential moving average of probability vectors, one state per person.

    ``alpha`` is the weight of the newest window (1 disables smoothing). A person unseen for
    longer than ``reset_after`` seconds starts afresh.
    """

    def __init__(self, alpha: float = 0.5, reset_after: float = 1.0) -> None:
        if not 0 < alpha <= 1:
            raise ValueError("alpha must be in (0, 1]")
        self.alpha = alpha
        self.reset_after = reset_after
        self._state: dict[int, tuple[float, np.ndarray]] = {}

    def update(self, person: int, t: float, probs: np.ndarray) -> np.ndarray:
        """Blend ``probs`` into the person's running average and return the new average."""
        probs = np.asarray(probs, dtype=np.float64)
        last = self._state.get(person)
        if last is None or t - last[0] > self.reset_after or last[1].shape != probs.shape:
            smoothed = probs
        else:
            smoothed = self.alpha * probs + (1 - self.alpha) * last[1]
        self._state[person] = (t, smoothed)
        return smoothed

    def forget(self, person: int) -> None:
        """Drop a person's history (they left the frame)."""
        self._state.pop(person, None)

    def reset(self) -> None:
        self._state.clear()


def decide(person: int, t: float, probs: np.ndarray, class_names: list[str], threshold: float,
           motion: float, still_threshold: float, k: int = 5,
           background: Collection[str] = ()) -> ActionState:
    """Name the action for smoothed ``probs``, or NO_ACTION when still, below ``threshold``, or when
    the model's ``background`` classes ("none of these actions") together score at least as high
    as the best action. ``top`` holds the best ``k`` classes, background ones included."""
    probs = np.asarray(probs, dtype=np.float64)
    order = np.argsort(-probs)[:k]
    top = tuple((class_names[i], float(probs[i])) for i in order)
    still = motion < still_threshold
    named = named_action(probs, class_names, background)
    best = named if named is not None else _best_action(probs, class_names, background)
    best_label, best_score = class_names[best], float(probs[best])
    label = NO_ACTION if still or best_score < threshold or named is None else best_label
    return ActionState(person, t, label, best_score, top, motion, still)


def _best_action(probs: np.ndarray, class_names: list[str], background: Collection[str]) -> int:
    """The best class that is not background (the best class of all when every one is)."""
    actions = [i for i in np.argsort(-probs) if class_names[i] not in background]
    return actions[0] if actions else int(np.argmax(probs))
