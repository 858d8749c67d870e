"""Camera-space training augmentations: the Kinect clip as another camera would have measured it.

Listed under a recipe's ``data.camera_augmentation``, they act on the raw clip (metres, Kinect camera
space: y up, z away from the camera) *before* the normalisation, so that the normalisation then
makes the same mistakes on them that it makes live. The datasets are filmed almost only from the
front, while a webcam meets people from any side; and a monocular pose estimator (MediaPipe) places
joints well in the image plane but guesses their depth. Turned to face the camera by its own hip and
shoulder lines (``body_frame``, ``canonical``), a clip whose depth was distorted at an angle comes
out distorted along other body axes, and with the turn itself off by the error of those lines:
what a side view looks like live.

* ``view``: the person turned about the vertical through their centre by a yaw in
  ``[-max_yaw, max_yaw]`` degrees (the camera moved around them).
* ``camera_depth``: depth relative to the person's centre scaled by a factor in ``scale``
  (log-uniform) and each joint shifted in depth by its own constant error (``joint_sigma`` metres).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.data.transforms import register_augmentation
from model.preprocess import present_mask


def _centre(x: np.ndarray) -> np.ndarray:
    """Per-frame centre (3, T, 1, 1) of all present persons' joints (zeros where nobody is)."""
    present = present_mask(x)  # (T, M)
    counts = present.sum(axis=1) * x.shape[2]
    total = x.sum(axis=(2, 3))
    centre = np.where(counts > 0, total / np.maximum(counts, 1), 0.0)
    return centre[:, :, None, None]


def _keep_absent(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.where(present_mask(x)[None, :, None, :], y, 0).astype(np.float32)


@register_augmentation("view")
@dataclass
class CameraView:
    """Turn the clip about the vertical axis through the persons' mean centre by a random yaw in
    ``[-max_yaw, max_yaw]`` degrees: the same action seen from another side."""

    max_yaw: float = 90.0

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        a = np.radians(rng.uniform(-self.max_yaw, self.max_yaw))
        c, s = np.cos(a), np.sin(a)
        turn = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
        frames = present_mask(x).any(axis=1)
        if not frames.any():
            return x.copy()
        pivot = _centre(x)[:, frames].mean(axis=1, keepdims=True)
        return _keep_absent(np.einsum("ij,jtvm->itvm", turn, x - pivot) + pivot, x)


@register_augmentation("camera_depth")
@dataclass
class CameraDepth:
    """Monocular depth: distances from the camera, relative to the persons' centre in each frame,
    scaled by one factor in ``scale`` (log-uniform) and shifted per joint by a constant drawn from
    N(0, ``joint_sigma``) metres."""

    scale: tuple[float, float] = (0.6, 1.4)
    joint_sigma: float = 0.03

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        factor = float(np.exp(rng.uniform(np.log(self.scale[0]), np.log(self.scale[1]))))
        centre = _centre(x)[2]
        y = x.astype(np.float64)
        y[2] = centre + factor * (x[2] - centre) + rng.normal(0.0, self.joint_sigma, size=(1, x.shape[2], x.shape[3]))
        return _keep_absent(y, x)
