"""What a recorded clip adds up to: repetition series named by the actions recognised during them,
repetitions per segment, and totals per person and action.

The series come from the pose alone (:mod:`app.repetitions`); the label of a series is the action
whose segments overlap it longest, so labels that flicker within a series ("stand to sit", "sit to
stand") change its name, never its count. A segment's ``reps`` are the repetitions of the series
named like it that fall in it (or, outside every segment of that name, in the nearest one), so the
CSV, the ``repetitions`` list and the ``summary`` agree. Used by ``--video`` (timeline JSON, CSV and
the printed tables).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from app.repetitions import DEFAULT_SETTINGS, RepetitionSettings, Series, find_series
from app.scoring import NO_ACTION
from app.timeline import Segment
from pose.stage import FramePose


@dataclass(frozen=True)
class RepetitionRecord:
    """One series of one person, named by the action recognised during it."""

    person: int
    start_s: float
    end_s: float
    label: str
    count: int
    rep_times: tuple[float, ...]

    def to_dict(self) -> dict:
        return {"person": self.person, "start_s": round(self.start_s, 4), "end_s": round(self.end_s, 4),
                "label": self.label, "count": self.count}


class PoseRecord:
    """Every frame's joints of every person slot of a clip, for the count at its end."""

    def __init__(self) -> None:
        self._times: list[float] = []
        self._joints: list[np.ndarray] = []
        self._present: list[np.ndarray] = []

    def add(self, pose: FramePose) -> None:
        self._times.append(pose.t)
        self._joints.append(np.asarray(pose.joints3d, dtype=np.float32))
        self._present.append(np.asarray(pose.present, dtype=bool))

    def series(self, settings: RepetitionSettings = DEFAULT_SETTINGS) -> dict[int, list[Series]]:
        """The repetition series of each person slot."""
        if not self._times:
            return {}
        times, joints, present = np.array(self._times), np.stack(self._joints), np.stack(self._present)
        return {m: find_series(times, joints[:, m], present[:, m], settings) for m in range(joints.shape[1])}


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def name_series(series: dict[int, list[Series]], segments: list[Segment],
                label_person: dict[int, int] | None = None) -> list[RepetitionRecord]:
    """Each series named by the action of the segments overlapping it longest (of the same person,
    or of ``label_person[person]`` where one result covers several slots, as for a two-person
    model), "no action" when none does; ordered by start time."""
    records = []
    for person, found in series.items():
        source = (label_person or {}).get(person, person)
        for s in found:
            time_by_label: dict[str, float] = {}
            for seg in segments:
                if seg.person == source:
                    time_by_label[seg.label] = (time_by_label.get(seg.label, 0.0)
                                                + _overlap(s.start_s, s.end_s, seg.start_s, seg.end_s))
            label = max(time_by_label, key=time_by_label.get, default=NO_ACTION)
            if time_by_label.get(label, 0.0) <= 0.0:
                label = NO_ACTION
            records.append(RepetitionRecord(source, s.start_s, s.end_s, label, s.count, s.rep_times))
    return sorted(records, key=lambda r: (r.start_s, r.person))


def segments_with_reps(segments: list[Segment], records: list[RepetitionRecord]) -> list[Segment]:
    """``segments`` with ``reps``: each repetition goes to the segment of its series' person and
    label that holds it, else to the nearest such segment."""
    reps = [0] * len(segments)
    for record in records:
        mine = [i for i, seg in enumerate(segments) if seg.person == record.person and seg.label == record.label]
        for t in record.rep_times if mine else ():
            distance = [max(segments[i].start_s - t, t - segments[i].end_s, 0.0) for i in mine]
            reps[mine[int(np.argmin(distance))]] += 1
    return [replace(seg, reps=n) for seg, n in zip(segments, reps)]


def summary(segments: list[Segment], records: list[RepetitionRecord]) -> list[dict]:
    """Per person and action: total seconds, number of segments and repetitions (a series that
    no segment names is listed as "no action" with its repetitions only)."""
    rows: dict[tuple[int, str], dict] = {}

    def row(person: int, label: str) -> dict:
        return rows.setdefault((person, label), {"person": person, "label": label, "seconds": 0.0,
                                                 "segments": 0, "repetitions": 0})

    for seg in segments:
        r = row(seg.person, seg.label)
        r["seconds"] += seg.end_s - seg.start_s
        r["segments"] += 1
    for record in records:
        row(record.person, record.label)["repetitions"] += record.count
    out = sorted(rows.values(), key=lambda r: (r["person"], -r["seconds"], -r["repetitions"], r["label"]))
    for r in out:
        r["seconds"] = round(r["seconds"], 3)
    return out


def format_repetitions(records: list[RepetitionRecord]) -> str:
    """One line per series: person (from 1), when, how many, named what."""
    return "\n".join(f"  person {r.person + 1}: {r.count} repetitions {r.start_s:.2f}-{r.end_s:.2f} s "
                     f"({r.label})" for r in records) or "  (no repetitions)"


def format_summary(rows: list[dict]) -> str:
    """The summary as a plain-text table (persons numbered from 1)."""
    lines = [f"{'person':>6}  {'seconds':>8}  {'segments':>8}  {'reps':>5}  action"]
    for r in rows:
        lines.append(f"{r['person'] + 1:>6}  {r['seconds']:8.2f}  {r['segments']:>8}  {r['repetitions']:>5}  {r['label']}")
    if not rows:
        lines.append("   (nothing recognised or counted)")
    return "\n".join(lines)
