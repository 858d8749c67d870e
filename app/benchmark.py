"""``python main.py --benchmark [--part all|backbones|pose] [--json FILE] [--source VIDEO] [--persons N]``:
speed of the backbones (model.benchmark) and of the pose stage (pose.benchmark) on this machine.

The backbone section measures every backbone on NTU RGB+D shapes: parameters, FLOPs, CPU latency
of one (1, 3, 64, 25, 2) window, training-step time at batch 16 without and with STD-CL, and the
STD-CL overhead at batch 64 (step-time ratio, and the head's own time as a share of the plain step). The pose section times the pose stage on the clip given with
``--source`` (skipped without one), with one and with two people unless ``--persons`` picks one.
``--part`` runs one section only (the backbone section takes about 7 minutes on an idle 2-core CPU, far longer on a busy one). Every result is printed with the machine's load average:
on a shared machine the numbers mean little without it.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import torch

from core.atomic import write_text
from core.errors import InputError
from model.benchmark import benchmark_backbone
from model.registry import available_models

COLUMNS = (  # header, row key, format
    ("model", "model", "{}"), ("params", "params", "{:,}"), ("GFLOPs", "flops", "{:.2f}"),
    ("latency ms", "latency_s", "{:.1f}"), ("train b16 s", "train16_s", "{:.2f}"),
    ("+STD-CL s", "train16_stdcl_s", "{:.2f}"), ("train b64 s", "train64_s", "{:.2f}"),
    ("+STD-CL s", "train64_stdcl_s", "{:.2f}"), ("STD-CL overhead", "stdcl_overhead", "{:+.1%}"),
    ("head alone", "stdcl_head_share", "{:.1%}"),
)
_SCALE = {"flops": 1e-9, "latency_s": 1e3}


def format_table(rows: list[dict[str, Any]]) -> str:
    """The backbone rows as an aligned text table."""
    cells = [[h for h, _, _ in COLUMNS]]
    for row in rows:
        cells.append([fmt.format(row[key] * _SCALE.get(key, 1)) if key in row else "-" for _, key, fmt in COLUMNS])
    widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in cells]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def pose_section(source: str | None, persons: int | None) -> list[dict[str, Any]] | None:
    """Pose-stage speed from ``pose.benchmark.measure_pose`` on the ``--source`` clip for ``persons``
    (both 1 and 2 when None), or None (with a note printed) when no clip was given or the pose
    package lacks the benchmark."""
    if importlib.util.find_spec("pose.benchmark") is None:
        print("pose stage: not measured (pose.benchmark is not installed)")
        return None
    if not source:
        print("pose stage: not measured (give a clip with --source VIDEO)")
        return None
    if not Path(source).is_file():
        raise InputError(f"--source {source}: no such video file")
    from pose.benchmark import measure_pose

    results = []
    for count in ([persons] if persons else [1, 2]):
        result = measure_pose(source, persons=count)
        print(f"pose stage on {result['video']} ({result['persons']} person(s), {result['size'][0]}x{result['size'][1]}): "
              f"{result['fps']:.1f} fps, {result['ms_median']:.1f} ms median, {result['ms_p90']:.1f} ms p90, "
              f"all {count} found in {result['persons_found']:.0%} of frames (load {result['load_average_1min']:.2f})",
              flush=True)
        results.append(result)
    return results


def run_cli(args: argparse.Namespace) -> int:
    """Measure, print the table, optionally write everything as JSON to ``--json``."""
    part = getattr(args, "part", None) or "all"
    if part == "pose" and not getattr(args, "source", None):
        raise InputError("--part pose needs a clip: --source VIDEO")
    threads = torch.get_num_threads()
    load_before = os.getloadavg()[0]
    rows: list[dict[str, Any]] = []
    if part in ("all", "backbones"):
        rows = backbone_section(threads, load_before)
    pose = pose_section(getattr(args, "source", None), getattr(args, "persons", None)) if part != "backbones" else None
    if args.json:
        report = {"torch": torch.__version__, "threads": threads, "cpu_count": os.cpu_count(),
                  "load_average_1min": [load_before, os.getloadavg()[0]], "backbones": rows, "pose": pose}
        write_text(args.json, json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


def backbone_section(threads: int, load_before: float) -> list[dict[str, Any]]:
    """Measure every registered backbone and print the table."""
    print(f"backbones on NTU shapes, torch {torch.__version__}, {threads} CPU thread(s), "
          f"{os.cpu_count()} cores; medians of repeated runs")
    if load_before > (os.cpu_count() or 1):
        print(f"warning: the machine is busy (load {load_before:.1f} on {os.cpu_count()} cores); times will be "
              "inflated and noisy (with more threads than free cores, OMP_WAIT_POLICY=PASSIVE helps)")
    rows = []
    for name in available_models():
        rows.append(benchmark_backbone(name))
        print(f"  measured {name} (load {os.getloadavg()[0]:.2f})", flush=True)
    print(format_table(rows))
    print(f"load average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    return rows
