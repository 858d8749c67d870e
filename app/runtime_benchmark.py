"""Speed of the application around the pose stage, on a real clip.

    python -m app.runtime_benchmark --video ../shared/videos/waving.avi [--model CKPT] [--persons N]
                                    [--seconds 15] [--rounds 2] [--json FILE]

* Headless throughput: the clip's frames are decoded once, then run (a) through the pose stage
  alone, (b) through the whole pipeline as ``--video`` runs it (:mod:`app.analysis_runner`: pose
  stage, windows, recogniser and smoothing, the classifier beside the pose stage), (c) as (b)
  plus drawing the overlay and encoding the annotated video. Rounds alternate (a), (b), (c);
  medians are reported, and the time of (b) and (c) as a multiple of (a)'s in the same round
  (on a shared machine the load drifts between rounds, less within one).
* GUI: the window runs offscreen on the clip (looping, paced to real time like a camera) for
  ``--seconds``; reported are capture-to-screen latency (frame read -> overlay painted; median and
  95th percentile), label updates per second, frames shown per second and frames dropped.

Every result carries the 1-minute load average it ran under: the numbers mean little without it.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from app.analysis_runner import analyse_frames
from app.model_catalog import startup_model
from app.overlay import draw_overlay
from app.pipeline import PipelineConfig
from app.recognizer import Recognizer
from app.recording import ClipRecorder
from core.errors import InputError
from core.video import VideoReader
from pose.stage import PoseStage


def _decode(video: Path, max_frames: int | None) -> tuple[list[np.ndarray], list[float]]:
    frames, times = [], []
    for frame, t in VideoReader(video):
        frames.append(frame)
        times.append(t)
        if max_frames and len(frames) >= max_frames:
            break
    return frames, times


def _pose_only(frames, times, persons: int) -> float:
    """Frames per second of the pose stage alone, its MediaPipe graphs made inside the timing as
    the pipeline's are."""
    start = time.perf_counter()
    with PoseStage(persons=persons) as stage:
        for frame, t in zip(frames, times):
            stage.process(frame, t)
        return len(frames) / (time.perf_counter() - start)


def _pipeline(frames, times, recognizer: Recognizer, config: PipelineConfig, annotate: bool) -> tuple[float, int]:
    """Frames per second of the pipeline as ``--video`` runs it (optionally drawing and encoding
    the annotated video as ``--video --out`` does, on a lossless recorder thread), and the number
    of results."""
    results = 0
    with tempfile.TemporaryDirectory() as tmp:
        recorder = ClipRecorder(Path(tmp) / "a.mp4", 30.0, max_backlog=8, lossless=True) if annotate else None
        current = {}
        start = time.perf_counter()
        for frame, t, pose, states in analyse_frames(list(zip(frames, times)), recognizer, config,
                                                     keep_frames=annotate):
            results += len(states)
            if recorder is not None:
                current.update({s.person: s for s in states})
                recorder.write(draw_overlay(frame.copy(), pose, current))
        if recorder is not None:
            recorder.close()
        elapsed = time.perf_counter() - start
    return len(frames) / elapsed, results


def measure_throughput(video: Path, recognizer: Recognizer, config: PipelineConfig,
                       rounds: int = 2, max_frames: int | None = None) -> dict:
    """Headless frames per second: pose stage alone, whole pipeline, pipeline + annotated video;
    and the time of the last two as a multiple of the pose stage's, round by round."""
    frames, times = _decode(video, max_frames)
    persons = config.persons or recognizer.num_person
    pose, full, annotated, ratio, ratio_annotated, results = [], [], [], [], [], 0
    for _ in range(rounds):
        pose.append(_pose_only(frames, times, persons))
        fps, results = _pipeline(frames, times, recognizer, config, annotate=False)
        full.append(fps)
        ratio.append(pose[-1] / fps)
        fps, _ = _pipeline(frames, times, recognizer, config, annotate=True)
        annotated.append(fps)
        ratio_annotated.append(pose[-1] / fps)
    med = statistics.median
    return {
        "video": str(video), "frames": len(frames), "size": list(frames[0].shape[1::-1]),
        "persons": persons, "model": str(recognizer.path), "backbone": recognizer.meta["backbone"],
        "window_seconds": recognizer.window_seconds, "stride_seconds": config.stride_seconds,
        "windows_scored": results, "rounds": rounds,
        "pose_fps": med(pose), "pipeline_fps": med(full), "annotated_fps": med(annotated),
        "time_ratio": med(ratio), "time_ratio_annotated": med(ratio_annotated),
        "all_rounds": {"pose_fps": pose, "pipeline_fps": full, "annotated_fps": annotated,
                       "time_ratio": ratio, "time_ratio_annotated": ratio_annotated},
        "load_average_1min": os.getloadavg()[0], "cpu_count": os.cpu_count(),
    }


