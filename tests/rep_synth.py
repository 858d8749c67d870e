"""Synthetic exercise series for the repetition tests: a standing NTU-25 skeleton in camera space
that does a known number of cycles of a movement, with rests, uneven cycles, pose-estimator noise
and an uneven camera clock."""
from __future__ import annotations

import numpy as np
from blazepose_synth import standing_world

from pose.layouts import NTU25
from pose.mapping import mediapipe_to_ntu

FPS = 30.0
_LEGS = [NTU25.index(n) for n in ("left_knee", "right_knee", "left_ankle", "right_ankle",
                                  "left_foot", "right_foot")]
_KNEES = [NTU25.index(n) for n in ("left_knee", "right_knee")]
_ARMS = {side: [NTU25.index(f"{side}_{n}") for n in ("elbow", "wrist", "hand", "hand_tip", "thumb")]
         for side in ("left", "right")}


def standing() -> np.ndarray:
    """(25, 3) joints of a person facing the camera, 3 m in front of it (Kinect axes, metres)."""
    joints, _ = mediapipe_to_ntu(standing_world(), np.ones(33))
    return joints + np.array([0.0, 0.0, 3.0])


def squat(pose: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Bend the knees by ``depth`` (T,) metres: the body above the knees goes down and back, the
    knees forward (towards the camera) and half as far down."""
    out = np.repeat(pose[None], len(depth), axis=0)
    upper = [v for v in range(NTU25.num_joints) if v not in _LEGS]
    out[:, upper, 1] -= depth[:, None]
    out[:, upper, 2] += 0.3 * depth[:, None]
    out[:, _KNEES, 1] -= 0.5 * depth[:, None]
    out[:, _KNEES, 2] -= 0.6 * depth[:, None]
    return out


def arm_raise(pose: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Lift both arms sideways about the shoulders by ``angle`` (T,) radians."""
    out = np.repeat(pose[None], len(angle), axis=0)
    for side, sign in (("left", -1.0), ("right", 1.0)):
        shoulder = pose[NTU25.index(f"{side}_shoulder")]
        rel = pose[_ARMS[side]] - shoulder  # (5, 3)
        c, s = np.cos(angle)[:, None], np.sin(angle)[:, None] * sign
        x, y = rel[None, :, 0], rel[None, :, 1]
        out[:, _ARMS[side], 0] = shoulder[0] + c * x - s * y
        out[:, _ARMS[side], 1] = shoulder[1] + s * x + c * y
    return out


def cycles(count: int, period: float, rng: np.random.Generator, rest: float = 2.0,
           period_spread: float = 0.15, depth_spread: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Times (30 fps) and a 0..1 profile: ``rest`` s still, ``count`` raised-cosine cycles whose
    periods and depths vary by up to the given fractions, ``rest`` s still."""
    parts = [np.zeros(int(rest * FPS))]
    for _ in range(count):
        p = period * (1 + rng.uniform(-period_spread, period_spread))
        phase = np.arange(int(round(p * FPS))) / (p * FPS)
        parts.append((1 - np.cos(2 * np.pi * phase)) / 2 * (1 + rng.uniform(-depth_spread, depth_spread)))
    parts.append(np.zeros(int(rest * FPS)))
    profile = np.concatenate(parts)
    return np.arange(len(profile)) / FPS, profile


def noisy(joints: np.ndarray, times: np.ndarray, rng: np.random.Generator, sigma: float,
          drop: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Pose-estimator noise as MediaPipe makes it: every joint but the hip centre (its origin)
    shakes independently, ``sigma`` metres per frame plus a slow wobble of the same size (0.3 s
    correlation); the whole body's placement in depth wobbles by 3 ``sigma``; the clock is uneven
    (2 ms jitter) and ``drop`` of the frames are lost."""
    kernel = np.exp(-0.5 * (np.arange(-27, 28) / 9.0) ** 2)
    kernel /= np.sqrt(np.sum(kernel ** 2))

    def slow(shape: tuple[int, ...]) -> np.ndarray:
        return np.apply_along_axis(lambda v: np.convolve(v, kernel, mode="same"), 0, rng.normal(0, 1, shape))

    shake = rng.normal(0, sigma, joints.shape) + sigma * slow(joints.shape)
    shake[:, NTU25.center] = 0.0
    placement = 3 * sigma * slow((len(joints), 1, 3))
    keep = rng.random(len(times)) >= drop
    t = times + rng.normal(0, 0.002, len(times))
    return t[keep], (joints + shake + placement)[keep]
