"""Headless analysis of recorded video: every frame through the pipeline, nothing dropped.

    python main.py --video FILE_OR_FOLDER [--out ANNOTATED.mp4] [--timeline FILE.json]
                   [--csv FILE.csv] [--model CHECKPOINT] [--device ...] [--persons 1|2]

Writes an annotated video (skeletons, labels, scores), a timeline JSON (segments and per-window
top-5) and a CSV of segments, each atomically; prints the segments and one ``dominant:`` line per
clip: the label with the highest mean score over the clip's windows ("no action" when that score
is under the threshold). A folder is analysed clip by clip; then --out, --timeline and --csv name
folders that receive one file per clip.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from app.analysis_runner import analyse_frames, loaded
from app.model_catalog import startup_model
from app.overlay import draw_overlay, draw_status
from app.pipeline import PipelineConfig, config_from_args, is_absent
from app.recognizer_loader import RecognizerLoad
from app.recording import ClipRecorder
from app.scoring import NO_ACTION, ActionState
from app.sources import open_source
from app.timeline import Segment, SegmentBuilder
from core.atomic import write_text
from core.errors import InputError

if TYPE_CHECKING:
    from app.recognizer import Recognizer

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"}


@dataclass
class ClipAnalysis:
    """Everything the analysis found in one clip."""

    video: Path
    fps: float
    frames: int
    frames_with_pose: int
    model: str
    segments: list[Segment]
    windows: list[dict]
    best: tuple[str, float]  # highest mean score over the clip's windows
    threshold: float
    seconds: float  # wall time of the analysis

    @property
    def dominant(self) -> tuple[str, float]:
        """``best``, or "no action" (with the same score) when its mean score is under the threshold."""
        label, score = self.best
        return (label if score >= self.threshold else NO_ACTION), score

    def timeline(self) -> dict:
        """The timeline JSON document."""
        label, score = self.dominant
        return {
            "video": str(self.video), "fps": self.fps, "frames": self.frames,
            "frames_with_pose": self.frames_with_pose, "model": self.model,
            "dominant": {"label": label, "score": round(score, 4), "best": self.best[0]},
            "segments": [s.to_dict() for s in self.segments], "windows": self.windows,
        }

    def segments_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=["person", "start_s", "end_s", "label", "score"],
                                lineterminator="\n")
        writer.writeheader()
        for s in self.segments:
            writer.writerow(s.to_dict())
        return buf.getvalue()


def best_label(windows_seen: int, label_sums: dict[str, float]) -> tuple[str, float]:
    """The label with the highest mean (smoothed, top-5) score over the windows with a person."""
    if windows_seen == 0 or not label_sums:
        return NO_ACTION, 0.0
    label = max(label_sums, key=label_sums.get)
    return label, label_sums[label] / windows_seen


def analyse_video(path: str | Path, recognizer: Recognizer | Future[Recognizer] | RecognizerLoad,
                  config: PipelineConfig | None = None, out: str | Path | None = None,
                  progress: bool = True, threaded: bool = True) -> ClipAnalysis:
    """Run the pipeline over every frame of ``path``; write the annotated video to ``out``.

    The pose stage and the classifier run side by side (:mod:`app.analysis_runner`; ``threaded=
    False``: one after the other, same results); ``recognizer`` may still be loading."""
    path = Path(path)
    source = open_source(str(path))
    config = config or PipelineConfig()
    builder = SegmentBuilder()
    windows: list[dict] = []
    label_sums: dict[str, float] = {}
    seen_windows = frames = with_pose = 0
    current: dict[int, ActionState] = {}
    start = time.perf_counter()
    t = 0.0
    bar = tqdm(total=source.frame_count or None, unit="frame", desc=path.name, disable=not progress,
               leave=False)
    recorder = ClipRecorder(out, source.fps or 30.0, max_backlog=8, lossless=True) if out else None
    results = analyse_frames(source, recognizer, config, keep_frames=recorder is not None, threaded=threaded)
    try:
        for frame, t, pose, states in results:
            frames += 1
            with_pose += bool(pose.present.any())
            for state in states:
                builder.add(state)
                current[state.person] = state
                if is_absent(state):
                    continue
                seen_windows += 1
                windows.append({"t": round(state.t, 4), "person": state.person,
                                "top": [{"label": n, "score": round(p, 4)} for n, p in state.top]})
                for name, p in state.top:
                    label_sums[name] = label_sums.get(name, 0.0) + p
            if recorder is not None:
                draw_overlay(frame, pose, current)
                draw_status(frame, f"{t:6.2f}s  {loaded(recognizer).name}")
                recorder.write(frame)  # encoded on the recorder's thread, beside the next pose
            bar.update(1)
    except BaseException:
        if recorder is not None:
            recorder.discard()
        raise
    finally:
        results.close()
        bar.close()
        source.close()
    if recorder is not None:
        recorder.close()
    return ClipAnalysis(path, source.fps, frames, with_pose, str(loaded(recognizer).path),
                        builder.finish(t), windows, best_label(seen_windows, label_sums),
                        config.threshold, time.perf_counter() - start)


def format_segments(analysis: ClipAnalysis) -> str:
    """A plain-text table of the clip's segments."""
    lines = [f"{'person':>6}  {'start_s':>8}  {'end_s':>8}  {'score':>5}  label"]
    for s in analysis.segments:
        lines.append(f"{s.person + 1:>6}  {s.start_s:8.2f}  {s.end_s:8.2f}  {s.score:5.2f}  {s.label}")
    if not analysis.segments:
        lines.append("   (no action recognised)")
    return "\n".join(lines)


