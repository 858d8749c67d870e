"""MediaPipe BlazePose (33 landmarks) -> the 25 NTU RGB+D / Kinect v2 joints, in Kinect conventions.

This is the one mapping used by the live pipeline, video analysis and training on custom clips.

Axes. MediaPipe world landmarks are metres with the origin between the hips, x to the image right,
y down, z away from the camera. Kinect camera space is metres, y up, z away from the sensor and x
towards the sensor's left (a person facing the camera has the right shoulder at the larger x).
So Kinect = (-x, -y, z) of MediaPipe: a 180 degree rotation about the optical axis (no mirroring,
so BlazePose's ``left_*`` is the person's left, as Kinect's ``*Left`` is).

Joint definitions follow Kinect v2 where MediaPipe has no landmark of that name. Offsets are in
*torso units* L = |shoulder_mid - hip_mid| along the body's up axis (hip_mid -> shoulder_mid) and
its forward axis (up x (right_shoulder - left_shoulder): out of the chest). Every number lives in
:class:`MappingConstants`; :data:`KINECT_V2` holds the values measured as described there.

==============  =====================================================================
NTU joint       from BlazePose
==============  =====================================================================
spine_base      hip_mid + L (-0.01 up, -0.06 forward)      (Kinect: at the hip line)
spine_mid       hip_mid + L (0.59 up, -0.05 forward)
spine_shoulder  hip_mid + L (1.04 up, -0.03 forward)       (just above the shoulder line)
head            ear_mid + L (0.125 up, -0.05 forward)      (head centre, not the nose)
neck            spine_shoulder + 0.35 (head - spine_shoulder)
shoulders, elbows, wrists, knees, ankles: the landmark of the same name
hips            hip_mid + 0.62 (hip - hip_mid)              (Kinect's hips are narrower)
hand            wrist + 0.95 (knuckle_mid - wrist)          knuckle_mid = (index + pinky) / 2
hand_tip        wrist + 1.85 (knuckle_mid - wrist)          (finger tips)
thumb           wrist + 1.28 |knuckle_mid - wrist| * unit(thumb - wrist)
foot            ankle + 0.87 (foot_index - ankle)
==============  =====================================================================

Missing data. Non-finite landmarks, and absurd ones (a coordinate beyond :data:`MAX_COORDINATE`),
count as invisible. A pair midpoint with one side missing uses the
other side at half confidence; head falls back to the eyes, then the nose; hands fall back to the
forearm direction (the rule :mod:`pose.layouts` uses for Kinect v1). A joint that still cannot be
computed is put on its parent joint with confidence 0, so bones collapse instead of exploding; a
person with no usable landmark maps to zeros. Confidence of a synthesised joint is the smallest
visibility among the landmarks it is built from.

The 2-D version (:func:`mediapipe_image_to_ntu`) applies the same rules to image pixels for the
overlay, without the forward offsets (the image has no depth axis).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose.layouts import HAND_TIP_RATIO as KINECT1_HAND_TIP_RATIO
from pose.layouts import NECK_RATIO, NTU25
from pose.layouts import THUMB_RATIO as KINECT1_THUMB_RATIO

BLAZEPOSE_LANDMARKS = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)
NUM_LANDMARKS = len(BLAZEPOSE_LANDMARKS)
_LM = {name: i for i, name in enumerate(BLAZEPOSE_LANDMARKS)}

MAX_COORDINATE = 1e6
"""Landmarks with a coordinate beyond this (metres or pixels) are treated as missing: no camera sees
that far, and sums of such values would overflow float32 into infinite joints."""

KINECT_AXES = np.array([-1.0, -1.0, 1.0])
"""Per-axis signs taking a MediaPipe world (or camera) vector to Kinect camera space."""

_DIRECT = ("shoulder", "elbow", "wrist", "knee", "ankle")


@dataclass(frozen=True)
class MappingConstants:
    """Every calibration number of the mapping, in one place.

    :data:`KINECT_V2` was measured as medians over 322 Kinect v2 bodies of the three NTU RGB+D
    samples in ``shared/data/ntu_samples`` and 405 MediaPipe world poses (model_complexity=1) of
    the four one-person clips in ``shared/videos`` (waving, walking, running, tai chi), each
    expressed in the body frame above. Kinect vs MediaPipe, torso units unless noted:

    * trunk (Kinect, relative to the hip-joint midpoint): spine_base -0.014 up / -0.062 forward,
      spine_mid 0.59 / -0.05, spine_shoulder 1.04 / -0.03, head 1.458 / +0.004.
    * head: MediaPipe's ear midpoint sits at 1.333 up / +0.05 forward (the nose at 1.30 / +0.30,
      i.e. in front of the face), so Kinect's head centre is 0.125 above and 0.05 behind the ears.
    * hands, as fractions of the forearm: Kinect |hand - wrist| 0.28, |hand_tip - wrist| 0.54,
      |thumb - wrist| 0.37; MediaPipe |knuckle_mid - wrist| 0.29 and |thumb - wrist| 0.09
      (BlazePose's thumb point is near the thumb's base, so only its direction is used).
    * feet, as fractions of the shin: Kinect |foot - ankle| 0.35, MediaPipe |foot_index - ankle| 0.40.
    * limb proportions agree within 10% (upper arm 0.48 vs 0.46, forearm 0.48 vs 0.44, thigh
      0.68 vs 0.74, shin 0.73 vs 0.74; shoulder width 0.64 vs 0.62), so both skeletons' hip and
      shoulder joints are taken to mark the same anatomy. Kinect's hips are narrower: hip width
      0.27 (NTU) vs 0.41-0.45 on each of six real clips (``tools/domain_gap/stats.py``), median
      0.43, so the hips are pulled towards their midpoint by 0.27 / 0.43 = 0.62.
    """

    spine_base_up: float = -0.01
    spine_base_forward: float = -0.06
    spine_mid_up: float = 0.59
    spine_mid_forward: float = -0.05
    spine_shoulder_up: float = 1.04
    spine_shoulder_forward: float = -0.03
    head_above_ears: float = 0.125
    head_forward_of_ears: float = -0.05
    neck_ratio: float = NECK_RATIO  # neck = spine_shoulder + r (head - spine_shoulder), NTU median
    hand_ratio: float = 0.95  # hand = wrist + r (knuckle_mid - wrist)
    hand_tip_ratio: float = 1.85  # hand_tip = wrist + r (knuckle_mid - wrist)
    thumb_length_ratio: float = 1.28  # |thumb - wrist| = r |knuckle_mid - wrist|
    foot_ratio: float = 0.87  # foot = ankle + r (foot_index - ankle)
    hip_width_ratio: float = 0.62  # hip = hip_mid + r (hip - hip_mid)
    hand_from_forearm: float = 0.28  # fallback without knuckles: hand = wrist + r (wrist - elbow)


KINECT_V2 = MappingConstants()


def _unit(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return v / norm, norm[..., 0]


def _pick(primary: tuple[np.ndarray, np.ndarray], fallback: tuple[np.ndarray, np.ndarray]):
    """(points, confidence) taking ``fallback`` wherever ``primary`` is not finite."""
    ok = np.isfinite(primary[0]).all(axis=-1)
    return np.where(ok[..., None], primary[0], fallback[0]), np.where(ok, primary[1], fallback[1])


class _Landmarks:
    """Landmark access with non-finite or absurd points marked invisible, and the body frame."""

    def __init__(self, points: np.ndarray, visibility: np.ndarray):
        self.p = np.asarray(points, dtype=np.float64)
        vis = np.nan_to_num(np.asarray(visibility, dtype=np.float64), nan=0.0)
        finite = (np.abs(self.p) <= MAX_COORDINATE).all(axis=-1)  # False for NaN and inf
        self.p = np.where(finite[..., None], self.p, np.nan)
        self.v = np.where(finite, np.clip(vis, 0.0, 1.0), 0.0)

    def __call__(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return self.p[..., _LM[name], :], self.v[..., _LM[name]]

    def mid(self, a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
        """Midpoint of two landmarks; one missing side leaves the other at half confidence."""
        (pa, va), (pb, vb) = self(a), self(b)
        both = (pa + pb) / 2
        one = np.where(np.isfinite(pa), pa, pb)
        ok = np.isfinite(both).all(axis=-1, keepdims=True)
        return np.where(ok, both, one), np.where(ok[..., 0], np.minimum(va, vb), (va + vb) / 2)


def _map(points: np.ndarray, visibility: np.ndarray, c: MappingConstants) -> tuple[np.ndarray, np.ndarray]:
    """Shared rules for 3-D (Kinect axes already applied) and 2-D points."""
    lm = _Landmarks(points, visibility)
    dims = lm.p.shape[-1]
    out = np.full(lm.p.shape[:-2] + (NTU25.num_joints, dims), np.nan)
    conf = np.zeros(lm.p.shape[:-2] + (NTU25.num_joints,))

    def put(name: str, value: tuple[np.ndarray, np.ndarray]) -> None:
        out[..., NTU25.index(name), :], conf[..., NTU25.index(name)] = value

    def get(name: str) -> tuple[np.ndarray, np.ndarray]:
        return out[..., NTU25.index(name), :], conf[..., NTU25.index(name)]

    for side in ("left", "right"):
        for joint in _DIRECT:
            put(f"{side}_{joint}", lm(f"{side}_{joint}"))

    hip_mid, hip_c = lm.mid("left_hip", "right_hip")
    sh_mid, sh_c = lm.mid("left_shoulder", "right_shoulder")
    for side in ("left", "right"):
        hip, hip_side_c = lm(f"{side}_hip")
        put(f"{side}_hip", (hip_mid + c.hip_width_ratio * (hip - hip_mid), hip_side_c))
    up, length = _unit(sh_mid - hip_mid)
    if dims == 3:
        across = _pick((lm("right_shoulder")[0] - lm("left_shoulder")[0], sh_c),
                       (lm("right_hip")[0] - lm("left_hip")[0], hip_c))[0]
        across = across - (across * up).sum(-1, keepdims=True) * up
        forward = np.nan_to_num(np.cross(up, _unit(across)[0]))  # zero where the frame is unknown
    else:
        forward = np.zeros_like(up)
    torso_c = np.minimum(hip_c, sh_c)

    def on_torso(up_units: float, fwd_units: float) -> np.ndarray:
        return hip_mid + length[..., None] * (up_units * up + fwd_units * forward)

    put("spine_base", _pick((on_torso(c.spine_base_up, c.spine_base_forward), torso_c), (hip_mid, hip_c)))
    put("spine_shoulder", _pick((on_torso(c.spine_shoulder_up, c.spine_shoulder_forward), torso_c),
                                (sh_mid, sh_c)))
    put("spine_mid", (on_torso(c.spine_mid_up, c.spine_mid_forward), torso_c))

    head_ref = _pick(_pick(lm.mid("left_ear", "right_ear"), lm.mid("left_eye", "right_eye")), lm("nose"))
    lift = length[..., None] * (c.head_above_ears * up + c.head_forward_of_ears * forward)
    lifted = head_ref[0] + np.nan_to_num(lift)
    put("head", (lifted, head_ref[1]))
    (ss, ss_c), (head, head_c) = get("spine_shoulder"), get("head")
    put("neck", (ss + c.neck_ratio * (head - ss), np.minimum(ss_c, head_c)))

    for side in ("left", "right"):
        (wrist, wrist_c), (elbow, elbow_c) = lm(f"{side}_wrist"), lm(f"{side}_elbow")
        knuckles, knuckle_c = lm.mid(f"{side}_index", f"{side}_pinky")
        palm = knuckles - wrist
        hand_c = np.minimum(wrist_c, knuckle_c)
        fallback_hand = wrist + c.hand_from_forearm * (wrist - elbow), np.minimum(wrist_c, elbow_c)
        hand = _pick((wrist + c.hand_ratio * palm, hand_c), fallback_hand)
        put(f"{side}_hand", hand)
        forearm_end = hand[0] - wrist
        put(f"{side}_hand_tip", _pick((wrist + c.hand_tip_ratio * palm, hand_c),
                                      (hand[0] + KINECT1_HAND_TIP_RATIO * forearm_end, hand[1])))
        thumb_point, thumb_c = lm(f"{side}_thumb")
        thumb_dir = _unit(thumb_point - wrist)[0]
        thumb = wrist + c.thumb_length_ratio * np.linalg.norm(palm, axis=-1, keepdims=True) * thumb_dir
        put(f"{side}_thumb", _pick((thumb, np.minimum(hand_c, thumb_c)),
                                   (hand[0] + KINECT1_THUMB_RATIO * forearm_end, hand[1])))
        (ankle, ankle_c), (toe, toe_c) = lm(f"{side}_ankle"), lm(f"{side}_foot_index")
        put(f"{side}_foot", (ankle + c.foot_ratio * (toe - ankle), np.minimum(ankle_c, toe_c)))

    return _fill_missing(out, conf)


def _topological_order() -> list[int]:
    order, frontier = [], [NTU25.root]
    while frontier:
        joint = frontier.pop(0)
        order.append(joint)
        frontier += [c for c, p in NTU25.bones if p == joint]
    return order


_ORDER = _topological_order()


def _fill_missing(out: np.ndarray, conf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Put uncomputable joints on their parent (confidence 0); an empty person becomes zeros."""
    finite = np.isfinite(out).all(axis=-1)
    conf = np.where(finite, conf, 0.0)
    count = finite.sum(axis=-1)[..., None]
    centre = np.where(finite[..., None], out, 0.0).sum(axis=-2) / np.maximum(count, 1)
    root = NTU25.root
    out[..., root, :] = np.where(finite[..., root, None], out[..., root, :], centre)
    for joint in _ORDER[1:]:
        parent = NTU25.parents[joint]
        out[..., joint, :] = np.where(finite[..., joint, None], out[..., joint, :], out[..., parent, :])
    return out.astype(np.float32), conf.astype(np.float32)


