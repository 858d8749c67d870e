"""Soak test: the live pipeline over a looped real clip for a long time, watching memory and latency.

    python tools/soak.py --video ../shared/videos/waving.avi --model CKPT --minutes 30 \
                         --csv soak.csv [--interval 10] [--persons N] [--device cpu]

Runs what the window runs, minus the screen: :class:`app.engine.RealtimeEngine` (capture, pose and
inference threads, drop-oldest queues, overlay drawing) on the clip played again and again, paced
to real time like a camera, with timestamps that keep increasing across loops. A consumer pulls
every shown frame and the action states as the GUI does. Every ``--interval`` seconds one CSV row
records the resident memory (RSS, from /proc), frames shown / dropped, capture-to-display latency
(median, 95th percentile) of the frames shown in the interval, the pose stage's median time per
frame, mean inference time and the 1-minute load average. The summary compares RSS after the
warm-up with the end (and a fitted slope), and latency, pose and inference time in the first vs the
last few minutes (5, or a third of a shorter run). On a shared machine latency follows the load;
pose and inference time grow with the load too but not with any state of the program, so they
tell contention from drift.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine import RealtimeEngine  # noqa: E402
from app.model_catalog import startup_model  # noqa: E402
from app.pipeline import ActionPipeline, PipelineConfig  # noqa: E402
from app.recognizer import Recognizer  # noqa: E402
from core.atomic import write_text  # noqa: E402
from core.errors import InputError  # noqa: E402
from core.video import VideoReader  # noqa: E402

CSV_FIELDS = ("elapsed_s", "rss_mb", "frames_shown", "frames_dropped", "loops", "latency_ms_p50",
              "latency_ms_p95", "pose_ms_p50", "inference_ms_mean", "labels", "load1")
DEFAULT_VIDEO = Path(__file__).resolve().parents[2] / "shared" / "videos" / "waving.avi"
WARMUP_SECONDS = 60.0
COMPARE_SECONDS = 300.0


def rss_mb() -> float:
    """Resident set size of this process in MiB (Linux /proc)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS in /proc/self/status")


class LoopedClip:
    """A video file played over and over, its timestamps continuing across loops (like a camera)."""

    def __init__(self, path: str | os.PathLike):
        self.reader = VideoReader(path)
        self.fps = self.reader.fps or 30.0
        self.loops = 0
        self._stop = threading.Event()

    def __iter__(self) -> Iterator[tuple[np.ndarray, float]]:
        offset = 0.0
        while not self._stop.is_set():
            t = 0.0
            for frame, t in self.reader:
                if self._stop.is_set():
                    return
                yield frame, offset + t
            offset += t + 1.0 / self.fps
            self.loops += 1

    def close(self) -> None:
        self._stop.set()
        self.reader.close()


