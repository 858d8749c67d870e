"""Skeleton overlay shared by the GUI and annotated video export.

Bones are coloured by body side (person's left, right, centre line) and joints by confidence
(red = unsure, green = sure), so a left/right swap or a weak joint is visible at a glance.
"""
from __future__ import annotations

import cv2
import numpy as np

from pose.layouts import NTU25, Layout

SIDE_COLOURS_BGR = {"left": (255, 160, 40), "right": (40, 170, 255), "center": (235, 235, 235)}
"""Person's left in blue, right in orange, trunk and head in light grey."""


def confidence_colour(confidence: float) -> tuple[int, int, int]:
    """BGR colour from red (0) through yellow (0.5) to green (1)."""
    c = float(np.clip(np.nan_to_num(confidence), 0.0, 1.0))
    return 0, int(255 * min(1.0, 2 * c)), int(255 * min(1.0, 2 * (1 - c)))


def draw_skeleton(image: np.ndarray, joints_xy: np.ndarray, confidence: np.ndarray | None = None, *,
                  layout: Layout = NTU25, min_confidence: float = 0.1, thickness: int | None = None,
                  label: str | None = None) -> np.ndarray:
    """Draw one person's skeleton (``joints_xy`` (V, 2) pixels, ``confidence`` (V,)) onto ``image``
    in place and return it. Bones touching a joint under ``min_confidence`` are left out, and so are
    non-finite joints. ``label`` (e.g. a track id) is written above the head. Line thickness scales
    with the image unless given."""
    joints_xy = np.asarray(joints_xy, dtype=np.float64)
    if joints_xy.shape != (layout.num_joints, 2):
        raise ValueError(f"expected ({layout.num_joints}, 2) joints for {layout.name}, got {joints_xy.shape}")
    conf = np.ones(layout.num_joints) if confidence is None else np.asarray(confidence, dtype=np.float64)
    if thickness is None:
        thickness = max(1, round(max(image.shape[:2]) / 320))
    shown = np.isfinite(joints_xy).all(axis=1) & (np.nan_to_num(conf) >= min_confidence)
    pts = np.round(np.nan_to_num(joints_xy)).astype(np.int32)
    for child, parent in layout.bones:
        if shown[child] and shown[parent]:
            side = layout.side(child) if layout.side(child) != "center" else layout.side(parent)
            cv2.line(image, tuple(pts[child]), tuple(pts[parent]), SIDE_COLOURS_BGR[side], thickness,
                     cv2.LINE_AA)
    for j in np.flatnonzero(shown):
        cv2.circle(image, tuple(pts[j]), thickness + 2, confidence_colour(conf[j]), -1, cv2.LINE_AA)
    if label is not None and shown.any():
        top = pts[shown][pts[shown][:, 1].argmin()]
        cv2.putText(image, label, (int(top[0]) - 10, int(top[1]) - 4 * thickness - 6),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.4 * thickness + 0.2, (255, 255, 255), thickness, cv2.LINE_AA)
    return image
