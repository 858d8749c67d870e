"""Headless analysis of recorded video: every frame through the pipeline, nothing dropped.

    python main.py --video FILE_OR_FOLDER [--out ANNOTATED.mp4] [--timeline FILE.json]
                   [--csv FILE.csv] [--model CHECKPOINT] [--device ...] [--persons 1|2]

Writes an annotated video (skeletons, labels, scores, repetitions), a timeline JSON (segments,
repetition series, a summary per person and action, per-window top-5) and a CSV of segments with
their repetitions, each atomically; prints the segments, the summary and one ``dominant:`` line
per clip: the label with the highest mean score over the clip's windows ("no action" when that
score is under the threshold). A folder is analysed clip by clip; then --out, --timeline and --csv
name folders that receive one file per clip, named after the clip (its whole name where two clips
share a stem, as ``clip.avi`` and ``clip.mp4``); files in the folder that are this command's own
outputs (``*.annotated.mp4`` where --out writes) are not analysed.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import time
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from app.analysis_runner import analyse_frames, loaded
from app.clip_decision import ClipDecision
from app.clip_summary import (PoseRecord, RepetitionRecord, format_repetitions, format_summary,
                              name_series, segments_with_reps, summary)
from app.model_catalog import startup_model
from app.overlay import draw_overlay, draw_status
from app.pipeline import PipelineConfig, config_from_args, is_absent
from app.recognizer_loader import RecognizerLoad
from app.repetitions import preload_filters
from app.recording import ClipRecorder
from app.scoring import NO_ACTION, ActionState
from app.sources import is_stream_url, open_source, redact_url
from app.timeline import Segment, SegmentBuilder
from core.atomic import write_text
from core.errors import InputError
from core.outputs import check_outputs, same_file, unique_stems

if TYPE_CHECKING:
    from app.recognizer import Recognizer

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"}
ANNOTATED = ".annotated.mp4"  # suffix of the annotated videos written into --out


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
    decision: ClipDecision  # the clip's label from its windows
    threshold: float
    seconds: float  # wall time of the analysis
    repetitions: list[RepetitionRecord]

    @property
    def best(self) -> tuple[str, float]:
        """The action with the highest mean score over the clip's windows."""
        return self.decision.best()

    @property
    def dominant(self) -> tuple[str, float]:
        """``best``, or "no action" (with the same score) when its mean score is under the threshold
        or under the model's background classes (app.clip_decision)."""
        return self.decision.dominant(self.threshold)

    def timeline(self) -> dict:
        """The timeline JSON document."""
        label, score = self.dominant
        return {
            "video": str(self.video), "fps": self.fps, "frames": self.frames,
            "frames_with_pose": self.frames_with_pose, "model": self.model,
            "dominant": {"label": label, "score": round(score, 4), "best": self.best[0]},
            "segments": [s.to_dict() for s in self.segments],
            "repetitions": [r.to_dict() for r in self.repetitions], "summary": self.summary(),
            "windows": self.windows,
        }

    def summary(self) -> list[dict]:
        """Per person and action: seconds, segments, repetitions."""
        return summary(self.segments, self.repetitions)

    def segments_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=["person", "start_s", "end_s", "label", "score", "reps"],
                                lineterminator="\n")
        writer.writeheader()
        for s in self.segments:
            writer.writerow(s.to_dict())
        return buf.getvalue()


def analyse_video(path: str | Path, recognizer: Recognizer | Future[Recognizer] | RecognizerLoad,
                  config: PipelineConfig | None = None, out: str | Path | None = None,
                  progress: bool = True, threaded: bool = True) -> ClipAnalysis:
    """Run the pipeline over every frame of ``path``; write the annotated video to ``out``.

    The pose stage and the classifier run side by side (:mod:`app.analysis_runner`; ``threaded=
    False``: one after the other, same results); ``recognizer`` may still be loading."""
    path = Path(path)
    source = open_source(str(path))
    config = replace(config or PipelineConfig(), live_repetitions=out is not None)  # only drawn
    builder = SegmentBuilder()
    windows: list[dict] = []
    decision: ClipDecision | None = None  # made once the model has loaded (its background classes)
    frames = with_pose = 0
    current: dict[int, ActionState] = {}
    poses = PoseRecord()
    start = time.perf_counter()
    t = 0.0
    bar = tqdm(total=source.frame_count or None, unit="frame", desc=path.name, disable=not progress,
               leave=False)
    recorder = ClipRecorder(out, source.fps or 30.0, max_backlog=8, lossless=True) if out else None
    results = analyse_frames(source, recognizer, config, keep_frames=recorder is not None, threaded=threaded)
    try:
        for frame, t, pose, states in results:
            if not frames:  # results come once the model has loaded
                preload_filters()
            poses.add(pose)
            frames += 1
            with_pose += bool(pose.present.any())
            for state in states:
                builder.add(state)
                current[state.person] = state
                if decision is None:
                    decision = ClipDecision(loaded(recognizer).background)
                decision.add(state)
                if is_absent(state):
                    continue
                windows.append({"t": round(state.t, 4), "person": state.person, "still": state.still,
                                "top": [{"label": n, "score": round(p, 4)} for n, p in state.top]})
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
    model = loaded(recognizer)
    segments = builder.finish(t)
    # a two-person model names both slots at once, as person 0
    pair = {m: 0 for m in range(config.persons or model.num_person)} if model.num_person > 1 else None
    repetitions = name_series(poses.series(), segments, pair)
    return ClipAnalysis(path, source.fps, frames, with_pose, str(model.path),
                        segments_with_reps(segments, repetitions), windows,
                        decision or ClipDecision(model.background), config.threshold,
                        time.perf_counter() - start, repetitions)


