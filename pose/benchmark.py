"""Speed of the pose stage on a real clip (used by ``python main.py --benchmark``).

Frames are decoded and resized before timing; each timed call is the whole stage
(MediaPipe, tracking, mapping, camera placement, smoothing), as in the live app.

``python -m pose.benchmark CLIP`` is the reference the analysis is measured against: MediaPipe
Pose alone over every frame of a clip (read, convert to RGB, ``process``; nothing else).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import cv2
import numpy as np

from core.errors import InputError
from core.video import VideoReader
from pose.mediapipe_estimator import DEFAULT_MODEL_COMPLEXITY
from pose.stage import PoseStage


def _crop_resize(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Centre-crop to the aspect ratio of ``size``, then resize (no distortion of the people)."""
    height, width = frame.shape[:2]
    crop_w, crop_h = min(width, round(height * size[0] / size[1])), min(height, round(width * size[1] / size[0]))
    x0, y0 = (width - crop_w) // 2, (height - crop_h) // 2
    return cv2.resize(frame[y0:y0 + crop_h, x0:x0 + crop_w], size, interpolation=cv2.INTER_AREA)


def measure_pose(video_path: str | os.PathLike, persons: int = 1, *, size: tuple[int, int] = (640, 480),
                 max_frames: int = 150, warmup: int = 10,
                 model_complexity: int = DEFAULT_MODEL_COMPLEXITY) -> dict:
    """Median frames per second of :class:`pose.stage.PoseStage` on the first ``max_frames``
    frames of a video centre-cropped and resized to ``size``, after ``warmup`` untimed frames (the clip loops if
    shorter). Returns fps (median), ms_median, ms_p90, frames timed, persons_found (fraction of
    timed frames with all ``persons`` present), and the settings and machine load it ran under."""
    frames, times = [], []
    for frame, t in VideoReader(video_path):
        frames.append(_crop_resize(frame, size))
        times.append(t)
        if len(frames) >= max_frames:
            break
    if not frames:
        raise InputError(f"no frames in {video_path}")
    period = float(np.median(np.diff(times))) if len(times) > 1 else 1 / 30
    elapsed, found = [], 0
    with PoseStage(persons=persons, model_complexity=model_complexity) as stage:
        for i in range(warmup + max_frames):
            frame = frames[i % len(frames)]
            start = time.perf_counter()
            pose = stage.process(frame, i * period)
            if i >= warmup:
                elapsed.append(time.perf_counter() - start)
                found += bool(pose.present.all())
    ms = np.array(elapsed) * 1000
    return {
        "video": str(video_path), "persons": persons, "model_complexity": model_complexity,
        "size": list(size), "frames": len(ms), "fps": float(1000 / np.median(ms)),
        "ms_median": float(np.median(ms)), "ms_p90": float(np.percentile(ms, 90)),
        "persons_found": found / len(ms), "load_average_1min": os.getloadavg()[0],
        "cpu_count": os.cpu_count(),
    }


def mediapipe_alone(video_path: str | os.PathLike, model_complexity: int = DEFAULT_MODEL_COMPLEXITY) -> int:
    """MediaPipe Pose over every frame of a video: read it with OpenCV, convert it to RGB, call
    ``process``; nothing else (what no analysis can go below). Returns the number of frames."""
    import mediapipe as mp

    pose = mp.solutions.pose.Pose(model_complexity=model_complexity, smooth_landmarks=False)
    capture = cv2.VideoCapture(str(video_path))
    count = 0
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            count += 1
    finally:
        capture.release()
        pose.close()
    return count


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="MediaPipe Pose alone over a clip (the reference for --video)")
    p.add_argument("video")
    args = p.parse_args(argv)
    if not os.path.isfile(args.video):
        print(f"error: no such video file: {args.video}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    count = mediapipe_alone(args.video)
    print(f"{count} frames in {time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
