"""Score checkpoints on a folder of labelled videos: ``python main.py --eval --checkpoint C --data VIDEOS``.

Real footage is what the app meets, so a model is judged on it as the user runs it: every clip goes
through the same pose stage, windows, smoothing and clip decision as ``python main.py --video`` (the
clip's dominant label; "no action" when nothing scores high enough), and is right when that label is
the expected one. A folder of labelled videos is either

* a ``labels.csv`` with columns ``file,label[,pattern]`` (more columns are ignored): ``label`` is the
  expected action, ``pattern`` an optional case-insensitive regular expression that a right class
  name matches (so models with other class names can be scored); label "no action" (or an empty
  pattern and label) marks a clip on which nothing should be named; or
* one sub-folder per action holding its videos (the folder name is the label; a folder named
  ``no action`` holds clips on which nothing should be named).

Each clip also reports the share of its windows whose own label (as the live view shows it) is
right: a finer measure than the clip's one decision. A predicted class also matches the expected label when the checkpoint lists that label among the
dataset classes the class stands for (``label_aliases`` of a model trained on merged datasets).
MediaPipe runs once per video; its output is cached outside the folder (:mod:`app.pose_cache`), so
a second evaluation, of this or another checkpoint, only replays it. Several checkpoints are each
scored on their own. Any other ``--data`` goes to the skeleton-dataset evaluation
(:mod:`model.evaluate`).
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from app import pose_cache
from app.clip_decision import ClipDecision
from app.pipeline import ActionPipeline, PipelineConfig, config_from_args
from app.recognizer import Recognizer
from app.scoring import NO_ACTION
from core.atomic import write_text
from core.errors import InputError
from pose.recorded import ReplayEstimator, replay_frames
from pose.stage import PoseStage

VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"}
LABELS_FILE = "labels.csv"
_NEGATIVE = {"no action", "none", ""}


@dataclass(frozen=True)
class LabelledClip:
    """A video and what should be named on it (``NO_ACTION`` for a clip with no known action)."""

    path: Path
    label: str
    pattern: str = ""  # a regular expression a right class name matches; "" to compare names

    @property
    def negative(self) -> bool:
        return self.label.strip().lower() in _NEGATIVE

    def accepts(self, got: str, aliases: dict[str, list[str]]) -> bool:
        """True when ``got`` (a class name or "no action") is a right answer for this clip."""
        if self.negative:
            return got == NO_ACTION
        if got == NO_ACTION:
            return False
        if self.pattern:
            return re.search(self.pattern, got, re.IGNORECASE) is not None
        wanted = self.label.strip().lower()
        return got.strip().lower() == wanted or wanted in (a.strip().lower() for a in aliases.get(got, ()))


def _videos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
                  and not p.name.startswith("."))


def _read_labels_csv(folder: Path) -> list[LabelledClip]:
    path = folder / LABELS_FILE
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise InputError(f"{path}: cannot read it as CSV ({err})") from None
    if not rows or not {"file", "label"} <= set(rows[0]):
        raise InputError(f"{path}: needs a header with the columns file,label[,pattern]")
    clips = []
    for number, row in enumerate(rows, start=2):
        name, label, pattern = (row.get(k) or "" for k in ("file", "label", "pattern"))
        if not name.strip():
            raise InputError(f"{path} line {number}: no file name")
        video = folder / name.strip()
        if not video.is_file():
            raise InputError(f"{path} line {number}: {name.strip()} is not a file in {folder}")
        try:
            re.compile(pattern)
        except re.error as err:
            raise InputError(f"{path} line {number}: pattern {pattern!r} is not a regular expression ({err})") from None
        clips.append(LabelledClip(video, label.strip() or NO_ACTION, pattern.strip()))
    return clips


def find_labelled_videos(folder: str | Path) -> list[LabelledClip] | None:
    """The labelled clips of ``folder``, or None when it is not a folder of labelled videos."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    if (folder / LABELS_FILE).is_file():
        return _read_labels_csv(folder)
    subs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    clips = [LabelledClip(video, sub.name) for sub in subs for video in _videos(sub)]
    return clips or None