def format_segments(analysis: ClipAnalysis) -> str:
    """A plain-text table of the clip's segments."""
    lines = [f"{'person':>6}  {'start_s':>8}  {'end_s':>8}  {'score':>5}  {'reps':>4}  label"]
    for s in analysis.segments:
        lines.append(f"{s.person + 1:>6}  {s.start_s:8.2f}  {s.end_s:8.2f}  {s.score:5.2f}  {s.reps:>4}  {s.label}")
    if not analysis.segments:
        lines.append("   (no action recognised)")
    return "\n".join(lines)


def dominant_line(analysis: ClipAnalysis) -> str:
    """``dominant: label="..." score=0.123 best="..." clip=NAME``: one parseable line per clip.

    ``label`` is "no action" when the best label's mean score is under the threshold."""
    label, score = analysis.dominant
    return (f'dominant: label={_quoted(label)} score={score:.3f} best={_quoted(analysis.best[0])} '
            f'clip={printable(analysis.video.name)}')


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def printable(name: str) -> str:
    """``name`` on one line: backslashes, quotes and control characters (a newline in a file name)
    escaped as in JSON."""
    return _quoted(name)[1:-1]


def _clips(path: Path, out: str | None) -> list[Path]:
    if path.is_dir():
        clips = sorted(p for p in path.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file()
                       and not _own_output(p, out))
        if not clips:
            raise InputError(f"{path}: no video files ({', '.join(sorted(VIDEO_SUFFIXES))}) in this folder")
        return clips
    if not path.exists():
        raise InputError(f"video file or folder not found: {path}")
    return [path]


def _own_output(clip: Path, out: str | None) -> bool:
    """An annotated video that folder mode wrote (or will write) into the ``--out`` folder."""
    return out is not None and clip.name.lower().endswith(ANNOTATED) and same_file(clip.parent, out)


def _output(option: str | None, clip: Path, names: dict[Path, str] | None, suffix: str) -> Path | None:
    if option is None:
        return None
    return Path(option) / f"{names[clip]}{suffix}" if names is not None else Path(option)


def _print_model(recognizer: Recognizer) -> None:
    print(f"model {recognizer.name} ({recognizer.meta['backbone']}, {len(recognizer.class_names)} classes) "
          f"on {recognizer.device.type}; window {recognizer.window_seconds:g} s at {recognizer.fps:g} fps")


def run_cli(args: argparse.Namespace) -> int:
    """``--video``: analyse one clip or a folder of clips and write the requested outputs."""
    if is_stream_url(args.video):
        raise InputError(f"--video analyses recorded files; to watch the stream {redact_url(args.video)} "
                         "live, use --source URL")
    model = Path(args.model) if args.model else startup_model()
    if model is None:
        raise InputError("no model given and none shipped in assets/models/; pass --model CHECKPOINT")
    target = Path(args.video)
    clips = _clips(target, args.out)
    folder_mode = target.is_dir()
    names = unique_stems(clips) if folder_mode else None
    outputs = [(f"{option} file", _output(getattr(args, option.lstrip("-")), clip, names, suffix))
               for clip in clips for option, suffix in
               (("--out", ANNOTATED), ("--timeline", ".timeline.json"), ("--csv", ".segments.csv"))]
    check_outputs(outputs, [("--video", clip) for clip in clips] + [("--model", model)])
    config = config_from_args(args)
    recognizer = RecognizerLoad(model, args.device)  # loads beside the first clip's pose stage
    failed, described = 0, False
    for clip in clips:
        try:
            analysis = analyse_video(clip, recognizer, config, out=_output(args.out, clip, names, ANNOTATED))
        except InputError as err:
            if not folder_mode or recognizer.failed():
                raise  # one clip's problem is skipped in a folder; the model's is every clip's
            print(f"skipped {printable(clip.name)}: {err}")
            failed += 1
            continue
        if not described:  # the model has loaded by now
            _print_model(loaded(recognizer))
            described = True
        timeline = _output(args.timeline, clip, names, ".timeline.json")
        if timeline is not None:
            write_text(timeline, json.dumps(analysis.timeline(), indent=1) + "\n")
        table = _output(args.csv, clip, names, ".segments.csv")
        if table is not None:
            write_text(table, analysis.segments_csv())
        rate = analysis.frames / analysis.seconds if analysis.seconds > 0 else 0.0
        print(f"\n{printable(clip.name)}: {analysis.frames} frames, {analysis.frames_with_pose} with a person, "
              f"{analysis.seconds:.1f} s ({rate:.1f} fps)")
        print(format_segments(analysis))
        print("repetition series:")
        print(format_repetitions(analysis.repetitions))
        print(f"summary of {printable(clip.name)}:")
        print(format_summary(analysis.summary()))
        print(dominant_line(analysis))
    if failed == len(clips):
        raise InputError(f"none of the {len(clips)} videos in {target} could be analysed (see above)")
    return 0
