"""Skeleton joint layouts, their graphs, and conversion between them.

This is the one place that knows joint orders. Every other module (dataset readers, pose mapping,
models, drawing) asks a :class:`Layout` for names, bones, left/right pairs and graph matrices.

Layouts:
    ``ntu25``  Kinect v2 / NTU RGB+D, 25 joints (the project's canonical layout).
    ``utd20``  Kinect v1, 20 joints in UTD-MHAD order (head first).
    ``ucla20`` Kinect v1, 20 joints in Kinect SDK order as used by NW-UCLA (hip centre first).
    ``msr20``  Kinect v1 joints in MSR Action3D's order (shoulders first, head last).

Coordinates everywhere are Kinect camera space: metres, y up, z away from the sensor, and x towards
the sensor's left, so a person facing the camera has their right shoulder at the larger x.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class Layout:
    """A joint order: names, the kinematic tree (parent of each joint) and mirrored pairs."""

    name: str
    joints: tuple[str, ...]
    parents: tuple[int, ...]  # parent index per joint; the root is its own parent
    center: int  # joint used as the body centre (hip centre / spine base)

    @property
    def num_joints(self) -> int:
        return len(self.joints)

    @property
    def root(self) -> int:
        return next(i for i, p in enumerate(self.parents) if p == i)

    @property
    def bones(self) -> tuple[tuple[int, int], ...]:
        """(child, parent) pairs, one per non-root joint."""
        return tuple((c, p) for c, p in enumerate(self.parents) if c != p)

    @property
    def flip_pairs(self) -> tuple[tuple[int, int], ...]:
        """(left, right) index pairs, used to mirror a skeleton."""
        pairs = []
        for i, n in enumerate(self.joints):
            if n.startswith("left_"):
                pairs.append((i, self.index("right_" + n[5:])))
        return tuple(pairs)

    @property
    def flip_permutation(self) -> np.ndarray:
        """Index array that swaps every left joint with its right counterpart."""
        perm = np.arange(self.num_joints)
        for a, b in self.flip_pairs:
            perm[a], perm[b] = b, a
        return perm

    def subtree(self, joint: int) -> list[int]:
        """``joint`` and every joint below it in the kinematic tree, each parent before its children."""
        out, frontier = [], [joint]
        while frontier:
            j = frontier.pop(0)
            out.append(j)
            frontier += [c for c, p in self.bones if p == j]
        return out

    def side(self, joint: int) -> str:
        """'left', 'right' or 'center' for a joint index."""
        n = self.joints[joint]
        return "left" if n.startswith("left_") else "right" if n.startswith("right_") else "center"

    def index(self, joint_name: str) -> int:
        return self.joints.index(joint_name)


def _layout(name: str, joints: list[str], parent_names: dict[str, str], center: str) -> Layout:
    parents = tuple(joints.index(parent_names.get(j, j)) for j in joints)
    return Layout(name, tuple(joints), parents, joints.index(center))


_LIMBS = ["shoulder", "elbow", "wrist", "hand"], ["hip", "knee", "ankle", "foot"]


def _limb_parents(trunk_shoulder: str, trunk_hip: str) -> dict[str, str]:
    parents = {}
    for side in ("left", "right"):
        arm, leg = ([f"{side}_{j}" for j in limb] for limb in _LIMBS)
        parents[arm[0]] = trunk_shoulder
        parents[leg[0]] = trunk_hip
        for chain in (arm, leg):
            for child, parent in zip(chain[1:], chain[:-1]):
                parents[child] = parent
    return parents


def _arm_leg_names() -> list[str]:
    """Limb joints in Kinect order: left arm, right arm, left leg, right leg."""
    return [f"{side}_{j}" for limb in _LIMBS for side in ("left", "right") for j in limb]


NTU25 = _layout(
    "ntu25",
    ["spine_base", "spine_mid", "neck", "head"]
    + _arm_leg_names()
    + ["spine_shoulder", "left_hand_tip", "left_thumb", "right_hand_tip", "right_thumb"],
    {
        "spine_base": "spine_mid", "spine_mid": "spine_shoulder", "neck": "spine_shoulder",
        "head": "neck", "left_hand_tip": "left_hand", "left_thumb": "left_hand",
        "right_hand_tip": "right_hand", "right_thumb": "right_hand",
        **_limb_parents("spine_shoulder", "spine_base"),
    },
    center="spine_base",
)

_KINECT1_TRUNK_PARENTS = {
    "hip_center": "spine", "spine": "shoulder_center", "head": "shoulder_center",
    **_limb_parents("shoulder_center", "hip_center"),
}

UTD20 = _layout(
    "utd20",
    ["head", "shoulder_center", "spine", "hip_center"] + _arm_leg_names(),
    _KINECT1_TRUNK_PARENTS,
    center="hip_center",
)

UCLA20 = _layout(
    "ucla20",
    ["hip_center", "spine", "shoulder_center", "head"] + _arm_leg_names(),
    _KINECT1_TRUNK_PARENTS,
    center="hip_center",
)

MSR20 = _layout(
    "msr20",
    ["left_shoulder", "right_shoulder", "shoulder_center", "spine", "left_hip", "right_hip",
     "hip_center", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hand",
     "right_hand", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_foot", "right_foot",
     "head"],
    _KINECT1_TRUNK_PARENTS,
    center="hip_center",
)

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (NTU25, UTD20, UCLA20, MSR20)}


def get_layout(name: str) -> Layout:
    """Look a layout up by name, with a clear error for an unknown one."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(f"unknown joint layout {name!r}; known: {', '.join(LAYOUTS)}") from None


