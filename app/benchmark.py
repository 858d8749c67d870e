"""``python main.py --benchmark [--part all|backbones|precision|pose|analysis] [--json FILE] [--source VIDEO]
[--persons N] [--frames N] [--runs N] [--model CKPT]``: speed of the backbones (model.benchmark), of
the pose stage (pose.benchmark) and of ``--video`` against MediaPipe Pose alone, on this machine.

The backbone section measures every backbone on NTU RGB+D shapes: parameters, FLOPs, CPU latency
of one (1, 3, 64, 25, 2) window, training-step time at batch 16 without and with STD-CL, and the
STD-CL overhead at batch 64 (step-time ratio, and the head's own time as a share of the plain step).
The precision section times an STD-CL training step (batch 16, one person, 64 frames) of every
backbone in float32 and in the mixed precision training uses on this CPU (``train.amp``: bfloat16
where the CPU has it natively), at one thread and at torch's default thread count. The pose section times the pose stage on the clip given with
``--source`` (skipped without one) for ``--frames`` frames (the clip loops), with one and with two
people unless ``--persons`` picks one, and the two-person rate as a fraction of the one-person
rate. The analysis section times whole processes on the ``--source`` clip, alternating, ``--runs``
times each: ``python main.py --video CLIP --timeline T.json`` (``--model``, ``--persons``) and
MediaPipe Pose alone (``python -m pose.benchmark CLIP``); it prints wall and CPU seconds, their
medians and the ratio of the wall times. ``--part`` runs one section only (the backbone section takes about 7 minutes on an idle 2-core CPU, far longer on a busy one). Every result is printed with the machine's load average:
on a shared machine the numbers mean little without it.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from core.atomic import write_text
from core.errors import InputError
from model.benchmark import benchmark_backbone, precision_step_times
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


ROOT = Path(__file__).resolve().parents[1]


def pose_section(source: str | None, persons: int | None, frames: int = 150) -> list[dict[str, Any]] | None:
    """Pose-stage speed from ``pose.benchmark.measure_pose`` on ``frames`` frames of the
    ``--source`` clip for ``persons`` (both 1 and 2 when None), or None (with a note printed) when
    no clip was given or the pose package lacks the benchmark."""
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
        result = measure_pose(source, persons=count, max_frames=frames)
        print(f"pose stage on {result['video']} ({result['persons']} person(s), {result['size'][0]}x{result['size'][1]}): "
              f"{result['fps']:.1f} fps, {result['ms_median']:.1f} ms median, {result['ms_p90']:.1f} ms p90, "
              f"all {count} found in {result['persons_found']:.0%} of frames (load {result['load_average_1min']:.2f})",
              flush=True)
        results.append(result)
    if len(results) == 2:
        print(f"two people at {results[1]['fps'] / results[0]['fps']:.2f}x the one-person frame rate")
    return results


def _timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one child process, which must succeed."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    errors = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise InputError(f"{' '.join(command[1:])} failed: {errors.strip().splitlines()[-1:]}")
    return wall, usage.ru_utime + usage.ru_stime


def analysis_section(source: str, runs: int = 3, persons: int | None = None,
                     model: str | None = None) -> dict[str, Any]:
    """Whole processes, alternating ``runs`` times: ``main.py --video SOURCE --timeline T.json``
    against MediaPipe Pose alone on the same clip; medians of wall and CPU seconds, and the ratio."""
    if not Path(source).is_file():
        raise InputError(f"--source {source}: no such video file")
    with tempfile.TemporaryDirectory() as tmp:
        video = [sys.executable, "main.py", "--video", str(source), "--timeline", str(Path(tmp) / "t.json")]
        video += (["--persons", str(persons)] if persons else []) + (["--model", model] if model else [])
        commands = {"pose alone": [sys.executable, "-m", "pose.benchmark", str(source)], "--video": video}
        runs_done: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        load_before = os.getloadavg()
        for run in range(runs):
            for name, command in commands.items():
                wall, cpu = _timed(command)
                runs_done[name].append((wall, cpu))
                print(f"  run {run + 1} {name:10s} wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
                      f"(load {os.getloadavg()[0]:.2f})", flush=True)
        load_after = os.getloadavg()
    medians = {name: {"wall_s": statistics.median(w for w, _ in r), "cpu_s": statistics.median(c for _, c in r)}
               for name, r in runs_done.items()}
    ratio = medians["--video"]["wall_s"] / medians["pose alone"]["wall_s"]
    alone, analysis = medians["pose alone"], medians["--video"]
    print(f"analysis (main.py --video) on {Path(source).name}: wall {analysis['wall_s']:.2f} s "
          f"(cpu {analysis['cpu_s']:.2f} s) vs MediaPipe Pose alone {alone['wall_s']:.2f} s "
          f"(cpu {alone['cpu_s']:.2f} s), medians of {runs}: ratio {ratio:.3f} "
          f"(load {load_before[0]:.2f} before, {load_after[0]:.2f} after, {os.cpu_count()} CPUs)")
    return {"video": str(source), "runs": runs, "persons": persons, "model": model,
            "all_runs": {name: [{"wall_s": w, "cpu_s": c} for w, c in r] for name, r in runs_done.items()},
            "medians": medians, "wall_ratio": ratio, "load_average": [list(load_before), list(load_after)],
            "cpu_count": os.cpu_count()}


def run_cli(args: argparse.Namespace) -> int:
    """Measure, print the table, optionally write everything as JSON to ``--json``."""
    part = getattr(args, "part", None) or "all"
    source = getattr(args, "source", None)
    if part in ("pose", "analysis") and not source:
        raise InputError(f"--part {part} needs a clip: --source VIDEO")
    frames, runs = getattr(args, "frames", None) or 150, getattr(args, "runs", None) or 3
    if frames < 1 or runs < 1:
        raise InputError("--frames and --runs must be at least 1")
    threads = torch.get_num_threads()
    load_before = os.getloadavg()[0]
    rows: list[dict[str, Any]] = []
    if part in ("all", "backbones"):
        rows = backbone_section(threads, load_before)
    precision = precision_section(threads) if part in ("all", "precision") else None
    persons = getattr(args, "persons", None)
    pose = pose_section(source, persons, frames) if part in ("all", "pose") else None
    analysis = None
    if part in ("all", "analysis") and source:
        analysis = analysis_section(source, runs, persons, getattr(args, "model", None))
    if args.json:
        report = {"torch": torch.__version__, "threads": threads, "cpu_count": os.cpu_count(),
                  "load_average_1min": [load_before, os.getloadavg()[0]], "backbones": rows, "precision": precision,
                  "pose": pose,
                  "analysis": analysis}
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


def precision_section(threads: int) -> list[dict[str, Any]]:
    """Training-step times in float32 and mixed precision, per backbone, at 1 and ``threads``
    threads (the thread count is restored afterwards); prints one line per measurement."""
    print("training step, batch 16, one person, 64 frames, STD-CL on: float32 against mixed precision")
    rows = []
    try:
        for count in sorted({1, threads}):
            torch.set_num_threads(count)
            for name in available_models():
                row = precision_step_times(name)
                rows.append(row)
                mixed = (f"{row['mixed_dtype']} {row['mixed_s'] * 1e3:.0f} ms ({row['speedup']:.2f}x)"
                         if row.get("mixed_dtype") else "no native mixed precision on this CPU")
                print(f"  {name:<12} {count} thread(s): float32 {row['fp32_s'] * 1e3:.0f} ms, {mixed} "
                      f"(load {os.getloadavg()[0]:.2f})", flush=True)
    finally:
        torch.set_num_threads(threads)
    return rows
