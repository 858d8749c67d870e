"""Record MediaPipe's raw output (33 world + image landmarks, visibility) for every frame of each clip.

    python tools/domain_gap/landmarks.py [VIDEO_OR_FOLDER ...] [--out runs/domain_gap/landmarks]

One ``<clip>.npz`` per video with ``world`` (T, 33, 3) metres in MediaPipe axes, ``image_xy`` (T, 33, 2)
pixels, ``visibility`` (T, 33), ``present`` (T,) bool, ``timestamps`` (T,) seconds and ``size``
(width, height). NaN where nobody was found. The estimator is the pipeline's own (one person,
tracking mode, model_complexity 1), so replaying these arrays (:mod:`tools.domain_gap.replay`) gives
what ``python main.py --video`` sees, without running MediaPipe again for every variant measured.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from core.atomic import atomic_path  # noqa: E402
from core.video import VideoReader  # noqa: E402
from pose.mapping import NUM_LANDMARKS  # noqa: E402
from pose.mediapipe_estimator import MediaPipePoseEstimator  # noqa: E402

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"}
DEFAULT_VIDEOS = ROOT.parent / "shared" / "videos"
DEFAULT_OUT = ROOT / "runs" / "domain_gap" / "landmarks"


def record(video: Path) -> dict[str, np.ndarray]:
    """MediaPipe landmarks of the first (only) person in every frame of ``video``."""
    reader = VideoReader(video)
    world, image, vis, present, times = [], [], [], [], []
    with MediaPipePoseEstimator(persons=1) as estimator:
        for frame, t in reader:
            people = estimator.estimate(frame)
            times.append(t)
            present.append(bool(people))
            if people:
                world.append(people[0].world)
                image.append(people[0].image_xy)
                vis.append(people[0].visibility)
            else:
                world.append(np.full((NUM_LANDMARKS, 3), np.nan))
                image.append(np.full((NUM_LANDMARKS, 2), np.nan))
                vis.append(np.zeros(NUM_LANDMARKS))
    return {"world": np.asarray(world, np.float32), "image_xy": np.asarray(image, np.float32),
            "visibility": np.asarray(vis, np.float32), "present": np.asarray(present),
            "timestamps": np.asarray(times, np.float64), "size": np.asarray(reader.size)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="*", default=[str(DEFAULT_VIDEOS)])
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    args = parser.parse_args(argv)
    clips = []
    for item in map(Path, args.videos):
        clips += sorted(p for p in item.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES) if item.is_dir() else [item]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for clip in clips:
        arrays = record(clip)
        with atomic_path(out / f"{clip.stem}.npz") as tmp:
            np.savez_compressed(tmp, **arrays)
        print(f"{clip.name}: {arrays['present'].sum()}/{len(arrays['present'])} frames with a person")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
