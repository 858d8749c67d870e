"""What the model sees: one deterministic path from a raw canonical skeleton to the network input.

Shared by training (:mod:`model.data.dataset`), evaluation and the live engine, so that all three
feed the network identically. Steps of :func:`prepare_input`:

1. person slots padded with zeros or trimmed to ``num_person``;
2. normalisation, chosen by name from a registry (the checkpoint stores the name); absent persons
   and frames stay exactly zero whatever the scheme does;
3. only valid frames (any person present) are kept; a centred crop keeps :data:`EVAL_CROP` of them
   (the test path of CTR-GCN's ``p_interval``), or, with ``timing="window"``, the middle
   ``window_seconds`` (padded with the first and last poses when shorter), and linear
   interpolation resizes them to ``window``;
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
from pose.layouts import NECK_RATIO, Layout, get_layout

EVAL_CROP = 0.95
STREAMS = ("joint", "bone", "joint_motion", "bone_motion")
TIMINGS = ("clip", "window")

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


def _main_person(x: np.ndarray) -> tuple[int, np.ndarray]:
    """The slot present in the most frames, and the frames where it is present."""
    present = present_mask(x)
    main = int(np.argmax(present.sum(axis=0)))
    return main, np.flatnonzero(present[:, main])


def _facing_turn(person: np.ndarray, seen: np.ndarray, layout: Layout) -> np.ndarray:
    """Rotation about y that makes the mean hip and shoulder lines of ``person`` (3, T, V) run
    along +x, i.e. turns the person to face the camera."""
    joint = lambda name: person[:, seen, layout.index(name)]  # noqa: E731
    across = joint("right_shoulder") - joint("left_shoulder") + joint("right_hip") - joint("left_hip")
    across = across.sum(axis=1)
    angle = np.arctan2(across[2], across[0]) if np.hypot(across[0], across[2]) > 1e-9 else 0.0
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _track(person: np.ndarray, seen: np.ndarray, point: np.ndarray) -> np.ndarray:
    """``point`` (3, T) of the person, filled in by interpolation where the person is absent."""
    frames = np.arange(person.shape[1])
    return np.stack([np.interp(frames, seen, point[c, seen]) for c in range(3)])


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
    main, seen = _main_person(x)
    if not seen.size:
        return x
    person = x[..., main].astype(np.float64)  # (3, T, V)
    top = layout.index("spine_shoulder" if "spine_shoulder" in layout.joints else "shoulder_center")
    centre = _track(person, seen, person[:, :, layout.center])
    turn = _facing_turn(person, seen, layout)
    torso = float(np.median(np.linalg.norm(person[:, seen, top] - person[:, seen, layout.center], axis=0)))
    scale = 1.0 / torso if torso > 1e-6 else 1.0
    return np.einsum("ij,jtvm->itvm", turn * scale, x - centre[:, :, None, None])


# Bone lengths of the canonical body, in torso units (hip-joint midpoint to shoulder-joint midpoint
# = 1): medians of Kinect v2 (NTU RGB+D samples) and MediaPipe on real clips, which agree within 10%
# (pose.mapping.MappingConstants). Hands, fingers and feet continue the forearm and the shin.
CANONICAL_BONES = {
    "shoulder": 0.32, "hip": 0.135, "head": 0.46, "upper_arm": 0.47, "forearm": 0.46, "hand": 0.13,
    "hand_tip": 0.25, "thumb": 0.17, "thigh": 0.71, "shin": 0.73, "foot": 0.26,
}
_TRUNK = {"spine_base": 0.0, "hip_center": 0.0, "spine_mid": 0.5, "spine": 0.5,
          "spine_shoulder": 1.0, "shoulder_center": 1.0}


def _unit(v: np.ndarray) -> np.ndarray:
    """Unit vectors along axis 0; zero where ``v`` has no length (a joint collapsed on its parent)."""
    norm = np.linalg.norm(v, axis=0, keepdims=True)
    return np.where(norm > 1e-9, v / np.where(norm > 1e-9, norm, 1.0), 0.0)


def retarget(x: np.ndarray, layout: str | Layout) -> np.ndarray:
    """Every person rebuilt on the canonical body from the directions of their own limbs.

    From the 13 joints that every skeleton source marks alike (head, shoulders, elbows, wrists,
    hips, knees, ankles), each person is rebuilt outwards from their hip-joint midpoint: the trunk as
    a straight segment of length 1 towards the shoulder-joint midpoint (spine base, spine mid and
    spine shoulder on it), hips, shoulders and head along their own directions, each limb bone along
    its own direction with its canonical length; hands, finger joints and feet continue the forearm
    and the shin. So bone lengths, and the joints each sensor defines its own way (Kinect v1's trunk
    and hands, MediaPipe's synthesised fingers and feet), carry nothing but the body's posture; the
    hip-joint midpoint stays where it was. Absent persons and frames stay zero.
    """
    layout = get_layout(layout) if isinstance(layout, str) else layout
    j = layout.index
    p = np.asarray(x, dtype=np.float64)
    get = lambda name: p[:, :, j(name)]  # noqa: E731  (3, T, M)
    hip, sh = (get("left_hip") + get("right_hip")) / 2, (get("left_shoulder") + get("right_shoulder")) / 2
    up = _unit(sh - hip)
    top = hip + up
    out = np.zeros_like(p)
    for name, fraction in _TRUNK.items():
        if name in layout.joints:
            out[:, :, j(name)] = hip + fraction * up
    b = CANONICAL_BONES
    head = top + b["head"] * _unit(get("head") - sh)
    out[:, :, j("head")] = head
    if "neck" in layout.joints:
        out[:, :, j("neck")] = top + NECK_RATIO * (head - top)
    for side in ("left", "right"):
        shoulder = top + b["shoulder"] * _unit(get(f"{side}_shoulder") - sh)
        forearm = _unit(get(f"{side}_wrist") - get(f"{side}_elbow"))
        elbow = shoulder + b["upper_arm"] * _unit(get(f"{side}_elbow") - get(f"{side}_shoulder"))
        wrist = elbow + b["forearm"] * forearm
        hip_joint = hip + b["hip"] * _unit(get(f"{side}_hip") - hip)
        knee = hip_joint + b["thigh"] * _unit(get(f"{side}_knee") - get(f"{side}_hip"))
        shin = _unit(get(f"{side}_ankle") - get(f"{side}_knee"))
        ankle = knee + b["shin"] * shin
        joints = {"shoulder": shoulder, "elbow": elbow, "wrist": wrist, "hand": wrist + b["hand"] * forearm,
                  "hand_tip": wrist + b["hand_tip"] * forearm, "thumb": wrist + b["thumb"] * forearm,
                  "hip": hip_joint, "knee": knee, "ankle": ankle, "foot": ankle + b["foot"] * shin}
        for name, point in joints.items():
            if f"{side}_{name}" in layout.joints:
                out[:, :, j(f"{side}_{name}")] = point
    present = present_mask(x)
    return np.where(present[None, :, None, :], out, 0.0).astype(np.float32)


@register_normalization("canonical")
def _canonical(x: np.ndarray, layout: Layout) -> np.ndarray:
    """The clip in its main person's body frame on the canonical body (for training on one sensor
    and running on another, e.g. Kinect datasets -> MediaPipe from a webcam).

    As ``body_frame``, but centred on the hip-joint midpoint (which every sensor marks alike, unlike
    its centre joint) and then :func:`retarget`: the network sees the posture and motion of the
    limbs, not the bone lengths and joint definitions of the sensor or the person.
    """
    main, seen = _main_person(x)
    if not seen.size:
        return x
    person = x[..., main].astype(np.float64)
    j = layout.index
    hip = (person[:, :, j("left_hip")] + person[:, :, j("right_hip")]) / 2
    centre = _track(person, seen, hip)
    turned = np.einsum("ij,jtvm->itvm", _facing_turn(person, seen, layout), x - centre[:, :, None, None])
    return retarget(np.where(present_mask(x)[None, :, None, :], turned, 0.0), layout)


@dataclass(frozen=True)
class InputSpec:
    """How a raw skeleton becomes the network input; stored in every checkpoint's meta.

    ``window`` frames reach the network. ``window_seconds`` is how much live video (or an unlabelled
    long recording) one window spans: the live engine keeps that many seconds of poses and this
    module resamples them to ``window`` frames. With ``timing="clip"`` a dataset clip, a whole
    action of any length, is resized to ``window`` frames (the published recipes); with
    ``timing="window"`` it is seen as live video is, ``window_seconds`` of it at ``fps``: its middle
    part when longer, padded with its first and last poses (rest before and after) when shorter.
    """

    layout: str = "ntu25"
    window: int = 64
    window_seconds: float = 3.0
    stream: str = "joint"
    normalization: str = "center_first_spine"
    num_person: int = 2
    timing: str = "clip"  # "clip": a clip of any length fills the window; "window": window_seconds of it
    fps: float = 30.0  # frame rate of the raw skeletons (the live engine resamples to it)

    def __post_init__(self) -> None:
        if self.timing not in TIMINGS:
            raise InputError(f"input timing {self.timing!r} unknown; use one of {', '.join(TIMINGS)}")
        if not self.fps > 0:
            raise InputError(f"input fps must be positive, got {self.fps}")
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
        """Build from a checkpoint's meta (extra keys, and keys set to None, are ignored)."""
        return cls(**{k: values[k] for k in cls.__dataclass_fields__ if values.get(k) is not None})


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


