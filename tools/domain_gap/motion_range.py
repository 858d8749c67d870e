"""Does the training data hold a motion like this clip's? Four posture measures of each labelled real
clip against the training clips of its expected class, in the body the model sees.

    python tools/domain_gap/motion_range.py [--videos ../shared/videos] [--config configs/default_model.yaml]
                                            [--draws 0] [--json FILE]

A model cannot be expected to name a motion that none of its training clips shows, whatever the view
or the noise. Every clip, real or Kinect, is taken in the recipe's normalisation (the canonical body:
hip-centred, turned to face the camera, torso units; x across the body, y up, z away from the camera).
Per clip, over its frames:

* ``hands apart``: the 5th percentile of the wrists' distance across the body (x);
* ``stride``: the 95th percentile of the ankles' distance front to back (z);
* ``knee lift``: the 95th percentile of the higher knee's height above the hip midpoint;
* ``hand height``: the 95th percentile of the higher wrist's height above the shoulder midpoint.

The training clips of the class come as the recipe trains on them (``--draws`` augmented draws each:
random crop, camera view and depth errors, noise; ``--draws 0``: the whole clips, normalised only). Each value
of a real clip is given with the share of its class's training draws below it; beyond all but 1% of
them on either side it is marked ``!``: the training data hardly shows that action moving like this. Real clips come from ``labels.csv`` (or class sub-folders) as
for ``python main.py --eval``; MediaPipe's output is cached as there.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.footage_eval import find_labelled_videos  # noqa: E402
from app.pose_cache import landmarks  # noqa: E402
from core.atomic import write_text  # noqa: E402
from core.errors import InputError  # noqa: E402
from model.config import load_config  # noqa: E402
from model.preprocess import normalize  # noqa: E402
from model.train import load_sets, training_data  # noqa: E402
from pose.layouts import convert_ctvm, get_layout  # noqa: E402
from tools.domain_gap.replay import stage_skeleton  # noqa: E402

MEASURES = ("hands apart", "stride", "knee lift", "hand height")
TAIL = 0.01  # a value beyond all but this share of the training draws is marked


def measures(x: np.ndarray, layout: str) -> dict[str, float]:
    """The four measures of the first person of a normalised ``(3, T, V, M)`` clip (frames where present)."""
    lay = get_layout(layout)
    p = x[..., 0]
    p = p[:, np.any(p != 0, axis=(0, 2))]
    if p.shape[1] == 0:
        raise InputError("no frame with a person in the clip")
    joint = lambda name: p[:, :, lay.index(name)]  # noqa: E731  (3, T)
    hip = (joint("left_hip") + joint("right_hip")) / 2
    shoulder = (joint("left_shoulder") + joint("right_shoulder")) / 2
    return {
        "hands apart": float(np.percentile(np.abs(joint("left_wrist")[0] - joint("right_wrist")[0]), 5)),
        "stride": float(np.percentile(np.abs(joint("left_ankle")[2] - joint("right_ankle")[2]), 95)),
        "knee lift": float(np.percentile(np.maximum(joint("left_knee")[1], joint("right_knee")[1]) - hip[1], 95)),
        "hand height": float(np.percentile(np.maximum(joint("left_wrist")[1], joint("right_wrist")[1])
                                           - shoulder[1], 95)),
    }


def training_ranges(config_path: str, draws: int) -> tuple[dict[str, dict[str, list[float]]], str, str]:
    """Per class of the recipe, each measure's values over its training clips (``draws`` augmented
    draws each, or the whole clips, normalised only, when 0); with the recipe's layout and normalisation."""
    config = load_config(config_path, ["data.stream=joint"])
    train_set, _ = load_sets(config)
    dc = config.data
    values: dict[str, dict[str, list[float]]] = {c: {m: [] for m in MEASURES} for c in train_set.class_names}
    data = training_data(config, train_set)
    for epoch in range(max(draws, 1)):
        data.set_epoch(epoch)
        for i, label in enumerate(train_set.labels):
            x = data[i][0].numpy() if draws else normalize(data.data.samples[i], dc.normalization, dc.layout)
            for name, value in measures(x, dc.layout).items():
                values[train_set.class_names[label]][name].append(value)
    return values, dc.layout, dc.normalization


def clip_measures(video: Path, layout: str, normalization: str) -> dict[str, float]:
    """The measures of a video's first person as the app's pose stage sees it, normalised as in training."""
    recording, _ = landmarks(video, 1)
    x = convert_ctvm(stage_skeleton(recording), "ntu25", layout)
    return measures(normalize(x, normalization, layout), layout)


def report(videos: str, config_path: str, draws: int) -> list[dict]:
    """One row per labelled (not "no action") clip: its measures and its class's training range."""
    clips = find_labelled_videos(videos)
    if not clips:
        raise InputError(f"{videos}: no labelled videos (labels.csv or class sub-folders)")
    ranges, layout, normalization = training_ranges(config_path, draws)
    lookup = {name.lower(): name for name in ranges}
    rows = []
    for clip in clips:
        if clip.negative:
            continue
        cls = lookup.get(clip.label.strip().lower())
        if cls is None:
            raise InputError(f"{clip.path.name}: label {clip.label!r} is not a class of {config_path}")
        got = clip_measures(clip.path, layout, normalization)
        row = {"file": clip.path.name, "class": cls, "training_clips": len(ranges[cls][MEASURES[0]]) // max(draws, 1)}
        for name in MEASURES:
            seen = np.asarray(ranges[cls][name])
            rank = float(np.mean(seen < got[name]))
            row[name] = {"clip": round(got[name], 3), "median": round(float(np.median(seen)), 3),
                         "rank": round(rank, 4), "outside": bool(rank < TAIL or rank > 1 - TAIL)}
        rows.append(row)
    return rows


def format_rows(rows: list[dict]) -> str:
    """A table: per clip and measure, the clip's value, its class's training median and the share of
    training draws below the clip's value."""
    head = f"{'clip':18s} {'class':10s}" + "".join(f" {m:>21s}" for m in MEASURES)
    lines = [head]
    for r in rows:
        cells = "".join(f" {r[m]['clip']:5.2f} ({r[m]['median']:5.2f}) {100 * r[m]['rank']:5.1f}%"
                        f"{'!' if r[m]['outside'] else ' '}" for m in MEASURES)
        lines.append(f"{r['file'][:18]:18s} {r['class'][:10]:10s}{cells}")
    outside = sum(any(r[m]["outside"] for m in MEASURES) for r in rows)
    lines.append(f"clips={len(rows)} outside_training={outside}  (clip's value, (its class's training median), "
                 f"share of training draws below it; ! = in the outer {100 * TAIL:g}% on either side)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--videos", default=str(ROOT.parent / "shared" / "videos"))
    parser.add_argument("--config", default=str(ROOT / "configs" / "default_model.yaml"))
    parser.add_argument("--draws", type=int, default=0, help="augmented draws per training clip (0: the clips as the datasets hold them)")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    try:
        if args.draws < 0:
            raise InputError("--draws must be 0 or more")
        rows = report(args.videos, args.config, args.draws)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(format_rows(rows))
    if args.json:
        write_text(Path(args.json), json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
