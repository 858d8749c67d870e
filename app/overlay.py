"""Draw what the recogniser sees onto a frame: skeletons (pose.drawing) plus a label tag per person.

Used for the live display (on a worker thread, at display size) and for the annotated video of
the headless analysis (at full size), so both show the same thing.
"""
from __future__ import annotations

import cv2
import numpy as np

from app.scoring import ActionState
from pose.drawing import draw_skeleton
from pose.stage import FramePose


def scaled(frame: np.ndarray, max_width: int | None) -> tuple[np.ndarray, float]:
    """``frame`` shrunk to at most ``max_width`` pixels wide (never enlarged), and the scale used."""
    h, w = frame.shape[:2]
    if not max_width or w <= max_width:
        return frame.copy(), 1.0
    scale = max_width / w
    return cv2.resize(frame, (max_width, max(1, round(h * scale))), interpolation=cv2.INTER_AREA), scale


def _tag_text(state: ActionState) -> str:
    if not state.top:
        return ""
    text = state.label if not state.is_action else f"{state.label} {state.score:.2f}"
    return f"{text}, {state.reps} reps" if state.reps else text


def draw_overlay(image: np.ndarray, pose: FramePose, states: dict[int, ActionState],
                 scale: float = 1.0) -> np.ndarray:
    """Draw skeletons and label tags in place on BGR ``image`` (joints scaled by ``scale``)."""
    h, w = image.shape[:2]
    thickness = max(1, round(w / 640))
    font_scale = max(0.45, w / 1400)
    taken: list[tuple[int, int, int, int]] = []  # tag boxes already drawn, to avoid overlaps
    for m in np.flatnonzero(pose.present):
        xy = pose.joints2d[m] * scale
        draw_skeleton(image, xy, pose.confidence[m])
        state = states.get(int(m)) or (states.get(0) if len(states) == 1 else None)
        text = f"P{m + 1}: {_tag_text(state)}" if state is not None else f"P{m + 1}"
        visible = xy[pose.confidence[m] > 0]
        if visible.size == 0:
            continue
        x = int(np.clip(visible[:, 0].min(), 0, w - 10))
        y = int(np.clip(visible[:, 1].min() - 10, 20, h - 5))
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thickness)
        x = max(0, min(x, w - tw - 6))  # the whole tag inside the frame
        while any(x < bx1 and x + tw + 6 > bx0 and y - th - base - 2 < by1 and y + base - 2 > by0
                  for bx0, by0, bx1, by1 in taken) and y + th + base < h:
            y += th + base + 4
        taken.append((x, y - th - base - 2, x + tw + 6, y + base - 2))
        cv2.rectangle(image, (x, y - th - base - 2), (x + tw + 6, y + base - 2), (20, 20, 20), -1)
        cv2.putText(image, text, (x + 3, y - base), cv2.FONT_HERSHEY_SIMPLEX, font_scale,
                    (255, 255, 255), thickness, cv2.LINE_AA)
    return image


def draw_status(image: np.ndarray, text: str) -> np.ndarray:
    """A one-line caption at the bottom left (time, model) for the annotated video."""
    h, w = image.shape[:2]
    font_scale = max(0.4, w / 1600)
    thickness = max(1, round(w / 900))
    cv2.putText(image, text, (8, h - 10), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (0, 0, 0),
                thickness + 2, cv2.LINE_AA)
    cv2.putText(image, text, (8, h - 10), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (255, 255, 255),
                thickness, cv2.LINE_AA)
    return image