def window_frames(spec: InputSpec) -> int:
    """Raw frames (at ``spec.fps``) in ``window_seconds``: the span of a ``timing="window"`` input."""
    return max(2, int(round(spec.window_seconds * spec.fps)))


def fit_duration(x: np.ndarray, frames: int, offset: int | None = None) -> np.ndarray:
    """``x`` (3, T, V, M) as exactly ``frames`` frames: ``frames`` consecutive ones starting at
    ``offset`` when longer, else ``x`` placed at ``offset`` between copies of its first and last
    frame (a person at rest before and after). ``offset`` defaults to the middle."""
    t = x.shape[1]
    if t == 0:
        return np.zeros((x.shape[0], frames) + x.shape[2:], dtype=np.float32)
    if t >= frames:
        start = (t - frames) // 2 if offset is None else offset
        return x[:, start:start + frames]
    before = (frames - t) // 2 if offset is None else offset
    index = np.clip(np.arange(frames) - before, 0, t - 1)
    return x[:, index]


def prepare_input(x_raw: np.ndarray, spec: InputSpec, crop: float = EVAL_CROP) -> np.ndarray:
    """Raw canonical skeleton ``(3, T, V, M)`` -> network input ``(3, window, V, num_person)`` float32
    (deterministic: the evaluation and live path)."""
    x = normalized_clip(x_raw, spec)
    x = fit_duration(x, window_frames(spec)) if spec.timing == "window" else center_crop(x, crop)
    return to_stream(resize_time(x, spec.window), spec.stream, spec.layout)