def dominant_line(analysis: ClipAnalysis) -> str:
    """``dominant: label="..." score=0.123 best="..." clip=NAME``: one parseable line per clip.

    ``label`` is "no action" when the best label's mean score is under the threshold."""
    label, score = analysis.dominant
    return (f'dominant: label="{label}" score={score:.3f} best="{analysis.best[0]}" '
            f'clip={analysis.video.name}')


def _clips(path: Path) -> list[Path]:
    if path.is_dir():
        clips = sorted(p for p in path.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())
        if not clips:
            raise InputError(f"{path}: no video files ({', '.join(sorted(VIDEO_SUFFIXES))}) in this folder")
        return clips
    if not path.exists():
        raise InputError(f"video file or folder not found: {path}")
    return [path]


def _output(option: str | None, clip: Path, folder_mode: bool, suffix: str) -> Path | None:
    if option is None:
        return None
    return Path(option) / f"{clip.stem}{suffix}" if folder_mode else Path(option)


def _print_model(recognizer: Recognizer) -> None:
    print(f"model {recognizer.name} ({recognizer.meta['backbone']}, {len(recognizer.class_names)} classes) "
          f"on {recognizer.device.type}; window {recognizer.window_seconds:g} s at {recognizer.fps:g} fps")


def run_cli(args: argparse.Namespace) -> int:
    """``--video``: analyse one clip or a folder of clips and write the requested outputs."""
    model = Path(args.model) if args.model else startup_model()
    if model is None:
        raise InputError("no model given and none shipped in assets/models/; pass --model CHECKPOINT")
    target = Path(args.video)
    clips = _clips(target)
    folder_mode = target.is_dir()
    config = config_from_args(args)
    recognizer = RecognizerLoad(model, args.device)  # loads beside the first clip's pose stage
    failed, described = 0, False
    for clip in clips:
        try:
            analysis = analyse_video(clip, recognizer, config,
                                     out=_output(args.out, clip, folder_mode, ".annotated.mp4"))
        except InputError as err:
            if not folder_mode or recognizer.failed():
                raise  # one clip's problem is skipped in a folder; the model's is every clip's
            print(f"skipped {clip.name}: {err}")
            failed += 1
            continue
        if not described:  # the model has loaded by now
            _print_model(loaded(recognizer))
            described = True
        timeline = _output(args.timeline, clip, folder_mode, ".timeline.json")
        if timeline is not None:
            write_text(timeline, json.dumps(analysis.timeline(), indent=1) + "\n")
        table = _output(args.csv, clip, folder_mode, ".segments.csv")
        if table is not None:
            write_text(table, analysis.segments_csv())
        rate = analysis.frames / analysis.seconds if analysis.seconds > 0 else 0.0
        print(f"\n{clip.name}: {analysis.frames} frames, {analysis.frames_with_pose} with a person, "
              f"{analysis.seconds:.1f} s ({rate:.1f} fps)")
        print(format_segments(analysis))
        print(dominant_line(analysis))
    return 2 if failed == len(clips) else 0
