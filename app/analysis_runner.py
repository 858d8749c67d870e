"""Offline analysis at the pose stage's own speed: the classifier runs beside the pose stage.

    pose.stream (decode, MediaPipe, tracking) ──poses──> caller's thread: windows, results in order
                                                           │ groups of windows        ^ states
                                                           v                          │
                                                         classifier thread ───────────┘

MediaPipe keeps one core busy; decoding, tracking and the classifier share the other. Nothing is
dropped: every frame comes out, in order, with the states of the window cut at it.

Start-up. The recogniser may still be loading (a ``Future``, or a :class:`app.recognizer_loader.
RecognizerLoad`, started here right after the pose worker): the pose stage starts on the first
frames anyway and their poses wait until it is ready. Its person
slots are then ``config.persons``, or one; a two-person model found once it has loaded restarts
the clip with two (before any result came out, so callers never notice).

Batches. Windows are scored in groups of up to :data:`BATCH_WINDOWS` consecutive windows, one
forward pass per group (several windows are waiting whenever the classifier is behind, e.g. after
start-up). The grouping depends on the clip alone, never on timing: a batched forward pass is not
bit-identical to one window at a time (convolution kernels depend on the batch size; differences
of 1e-9..1e-7), so a grouping that followed the queue would make results vary from run to run.
This way the threaded run gives exactly the serial run's results (``threaded=False``: everything
on the caller's thread, same grouping), and ``batch=1`` exactly those of
:meth:`app.pipeline.ActionPipeline.step` frame by frame.
"""
from __future__ import annotations

import collections
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, NamedTuple

import numpy as np

from app.pipeline import ActionPipeline, PipelineConfig
from app.recognizer_loader import RecognizerLoad
from app.scoring import ActionState
from app.windowing import Window
from core.handover import Handover, start_thread
from pose.stage import FramePose, PoseStage
from pose.stream import PoseStream

if TYPE_CHECKING:
    from app.recognizer import Recognizer

BATCH_WINDOWS = 4
"""Windows scored in one forward pass at most (CTR-GCN on this CPU: 17.3 ms per window alone,
15.8 ms in fours)."""

GROUP_FRAMES = 32
"""A group is scored once it has BATCH_WINDOWS windows or spans this many frames (a long stride
or a stretch with nobody in view must not hold results back)."""

MAX_HELD_FRAMES = 64
"""With frames kept (for the annotated video), at most about this many wait for their states
before the pose stage is held back (memory stays bounded)."""


class FrameResult(NamedTuple):
    """One analysed frame."""

    frame: np.ndarray | None  # the BGR frame (only with keep_frames)
    t: float
    pose: FramePose
    states: list[ActionState]  # of the window cut at this frame (most frames: none)


@dataclass
class _Record:
    frame: np.ndarray | None
    pose: FramePose
    window: int | None = None  # number of the window cut at this frame
    states: list[ActionState] = field(default_factory=list)


class _WrongPersons(Exception):
    def __init__(self, persons: int) -> None:
        super().__init__(persons)
        self.persons = persons


def loaded(recognizer: Recognizer | Future[Recognizer] | RecognizerLoad) -> Recognizer:
    """The recogniser, waiting for it (and raising its loading error) while it loads."""
    if isinstance(recognizer, RecognizerLoad):
        recognizer = recognizer.start()
    return recognizer.result() if isinstance(recognizer, Future) else recognizer


def _if_loaded(recognizer: Recognizer | Future[Recognizer] | RecognizerLoad) -> Recognizer | None:
    """The recogniser if it is there already (raising its loading error), else None."""
    if isinstance(recognizer, RecognizerLoad):
        recognizer = recognizer.future
    if isinstance(recognizer, Future):
        return recognizer.result() if recognizer.done() else None
    return recognizer


