"""Kinect skeletons vs MediaPipe on real footage: where the joints sit, how they move, how they shake.

    python tools/domain_gap/stats.py [--videos ../shared/videos] [--json FILE]

Sources: UTD-MHAD and NW-UCLA (Kinect v1, their own 20 joints), the NTU RGB+D samples (Kinect v2),
MediaPipe's raw 33 world landmarks of the one-person videos (recorded once and cached by
:mod:`app.pose_cache`; turned into Kinect axes), and those landmarks after the pose stage (``mp->ntu``: mapping with the
current :data:`pose.mapping.KINECT_V2`, hip-centred, not smoothed).

Body frame (shared by all sources, built from joints every skeleton has): origin at the midpoint of
the two hip joints, ``up`` towards the shoulder-joint midpoint, ``L`` = that distance (torso unit),
``forward`` = up x (right shoulder - left shoulder), out of the chest. ``X.up`` / ``X.fwd`` are a
point's coordinates along those axes in torso units. Camera-frame rows: ``lean`` is the torso's
pitch towards the camera in degrees (0 = upright, > 0 = top closer to the camera), ``yaw`` the
angle between the chest and the camera, ``depth/width`` the spread of joint depths over that of
joint x (hip-centred), ``shoulder.dz`` the shoulder midpoint's depth minus the hip midpoint's, in L.
``jitter`` is the median |second difference| of hip-centred joints per frame (in L, at the clip's
frame rate) and ``bone cv`` the median over bones and clips of a bone length's coefficient of
variation within a clip. Every row is a median over frames (pooled per source; per clip for
MediaPipe).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from model.data.loader import load_dataset  # noqa: E402
from pose.layouts import get_layout  # noqa: E402
from pose.mapping import BLAZEPOSE_LANDMARKS, KINECT_AXES, mediapipe_to_ntu  # noqa: E402
from model.preprocess import normalize  # noqa: E402
from model.data.kinect_v1 import to_kinect2  # noqa: E402
from app.pose_cache import landmarks  # noqa: E402
from tools.domain_gap.replay import stage_skeleton  # noqa: E402

NTU_TOP = get_layout("ntu25").index("spine_shoulder")
DATA = ROOT.parent / "shared" / "data"
VIDEOS = ROOT.parent / "shared" / "videos"
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"}


def recordings(folder: Path) -> dict[str, dict[str, np.ndarray]]:
    """MediaPipe's output (one person) for each video in ``folder``, by file stem."""
    videos = sorted(p for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    return {p.stem: landmarks(p, 1)[0] for p in videos}
# Kinect v1 / v2 names of the trunk joints -> one common name.
TRUNK = {"hip_center": "hip_centre", "spine_base": "hip_centre", "spine": "spine", "spine_mid": "spine",
         "shoulder_center": "shoulder_centre", "spine_shoulder": "shoulder_centre", "neck": "neck",
         "head": "head"}
LIMB = [f"{s}_{j}" for s in ("left", "right") for j in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")]
BONES = [("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"), ("right_shoulder", "right_elbow"),
         ("right_elbow", "right_wrist"), ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
         ("right_hip", "right_knee"), ("right_knee", "right_ankle")]


def kinect_points(x: np.ndarray, layout: str) -> dict[str, np.ndarray]:
    """Named (T, 3) points of one person ``(3, T, V)`` of a canonical array, frames where present."""
    lay = get_layout(layout)
    x = x[:, np.any(x != 0, axis=(0, 2))]
    pts = {TRUNK.get(n, n): x[:, :, i].T.astype(np.float64) for i, n in enumerate(lay.joints)}
    for side in ("left", "right"):
        pts[f"{side}_foot"] = pts.get(f"{side}_foot")
    return {k: v for k, v in pts.items() if v is not None}


def mediapipe_points(world: np.ndarray) -> dict[str, np.ndarray]:
    """Named points of raw BlazePose world landmarks (T, 33, 3), in Kinect axes."""
    w = world.astype(np.float64) * KINECT_AXES
    pts = {n: w[:, i] for i, n in enumerate(BLAZEPOSE_LANDMARKS)}
    for a, b, name in (("left_ear", "right_ear", "ear_mid"), ("left_eye", "right_eye", "eye_mid"),
                       ("mouth_left", "mouth_right", "mouth_mid")):
        pts[name] = (pts[a] + pts[b]) / 2
    for side in ("left", "right"):
        pts[f"{side}_knuckles"] = (pts[f"{side}_index"] + pts[f"{side}_pinky"]) / 2
        pts[f"{side}_foot"] = pts[f"{side}_foot_index"]
    return pts


def frame_stats(p: dict[str, np.ndarray], fps: float = 30.0) -> dict[str, np.ndarray]:
    """Per-frame measurements (see module docstring) of one clip's named points."""
    hip = (p["left_hip"] + p["right_hip"]) / 2
    sh = (p["left_shoulder"] + p["right_shoulder"]) / 2
    torso = sh - hip
    length = np.linalg.norm(torso, axis=1)
    up = torso / length[:, None]
    across = p["right_shoulder"] - p["left_shoulder"]
    across -= (across * up).sum(1, keepdims=True) * up
    across /= np.linalg.norm(across, axis=1, keepdims=True)
    fwd = np.cross(up, across)
    out: dict[str, np.ndarray] = {}
    for name in ("hip_centre", "spine", "shoulder_centre", "neck", "head", "nose", "ear_mid", "eye_mid",
                 "mouth_mid"):
        if name in p:
            rel = (p[name] - hip) / length[:, None]
            out[f"{name}.up"], out[f"{name}.fwd"] = (rel * up).sum(1), (rel * fwd).sum(1)
    if "hip_centre" in p and "shoulder_centre" in p:  # the view: hip centre origin, its own torso
        kin = p["shoulder_centre"] - p["hip_centre"]
        kl = np.linalg.norm(kin, axis=1)
        out["shoulder_line.up_from_hip_centre"] = ((sh - p["hip_centre"]) * kin).sum(1) / kl ** 2
        ankle = (p["left_ankle"] + p["right_ankle"]) / 2
        out["ankles.up_from_hip_centre"] = ((ankle - p["hip_centre"]) * kin).sum(1) / kl ** 2
    ankle = (p["left_ankle"] + p["right_ankle"]) / 2
    out["ankles.up"] = ((ankle - hip) * up).sum(1) / length
    out["hip_width"] = np.linalg.norm(p["right_hip"] - p["left_hip"], axis=1) / length
    out["shoulder_width"] = np.linalg.norm(p["right_shoulder"] - p["left_shoulder"], axis=1) / length
    for a, b in BONES[:2] + BONES[4:6]:
        out[f"{a.split('_', 1)[1]}-{b.split('_', 1)[1]}"] = np.linalg.norm(p[b] - p[a], axis=1) / length
    out["lean_deg"] = np.degrees(np.arctan2(-up[:, 2], up[:, 1]))
    out["yaw_deg"] = np.degrees(np.arctan2(fwd[:, 0], -fwd[:, 2]))
    joints = np.stack([p[n] for n in LIMB + ["head" if "head" in p else "nose"]], 1) - hip[:, None]
    out["depth/width"] = joints[..., 2].std(1) / joints[..., 0].std(1)
    out["shoulder.dz"] = (sh - hip)[:, 2] / length
    out["head.dz"] = ((p["head"] if "head" in p else p["ear_mid"]) - hip)[:, 2] / length
    if len(hip) >= 3:
        rel = joints / length[:, None, None]
        acc = np.linalg.norm(rel[2:] - 2 * rel[1:-1] + rel[:-2], axis=2)
        out["jitter"] = np.median(acc, axis=1) * (30.0 / fps) ** 2
    out["torso_m"] = length
    return out


def bone_cv(p: dict[str, np.ndarray]) -> float:
    """Median over the limb bones of std/mean of the bone's length within the clip."""
    cvs = []
    for a, b in BONES:
        lengths = np.linalg.norm(p[b] - p[a], axis=1)
        cvs.append(lengths.std() / lengths.mean())
    return float(np.median(cvs))


def summarise(clips: list[tuple[dict[str, np.ndarray], float]]) -> dict[str, float]:
    """Medians over all frames of the clips (``(points, fps)`` pairs)."""
    per_clip = [frame_stats(p, fps) for p, fps in clips if len(p["left_hip"]) > 0]
    keys = per_clip[0].keys()
    row = {k: float(np.nanmedian(np.concatenate([c[k] for c in per_clip if k in c]))) for k in keys}
    row["bone_cv"] = float(np.median([bone_cv(p) for p, _ in clips]))
    row["clips"] = len(clips)
    row["frames"] = int(sum(len(p["left_hip"]) for p, _ in clips))
    return row


def kinect_sources() -> dict[str, list]:
    sources = {}
    for name, folder in (("UTD-MHAD (v1)", "utd_mhad"), ("NW-UCLA (v1)", "nw_ucla"), ("NTU (v2)", "ntu_samples")):
        data = load_dataset(DATA / folder, progress=False)
        clips = []
        for x in data.samples:
            for m in range(x.shape[3]):
                if np.any(x[..., m]):
                    clips.append((kinect_points(x[..., m], data.layout), 30.0))
        sources[name] = clips
    return sources


def mediapipe_sources(recorded: dict[str, dict[str, np.ndarray]]) -> dict[str, list]:
    sources = {}
    for stem, rec in recorded.items():
        ok = rec["count"] > 0
        fps = 1.0 / np.median(np.diff(rec["timestamps"]))
        world, visibility = rec["world"][ok, 0], rec["visibility"][ok, 0]
        raw = mediapipe_points(world)
        mapped, _ = mediapipe_to_ntu(world, visibility)
        x = np.ascontiguousarray(mapped.transpose(2, 0, 1))
        sources[f"MP {stem}"] = [(raw, fps)]
        sources[f"MP->ntu {stem}"] = [(kinect_points(x, "ntu25"), fps)]
    return sources


def model_view(x: np.ndarray, fps: float = 30.0) -> dict[str, float]:
    """What a ``body_frame`` model sees of one person ``(3, T, 25, 1)``: medians over frames of the
    depth / width spread (body frame), the torso's lean in degrees, the high-frequency jitter
    (|second difference|, torso units, at 30 fps) and the frame-to-frame motion (|first difference|)."""
    y = normalize(x, "body_frame", "ntu25")[..., 0]
    y = y[:, np.any(y != 0, axis=(0, 2))]
    up = y[:, :, NTU_TOP] - y[:, :, 0]
    out = {"depth/width": float(np.median(y[2].std(1) / y[0].std(1))),
           "lean_deg": float(np.median(np.degrees(np.arctan2(-up[2], up[1])))),
           "jitter": float(np.median(np.linalg.norm(y[:, 2:] - 2 * y[:, 1:-1] + y[:, :-2], axis=0)) * (30 / fps) ** 2),
           "motion": float(np.median(np.linalg.norm(np.diff(y, axis=1), axis=0)) * 30 / fps)}
    return out


def table(rows: dict[str, dict[str, float]]) -> str:
    keys = [k for k in next(iter(rows.values())).keys()]
    for r in rows.values():
        keys += [k for k in r if k not in keys]
    names = list(rows)
    lines = ["| measure | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for k in keys:
        cells = [f"{rows[n][k]:.3g}" if k in rows[n] else "" for n in names]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", default=str(VIDEOS), help="folder of one-person videos")
    parser.add_argument("--json", default=str(ROOT / "runs" / "domain_gap" / "stats.json"))
    args = parser.parse_args(argv)
    rows = {name: summarise(clips) for name, clips in kinect_sources().items()}
    recorded = {k: v for k, v in recordings(Path(args.videos)).items() if k != "ntu_sample"}  # two people
    mp = mediapipe_sources(recorded)
    rows.update({name: summarise(clips) for name, clips in mp.items() if name.startswith("MP ")})
    mapped = {name: summarise(clips) for name, clips in mp.items() if name.startswith("MP->ntu")}
    print(table(rows))
    print()
    print(table(mapped))
    seen = {}
    utd = load_dataset(DATA / "utd_mhad", progress=False).to_layout("ntu25")
    views = [model_view(to_kinect2(x)) for x in utd.samples]
    seen["UTD-MHAD as ntu25 (v1->v2)"] = {k: float(np.median([v[k] for v in views])) for k in views[0]}
    for stem, rec in recorded.items():
        fps = 1.0 / np.median(np.diff(rec["timestamps"]))
        seen[f"MP stage {stem}"] = model_view(stage_skeleton(rec), fps)
    print()
    print(table(seen))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"raw": rows, "mapped": mapped, "model_view": seen}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
