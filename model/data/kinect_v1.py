"""Kinect v1 skeletons (UTD-MHAD, NW-UCLA) moved onto Kinect v2's joint definitions.

:func:`pose.layouts.convert` turns Kinect v1's 20 joints into the NTU 25-joint layout by name
(hip_center -> spine_base, spine -> spine_mid, shoulder_center -> spine_shoulder; hips and head
kept). Measured with ``tools/domain_gap/stats.py`` (medians over every frame; L1 = |shoulder-joint
midpoint - hip-joint midpoint|), those joints mark different anatomy than Kinect v2's, and than
what the MediaPipe mapping (:mod:`pose.mapping`, calibrated to Kinect v2) produces:

=========================  ==========================  ===================
measure                    UTD-MHAD / NW-UCLA (v1)     NTU samples (v2)
=========================  ==========================  ===================
shoulder width (m)         0.32 / 0.32                 0.31
upper arm, forearm (m)     0.26, 0.23 / 0.25, 0.24     0.24, 0.23
shin (m)                   0.35 / 0.38                 0.36
shoulder line to ankles    1.16 / 1.18 m               1.15 m
thigh / shin               1.27 / 1.28                 0.91
torso / shin               1.04 / 1.01                 1.36
hip width (m)              0.146 / 0.139               0.128
hip centre above hip line  +0.20 / +0.18 L1            -0.01 L2 (spine base)
spine                      +0.38 / +0.36 L1            +0.59 L2 (spine mid)
shoulder centre            +1.29 / +1.24 L1            +1.04 L2 (spine shoulder)
head above shoulder line   0.29 m                      0.22 m
=========================  ==========================  ===================

Arms, shins, shoulders and ankles agree, so the difference is the hips and the trunk joints:
Kinect v1's hip joints sit about 0.32 L1 (0.12 m) higher (from thigh/shin and torso/shin) and are
0.88x as wide, and its trunk joints are spread differently. :func:`to_kinect2` lowers the hips by
``HIP_DROP`` L1 along the torso, narrows them, puts spine base, spine mid and spine shoulder where
Kinect v2 has them in the frame of the moved hips (L2 = (1 + HIP_DROP) L1), lowers the head by
``HEAD_DROP`` L1 and re-derives the neck. After it, UTD-MHAD measures like NTU: hip-to-ankle
-1.38 L2 (NTU -1.37), thigh 0.70 (0.67), shin 0.73 (0.74), hip width 0.27 (0.27), torso 0.49 m
(0.48 m). Limbs are untouched.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.data.transforms import register_augmentation
from model.preprocess import normalize, present_mask
from pose.layouts import NECK_RATIO, NTU25

HIP_DROP = 0.32  # L1: Kinect v2's hip line below Kinect v1's
HIP_WIDTH = 0.88  # Kinect v2 / Kinect v1 hip width (0.128 m / 0.146 m)
HEAD_DROP = 0.17  # L1: head 0.29 m above the shoulder line in Kinect v1, 0.22 m in Kinect v2
V2_TRUNK = {  # Kinect v2 (NTU samples): (up, forward) from the hip-joint midpoint in torso units L2
    "spine_base": (-0.014, -0.062), "spine_mid": (0.59, -0.051), "spine_shoulder": (1.04, -0.028),
}


def to_kinect2(x: np.ndarray, amount: float = 1.0) -> np.ndarray:
    """An ``ntu25`` array ``(3, T, 25, M)`` converted from Kinect v1 with its hips, trunk joints, neck
    and head moved ``amount`` (0: unchanged, 1: fully) of the way to Kinect v2's definitions."""
    j = NTU25.index
    y = x.astype(np.float64)
    p = lambda n: y[:, :, j(n)]  # noqa: E731
    hip = (p("left_hip") + p("right_hip")) / 2
    sh = (p("left_shoulder") + p("right_shoulder")) / 2
    length = np.linalg.norm(sh - hip, axis=0, keepdims=True)
    up = (sh - hip) / np.where(length > 0, length, 1)
    across = p("right_shoulder") - p("left_shoulder")
    across = across - (across * up).sum(0, keepdims=True) * up
    across = across / np.maximum(np.linalg.norm(across, axis=0, keepdims=True), 1e-9)
    forward = np.cross(up, across, axis=0)
    new_hip = hip - HIP_DROP * length * up
    target = {f"{side}_hip": new_hip + HIP_WIDTH * (p(f"{side}_hip") - hip) for side in ("left", "right")}
    l2 = (1 + HIP_DROP) * length
    target.update({name: new_hip + l2 * (u * up + f * forward) for name, (u, f) in V2_TRUNK.items()})
    target["head"] = p("head") - HEAD_DROP * length * up
    target["neck"] = target["spine_shoulder"] + NECK_RATIO * (target["head"] - target["spine_shoulder"])
    out = y.copy()
    for name, point in target.items():
        out[:, :, j(name)] = p(name) + amount * (point - p(name))
    return np.where(present_mask(x)[None, :, None, :], out, 0).astype(np.float32)


@register_augmentation("kinect2_joints")
@dataclass
class Kinect2Joints:
    """For Kinect v1 training data in ``body_frame`` clips: with probability ``p`` move the hips and
    trunk joints a random fraction (uniform in ``amount``) of the way to Kinect v2's definitions
    (:func:`to_kinect2`), then re-normalise, so the model sees both definitions (MediaPipe skeletons
    are mapped to Kinect v2's)."""

    p: float = 0.5
    amount: tuple[float, float] = (0.5, 1.0)
    layout: str = "ntu25"

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if rng.random() >= self.p:
            return x.copy()
        if self.layout != NTU25.name:
            raise ValueError("kinect2_joints works on the ntu25 layout")
        return normalize(to_kinect2(x, rng.uniform(*self.amount)), "body_frame", NTU25)
