"""One label for a whole clip from its stream of per-window action states (``--video``, ``--eval``).

Each window with a person adds its smoothed top-5 scores to per-label sums; a window in which the
person is still adds nothing (live it reads "no action"), but still counts, so a clip that is mostly
rest gets low mean scores. The clip's *best* label is the action (never one of the model's
background classes) with the highest mean score over all windows with a person; the *dominant*
label is the best one, or "no action" when its mean is under the threshold or the background
classes together score at least as high.
"""
from __future__ import annotations

from typing import Collection

from app.scoring import NO_ACTION, ActionState


class ClipDecision:
    """Accumulates the states of one clip; ``background``: the model's background classes."""

    def __init__(self, background: Collection[str] = ()) -> None:
        self.background = frozenset(background)
        self.windows = 0
        self.sums: dict[str, float] = {}

    def add(self, state: ActionState) -> None:
        """Count one result (absent-person results, with no scores, are ignored)."""
        if not state.top:
            return
        self.windows += 1
        if state.still:
            return
        for name, p in state.top:
            self.sums[name] = self.sums.get(name, 0.0) + p

    def ranked(self) -> list[tuple[str, float]]:
        """Action labels by mean score over the windows, best first (background excluded)."""
        if not self.windows:
            return []
        means = [(n, s / self.windows) for n, s in self.sums.items() if n not in self.background]
        return sorted(means, key=lambda item: -item[1])

    def best(self) -> tuple[str, float]:
        """The action with the highest mean score, or ("no action", 0.0) without any."""
        ranked = self.ranked()
        return ranked[0] if ranked else (NO_ACTION, 0.0)

    def runner_up(self) -> tuple[str, float]:
        """The action with the second highest mean score, or ("no action", 0.0)."""
        ranked = self.ranked()
        return ranked[1] if len(ranked) > 1 else (NO_ACTION, 0.0)

    def background_score(self) -> float:
        """Summed mean score of the background classes (0 without any)."""
        if not self.windows:
            return 0.0
        return sum(self.sums.get(name, 0.0) for name in self.background) / self.windows

    def dominant(self, threshold: float) -> tuple[str, float]:
        """(label, score): the best action, or "no action" (with the best action's score) when that
        score is under ``threshold`` or not above the background classes' together."""
        label, score = self.best()
        if score < threshold or score <= self.background_score():
            return NO_ACTION, score
        return label, score
