"""Training-time transforms of a normalised clip ``(3, T, V, M)``, seeded by a numpy Generator.

A transform is any callable ``(x, rng) -> x`` that returns a new array (never edits ``x``) and keeps
absent persons / frames (all zeros) at zero. :class:`RandomCropResize` turns a clip of any length into
``window`` frames (CTR-GCN's training ``p_interval``); the augmentations after it are registered by
name so that a config can list them, and a new one is a decorated dataclass::

    @register_augmentation("my_noise")
    @dataclass
    class MyNoise:
        amount: float = 0.1
        def __call__(self, x, rng): ...

An augmentation dataclass with a ``layout`` field receives the data's layout name from
:func:`build_augmentations`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

from core.errors import InputError
from model.preprocess import fit_duration, present_mask, resize_time, retarget
from pose.layouts import get_layout

Transform = Callable[[np.ndarray, np.random.Generator], np.ndarray]
AUGMENTATIONS: dict[str, type] = {}


def register_augmentation(name: str) -> Callable[[type], type]:
    """Class decorator: make an augmentation dataclass available to configs as ``name``."""
    def add(cls: type) -> type:
        if name in AUGMENTATIONS:
            raise ValueError(f"augmentation {name!r} is already registered")
        AUGMENTATIONS[name] = cls
        return cls
    return add


class Compose:
    """Apply transforms in order with the same generator."""

    def __init__(self, transforms: Sequence[Transform]):
        self.transforms = list(transforms)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        for transform in self.transforms:
            x = transform(x, rng)
        return x

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"


@dataclass
class RandomCropResize:
    """Random temporal crop of ``ratio`` in ``[low, high]`` of the clip (at least ``min_length`` frames,
    at most all), resized to ``window`` frames: CTR-GCN's ``valid_crop_resize`` for training."""

    window: int
    ratio: tuple[float, float] = (0.5, 1.0)
    min_length: int = 64

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        t = x.shape[1]
        p = rng.uniform(*self.ratio)
        length = min(max(int(np.floor(t * p)), self.min_length), t)
        start = int(rng.integers(0, t - length + 1))
        return resize_time(x[:, start:start + length], self.window)


@dataclass
class RandomWindow:
    """A random stretch of ``frames`` x a speed factor in ``speed`` (log-uniform) raw frames, resized
    to ``window`` frames: a live window over the clip (``timing="window"``). A clip shorter than
    the stretch sits at a random place in it, padded with its first and last poses."""

    window: int
    frames: int
    speed: tuple[float, float] = (0.8, 1.25)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        t = x.shape[1]
        length = max(2, int(round(self.frames * np.exp(rng.uniform(*np.log(self.speed))))))
        offset = int(rng.integers(0, abs(t - length) + 1))
        return resize_time(fit_duration(x, length, offset), self.window)


def rotation_matrix(angles: np.ndarray) -> np.ndarray:
    """3x3 rotation by ``angles`` (radians) about x, then y, then z."""
    cx, cy, cz = np.cos(angles)
    sx, sy, sz = np.sin(angles)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return (rz @ ry @ rx).astype(np.float32)


@register_augmentation("rotate")
@dataclass
class RandomRotation:
    """Rotate the whole clip about the origin by an angle in ``[-max_angle, max_angle]`` radians about
    each axis (CTR-GCN uses 0.3). Apply after centring so that the body turns about itself."""

    max_angle: float = 0.3

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        r = rotation_matrix(rng.uniform(-self.max_angle, self.max_angle, size=3))
        return np.einsum("ij,jtvm->itvm", r, x).astype(np.float32)


@register_augmentation("scale")
@dataclass
class RandomScale:
    """Scale each axis by its own factor in ``[1 - max_change, 1 + max_change]``."""

    max_change: float = 0.1

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        factors = rng.uniform(1 - self.max_change, 1 + self.max_change, size=3).astype(np.float32)
        return x * factors[:, None, None, None]


@register_augmentation("jitter")
@dataclass
class JointJitter:
    """Add independent Gaussian noise of ``sigma`` metres to every present joint coordinate."""

    sigma: float = 0.01

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        noise = rng.normal(0.0, self.sigma, size=x.shape).astype(np.float32)
        return x + noise * present_mask(x)[None, :, None, :]


@register_augmentation("mirror")
@dataclass
class Mirror:
    """With probability ``p``, mirror the clip left-right (negate x, swap left/right joints) and keep
    its label: for datasets whose one-handed actions are all right-handed (UTD-MHAD), the model then
    accepts either hand. Needs a body-centred input (x = 0 on the body's midline)."""

    p: float = 0.5
    layout: str = "ntu25"

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if rng.random() >= self.p:
            return x.copy()
        y = x[:, :, get_layout(self.layout).flip_permutation]
        y[0] = -y[0]
        return y


@register_augmentation("both_arms")
@dataclass
class BothArms:
    """With probability ``p``, the left arm (elbow down) repeats the right arm's motion mirrored,
    hung from the left shoulder, and the label is kept: a one-handed action done with both hands.
    With :class:`Mirror` after it, the model sees right, left and both-handed versions."""

    p: float = 0.2
    layout: str = "ntu25"

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if rng.random() >= self.p:
            return x.copy()
        lay = get_layout(self.layout)
        pairs = dict(lay.flip_pairs)  # left -> right
        y = x.copy()
        for left in lay.subtree(lay.index("left_elbow")):
            right, left_parent = pairs[left], lay.parents[left]
            bone = x[:, :, right] - x[:, :, lay.parents[right]]
            bone[0] = -bone[0]
            y[:, :, left] = y[:, :, left_parent] + bone
        return np.where(present_mask(x)[None, :, None, :], y, 0).astype(np.float32)


@register_augmentation("retarget")
@dataclass
class Retarget:
    """Rebuild each person on the canonical body (:func:`model.preprocess.retarget`), keeping where
    they stand and face: last in the list of a ``canonical`` recipe, so augmented clips obey the
    bone lengths every live skeleton has after its normalisation."""

    layout: str = "ntu25"

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return retarget(x, self.layout)


def build_augmentations(config: Mapping[str, Mapping | None], layout: str = "ntu25") -> Compose:
    """``{"rotate": {"max_angle": 0.3}, "jitter": {}}`` -> Compose, in the mapping's order; unknown
    names or fields raise InputError naming them."""
    transforms = []
    for name, options in config.items():
        if name not in AUGMENTATIONS:
            raise InputError(f"augmentation {name!r} unknown; available: {', '.join(AUGMENTATIONS)}")
        cls = AUGMENTATIONS[name]
        options = dict(options or {})
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(options) - fields
        if unknown:
            raise InputError(f"augmentation {name}: unknown option(s) {', '.join(sorted(unknown))}; "
                             f"it takes {', '.join(sorted(fields - {'layout'})) or 'none'}")
        if "layout" in fields:
            options["layout"] = layout
        transforms.append(cls(**options))
    return Compose(transforms)


from model.data import camera_noise, camera_view, kinect_v1  # noqa: E402,F401  (register their augmentations)
