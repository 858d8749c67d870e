"""Training augmentations that give Kinect clips the errors of MediaPipe skeletons from a camera.

Registered by name with :func:`model.data.transforms.register_augmentation`. They work on a clip
normalised with ``body_frame`` (:mod:`model.preprocess`: y up, the person facing the camera along
-z, torso units) and keep absent persons / frames at zero. Default amounts come from the measured
differences between UTD-MHAD and MediaPipe on real footage (``tools/domain_gap/stats.py``; numbers
in the README's domain-gap section):

* ``tilt``: the whole body pitched towards the camera. MediaPipe's skeletons of the real clips lean
  2-18 degrees more than UTD-MHAD's (torso and legs alike: a whole-body tilt of the monocular
  estimate and of the camera), so the default range is -5..+25 degrees.
* ``depth``: monocular depth is the least reliable axis: depth spread over width is 0.72 in
  UTD-MHAD and 0.77-1.03 on the real clips (body frame), so depth is scaled by 0.8-1.4 and each
  joint gets its own constant depth error.
* ``body_shape``: bone lengths differ between people and between skeleton definitions (limb
  lengths in torso units vary by about +-12% across the real clips).
* ``speed``, ``frame_drop``: people act faster or slower than the dataset's subjects, a live
  window holds rest poses around an action, and cameras drop frames (the pipeline interpolates).
* ``missing_joints``: limbs MediaPipe cannot see are guessed (displaced) or, when not computed,
  collapsed onto their parent joint by the mapping.
* ``tracking_noise``: smooth, temporally correlated wobble left after the pose stage's smoothing
  (second-difference jitter 0.011-0.015 torso units vs 0.004 in UTD-MHAD on slow clips).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.data.transforms import register_augmentation
from model.preprocess import present_mask, resize_time
from pose.layouts import get_layout


def _keep_absent(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``y`` with the frames / persons absent in ``x`` set back to zero, as float32."""
    return np.where(present_mask(x)[None, :, None, :], y, 0).astype(np.float32)


@register_augmentation("tilt")
@dataclass
class CameraTilt:
    """Pitch the whole clip about the x axis by an angle in ``[min_deg, max_deg]``; positive angles
    bring the top of the body towards the camera (-z)."""

    min_deg: float = -5.0
    max_deg: float = 25.0

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        a = np.radians(rng.uniform(self.min_deg, self.max_deg))
        c, s = np.cos(a), np.sin(a)
        r = np.array([[1, 0, 0], [0, c, s], [0, -s, c]], dtype=np.float32)  # y' = c y + s z, z' = c z - s y
        return _keep_absent(np.einsum("ij,jtvm->itvm", r, x), x)


@register_augmentation("depth")
@dataclass
class DepthDistortion:
    """Scale depth (z) by a factor in ``scale`` and shift each joint's depth by its own constant
    drawn from N(0, ``joint_sigma``) (torso units), the same in every frame."""

    scale: tuple[float, float] = (0.8, 1.4)
    joint_sigma: float = 0.05

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        y = x.copy()
        bias = rng.normal(0.0, self.joint_sigma, size=(1, x.shape[2], x.shape[3]))
        y[2] = x[2] * rng.uniform(*self.scale) + bias
        return _keep_absent(y, x)


@register_augmentation("body_shape")
@dataclass
class BodyShape:
    """Scale every bone by a random factor in ``[1 - max_change, 1 + max_change]``, the same for a
    bone's left and right copies, and rebuild the skeleton outwards from the root joint."""

    max_change: float = 0.12
    layout: str = "ntu25"

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        lay = get_layout(self.layout)
        name = [n.replace("left_", "").replace("right_", "") for n in lay.joints]
        kinds = sorted(set(name))
        factor = dict(zip(kinds, rng.uniform(1 - self.max_change, 1 + self.max_change, size=len(kinds))))
        y = x.copy()
        for child in lay.subtree(lay.root)[1:]:
            parent = lay.parents[child]
            y[:, :, child] = y[:, :, parent] + factor[name[child]] * (x[:, :, child] - x[:, :, parent])
        return _keep_absent(y, x)


