"""The real-time engine: capture, pose and inference on worker threads, never behind the camera.

    capture thread ──frames (1, drop oldest)──> pose thread ──windows (1, drop oldest)──> inference
                                                   │                                      thread
                                                   └──> newest annotated frame      newest action states
                                                        (for the screen)            (for panel/timeline)

Each hand-over keeps only the newest item, so when pose or inference is slower than the camera
the stale frames are dropped instead of queueing up: what is on screen is at most one frame old.
Video files are paced to real time, like a camera. Any front end drives it: ``start``, then on
each ``on_event`` notification (called from worker threads) pull ``latest_frame`` /
``take_actions`` / ``take_errors``; ``stop`` ends it. Subscribers see every processed frame.
"""
from __future__ import annotations

import collections
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import cv2
import numpy as np

from app.metrics import RateMeter
from app.overlay import draw_overlay, scaled
from app.pipeline import ActionPipeline
from app.queues import Closed, DropOldestQueue
from app.scoring import ActionState
from core.errors import InputError
from pose.stage import FramePose


@dataclass
class LiveFrame:
    """One frame after the pose stage, ready to show."""

    index: int  # position in the source (frames skipped by dropping leave gaps)
    t: float  # source time, seconds
    captured: float  # time.perf_counter() when the frame was read
    frame: np.ndarray  # the original BGR frame
    pose: FramePose
    display: np.ndarray  # RGB, annotated, at most ``display_width`` wide
    actions: dict[int, ActionState] = field(default_factory=dict)  # states drawn on it


EventCallback = Callable[[str], None]  # "frame", "actions", "error", "ended"


