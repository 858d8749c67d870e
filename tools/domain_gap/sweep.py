"""Train one variant of the default model's recipe and score it on Kinect validation and real clips.

    python tools/domain_gap/sweep.py VARIANT [--val-subject 7] [--epochs N]
    python tools/domain_gap/sweep.py --table          # the variants measured so far, as markdown

A variant changes the recipe ``configs/default_model.yaml`` (normalisation, augmentation, stream,
backbone) and optionally the Kinect v1 -> v2 joint correction of the training data
(:func:`model.data.kinect_v1.to_kinect2`). It trains on three of UTD-MHAD's subjects 1,3,5,7 and validates on
the fourth, then runs the final checkpoint on the recorded real clips (:mod:`tools.domain_gap.
real_clips`). One JSON line per run goes to ``runs/domain_gap/variants.jsonl``.
Run trainings one at a time: the machine has two cores.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from model.config import load_config  # noqa: E402
from model.data.loader import load_dataset  # noqa: E402
from model.splits import split_sets  # noqa: E402
from model.train import train  # noqa: E402
from model.data.kinect_v1 import to_kinect2  # noqa: E402
from tools.domain_gap.real_clips import evaluate, summary_line  # noqa: E402

RECIPE = ROOT / "configs" / "default_model.yaml"
RESULTS = ROOT / "runs" / "domain_gap" / "variants.jsonl"
GEOMETRY = ("body_shape", "depth", "tilt", "rotate")
NOISE = ("frame_drop", "missing_joints", "tracking_noise")
ROTATE = {"rotate": {"max_angle": 0.3}}
SPEED = {"speed": {"low": 0.75, "high": 1.4}}
MIXDEF = {"kinect2_joints": {"p": 0.5, "amount": [0.5, 1.0]}}
MIRROR = {"mirror": {"p": 0.5}}
BOTH_ARMS = {"both_arms": {"p": 0.2}}

# name: (description, normalisation, augmentation groups, Kinect v1 -> v2 correction of all data)
VARIANTS = {
    "baseline": ("center_first_spine, rotate (the UTD-MHAD recipe's input), v1 joints as read",
                 "center_first_spine", ("rotate",), False),
    "body_frame": ("body_frame, rotate, v1 joints as read", "body_frame", ("rotate",), False),
    "body_frame_v2": ("body_frame, rotate, all data v1 -> v2", "body_frame", ("rotate",), True),
    "v2_geometry": ("body_frame, v1 -> v2, geometric augmentation", "body_frame", ("geometry",), True),
    "v2_geometry_noise": ("body_frame, v1 -> v2, geometric + noise augmentation", "body_frame",
                          ("geometry", "noise"), True),
    "camera_noise": ("body_frame, v1 -> v2, geometric + noise + speed augmentation", "body_frame",
                     ("geometry", "speed", "noise"), True),
    "mixdef_geometry_noise": ("body_frame, v1 as read + kinect2_joints, geometric + noise augmentation",
                              "body_frame", ("mixdef", "geometry", "noise"), False),
    "mixdef_geometry_noise_mirror": ("body_frame, v1 as read + kinect2_joints, geometric + noise "
                                     "augmentation, left-right mirror", "body_frame",
                                     ("mixdef", "geometry", "noise", "mirror"), False),
    "mixdef_geometry_noise_hands": ("body_frame, v1 as read + kinect2_joints, geometric + noise "
                                    "augmentation, both-arms copy, left-right mirror", "body_frame",
                                    ("mixdef", "geometry", "noise", "both_arms", "mirror"), False),
}


def augmentation(groups: tuple[str, ...], recipe: dict) -> dict:
    """The augmentation section for ``groups``, options taken from the recipe where it has them."""
    out: dict = {}
    for group in groups:
        if group == "rotate":
            out.update(ROTATE)
        elif group == "speed":
            out.update(SPEED)
        elif group == "mixdef":
            out.update(MIXDEF)
        elif group == "mirror":
            out.update(MIRROR)
        elif group == "both_arms":
            out.update(BOTH_ARMS)
        else:
            names = GEOMETRY if group == "geometry" else NOISE
            out.update({n: recipe.get(n, {}) for n in names})
    return out


def run(variant: str, val_subject: int, epochs: int | None, seed: int, threads: int | None = None,
        model: str | None = None) -> dict:
    """Train ``variant`` with ``val_subject`` held out; return its result row."""
    description, normalization, groups, kinect2 = VARIANTS[variant]
    config = load_config(RECIPE, [f"model.name={model}"] if model else ())
    data = config.data
    data.normalization = normalization
    data.augmentation = augmentation(groups, data.augmentation)
    subjects = [s for s in (1, 3, 5, 7) if s != val_subject]
    data.train, data.val = {"subject": subjects}, {"subject": [val_subject]}
    data.split = f"utd_mhad subjects {','.join(map(str, subjects))} / val {val_subject}"
    if epochs:
        config.train.epochs = epochs
    config.train.seed = seed
    if threads:
        config.train.threads = threads
    config.train.eval_interval = 5
    name = f"{variant}_val{val_subject}_s{seed}" + (f"_{model}" if model else "") + (f"_e{epochs}" if epochs else "")
    config.train.out_dir = str(ROOT / "runs" / "domain_gap" / name)
    full = load_dataset(ROOT / data.path if not Path(data.path).is_absolute() else data.path, progress=False)
    full = full.to_layout("ntu25")
    if kinect2:
        full = replace(full, samples=[to_kinect2(x) for x in full.samples])
    train_set, val_set = split_sets(full, data)
    start = time.time()
    result = train(config, train_set, val_set)
    history = result.history
    real = evaluate(result.last_checkpoint)
    return {
        "variant": variant, "description": description, "val_subject": val_subject, "seed": seed,
        "epochs": config.train.epochs, "backbone": config.model.name, "stream": data.stream,
        "augmentation": list(data.augmentation), "checkpoint": str(result.last_checkpoint),
        "val_top1_last": history[-1]["val_top1"],
        "val_top1_best": max(h["val_top1"] for h in history if h.get("val_top1") is not None),
        "minutes": round((time.time() - start) / 60, 1), "real": real, "real_summary": summary_line(real),
    }


def table(path: Path = RESULTS) -> str:
    """Markdown table of the recorded runs."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    out = ["| variant | backbone | val subj | seed | epochs | val top-1 (last / best) | real clips named | waving | walking | running | clean_and_jerk longest | ta_chi longest |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        real = r["real"]
        cell = lambda c: f"{real[c]['best']} {real[c]['score']:.2f}"  # noqa: E731
        longest = lambda c: ("none" if not real[c]["longest_segment"] else  # noqa: E731
                             f"{real[c]['longest_segment']['label']} {real[c]['longest_segment']['seconds']:.1f}s")
        out.append(f"| {r['variant']} | {r['backbone']} | {r['val_subject']} | {r['seed']} | {r['epochs']} | "
                   f"{r['val_top1_last']:.1%} / {r['val_top1_best']:.1%} | {real['named']}/3 | {cell('waving')} | "
                   f"{cell('walking')} | {cell('running')} | {longest('clean_and_jerk')} | {longest('ta_chi')} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", nargs="?", choices=sorted(VARIANTS))
    parser.add_argument("--val-subject", type=int, default=7, choices=(1, 3, 5, 7))
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, help="CPU threads (default: the recipe's)")
    parser.add_argument("--model", help="backbone (default: the recipe's); its per_backbone settings apply")
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args(argv)
    if args.table:
        print(table())
        return 0
    if args.variant is None:
        parser.error("name a variant or pass --table")
    row = run(args.variant, args.val_subject, args.epochs, args.seed, args.threads, args.model)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as f:
        f.write(json.dumps(row) + "\n")
    print(f"{row['variant']}: val top-1 {row['val_top1_last']:.1%} (best {row['val_top1_best']:.1%}); "
          f"{row['real_summary']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
