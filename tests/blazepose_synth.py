"""Generated BlazePose landmarks for tests: a standing adult in MediaPipe's world axes, its image.

MediaPipe world axes: metres, origin between the hips, x to the image right, y down, z away from
the camera. A person facing the camera therefore has their *right* side at negative x.
"""
from __future__ import annotations

import numpy as np

from pose.mapping import BLAZEPOSE_LANDMARKS

# (x, y, z) for a person facing the camera, arms hanging, about 1.75 m tall. Person's left = +x.
_LEFT_SIDE = {
    "eye_inner": (0.015, -0.66, -0.09), "eye": (0.035, -0.66, -0.085), "eye_outer": (0.05, -0.66, -0.08),
    "ear": (0.075, -0.64, -0.01), "mouth": (0.025, -0.58, -0.08),
    "shoulder": (0.19, -0.48, 0.0), "elbow": (0.23, -0.20, 0.02), "wrist": (0.25, 0.04, 0.0),
    "pinky": (0.26, 0.11, 0.0), "index": (0.24, 0.12, -0.02), "thumb": (0.235, 0.06, -0.025),
    "hip": (0.10, 0.0, 0.0), "knee": (0.11, 0.42, -0.01), "ankle": (0.11, 0.83, 0.02),
    "heel": (0.11, 0.88, 0.06), "foot_index": (0.12, 0.90, -0.12),
}


def standing_world() -> np.ndarray:
    """(33, 3) world landmarks of a person facing the camera."""
    spots = {"nose": (0.0, -0.61, -0.11)}
    for part, (x, y, z) in _LEFT_SIDE.items():
        left, right = ("mouth_left", "mouth_right") if part == "mouth" else (f"left_{part}", f"right_{part}")
        spots[left], spots[right] = (x, y, z), (-x, y, z)
    return np.array([spots[n] for n in BLAZEPOSE_LANDMARKS], dtype=np.float64)


def rotate_y(world: np.ndarray, degrees: float) -> np.ndarray:
    """Turn the person about the vertical axis (positive: towards the image right)."""
    a = np.radians(degrees)
    rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    return world @ rot.T


def project(world: np.ndarray, translation: tuple[float, float, float], image_size=(640, 480),
            hfov_deg: float = 60.0) -> np.ndarray:
    """Pinhole image (pixels) of world landmarks placed at ``translation`` (MediaPipe/camera axes)."""
    width, height = image_size
    f = (width / 2) / np.tan(np.radians(hfov_deg) / 2)
    cam = world + np.asarray(translation)
    return np.stack([f * cam[..., 0] / cam[..., 2] + width / 2, f * cam[..., 1] / cam[..., 2] + height / 2], -1)