def measure_gui(video: Path, model: Path, seconds: float, persons: int | None = None) -> dict:
    """Run the window offscreen on ``video`` (looped) and measure latency and update rates."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtCore import QEventLoop, QTimer
    from PyQt6.QtWidgets import QApplication

    from app.gui.main_window import MainWindow, WindowOptions

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(WindowOptions(source=str(video), model=model, device="cpu", persons=persons,
                                          output_dir=Path(tmp)))
        latencies: list[float] = []
        counts = {"labels": 0, "restarts": 0}
        window.video.painted.connect(lambda captured: latencies.append(time.perf_counter() - captured))

        def on_event(engine, kind: str) -> None:
            if kind == "actions":
                counts["labels"] += 1
            elif kind == "ended":  # loop the clip like an endless camera
                counts["restarts"] += 1
                QTimer.singleShot(0, window.start)

        window.engine_event.connect(on_event)
        window.show()
        window.start_up()
        if window.engine is None:
            raise InputError(window.message.text() or "the window could not start")
        shown_before = window.video.frames_shown
        start = time.perf_counter()
        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()
        elapsed = time.perf_counter() - start
        dropped = window.engine.dropped_frames if window.engine is not None else 0
        shown = window.video.frames_shown - shown_before
        window.close()
    app.processEvents()
    ms = np.array(latencies) * 1000
    return {
        "video": str(video), "model": str(model), "seconds": elapsed, "frames_shown": shown,
        "display_fps": shown / elapsed, "label_updates_per_s": counts["labels"] / elapsed,
        "latency_ms_median": float(np.median(ms)) if ms.size else None,
        "latency_ms_p95": float(np.percentile(ms, 95)) if ms.size else None,
        "latency_samples": int(ms.size), "dropped_frames_last_run": dropped,
        "clip_restarts": counts["restarts"],
        "load_average_1min": os.getloadavg()[0], "cpu_count": os.cpu_count(),
    }


def _report(throughput: dict, gui: dict) -> str:
    t, g = throughput, gui
    return "\n".join([
        f"clip {Path(t['video']).name}: {t['frames']} frames {t['size'][0]}x{t['size'][1]}, "
        f"{t['persons']} person slot(s); model {Path(t['model']).name} ({t['backbone']}, "
        f"window {t['window_seconds']:g} s, stride {t['stride_seconds']:g} s); medians of {t['rounds']} rounds",
        f"  pose stage alone         {t['pose_fps']:7.1f} fps",
        f"  whole pipeline           {t['pipeline_fps']:7.1f} fps   "
        f"({t['time_ratio']:.3f}x the pose stage's time)",
        f"  + annotated video        {t['annotated_fps']:7.1f} fps   "
        f"({t['time_ratio_annotated']:.3f}x the pose stage's time)",
        f"  load average {t['load_average_1min']:.2f} on {t['cpu_count']} CPUs",
        f"GUI ({g['seconds']:.0f} s offscreen): latency capture->screen median "
        f"{g['latency_ms_median']:.0f} ms, p95 {g['latency_ms_p95']:.0f} ms "
        f"({g['latency_samples']} frames); display {g['display_fps']:.1f} fps; "
        f"labels {g['label_updates_per_s']:.1f}/s; load average {g['load_average_1min']:.2f}",
    ])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--video", required=True, type=Path)
    p.add_argument("--model", type=Path, help="checkpoint (default: the shipped default model)")
    p.add_argument("--persons", type=int, choices=[1, 2])
    p.add_argument("--stride", type=float, default=PipelineConfig.stride_seconds, help="seconds")
    p.add_argument("--seconds", type=float, default=15.0, help="GUI measurement length")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--max-frames", type=int)
    p.add_argument("--json", type=Path, help="also write the results as JSON")
    args = p.parse_args(argv)
    model = args.model or startup_model()
    if model is None:
        print("error: no model given and none in assets/models/", file=sys.stderr)
        return 2
    try:
        recognizer = Recognizer(model, "cpu")
        config = PipelineConfig(persons=args.persons, stride_seconds=args.stride)
        throughput = measure_throughput(args.video, recognizer, config, args.rounds, args.max_frames)
        gui = measure_gui(args.video, model, args.seconds, args.persons)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(_report(throughput, gui))
    if args.json:
        from core.atomic import write_text

        write_text(args.json, json.dumps({"throughput": throughput, "gui": gui}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
