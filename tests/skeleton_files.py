"""Writers of small synthetic dataset files in the real formats (NTU .skeleton, NW-UCLA .json,
UTD-MHAD .mat) and a standing-person pose, for the reader, cache and --convert tests."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.io

from pose.layouts import NTU25


def standing_pose(x0: float = 0.0, z0: float = 3.0) -> np.ndarray:
    """(25, 3) NTU joints of an upright person facing the camera (taller than wide)."""
    rng = np.random.default_rng(7)
    pose = np.zeros((25, 3), dtype=np.float32)
    for i, name in enumerate(NTU25.joints):
        side = 1 if name.startswith("right") else -1 if name.startswith("left") else 0
        height = {"head": 0.7, "neck": 0.6, "spine_shoulder": 0.5, "spine_mid": 0.25}.get(name, 0.0)
        if any(k in name for k in ("knee", "ankle", "foot")):
            height = {"knee": -0.45, "ankle": -0.85, "foot": -0.9}[name.split("_")[1]]
        elif any(k in name for k in ("shoulder", "elbow", "wrist", "hand", "thumb")) and side:
            height = 0.45 - 0.12 * ("elbow" in name) - 0.3 * any(k in name for k in ("wrist", "hand", "thumb"))
        pose[i] = (x0 + 0.15 * side, height, z0)
    return pose + rng.normal(0, 0.005, size=pose.shape).astype(np.float32)


def body_track(frames: int, x0: float = 0.0, sway: float = 0.02, seed: int = 0) -> np.ndarray:
    """(frames, 25, 3) of a standing person whose arms swing with amplitude ``sway`` metres."""
    rng = np.random.default_rng(seed)
    base = standing_pose(x0)
    t = np.arange(frames, dtype=np.float32)[:, None, None]
    moving = np.array([("hand" in n or "wrist" in n or "elbow" in n) for n in NTU25.joints])
    track = np.repeat(base[None], frames, axis=0)
    track[:, moving, 0] += sway * np.sin(t[:, :, 0] / 3.0)
    return track + rng.normal(0, 0.001, size=track.shape).astype(np.float32)


def skeleton_text(frames: list[list[tuple[str, np.ndarray]]]) -> str:
    """The text of a .skeleton file; ``frames[f]`` lists (body id, (25, 3) joints) seen in frame f."""
    lines = [str(len(frames))]
    for bodies in frames:
        lines.append(str(len(bodies)))
        for body_id, joints in bodies:
            lines.append(f"{body_id} 0 1 1 1 1 0 -0.1159187 0.1413209 2")
            lines.append("25")
            for x, y, z in joints:
                lines.append(f"{x:.7g} {y:.7g} {z:.7g} 276.1 190.1 1032.3 514.1 -0.17 0.04 0.97 -0.16 2")
    return "\r\n".join(lines) + "\r\n"


def write_skeleton(path: Path, frames: list[list[tuple[str, np.ndarray]]]) -> Path:
    path.write_text(skeleton_text(frames), newline="")
    return path


def write_ucla(path: Path, joints: np.ndarray, label: int) -> Path:
    """NW-UCLA json with ``joints`` (T, 20, 3) in ucla20 order."""
    path.write_text(json.dumps({"file_name": path.stem, "skeletons": joints.tolist(), "label": label}))
    return path


def write_utd(path: Path, joints: np.ndarray) -> Path:
    """UTD-MHAD .mat with ``joints`` (T, 20, 3) in utd20 order (stored 20 x 3 x T)."""
    scipy.io.savemat(str(path), {"d_skel": np.transpose(joints, (1, 2, 0)).astype(np.float64)})
    return path
