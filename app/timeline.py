"""Turn a stream of per-person action states into segments: who did what, from when to when.

A segment opens at the first result naming an action and closes at the first result that names a
different one (or "no action"), so its times are when the recogniser reported it, on the source's
clock. Its score is the mean smoothed score over its results. Used by the GUI's timeline and the
headless analysis (timeline JSON and CSV).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from app.scoring import ActionState


@dataclass
class Segment:
    """One stretch of one recognised action by one person."""

    person: int
    start_s: float
    end_s: float
    label: str
    score: float
    reps: int = 0  # repetitions counted in it (app.clip_summary), for the headless analysis

    def to_dict(self) -> dict:
        d = asdict(self)
        d["start_s"], d["end_s"], d["score"] = (round(d[k], 4) for k in ("start_s", "end_s", "score"))
        return d


@dataclass
class _Open:
    segment: Segment
    scores: list[float] = field(default_factory=list)


class SegmentBuilder:
    """Accumulates :class:`ActionState` results into closed :class:`Segment` records."""

    def __init__(self) -> None:
        self._open: dict[int, _Open] = {}
        self.closed: list[Segment] = []

    def add(self, state: ActionState) -> None:
        """Feed the next result of a person (results of one person must come in time order)."""
        current = self._open.get(state.person)
        if current is not None and current.segment.label == state.label:
            current.segment.end_s = state.t
            current.scores.append(state.score)
            current.segment.score = sum(current.scores) / len(current.scores)
            return
        if current is not None:
            self._close(state.person, state.t)
        if state.is_action:
            seg = Segment(state.person, state.t, state.t, state.label, state.score)
            self._open[state.person] = _Open(seg, [state.score])

    def person_left(self, person: int, t: float) -> None:
        """Close the person's open segment at ``t`` (they are no longer seen)."""
        if person in self._open:
            self._close(person, t)

    def finish(self, t_end: float) -> list[Segment]:
        """Close every open segment at ``t_end`` and return all segments ordered by start."""
        for person in list(self._open):
            self._close(person, max(t_end, self._open[person].segment.end_s))
        return self.segments()

    def open_segments(self) -> list[Segment]:
        """Segments still running (their end is the latest result so far)."""
        return [o.segment for o in self._open.values()]

    def drop_before(self, t: float) -> None:
        """Forget closed segments that ended before ``t`` (keeps a live timeline bounded)."""
        self.closed = [s for s in self.closed if s.end_s >= t]

    def segments(self) -> list[Segment]:
        return sorted(self.closed, key=lambda s: (s.start_s, s.person))

    def _close(self, person: int, t: float) -> None:
        done = self._open.pop(person).segment
        done.end_s = max(t, done.start_s)
        self.closed.append(done)
