"""Kinect v1 skeletons (UTD-MHAD, NW-UCLA) moved onto Kinect v2's joint definitions (prototype).

``pose.layouts.convert`` renames Kinect v1's trunk joints to Kinect v2's (hip_center -> spine_base,
spine -> spine_mid, shoulder_center -> spine_shoulder) and keeps the hips and head. Measured with
:mod:`tools.domain_gap.stats` they mark different anatomy: in the frame of the hip-joint midpoint
and torso unit L1 = |shoulder-joint midpoint - hip-joint midpoint| (UTD-MHAD / NW-UCLA / NTU v2):

* shoulders, elbows, wrists, knees, ankles agree in metres (shoulder width 0.32 / 0.32 / 0.31 m,
  upper arm 0.26 / 0.25 / 0.24, forearm 0.23 / 0.24 / 0.23, shin 0.35 / 0.38 / 0.36, shoulder line
  to ankles 1.16 / 1.18 / 1.15 m);
* Kinect v1's hip joints sit 0.32 L1 (~0.12 m) higher: thigh / shin 1.27 / 1.28 vs 0.91, torso /
  shin 1.04 / 1.01 vs 1.36; and 0.88x as wide (0.146 m vs 0.128 m);
* the trunk joints relative to the hip line: v1 hip_center +0.20 L1, spine +0.38, shoulder_center
  +1.29, head +1.78 (Kinect v2: spine_base -0.014 L2, spine_mid 0.59, spine_shoulder 1.04, head 1.46
  with L2 = 1.32 L1).

``to_kinect2`` lowers the hips by ``HIP_DROP`` L1 along the torso and narrows them, and puts the
trunk joints and the head where Kinect v2 has them (in the frame of the moved hips), neck by the
usual 0.35 rule. Limbs are untouched.
"""
from __future__ import annotations

import numpy as np

from pose.layouts import NECK_RATIO, NTU25

HIP_DROP = 0.32  # L1: Kinect v2's hip line below Kinect v1's, from thigh/shin and torso/shin
HIP_WIDTH = 0.88  # Kinect v2 / Kinect v1 hip width in metres (0.128 / 0.146)
V2_TRUNK = {  # Kinect v2 (NTU samples), torso units L2, (up, forward) from the hip-joint midpoint
    "spine_base": (-0.014, -0.062), "spine_mid": (0.59, -0.051), "spine_shoulder": (1.04, -0.028),
}
HEAD_DROP = 0.17  # L1: v1 head is 0.29 m above the shoulder line, v2 0.22 m


def to_kinect2(x: np.ndarray) -> np.ndarray:
    """``(3, T, 25, M)`` ntu25 array converted from Kinect v1 -> Kinect v2 joint definitions."""
    j = NTU25.index
    y = x.astype(np.float64).copy()
    present = np.any(x != 0, axis=(0, 2))  # (T, M)
    p = lambda n: y[:, :, j(n)]  # noqa: E731
    hip = (p("left_hip") + p("right_hip")) / 2
    sh = (p("left_shoulder") + p("right_shoulder")) / 2
    length = np.linalg.norm(sh - hip, axis=0, keepdims=True)
    up = (sh - hip) / np.where(length > 0, length, 1)
    across = p("right_shoulder") - p("left_shoulder")
    across = across - (across * up).sum(0, keepdims=True) * up
    across /= np.maximum(np.linalg.norm(across, axis=0, keepdims=True), 1e-9)
    fwd = np.cross(up, across, axis=0)
    new_hip = hip - HIP_DROP * length * up
    for side in ("left", "right"):
        y[:, :, j(f"{side}_hip")] = new_hip + HIP_WIDTH * (p(f"{side}_hip") - hip)
    l2 = (1 + HIP_DROP) * length
    for name, (u, f) in V2_TRUNK.items():
        y[:, :, j(name)] = new_hip + l2 * (u * up + f * fwd)
    y[:, :, j("head")] = p("head") - HEAD_DROP * length * up
    y[:, :, j("neck")] = p("spine_shoulder") + NECK_RATIO * (p("head") - p("spine_shoulder"))
    return np.where(present[None, :, None, :], y, 0).astype(np.float32)
