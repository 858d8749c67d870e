"""What the model sees: one deterministic path from a raw canonical skeleton to the network input.

Shared by training (:mod:`model.data.dataset`), evaluation and the live engine, so that all three
feed the network identically. Steps of :func:`prepare_input`:

1. person slots padded with zeros or trimmed to ``num_person``;
2. normalisation, chosen by name from a registry (the checkpoint stores the name); absent persons
   and frames stay exactly zero whatever the scheme does;
3. only valid frames (any person present) are kept; a centred crop keeps :data:`EVAL_CROP` of them
   (the test path of CTR-GCN's ``p_interval``) and linear interpolation resizes them to ``window``;
4. conversion to the input stream: ``joint``, ``bone`` (joint minus its parent in the layout's
   kinematic tree, zero at the root), ``joint_motion`` / ``bone_motion`` (next frame minus this
   frame, zero at the last frame).

Training replaces step 3's centred crop by a random one and augments before step 4.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

from core.errors import InputError
from pose.layouts import Layout, get_layout

EVAL_CROP = 0.95
STREAMS = ("joint", "bone", "joint_motion", "bone_motion")

Normalization = Callable[[np.ndarray, Layout], np.ndarray]
NORMALIZATIONS: dict[str, Normalization] = {}


def register_normalization(name: str) -> Callable[[Normalization], Normalization]:
    """Decorator: make ``fn(x (3, T, V, M), layout) -> array of the same shape`` available by name.

    ``x`` has absent persons / frames as zeros; whatever ``fn`` writes there is reset to zero.
    """
    def add(fn: Normalization) -> Normalization:
        if name in NORMALIZATIONS:
            raise ValueError(f"normalization {name!r} is already registered")
        NORMALIZATIONS[name] = fn
        return fn
    return add


@register_normalization("none")
def _no_normalization(x: np.ndarray, layout: Layout) -> np.ndarray:
    """Raw camera coordinates."""
    return x


@register_normalization("center_first_spine")
def _center_first_spine(x: np.ndarray, layout: Layout) -> np.ndarray:
    """Subtract the spine joint of the first person in the first frame where anyone is present
    (CTR-GCN/SGN's ``seq_translation``; "spine_mid" in NTU, "spine" in Kinect v1 layouts)."""
    spine = layout.index("spine_mid" if "spine_mid" in layout.joints else "spine")
    present = present_mask(x)
    frames = np.flatnonzero(present.any(axis=1))
    if len(frames) == 0:
        return x
    t = frames[0]
    origin = x[:, t, spine, np.argmax(present[t])]
    return x - origin[:, None, None, None]


@register_normalization("body_frame")
def _body_frame(x: np.ndarray, layout: Layout) -> np.ndarray:
    """The clip in its main person's body frame, in torso units (for camera skeletons, e.g. MediaPipe).

    The main person is the slot present in the most frames. Every frame is centred on that person's
    centre joint (spine base / hip centre), so a person walking across the frame looks like one
    walking in place and an error in placing them in depth is gone. The whole clip is turned about
    the vertical (y) axis so that the person's mean hip and shoulder lines run along +x (facing the
    camera: a side or back view becomes a frontal one); pitch, roll and turning within the clip are
    kept. Coordinates are divided by the person's median torso length (centre joint to spine
    shoulder / shoulder centre), so body size and the estimator's scale drop out. Other persons
    share the main person's frame, so two people keep their relative placement.
    """
    present = present_mask(x)
    main = int(np.argmax(present.sum(axis=0)))
    frames = present[:, main]
    if not frames.any():
        return x
    person = x[..., main].astype(np.float64)  # (3, T, V)
    top = layout.index("spine_shoulder" if "spine_shoulder" in layout.joints else "shoulder_center")
    seen = np.flatnonzero(frames)
    frame_index = np.arange(x.shape[1])
    centre = np.stack([np.interp(frame_index, seen, person[c, seen, layout.center]) for c in range(3)])
    joint = lambda name: person[:, seen, layout.index(name)]  # noqa: E731
    across = joint("right_shoulder") - joint("left_shoulder") + joint("right_hip") - joint("left_hip")
    across = across.sum(axis=1)
    angle = np.arctan2(across[2], across[0]) if np.hypot(across[0], across[2]) > 1e-9 else 0.0
    c, s = np.cos(angle), np.sin(angle)
    turn = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    torso = float(np.median(np.linalg.norm(person[:, seen, top] - person[:, seen, layout.center], axis=0)))
    scale = 1.0 / torso if torso > 1e-6 else 1.0
    return np.einsum("ij,jtvm->itvm", turn * scale, x - centre[:, :, None, None])


@dataclass(frozen=True)
class InputSpec:
    """How a raw skeleton becomes the network input; stored in every checkpoint's meta.

    ``window`` frames reach the network. ``window_seconds`` is how much live video (or an unlabelled
    long recording) one window spans: the live engine keeps that many seconds of poses and this
    module resamples them to ``window`` frames. Dataset clips are whole actions instead.
    """

    layout: str = "ntu25"
    window: int = 64
    window_seconds: float = 3.0
    stream: str = "joint"
    normalization: str = "center_first_spine"
    num_person: int = 2

    def __post_init__(self) -> None:
        try:
            get_layout(self.layout)
        except ValueError as err:
            raise InputError(f"input layout: {err}") from None
        if self.stream not in STREAMS:
            raise InputError(f"input stream {self.stream!r} unknown; use one of {', '.join(STREAMS)}")
        if self.normalization not in NORMALIZATIONS:
            raise InputError(f"input normalization {self.normalization!r} unknown; use one of "
                             f"{', '.join(NORMALIZATIONS)}")
        if self.window < 1 or self.num_person < 1 or not self.window_seconds > 0:
            raise InputError(f"input window ({self.window}), window_seconds ({self.window_seconds}) "
                             f"and num_person ({self.num_person}) must be positive")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "InputSpec":
        """Build from a checkpoint's meta (extra keys are ignored)."""
        return cls(**{k: values[k] for k in cls.__dataclass_fields__ if k in values})


def set_persons(x: np.ndarray, num_person: int) -> np.ndarray:
    """Pad with empty person slots or keep the first ``num_person`` (slots are ranked by the readers)."""
    m = x.shape[3]
    if m >= num_person:
        return x[..., :num_person]
    pad = np.zeros(x.shape[:3] + (num_person - m,), dtype=x.dtype)
    return np.concatenate([x, pad], axis=3)


def present_mask(x: np.ndarray) -> np.ndarray:
    """(T, M) True where a person has any non-zero coordinate."""
    return np.any(x != 0, axis=(0, 2))


def normalize(x: np.ndarray, name: str, layout: str | Layout) -> np.ndarray:
    """Apply the registered normalisation ``name``, keeping absent persons / frames at zero."""
    layout = get_layout(layout) if isinstance(layout, str) else layout
    present = present_mask(x)
    y = np.asarray(NORMALIZATIONS[name](x, layout), dtype=np.float32)
    return np.where(present[None, :, None, :], y, np.float32(0))


def valid_frames(x: np.ndarray) -> np.ndarray:
    """Only the frames where at least one person is present."""
    return x[:, np.any(x != 0, axis=(0, 2, 3))]


def center_crop(x: np.ndarray, ratio: float) -> np.ndarray:
    """Keep the middle ``ratio`` of the frames (at least one): CTR-GCN's test-time crop."""
    t = x.shape[1]
    bias = int((1 - ratio) * t / 2)
    return x[:, bias:max(t - bias, bias + 1)]


def resize_time(x: np.ndarray, window: int) -> np.ndarray:
    """Linear interpolation to ``window`` frames, sampling frame centres (torch's ``interpolate``
    with ``align_corners=False``); no frames gives zeros."""
    t = x.shape[1]
    if t == 0:
        return np.zeros((x.shape[0], window) + x.shape[2:], dtype=np.float32)
    src = np.maximum((np.arange(window) + 0.5) * (t / window) - 0.5, 0.0)
    lo = np.minimum(src.astype(np.int64), t - 1)
    hi = np.minimum(lo + 1, t - 1)
    w = (src - lo).astype(np.float32)[None, :, None, None]
    return (x[:, lo] * (1 - w) + x[:, hi] * w).astype(np.float32)


def to_stream(x: np.ndarray, stream: str, layout: str | Layout) -> np.ndarray:
    """Convert joints ``(3, T, V, M)`` to the ``joint``, ``bone``, ``joint_motion`` or ``bone_motion``
    stream."""
    if stream not in STREAMS:
        raise InputError(f"input stream {stream!r} unknown; use one of {', '.join(STREAMS)}")
    layout = get_layout(layout) if isinstance(layout, str) else layout
    if stream.startswith("bone"):
        x = x - x[:, :, list(layout.parents)]
    if stream.endswith("motion"):
        motion = np.zeros_like(x)
        motion[:, :-1] = x[:, 1:] - x[:, :-1]
        x = motion
    return np.ascontiguousarray(x, dtype=np.float32)


def check_joints(x: np.ndarray, spec: InputSpec) -> np.ndarray:
    """``x`` as float32 ``(3, T, V, M)`` with V matching the spec's layout, else InputError."""
    x = np.asarray(x, dtype=np.float32)
    v = get_layout(spec.layout).num_joints
    if x.ndim != 4 or x.shape[0] != 3 or x.shape[2] != v:
        raise InputError(f"skeleton of shape {x.shape} does not fit the model input "
                         f"(3, T, {v}, M) of layout {spec.layout}")
    return x


def normalized_clip(x_raw: np.ndarray, spec: InputSpec) -> np.ndarray:
    """Steps 1-2 and the valid-frame selection: ``(3, T', V, num_person)``, before any cropping."""
    x = set_persons(check_joints(x_raw, spec), spec.num_person)
    return valid_frames(normalize(x, spec.normalization, spec.layout))


def prepare_input(x_raw: np.ndarray, spec: InputSpec, crop: float = EVAL_CROP) -> np.ndarray:
    """Raw canonical skeleton ``(3, T, V, M)`` -> network input ``(3, window, V, num_person)`` float32
    (deterministic: the evaluation and live path)."""
    x = resize_time(center_crop(normalized_clip(x_raw, spec), crop), spec.window)
    return to_stream(x, spec.stream, spec.layout)
