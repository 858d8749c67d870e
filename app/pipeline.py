"""The recognition pipeline as plain synchronous steps, shared by the live engine and offline analysis.

``observe`` runs the pose stage on a frame and feeds the per-person windows; ``recognise`` scores a
window, smooths the scores and applies the "no action" rule. Offline analysis calls both for every
frame in order; the real-time engine runs them on two worker threads.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from app.repetitions import RepetitionCounter
from app.scoring import NO_ACTION, ActionState, ScoreSmoother, decide, joint_motion
from app.windowing import Window, WindowBuffer
from core.errors import InputError
from pose.stage import FramePose, PoseStage

if TYPE_CHECKING:  # the recogniser brings torch, which a pipeline without one does not need
    from app.recognizer import Recognizer


@dataclass
class PipelineConfig:
    """Tunable behaviour of the pipeline (the GUI's threshold slider edits ``threshold`` live)."""

    stride_seconds: float = 0.25  # a new window (and label update) this often
    threshold: float = 0.4  # below this smoothed top score the label is "no action"
    still_threshold: float = 0.15  # fastest joint slower than this (m/s) means "still"
    motion_seconds: float = 1.0  # the recent part of a window used to judge stillness
    smoothing: float = 0.5  # weight of the newest window in the moving average (1 = none)
    persons: int | None = None  # person slots to track (default: the model's num_person)
    min_fill: float = 0.5  # fraction of the window that must be covered before the first result
    live_repetitions: bool = True  # count each person's repetitions as they go (ActionState.reps)


def config_from_args(args) -> PipelineConfig:
    """The pipeline settings given on the command line (``--persons``, ``--stride``, ``--threshold``),
    checked: a stride that is not positive or a threshold outside 0..1 is an InputError."""
    config = PipelineConfig(persons=args.persons)
    if args.stride is not None:
        if not 0 < args.stride < float("inf"):
            raise InputError(f"--stride must be a positive number of seconds, got {args.stride}")
        config.stride_seconds = args.stride
    if args.threshold is not None:
        if not 0.0 <= args.threshold <= 1.0:
            raise InputError(f"--threshold must be between 0 and 1, got {args.threshold}")
        config.threshold = args.threshold
    return config


def absent_state(person: int, t: float) -> ActionState:
    """The state reported for a tracked slot with nobody in it."""
    return ActionState(person, t, NO_ACTION, 0.0, (), 0.0, True)


def is_absent(state: ActionState) -> bool:
    return not state.top


class ActionPipeline:
    """Pose stage, windows and recogniser (optional: without it the pipeline tracks poses only)."""

    def __init__(self, recognizer: Recognizer | None, config: PipelineConfig | None = None,
                 pose_stage: PoseStage | None = None) -> None:
        self.config = config or PipelineConfig()
        self.persons = self.config.persons or (recognizer.num_person if recognizer else 1)
        self.pose_stage = pose_stage or PoseStage(persons=self.persons)
        self._arriving: Recognizer | None = None
        self._use(recognizer)

    def _use(self, recognizer: Recognizer | None) -> None:
        self.recognizer = recognizer
        window_seconds = recognizer.window_seconds if recognizer else 1.0
        fps = recognizer.fps if recognizer else 30.0
        self.windows = WindowBuffer(self.persons, window_seconds, fps, self.config.stride_seconds,
                                    min_fill=self.config.min_fill)
        self.smoother = ScoreSmoother(alpha=self.config.smoothing)
        self.repetitions = ([RepetitionCounter() for _ in range(self.persons)]
                            if self.config.live_repetitions else [])

    def fits(self, recognizer: Recognizer) -> bool:
        """Whether ``recognizer`` can take over without other person slots in the pose stage."""
        return (self.config.persons or recognizer.num_person) == self.persons

    def attach(self, recognizer: Recognizer) -> None:
        """Start recognising with ``recognizer`` in a pipeline built without one (the GUI starts
        showing poses while the model loads): windows are cut for it from the next pose on. May be
        called from any thread while another one runs :meth:`observe`."""
        if self.recognizer is not None or not self.fits(recognizer):
            raise ValueError("attach needs a pipeline without a recogniser and with the model's person slots")
        self._arriving = recognizer

    def observe(self, frame: np.ndarray, t: float) -> tuple[FramePose, Window | None]:
        """Pose of ``frame`` at source time ``t``, and a window to recognise when one is due."""
        pose = self.pose_stage.process(frame, t)
        return pose, self.add_pose(pose)

    def add_pose(self, pose: FramePose) -> Window | None:
        """Feed one frame's pose (from this pipeline's pose stage) to the windows and repetition
        counters; the window to recognise when one is due."""
        if self._arriving is not None:  # taken over on the thread that feeds the windows
            arriving, self._arriving = self._arriving, None
            self._use(arriving)
        self.windows.push(pose.t, pose.joints3d, pose.present)
        for m, counter in enumerate(self.repetitions):
            counter.push(pose.t, pose.joints3d[m], bool(pose.present[m]))
        if self.recognizer is not None and self.windows.due(pose.t):
            return self.windows.cut()
        return None

    def recognise(self, window: Window) -> list[ActionState]:
        """Smoothed, thresholded states for every person slot at the window's end time."""
        return self.recognise_many([window])[0]

    def recognise_many(self, windows: list[Window]) -> list[list[ActionState]]:
        """:meth:`recognise` for consecutive windows, all scored in one forward pass; smoothing
        runs through them in order, as if they had been recognised one by one."""
        rec = self.recognizer
        subjects = [rec.subjects(window) for window in windows]
        probs = rec.predict([s.sample for group in subjects for s in group])
        states, start = [], 0
        for window, group in zip(windows, subjects):
            states.append(self._decide(window, group, probs[start:start + len(group)]))
            start += len(group)
        return states

    def _decide(self, window: Window, subjects: list, probs: np.ndarray) -> list[ActionState]:
        """States of every reported slot for one window, from its subjects' probabilities."""
        rec = self.recognizer
        recent = window.skeleton[:, -max(2, int(round(self.config.motion_seconds * window.fps))):]
        states: dict[int, ActionState] = {}
        for subject, p in zip(subjects, probs):
            smoothed = self.smoother.update(subject.person, window.t, p)
            slots = range(window.present.size) if rec.num_person > 1 else [subject.person]
            motion = max(joint_motion(recent, window.fps, m) for m in slots if window.present[m])
            state = decide(subject.person, window.t, smoothed, rec.class_names, self.config.threshold,
                           motion, self.config.still_threshold, background=rec.background)
            if self.repetitions:
                state = replace(state, reps=max(self.repetitions[m].update(window.t)
                                                for m in slots if window.present[m]))
            states[subject.person] = state
        reported = range(1) if rec.num_person > 1 else range(self.persons)
        for m in reported:
            if m not in states:
                self.smoother.forget(m)
                states[m] = absent_state(m, window.t)
        return [states[m] for m in sorted(states)]

    def step(self, frame: np.ndarray, t: float) -> tuple[FramePose, list[ActionState]]:
        """Both stages in order, for offline analysis (every frame, nothing dropped)."""
        pose, window = self.observe(frame, t)
        return pose, (self.recognise(window) if window is not None else [])

    def close(self) -> None:
        self.pose_stage.close()