def mediapipe_to_ntu(world: np.ndarray, visibility: np.ndarray,
                     constants: MappingConstants = KINECT_V2) -> tuple[np.ndarray, np.ndarray]:
    """Map MediaPipe world landmarks ``(..., 33, 3)`` (metres, MediaPipe axes) and their visibility
    ``(..., 33)`` to NTU joints ``(..., 25, 3)`` in Kinect axes (hip-centred, as MediaPipe's world
    frame is) and per-joint confidence ``(..., 25)`` in [0, 1]."""
    world = np.asarray(world, dtype=np.float64)
    if world.shape[-2:] != (NUM_LANDMARKS, 3):
        raise ValueError(f"expected (..., {NUM_LANDMARKS}, 3) world landmarks, got {world.shape}")
    return _map(world * KINECT_AXES, visibility, constants)


def mediapipe_image_to_ntu(image_xy: np.ndarray, visibility: np.ndarray,
                           constants: MappingConstants = KINECT_V2) -> tuple[np.ndarray, np.ndarray]:
    """Map image landmarks ``(..., 33, 2)`` in pixels to NTU joints ``(..., 25, 2)`` in pixels (for
    drawing), with the same joint definitions as :func:`mediapipe_to_ntu`, and their confidence."""
    image_xy = np.asarray(image_xy, dtype=np.float64)
    if image_xy.shape[-2:] != (NUM_LANDMARKS, 2):
        raise ValueError(f"expected (..., {NUM_LANDMARKS}, 2) image landmarks, got {image_xy.shape}")
    return _map(image_xy, visibility, constants)