# --- Kinect v1 (20 joints) -> NTU (25 joints) --------------------------------------------------
# Kinect v1 lacks five of Kinect v2's joints. They are synthesised from neighbours, with ratios
# measured on the real NTU RGB+D samples (median over frames of three .skeleton files):
#   neck       = shoulder_center + 0.35 * (head - shoulder_center)   (NTU: |neck-spine_shoulder| is
#                0.35-0.38 of |head-spine_shoulder|)
#   hand_tip   = hand + 0.9 * (hand - wrist)   (NTU: |hand_tip-hand| / |hand-wrist| = 0.5-1.1)
#   thumb      = hand + 0.6 * (hand - wrist)   (NTU: |thumb-hand| / |hand-wrist| = 0.5-0.8)
# The other twenty correspond one to one: hip_center -> spine_base, spine -> spine_mid,
# shoulder_center -> spine_shoulder, and the limbs by name.
NECK_RATIO = 0.35
HAND_TIP_RATIO = 0.9
THUMB_RATIO = 0.6

_KINECT1_TO_NTU_NAMES = {
    "hip_center": "spine_base", "spine": "spine_mid", "shoulder_center": "spine_shoulder",
    "head": "head",
}


def _kinect1_to_ntu(x: np.ndarray, src: Layout) -> np.ndarray:
    out = np.zeros(x.shape[:-1] + (NTU25.num_joints,), dtype=x.dtype)
    for i, name in enumerate(src.joints):
        out[..., NTU25.index(_KINECT1_TO_NTU_NAMES.get(name, name))] = x[..., i]
    j = lambda n: out[..., NTU25.index(n)]  # noqa: E731
    out[..., NTU25.index("neck")] = j("spine_shoulder") + NECK_RATIO * (j("head") - j("spine_shoulder"))
    for side in ("left", "right"):
        forearm_end = j(f"{side}_hand") - j(f"{side}_wrist")
        out[..., NTU25.index(f"{side}_hand_tip")] = j(f"{side}_hand") + HAND_TIP_RATIO * forearm_end
        out[..., NTU25.index(f"{side}_thumb")] = j(f"{side}_hand") + THUMB_RATIO * forearm_end
    return out


def _ntu_to_kinect1(x: np.ndarray, dst: Layout) -> np.ndarray:
    return x[..., [NTU25.index(_KINECT1_TO_NTU_NAMES.get(n, n)) for n in dst.joints]]


def convert(x: np.ndarray, src: str | Layout, dst: str | Layout) -> np.ndarray:
    """Convert joints from one layout to another; joints are the LAST axis (e.g. (C, T, V, M) -> use
    :func:`convert_ctvm`). Kinect v1 orders convert to each other by permutation and to NTU 25 by
    the documented synthesis rules; NTU 25 converts to 20 joints by dropping the extra five."""
    src, dst = (get_layout(s) if isinstance(s, str) else s for s in (src, dst))
    x = np.asarray(x)
    if x.shape[-1] != src.num_joints:
        raise ValueError(f"expected {src.num_joints} joints for layout {src.name}, got {x.shape[-1]}")
    if src.name == dst.name:
        return x.copy()
    if src is NTU25:
        return _ntu_to_kinect1(x, dst)
    if dst is NTU25:
        return _kinect1_to_ntu(x, src)
    return x[..., [src.index(n) for n in dst.joints]]


def convert_ctvm(x: np.ndarray, src: str | Layout, dst: str | Layout) -> np.ndarray:
    """:func:`convert` for the canonical (C, T, V, M) array: joints on axis 2."""
    y = convert(np.moveaxis(np.asarray(x), 2, -1), src, dst)
    return np.ascontiguousarray(np.moveaxis(y, -1, 2))


# --- graphs -------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def adjacency(name: str) -> np.ndarray:
    """Binary symmetric (V, V) adjacency of the kinematic tree, without self loops."""
    layout = get_layout(name)
    a = np.zeros((layout.num_joints, layout.num_joints), dtype=np.float32)
    for c, p in layout.bones:
        a[c, p] = a[p, c] = 1.0
    a.flags.writeable = False
    return a


def _normalize_columns(a: np.ndarray) -> np.ndarray:
    """A @ D^-1 with D the column sums (ST-GCN's normalize_digraph); empty columns stay zero."""
    deg = a.sum(axis=0)
    inv = np.where(deg > 0, 1.0 / np.where(deg > 0, deg, 1.0), 0.0)
    return (a * inv[None, :]).astype(np.float32)


@lru_cache(maxsize=None)
def spatial_partition(name: str) -> np.ndarray:
    """(3, V, V) ST-GCN spatial partition: self links, inward (towards the root) and outward links,
    the latter two column-normalised. Used by 2s-AGCN and CTR-GCN."""
    layout = get_layout(name)
    v = layout.num_joints
    inward = np.zeros((v, v), dtype=np.float32)
    for c, p in layout.bones:
        inward[p, c] = 1.0  # message from child c flows to parent p
    a = np.stack([np.eye(v, dtype=np.float32), _normalize_columns(inward), _normalize_columns(inward.T)])
    a.flags.writeable = False
    return a


@lru_cache(maxsize=None)
def hop_distance(name: str) -> np.ndarray:
    """(V, V) number of bones on the shortest path between two joints."""
    a = adjacency(name) > 0
    v = a.shape[0]
    dist = np.full((v, v), np.inf, dtype=np.float32)
    np.fill_diagonal(dist, 0)
    reach = np.eye(v, dtype=bool)
    for hops in range(1, v):
        reach_next = reach | (reach.astype(np.float32) @ a.astype(np.float32) > 0)
        dist[(reach_next & ~reach)] = hops
        if (reach_next == reach).all():
            break
        reach = reach_next
    dist.flags.writeable = False
    return dist
