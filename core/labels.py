"""The label the app shows when it recognises nothing, and the rule for background classes.

No class of the user's may be called "no action". A model may have background classes ("none of
these actions", e.g. the gestures of a dataset): they are never named, and when they together
score at least as high as the best action, nothing is. Live scoring (``app.scoring``) and the
evaluation of Kinect clips (``model.metrics``) share this rule.
"""
from __future__ import annotations

from typing import Collection, Sequence

import numpy as np

NO_ACTION = "no action"


def is_reserved_label(name: str) -> bool:
    """True for "no action" in any case or spacing (it would be confused with nothing recognised)."""
    return " ".join(name.split()).casefold() == NO_ACTION


def named_action(probs: np.ndarray, class_names: Sequence[str], background: Collection[str]) -> int | None:
    """Index of the action named for ``probs`` (the best class that is not background), or None
    when the model has no such class or its background classes together score at least as much."""
    probs = np.asarray(probs, dtype=np.float64)
    is_background = np.array([name in background for name in class_names], dtype=bool)
    if is_background.all():
        return None
    actions = np.where(is_background, -np.inf, probs)
    best = int(np.argmax(actions))
    return None if probs[is_background].sum() >= probs[best] else best
