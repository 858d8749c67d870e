"""Whole-process speed of ``main.py --video`` against MediaPipe Pose alone on the same clip.

    python tools/analysis_speed.py make-clip /tmp/clip640.mp4 [--frames 800] [--size 640x360]
    python tools/analysis_speed.py pose-alone CLIP
    python tools/analysis_speed.py compare CLIP [--runs 3] [--persons N] [--model CKPT]

``make-clip`` joins the one-person real clips of ../shared/videos (centre-cropped to the aspect
ratio of ``--size``, resized) into one 30 fps mp4 of about ``--frames`` frames (a temporary file:
never commit it). ``pose-alone`` is the reference: read each frame with OpenCV, convert it to RGB
and call MediaPipe Pose's ``process`` on it, nothing else (what the app cannot go below).
``compare`` runs ``pose-alone`` and ``main.py --video CLIP --timeline T.json`` as separate
processes, alternating, ``--runs`` times each, and prints each run's wall time and CPU seconds
(user + system of the child), the medians, the ratio of the medians and the load average before
and after (``os.getloadavg``): on a shared machine the numbers mean little without it.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_VIDEOS = ROOT.parent / "shared" / "videos"
CLIP_SOURCES = ("waving.avi", "walking.avi", "squat_side.mp4", "punch_side.mp4", "running.avi")


def make_clip(out: Path, frames: int, size: tuple[int, int]) -> int:
    """Write about ``frames`` frames of the real one-person clips, cropped and resized, to ``out``."""
    import cv2

    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, size)
    written = 0
    for name in CLIP_SOURCES:
        capture = cv2.VideoCapture(str(SHARED_VIDEOS / name))
        while written < frames:
            ok, frame = capture.read()
            if not ok:
                break
            height, width = frame.shape[:2]
            crop_w = min(width, round(height * size[0] / size[1]))
            crop_h = min(height, round(width * size[1] / size[0]))
            x0, y0 = (width - crop_w) // 2, (height - crop_h) // 2
            writer.write(cv2.resize(frame[y0:y0 + crop_h, x0:x0 + crop_w], size, interpolation=cv2.INTER_AREA))
            written += 1
        capture.release()
        if written >= frames:
            break
    writer.release()
    return written


def pose_alone(clip: Path, persons: int) -> int:
    """MediaPipe Pose over every frame of ``clip``: read, convert to RGB, ``process``; nothing else.
    With ``persons`` 2 a second instance processes every frame too (the naive two-person cost)."""
    import cv2
    import mediapipe as mp

    instances = [mp.solutions.pose.Pose(model_complexity=1, smooth_landmarks=False) for _ in range(persons)]
    capture = cv2.VideoCapture(str(clip))
    count = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        for pose in instances:
            pose.process(rgb)
        count += 1
    capture.release()
    for pose in instances:
        pose.close()
    return count


def _timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one child process; it must succeed."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"error: {' '.join(command)} failed: {process.stderr.read().decode()[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime


def compare(clip: Path, runs: int, persons: int | None, model: str | None) -> None:
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        video = [python, "main.py", "--video", str(clip), "--timeline", str(Path(tmp) / "t.json")]
        video += ["--persons", str(persons)] if persons else []
        video += ["--model", model] if model else []
        reference = [python, str(Path(__file__).resolve()), "pose-alone", str(clip),
                     "--persons", str(persons or 1)]
        commands = {"pose alone": reference, "main.py --video": video}
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        load_before = os.getloadavg()
        for run in range(runs):
            for name, command in commands.items():
                wall, cpu = _timed(command)
                results[name].append((wall, cpu))
                print(f"run {run + 1} {name:16s} wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
                      f"(load {os.getloadavg()[0]:.2f})", flush=True)
        load_after = os.getloadavg()
    median = {name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r))
              for name, r in results.items()}
    for name, (wall, cpu) in median.items():
        print(f"median {name:16s} wall {wall:6.2f} s  cpu {cpu:6.2f} s  cores busy {cpu / wall:.2f}")
    ratio = median["main.py --video"][0] / median["pose alone"][0]
    print(f"wall ratio main.py --video / pose alone: {ratio:.3f}")
    print(f"load average (1, 5, 15 min) before {' '.join(f'{x:.2f}' for x in load_before)}, "
          f"after {' '.join(f'{x:.2f}' for x in load_after)} on {os.cpu_count()} CPUs")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    mk = sub.add_parser("make-clip", help="join the real one-person clips into one test clip")
    mk.add_argument("out", type=Path)
    mk.add_argument("--frames", type=int, default=800)
    mk.add_argument("--size", default="640x360", help="WIDTHxHEIGHT")
    alone = sub.add_parser("pose-alone", help="MediaPipe Pose alone over a clip (the reference)")
    alone.add_argument("clip", type=Path)
    alone.add_argument("--persons", type=int, choices=[1, 2], default=1)
    cmp_ = sub.add_parser("compare", help="time pose-alone and main.py --video, alternating")
    cmp_.add_argument("clip", type=Path)
    cmp_.add_argument("--runs", type=int, default=3)
    cmp_.add_argument("--persons", type=int, choices=[1, 2])
    cmp_.add_argument("--model", help="checkpoint for main.py --video (default: the shipped one)")
    args = p.parse_args(argv)
    if args.command == "make-clip":
        width, height = (int(v) for v in args.size.lower().split("x"))
        print(f"wrote {make_clip(args.out, args.frames, (width, height))} frames to {args.out}")
    elif args.command == "pose-alone":
        if not args.clip.is_file():
            raise SystemExit(f"error: no such clip: {args.clip}")
        start = time.perf_counter()
        count = pose_alone(args.clip, args.persons)
        print(f"{count} frames in {time.perf_counter() - start:.2f} s")
    else:
        if not args.clip.is_file():
            raise SystemExit(f"error: no such clip: {args.clip}")
        compare(args.clip, args.runs, args.persons, args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