DEFAULT_HFOV_DEG = 60.0
"""Horizontal field of view assumed for an unknown camera (typical webcams: 55-70 degrees; the
Kinect v2 colour camera of NTU RGB+D: 84.1)."""

MIN_VISIBILITY_FOR_PLACEMENT = 0.5
_MIN_POINTS_FOR_PLACEMENT = 6


def camera_translation(world: np.ndarray, image_xy: np.ndarray, visibility: np.ndarray,
                       image_size: tuple[int, int], hfov_deg: float = DEFAULT_HFOV_DEG) -> np.ndarray | None:
    """Where the person's world-landmark origin (the hip midpoint) sits in camera space, in Kinect
    axes: the translation t minimising the pinhole reprojection error of ``world + t`` onto
    ``image_xy`` (linear least squares, principal point at the image centre, focal length from
    ``hfov_deg``). Adding it to :func:`mediapipe_to_ntu`'s joints gives camera-space skeletons like
    Kinect's, so people keep their positions relative to each other and to the camera. Uses the
    landmarks with visibility >= 0.5, or the 6 most visible when fewer are. Returns None when no
    6 finite landmarks exist or the solution lies behind the camera."""
    width, height = image_size
    f = (width / 2) / np.tan(np.radians(hfov_deg) / 2)
    world, image_xy = np.asarray(world, np.float64), np.asarray(image_xy, np.float64)
    finite = np.isfinite(world).all(-1) & np.isfinite(image_xy).all(-1)
    if finite.sum() < _MIN_POINTS_FOR_PLACEMENT:
        return None
    vis = np.where(finite, np.nan_to_num(np.asarray(visibility, np.float64)), -1.0)
    ok = vis >= MIN_VISIBILITY_FOR_PLACEMENT
    if ok.sum() < _MIN_POINTS_FOR_PLACEMENT:
        ok = np.zeros_like(ok)
        ok[np.argsort(-vis)[:_MIN_POINTS_FOR_PLACEMENT]] = True
    X, Y, Z = world[ok].T  # MediaPipe axes = pinhole camera axes (x right, y down, z forward)
    u, v = image_xy[ok, 0] - width / 2, image_xy[ok, 1] - height / 2
    # u (Z + tz) = f (X + tx)  ->  f tx - u tz = u Z - f X ; likewise for v and y.
    zeros = np.zeros_like(u)
    focal = np.full_like(u, f)
    a = np.concatenate([np.stack([focal, zeros, -u], 1), np.stack([zeros, focal, -v], 1)])
    b = np.concatenate([u * Z - f * X, v * Z - f * Y])
    t, *_ = np.linalg.lstsq(a, b, rcond=None)
    if not np.isfinite(t).all() or t[2] <= 0:
        return None
    return t * KINECT_AXES