@register_augmentation("speed")
@dataclass
class SpeedChange:
    """Play the clip ``f`` times as fast, ``f`` in ``[low, high]`` (log-uniform), keeping its length:
    ``f < 1`` shows a slower middle part, ``f > 1`` squeezes the clip and pads it with its first
    and last poses at a random offset (rest before / after an action in a live window)."""

    low: float = 0.75
    high: float = 1.4

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        t = x.shape[1]
        if t < 2:
            return x.copy()
        f = float(np.exp(rng.uniform(np.log(self.low), np.log(self.high))))
        span = (t - 1) * f  # source frames covered by the clip's length
        start = rng.uniform(min(0.0, t - 1 - span), max(0.0, t - 1 - span))
        src = np.clip(start + np.arange(t) * f, 0, t - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, t - 1)
        w = (src - lo)[None, :, None, None]
        y = x[:, lo] * (1 - w) + x[:, hi] * w
        both = present_mask(x)[lo] & present_mask(x)[hi]  # interpolate only between present frames
        return np.where(both[None, :, None, :], y, 0).astype(np.float32)


@register_augmentation("frame_drop")
@dataclass
class FrameDrop:
    """Lose each frame with probability ``p`` and fill it by linear interpolation between the kept
    frames around it, as the live pipeline's resampling does (first and last frames are kept)."""

    p: float = 0.15

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        t = x.shape[1]
        keep = rng.random(t) >= self.p
        keep[0] = keep[-1] = True
        if keep.all():
            return x.copy()
        kept = np.flatnonzero(keep)
        flat = x.reshape(3, t, -1)
        y = np.stack([[np.interp(np.arange(t), kept, flat[c, kept, k]) for k in range(flat.shape[2])]
                      for c in range(3)]).transpose(0, 2, 1).reshape(x.shape)
        return _keep_absent(y, x)


@register_augmentation("missing_joints")
@dataclass
class MissingJoints:
    """With probability ``p``, one limb end (a hand or foot with the joints below the elbow / knee,
    or just the hand / foot) is wrong for a random stretch of frames: half of the time collapsed onto
    the joint above it (what the mapping does with joints it cannot compute), otherwise displaced by
    a slowly varying offset of ``sigma`` torso units (a guessed, invisible limb)."""

    p: float = 0.3
    sigma: float = 0.25
    layout: str = "ntu25"

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if rng.random() >= self.p:
            return x.copy()
        lay = get_layout(self.layout)
        side = rng.choice(["left", "right"])
        limb = rng.choice(["elbow", "wrist", "knee", "ankle"])
        start = lay.index(f"{side}_{limb}")
        chain = lay.subtree(start)
        t = x.shape[1]
        length = int(rng.integers(max(1, t // 5), t + 1))
        first = int(rng.integers(0, t - length + 1))
        span = slice(first, first + length)
        y = x.copy()
        if rng.random() < 0.5:
            anchor = x[:, span, lay.parents[start]]
            y[:, span][:, :, chain] = anchor[:, :, None]
        else:
            knots = rng.normal(0.0, self.sigma, size=(3, 3, 1, x.shape[3]))
            drift = resize_time(knots.astype(np.float32), length)  # smooth offset over the stretch
            y[:, span][:, :, chain] += drift
        return _keep_absent(y, x)


@register_augmentation("tracking_noise")
@dataclass
class TrackingNoise:
    """Temporally smooth noise: independent Gaussian noise per joint and frame, low-passed by an
    exponential moving average of weight ``alpha`` and rescaled to ``sigma`` torso units (depth:
    ``sigma * depth_factor``)."""

    sigma: float = 0.02
    depth_factor: float = 2.0
    alpha: float = 0.4

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        white = rng.normal(size=x.shape)
        noise = np.empty_like(white)
        noise[:, 0] = white[:, 0]
        for i in range(1, x.shape[1]):
            noise[:, i] = (1 - self.alpha) * noise[:, i - 1] + self.alpha * white[:, i]
        noise *= np.sqrt((2 - self.alpha) / self.alpha)  # unit variance in the steady state
        noise *= self.sigma * np.array([1.0, 1.0, self.depth_factor])[:, None, None, None]
        return _keep_absent(x + noise, x)