def decide_clip(recognizer: Recognizer, recording: dict, config: PipelineConfig) -> ClipDecision:
    """Replay a MediaPipe recording through the app's pipeline and return the clip's decision
    (the same as ``--video`` gives for the recorded video)."""
    persons = config.persons or recognizer.num_person
    stage = PoseStage(persons=persons, estimator=ReplayEstimator(recording))
    pipeline = ActionPipeline(recognizer, replace(config, live_repetitions=False), pose_stage=stage)
    decision = ClipDecision(recognizer.background)
    for frame, t in replay_frames(recording):
        _, states = pipeline.step(frame, t)
        for state in states:
            decision.add(state)
    pipeline.close()
    return decision


def evaluate_videos(checkpoint: str | Path, clips: list[LabelledClip], config: PipelineConfig,
                    device: str = "auto", progress: bool = False) -> dict:
    """Per-clip results and totals of one checkpoint on ``clips``."""
    recognizer = Recognizer(checkpoint, device)
    aliases = {k: list(v) for k, v in (recognizer.meta.get("label_aliases") or {}).items()}
    persons = config.persons or recognizer.num_person
    results = []
    for clip in clips:
        recording, _ = pose_cache.landmarks(clip.path, persons, progress=progress)
        decision = decide_clip(recognizer, recording, config)
        got, score = decision.dominant(config.threshold)
        best, runner = decision.best(), decision.runner_up()
        results.append({"file": clip.path.name, "expected": NO_ACTION if clip.negative else clip.label,
                        "got": got, "score": round(score, 4), "best": best[0],
                        "runner_up": runner[0], "runner_up_score": round(runner[1], 4),
                        "background_score": round(decision.background_score(), 4),
                        "right": clip.accepts(got, aliases),
                        "window_share": round(sum(clip.accepts(label, aliases) for label in decision.labels)
                                              / max(1, len(decision.labels)), 4)})
    positives = [r for r in results if r["expected"] != NO_ACTION]
    return {"checkpoint": str(checkpoint), "clips": results, "n": len(results),
            "right": sum(r["right"] for r in results),
            "actions": {"n": len(positives), "right": sum(r["right"] for r in positives)},
            "window_share": round(sum(r["window_share"] for r in results) / max(1, len(results)), 4),
            "no_action": {"n": len(results) - len(positives),
                          "right": sum(r["right"] for r in results if r["expected"] == NO_ACTION)},
            "threshold": config.threshold}


def format_table(report: dict) -> str:
    """The per-clip table of one checkpoint's report."""
    rows = [("clip", "expected", "got", "best action", "score", "runner-up", "windows right", "")]
    for r in report["clips"]:
        rows.append((r["file"], r["expected"], r["got"], r["best"], f"{r['score']:.2f}",
                     f"{r['runner_up']} {r['runner_up_score']:.2f}", f"{r['window_share']:.0%}",
                     "ok" if r["right"] else "WRONG"))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip() for row in rows)


def run_cli(args: argparse.Namespace) -> int:
    """``--eval``: a folder of labelled videos is scored here, anything else by model.evaluate."""
    clips = find_labelled_videos(args.data) if args.data else None
    if clips is None:
        for option in ("persons", "stride", "threshold"):
            if getattr(args, option, None) is not None:
                raise InputError(f"--{option} only applies to --eval on a folder of labelled videos "
                                 f"({args.data} holds skeleton files)")
        from model.evaluate import run_cli as evaluate_skeletons

        return evaluate_skeletons(args)
    if not args.checkpoint:
        raise InputError("--eval needs --checkpoint CKPT [CKPT ...]")
    config = config_from_args(args)
    reports = []
    for checkpoint in args.checkpoint:
        report = evaluate_videos(checkpoint, clips, config, args.device, progress=sys.stderr.isatty())
        reports.append(report)
        print(f"\n{checkpoint}:\n{format_table(report)}")
        print(f"actions {report['actions']['right']}/{report['actions']['n']}, "
              f"no action {report['no_action']['right']}/{report['no_action']['n']}; "
              f"windows labelled right {report['window_share']:.1%} (mean over clips)")
    if args.json:
        write_text(args.json, json.dumps(reports if len(reports) > 1 else reports[0], indent=1) + "\n")
    for report in reports:
        suffix = f" checkpoint={report['checkpoint']}" if len(reports) > 1 else ""
        print(f"clips={report['n']} right={report['right']}{suffix}")
    return 0