class Consumer:
    """Pulls frames and actions from the engine the way the window does, recording latency."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.shown = 0
        self.labels = 0
        self.engine: RealtimeEngine | None = None
        self.errors: list[str] = []

    def on_event(self, kind: str) -> None:
        engine = self.engine
        if engine is None:
            return
        if kind == "frame":
            live = engine.latest_frame()
            if live is not None:
                with self.lock:
                    self.latencies.append(time.perf_counter() - live.captured)
                    self.shown += 1
        elif kind == "actions":
            states = engine.take_actions()
            with self.lock:
                self.labels += len(states)
        elif kind == "error":
            self.errors.extend(engine.take_errors())

    def take(self) -> tuple[list[float], int]:
        with self.lock:
            out, self.latencies = self.latencies, []
            labels, self.labels = self.labels, 0
        return out, labels


def soak(video: Path, model: Path, minutes: float, interval: float, persons: int | None,
         device: str, csv_path: str | os.PathLike | None = None, say=print) -> list[dict]:
    """Run the engine for ``minutes``; return one row per ``interval`` (see CSV_FIELDS), also
    rewritten to ``csv_path`` after every row so that an interrupted run keeps its samples."""
    recognizer = Recognizer(model, device)
    clip = LoopedClip(video)
    pipeline = ActionPipeline(recognizer, PipelineConfig(persons=persons))
    consumer = Consumer()
    engine = RealtimeEngine(clip, pipeline, on_event=consumer.on_event, pace=True)
    consumer.engine = engine
    inference_times: list[float] = []
    pose_times: list[float] = []
    original_recognise, original_observe = pipeline.recognise, pipeline.observe

    def timed_recognise(window):
        states = original_recognise(window)
        inference_times.append(recognizer.last_inference_s)
        return states

    def timed_observe(frame, t):
        start = time.perf_counter()
        result = original_observe(frame, t)
        pose_times.append(time.perf_counter() - start)
        return result

    pipeline.recognise, pipeline.observe = timed_recognise, timed_observe
    rows: list[dict] = []
    start = time.perf_counter()
    engine.start()
    say(f"soak: {video.name} looped at {clip.fps:g} fps, model {model.name} "
        f"({recognizer.meta['backbone']}), {minutes:g} min, a row every {interval:g} s")
    try:
        end = start + minutes * 60.0
        next_sample = start + interval
        while time.perf_counter() < end:
            time.sleep(max(0.0, min(next_sample, end) - time.perf_counter()))
            next_sample += interval
            if consumer.errors or not engine.running:
                raise InputError(f"the engine stopped: {'; '.join(consumer.errors) or 'source ended'}")
            latencies, labels = consumer.take()
            times, inference_times[:] = list(inference_times), []
            poses, pose_times[:] = list(pose_times), []
            row = {
                "elapsed_s": round(time.perf_counter() - start, 1), "rss_mb": round(rss_mb(), 1),
                "frames_shown": len(latencies), "frames_dropped": engine.dropped_frames, "loops": clip.loops,
                "latency_ms_p50": _ms(np.median(latencies)) if latencies else "",
                "latency_ms_p95": _ms(np.percentile(latencies, 95)) if latencies else "",
                "pose_ms_p50": _ms(np.median(poses)) if poses else "",
                "inference_ms_mean": _ms(np.mean(times)) if times else "",
                "labels": labels, "load1": round(os.getloadavg()[0], 2),
            }
            rows.append(row)
            if csv_path is not None:
                write_csv(csv_path, rows)
            say("  ".join(f"{k}={row[k]}" for k in CSV_FIELDS))
    finally:
        engine.stop()
    return rows


def _ms(seconds: float) -> float:
    return round(float(seconds) * 1000.0, 1)


def summary(rows: list[dict], warmup: float = WARMUP_SECONDS, compare: float = COMPARE_SECONDS) -> dict:
    """RSS growth after the warm-up (end minus first row past it, and a least-squares slope) and
    median latency of the first vs the last ``compare`` seconds (a third of a shorter run)."""
    if not rows:
        raise ValueError("no samples")
    total = rows[-1]["elapsed_s"]
    warm = [r for r in rows if r["elapsed_s"] >= min(warmup, total / 3)] or rows
    t = np.array([r["elapsed_s"] for r in warm], dtype=float)
    rss = np.array([r["rss_mb"] for r in warm], dtype=float)
    slope = float(np.polyfit(t, rss, 1)[0]) * 3600.0 if len(warm) >= 2 else 0.0
    span = min(compare, total / 3)

    def median_of(part: list[dict], key: str) -> float:
        values = [float(r[key]) for r in part if r.get(key, "") != ""]
        return round(float(np.median(values)), 1) if values else float("nan")

    first = [r for r in rows if r["elapsed_s"] <= span]
    last = [r for r in rows if r["elapsed_s"] > total - span]
    loads = [r["load1"] for r in rows]
    return {
        "minutes": round(total / 60.0, 1), "rss_start_mb": warm[0]["rss_mb"],
        "rss_end_mb": rows[-1]["rss_mb"], "rss_max_mb": max(r["rss_mb"] for r in rows),
        "rss_growth_mb": round(rows[-1]["rss_mb"] - warm[0]["rss_mb"], 1),
        "rss_slope_mb_per_hour": round(slope, 1), "compare_minutes": round(span / 60.0, 1),
        "latency_ms_first": median_of(first, "latency_ms_p50"),
        "latency_ms_last": median_of(last, "latency_ms_p50"),
        "pose_ms_first": median_of(first, "pose_ms_p50"), "pose_ms_last": median_of(last, "pose_ms_p50"),
        "inference_ms_first": median_of(first, "inference_ms_mean"),
        "inference_ms_last": median_of(last, "inference_ms_mean"),
        "frames_shown": sum(r["frames_shown"] for r in rows), "frames_dropped": rows[-1]["frames_dropped"],
        "loops": rows[-1]["loops"], "load1_min": min(loads), "load1_median": float(np.median(loads)),
        "load1_max": max(loads),
    }


def write_csv(path: str | os.PathLike, rows: list[dict]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, buf.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", default=str(DEFAULT_VIDEO))
    parser.add_argument("--model", help="checkpoint (default: the shipped model)")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--csv", default="soak.csv", help="per-interval samples")
    parser.add_argument("--persons", type=int, choices=(1, 2))
    parser.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    args = parser.parse_args(argv)
    model = Path(args.model) if args.model else startup_model()
    try:
        if model is None:
            raise InputError("no model given and none shipped in assets/models/; pass --model CHECKPOINT")
        rows = soak(Path(args.video), model, args.minutes, args.interval, args.persons, args.device,
                    args.csv)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    result = summary(rows)
    print(f"\nsummary ({args.csv}):")
    for key, value in result.items():
        print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