class RealtimeEngine:
    """Runs ``pipeline`` over ``frames`` (an iterable of (BGR frame, t seconds)) on worker threads.

    ``pace``: sleep so that frames are released at their timestamps (files); False for cameras,
    which pace themselves. ``display_width`` bounds the size of the annotated frame.
    """

    def __init__(self, frames: Iterable[tuple[np.ndarray, float]], pipeline: ActionPipeline,
                 on_event: EventCallback | None = None, pace: bool = False,
                 display_width: int = 960) -> None:
        self.pipeline = pipeline
        self._frames = frames
        self._on_event = on_event or (lambda kind: None)
        self.pace = pace
        self.display_width = display_width
        self._stop = threading.Event()
        self._to_pose: DropOldestQueue = DropOldestQueue(1)
        self._to_inference: DropOldestQueue = DropOldestQueue(1)
        self._display: DropOldestQueue[LiveFrame] = DropOldestQueue(1)
        self._lock = threading.Lock()
        self._actions: collections.deque[ActionState] = collections.deque(maxlen=256)
        self._current: dict[int, ActionState] = {}
        self._errors: collections.deque[str] = collections.deque(maxlen=16)
        self._frame_subscribers: list[Callable[[LiveFrame], None]] = []
        self._capture_subscribers: list[Callable[[np.ndarray, float], None]] = []
        self.capture_rate, self.pose_rate, self.label_rate = RateMeter(), RateMeter(), RateMeter()
        self.pose_seconds = 0.0
        self.ended = False
        self._threads: list[threading.Thread] = []

    # --- front-end API --------------------------------------------------------------------------

    def start(self) -> None:
        for name, target in (("capture", self._capture_loop), ("pose", self._pose_loop),
                             ("inference", self._inference_loop)):
            th = threading.Thread(target=self._guarded(target), name=f"engine-{name}", daemon=True)
            self._threads.append(th)
            th.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Stop all threads, waiting up to ``timeout`` s for each. The capture thread closes the
        source and the pose thread the pose stage when they end (each owns what it uses)."""
        self._stop.set()
        for q in (self._to_pose, self._to_inference, self._display):
            q.close()
        for th in self._threads:
            th.join(timeout)
        if not self._threads:  # never started: nothing else will release them
            self._close_source()
            self.pipeline.close()

    @property
    def running(self) -> bool:
        return any(th.is_alive() for th in self._threads)

    def latest_frame(self) -> LiveFrame | None:
        """The newest processed frame not yet taken (older ones are dropped as stale)."""
        return self._display.get_latest()

    def take_actions(self) -> list[ActionState]:
        """Action states produced since the last call, in order."""
        with self._lock:
            out = list(self._actions)
            self._actions.clear()
        return out

    def current_actions(self) -> dict[int, ActionState]:
        with self._lock:
            return dict(self._current)

    def take_errors(self) -> list[str]:
        with self._lock:
            out = list(self._errors)
            self._errors.clear()
        return out

    def subscribe_frames(self, callback: Callable[[LiveFrame], None]) -> None:
        """Call ``callback`` on the pose thread with every processed frame (pose + original)."""
        self._frame_subscribers.append(callback)

    def unsubscribe_frames(self, callback: Callable[[LiveFrame], None]) -> None:
        if callback in self._frame_subscribers:
            self._frame_subscribers.remove(callback)

    def subscribe_capture(self, callback: Callable[[np.ndarray, float], None]) -> None:
        """Call ``callback(frame, t)`` on the capture thread with every frame read (none dropped)."""
        self._capture_subscribers.append(callback)

    def unsubscribe_capture(self, callback: Callable[[np.ndarray, float], None]) -> None:
        if callback in self._capture_subscribers:
            self._capture_subscribers.remove(callback)

    @property
    def dropped_frames(self) -> int:
        return self._to_pose.dropped

    # --- worker threads -------------------------------------------------------------------------

    def _guarded(self, loop: Callable[[], None]) -> Callable[[], None]:
        """Run a worker loop; a failure becomes an error message for the front end, not a crash."""
        def run() -> None:
            try:
                loop()
            except Closed:
                pass
            except InputError as err:
                self._report_error(str(err))
            except Exception as err:  # a bug: say so in the window and keep the window alive
                traceback.print_exc()
                self._report_error(f"internal error in {loop.__name__.strip('_')}: {err!r}")
        return run

    def _report_error(self, message: str) -> None:
        with self._lock:
            self._errors.append(message)
        self._stop.set()
        for q in (self._to_pose, self._to_inference):
            q.close()
        self._on_event("error")

    def _paced(self) -> Iterator[tuple[np.ndarray, float]]:
        start_wall = start_t = None
        for frame, t in self._frames:
            if self._stop.is_set():
                return
            if self.pace:
                if start_wall is None or t < start_t:  # first frame, or the source restarted
                    start_wall, start_t = time.perf_counter(), t
                delay = start_wall + (t - start_t) - time.perf_counter()
                if delay > 0:
                    self._stop.wait(delay)
            yield frame, t

    def _close_source(self) -> None:
        close = getattr(self._frames, "close", None)
        if close is not None:
            close()

    def _capture_loop(self) -> None:
        index = -1
        try:
            for index, (frame, t) in enumerate(self._paced()):
                captured = time.perf_counter()
                self.capture_rate.tick()
                for callback in list(self._capture_subscribers):
                    callback(frame, t)
                self._to_pose.put((index, t, captured, frame))
        finally:
            self._to_pose.close()
            self._close_source()
        if not self._stop.is_set():
            self.ended = True
            if index < 0:
                self._report_error("the source delivered no frames")
            self._on_event("ended")

    def _pose_loop(self) -> None:
        try:
            while not self._stop.is_set():
                item = self._to_pose.get(timeout=0.5)
                if item is None:
                    continue
                index, t, captured, frame = item
                start = time.perf_counter()
                pose, window = self.pipeline.observe(frame, t)
                self.pose_seconds = time.perf_counter() - start
                self.pose_rate.tick()
                if window is not None:
                    self._to_inference.put(window)
                live = self._render(index, t, captured, frame, pose)
                for callback in list(self._frame_subscribers):
                    callback(live)
                self._display.put(live)
                self._on_event("frame")
        finally:
            self._to_inference.close()
            self.pipeline.close()

    def _inference_loop(self) -> None:
        while not self._stop.is_set():
            window = self._to_inference.get(timeout=0.5)
            if window is None:
                continue
            states = self.pipeline.recognise(window)
            self.label_rate.tick()
            with self._lock:
                self._actions.extend(states)
                self._current.update({s.person: s for s in states})
            self._on_event("actions")

    def _render(self, index: int, t: float, captured: float, frame: np.ndarray,
                pose: FramePose) -> LiveFrame:
        image, scale = scaled(frame, self.display_width)
        actions = self.current_actions()
        draw_overlay(image, pose, actions, scale)
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        return LiveFrame(index, t, captured, frame, pose, rgb, actions)
