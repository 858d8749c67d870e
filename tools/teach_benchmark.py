"""Time teaching new actions: build a clips folder from real data and run ``main.py --train --data``.

    python tools/teach_benchmark.py --base CKPT [--source ucla|videos] [--actions 5] [--clips 10]

``ucla``: NW-UCLA view-1 skeletons of ``--actions`` actions (none of them in UTD-MHAD, on which the
default model is trained), ``--clips`` per action spread over subjects and repetitions, stored as
``.npz`` sequences in NTU joints: the case of takes recorded in the GUI (nothing to extract). The
checkpoint is then scored with ``--eval`` on view-2 clips of the same actions (another camera angle).
``videos``: ``--clips`` two-second cuts of each one-person video in ../shared/videos (one action per
video) as ``.mp4``: the case of imported videos, pose extraction included. Cuts of one video overlap,
so only the time means something there. Prints the load average, each command's wall time and the
last lines of its output.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from model.data.classes import UCLA_CLASSES  # noqa: E402
from model.data.clips import write_sequence  # noqa: E402
from model.data.loader import read_file  # noqa: E402
from pose.layouts import convert_ctvm  # noqa: E402

SHARED = ROOT.parent / "shared"
UCLA_ACTIONS = (3, 4, 5, 6, 8, 1, 9, 11, 12, 2)  # file-name ids, the most distinct first
VIDEOS = ("waving.avi", "walking.avi", "running.avi", "ta_chi.mp4", "clean_and_jerk.mp4")


def spread(items: list, count: int) -> list:
    """``count`` items evenly spaced over ``items`` (all of them when fewer)."""
    if len(items) <= count:
        return items
    return [items[round(i)] for i in np.linspace(0, len(items) - 1, count)]


def ucla_folder(target: Path, actions: int, clips: int, view: int, limit: int | None = None) -> Path:
    """NW-UCLA sequences of one view as a clip folder (NTU joints, named by the dataset's classes)."""
    for number in UCLA_ACTIONS[:actions]:
        files = sorted((SHARED / "data" / "nw_ucla").glob(f"a{number:02d}_s*_e*_v{view:02d}.json"))
        sample = read_file(files[0])
        name = UCLA_CLASSES[sample.label]
        for path in spread(files, limit or clips):
            s = read_file(path)
            write_sequence(target / name / f"{path.stem}.npz", convert_ctvm(s.array, s.layout, "ntu25"),
                           name, path.name)
    return target


def video_folder(target: Path, clips: int, seconds: float = 2.0) -> Path:
    """``clips`` cuts of ``seconds`` from each one-person real video, written as .mp4."""
    for video in VIDEOS:
        cap = cv2.VideoCapture(str(SHARED / "videos" / video))
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        frames = []
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(frame)
        cap.release()
        length = min(len(frames), round(seconds * fps))
        folder = target / Path(video).stem
        folder.mkdir(parents=True, exist_ok=True)
        for i, start in enumerate(np.linspace(0, len(frames) - length, clips).round().astype(int)):
            size = frames[0].shape[1], frames[0].shape[0]
            writer = cv2.VideoWriter(str(folder / f"take{i:02d}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
            for frame in frames[start:start + length]:
                writer.write(frame)
            writer.release()
    return target


def run(args: list[str], label: str) -> float:
    """Run ``main.py args``; print the load, wall time and the last lines; return the seconds."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          cwd=ROOT)
    seconds = time.perf_counter() - start
    after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"== {label}: {seconds:.1f} s wall, exit {done.returncode}, load before {load}, after {after}")
    keep = [ln for ln in done.stdout.strip().splitlines() if not ln.startswith("epoch ")]
    if done.returncode:
        keep += [ln for ln in done.stderr.strip().splitlines() if ln.startswith("error")]
    print("\n".join("   " + ln for ln in keep[-14:]))
    return seconds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", required=True, help="checkpoint to fine-tune from")
    p.add_argument("--source", choices=["ucla", "videos"], default="ucla")
    p.add_argument("--actions", type=int, default=5, help="actions (ucla only; videos: 5)")
    p.add_argument("--clips", type=int, default=10, help="clips per action")
    p.add_argument("--keep", metavar="DIR", help="build the folders here and keep them")
    p.add_argument("overrides", nargs="*", help="recipe overrides passed on, e.g. train.epochs=8")
    args = p.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="teach-"))
    folder = work / "clips"
    if args.source == "ucla":
        ucla_folder(folder, args.actions, args.clips, view=1)
    else:
        video_folder(folder, args.clips)
    print(f"clips folder {folder}: {sum(1 for _ in folder.rglob('*.*'))} files; {os.cpu_count()} CPUs")
    out = work / "taught.pt"
    total = run(["--train", "--data", str(folder), "--base", args.base, "--out", str(out), "--device", "cpu",
                 *args.overrides], "train")
    if args.source == "ucla" and out.exists():
        ucla_folder(work / "view2", args.actions, args.clips, view=2, limit=20)
        run(["--eval", "--checkpoint", str(out), "--data", str(work / "view2"), "--device", "cpu"],
            "eval on view 2 (another camera angle)")
    print(f"teaching took {total:.1f} s ({total / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