def analyse_frames(frames: Iterable[tuple[np.ndarray, float]],
                   recognizer: Recognizer | Future[Recognizer] | RecognizerLoad,
                   config: PipelineConfig, *, keep_frames: bool = False, threaded: bool = True,
                   batch: int = BATCH_WINDOWS,
                   make_pose_stage: Callable[[int], PoseStage] = PoseStage) -> Iterator[FrameResult]:
    """Every frame of ``frames`` (re-iterable: a video source) through the pose stage, windows and
    recogniser, in order. ``keep_frames`` passes the frames on (for drawing); ``make_pose_stage``
    builds the pose stage for a number of person slots (the default's MediaPipe estimator runs
    in a worker process for a video file, :mod:`pose.stream`)."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    known = _if_loaded(recognizer)
    persons = config.persons or (known.num_person if known is not None else 1)
    while True:
        run = _Run(frames, recognizer, config, make_pose_stage(persons), keep_frames, threaded, batch)
        try:
            yield from run.results()
            return
        except _WrongPersons as wrong:
            persons = wrong.persons


class _Run:
    """One pass over the frames with a given number of person slots."""

    def __init__(self, frames, recognizer, config: PipelineConfig, stage: PoseStage, keep_frames: bool,
                 threaded: bool, batch: int) -> None:
        self.frames, self.recognizer, self.config, self.stage = frames, recognizer, config, stage
        self.keep_frames, self.threaded, self.batch = keep_frames, threaded, batch
        self.pipeline: ActionPipeline | None = None
        self.unwindowed: collections.deque[_Record] = collections.deque()  # the model is loading
        self.pending: collections.deque[_Record] = collections.deque()  # windowed, not yet out
        self.group: list[Window] = []
        self.group_start = 0  # frame number of the group's first window
        self.windowed = self.windows_cut = 0
        self.scored: dict[int, list[ActionState]] = {}  # window number -> states
        self.stop = threading.Event()
        self.to_classifier: Handover = Handover(self.stop)  # (first window number, windows), then None
        self.from_classifier: Handover = Handover(self.stop)  # (first window number, their states)

    def results(self) -> Iterator[FrameResult]:
        classifier = start_thread(self._classify, "analysis-classifier") if self.threaded else None
        try:
            with PoseStream(self.frames, self.stage, keep_frames=self.keep_frames, threaded=self.threaded) as poses:
                if isinstance(self.recognizer, RecognizerLoad):  # after the pose worker, not before
                    self.recognizer.start()
                for frame, pose in poses:
                    self.unwindowed.append(_Record(frame, pose))
                    self._window(block=self.keep_frames and len(self.unwindowed) >= MAX_HELD_FRAMES)
                    yield from self._ready(block=False)
                    while self.keep_frames and len(self.pending) >= MAX_HELD_FRAMES and self._can_wait():
                        yield from self._ready(block=True, one=True)
            self._window(block=True)
            self._send_group()
            self.to_classifier.put(None)  # no more groups
            yield from self._ready(block=True)
            if self.pending:
                raise RuntimeError("the classifier stopped before scoring every window")
        finally:
            self.stop.set()
            if classifier is not None:
                classifier.join()
            self.stage.close()

    def _classify(self) -> None:
        """Classifier thread: score each group sent, in order."""
        def scored():
            for item in self.to_classifier:
                if item is None:
                    return
                first, windows = item
                yield first, self.pipeline.recognise_many(windows)
        self.from_classifier.pump(scored())

    def _window(self, block: bool) -> None:
        """Once the recogniser is there (waiting for it with ``block``), cut the windows of the
        frames posed so far and send full groups to the classifier."""
        if self.pipeline is None:
            if not block and _if_loaded(self.recognizer) is None:
                return
            recognizer = loaded(self.recognizer)
            if self.config.persons is None and recognizer.num_person != self.stage.persons:
                raise _WrongPersons(recognizer.num_person)  # no frame has come out yet
            self.pipeline = ActionPipeline(recognizer, self.config, pose_stage=self.stage)
        while self.unwindowed:
            record = self.unwindowed.popleft()
            window = self.pipeline.add_pose(record.pose)
            if window is not None:
                if not self.group:
                    self.group_start = self.windowed
                record.window = self.windows_cut
                self.windows_cut += 1
                self.group.append(window)
            self.windowed += 1
            self.pending.append(record)
            if self.group and (len(self.group) >= self.batch or self.windowed - self.group_start >= GROUP_FRAMES):
                self._send_group()

    def _send_group(self) -> None:
        if not self.group:
            return
        first = self.windows_cut - len(self.group)
        if self.threaded:
            self.to_classifier.put((first, self.group))
        else:
            self._store(first, self.pipeline.recognise_many(self.group))
        self.group = []

    def _store(self, first: int, states: list[list[ActionState]]) -> None:
        for k, window_states in enumerate(states):
            self.scored[first + k] = window_states

    def _can_wait(self) -> bool:
        """Whether the oldest held frame waits for a group already sent (so waiting ends)."""
        front = self.pending[0] if self.pending else None
        return front is not None and (front.window is None
                                      or front.window < self.windows_cut - len(self.group))

    def _ready(self, block: bool, one: bool = False) -> Iterator[FrameResult]:
        """The frames whose states are known, in order; with ``block``, wait for the states of
        groups already sent (``one``: only until one more frame came out)."""
        while self.pending:
            record = self.pending[0]
            if record.window is not None and record.window not in self.scored:
                if self._collect(block=False):
                    continue
                if not (block and self._can_wait()) or not self._collect(block=True):
                    return
                continue
            self.pending.popleft()
            states = self.scored.pop(record.window) if record.window is not None else []
            yield FrameResult(record.frame, record.pose.t, record.pose, states)
            if one:
                return

    def _collect(self, block: bool) -> bool:
        """Take one scored group from the classifier thread; False when none came."""
        if not self.threaded:
            return False
        ok, item = self.from_classifier.take(block)
        if ok:
            self._store(*item)
        return ok
