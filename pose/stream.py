"""The pose stage over a whole stream of frames, with MediaPipe beside the rest instead of before it.

    video file:    worker process (decode, MediaPipe) ──people──> caller (tracking, mapping, smoothing)
    other frames:  reader thread ──frames──> estimator thread ──people──> caller's thread

For offline work (``--video``, ``--convert``, extracting teaching clips): MediaPipe keeps one core
busy and everything else runs on the other. For a video file read by the MediaPipe estimator,
decoding and estimation run in a worker process of their own, so that the Python work after them
(mapping, tracking, smoothing, the classifier: a few milliseconds per frame, holding the
interpreter lock) never makes MediaPipe wait for the lock, which it needs several times per frame
(measured on 400 frames: threads in one process took 1.17x MediaPipe's time for the pose stage,
1.3x with the classifier). Other frame sources, and estimators given to the stage, run on threads
of this process. The workers start as soon as the stream is made, so that a caller can start
other slow work (loading a model) after them. While a worker process runs, its MediaPipe thread
has cores to itself, and its decoder and every thread of the caller run on the others
(:mod:`core.affinity`: 0.84 s less for an 824-frame clip on this 2-core machine).

Nothing is dropped (the hand-overs wait when full, so memory stays bounded); the estimator sees
the frames in order and tracking runs in order on the caller's thread, so the poses are exactly
those of :meth:`pose.stage.PoseStage.process` frame by frame (``threaded=False`` does just that).
"""
from __future__ import annotations

import multiprocessing
import sys
import threading
from typing import Iterable, Iterator

import numpy as np

from core import affinity, native_logs
from core.errors import InputError
from core.handover import Handover, start_thread
from core.video import VideoReader
from pose.stage import FramePose, PoseStage

FRAMES_AHEAD = 4
"""Decoded frames waiting for the estimator."""

POSES_AHEAD = 32
"""Estimated frames waiting for tracking (the caller may pause, e.g. while a model loads)."""

SWITCH_INTERVAL_S = 0.001
"""Python's thread switch interval while an estimator thread runs here. MediaPipe needs the
interpreter lock briefly several times per frame; at the default 5 ms each of those waits can cost
it up to 5 ms when another thread is busy in Python (measured: 1.9 s alone, 4.3 s beside a busy
thread at 5 ms, 2.3 s at 1 ms for 200 frames)."""


class PoseStream:
    """``(frame or None, FramePose)`` for every ``(frame_bgr, t)`` of ``frames``, in order, when
    iterated; ``close()`` (or leaving a ``with`` block) stops the workers.

    ``keep_frames``: pass each frame on (else None, so frames are freed as soon as they are
    estimated). The stage is used, not closed."""

    def __init__(self, frames: Iterable[tuple[np.ndarray, float]], stage: PoseStage, *,
                 keep_frames: bool = False, threaded: bool = True) -> None:
        self.stage = stage
        if not threaded:
            self._estimates = _InLine(frames, stage, keep_frames)
        elif isinstance(frames, VideoReader) and not stage.given_estimator:
            self._estimates = _InProcess(frames, stage, keep_frames)
        else:
            self._estimates = _InThreads(frames, stage, keep_frames)

    def __iter__(self) -> Iterator[tuple[np.ndarray | None, FramePose]]:
        for people, size, frame, t in self._estimates:
            yield frame, self.stage.track(people, size, t)

    def close(self) -> None:
        self._estimates.close()

    def __enter__(self) -> "PoseStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _InLine:
    """Estimates on the caller's thread: exactly :meth:`PoseStage.process`, frame by frame."""

    def __init__(self, frames, stage: PoseStage, keep_frames: bool) -> None:
        self.frames, self.stage, self.keep_frames = frames, stage, keep_frames

    def __iter__(self) -> Iterator[tuple]:
        for frame, t in self.frames:
            yield (self.stage.estimator.estimate(frame), (frame.shape[1], frame.shape[0]),
                   frame if self.keep_frames else None, t)

    def close(self) -> None:
        """Nothing runs beside the caller."""


class _InThreads:
    """(people, size, frame or None, t) per frame, decoded and estimated on two threads."""

    def __init__(self, frames, stage: PoseStage, keep_frames: bool) -> None:
        self._stop = threading.Event()
        decoded: Handover = Handover(self._stop, FRAMES_AHEAD)
        self._estimated: Handover = Handover(self._stop, POSES_AHEAD)

        def estimate() -> None:
            self._estimated.pump((stage.estimator.estimate(frame), (frame.shape[1], frame.shape[0]),
                                  frame if keep_frames else None, t) for frame, t in decoded)

        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._interval, SWITCH_INTERVAL_S))
        self._reader = start_thread(lambda: _read(frames, decoded), "pose-stream-read")
        self._estimator = start_thread(estimate, "pose-stream-estimate")

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._estimated)

    def close(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._estimator.join()  # it finishes its frame before the caller may close the stage
        self._reader.join(timeout=1.0)  # the reader closes its own decoder
        sys.setswitchinterval(self._interval)


def _read(frames, decoded: Handover) -> None:
    """Reader thread: every frame into ``decoded``; it closes the iterator it made."""
    iterator = iter(frames)
    try:
        decoded.pump(iterator)
    finally:
        getattr(iterator, "close", lambda: None)()


class _Failed:
    """An exception raised in the worker process (or, when it cannot be sent, one with its text)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _estimate_video(path: str, persons: int, model_complexity: int, connection, quiet: bool,
                    cores: tuple[set[int], set[int]]) -> None:
    """Worker process: decode ``path`` (on a thread) and estimate every frame, sending
    ``(people, size, t)`` per frame, then None; an exception goes as :class:`_Failed`. ``quiet``:
    filter MediaPipe's native log lines here as the calling process does. ``cores``: MediaPipe's,
    and the decoder's (the caller's; empty sets: anywhere)."""
    pose_cores, other_cores = cores
    if quiet:
        native_logs.quiet()
    from pose.mediapipe_estimator import MediaPipePoseEstimator

    stop = threading.Event()
    decoded: Handover = Handover(stop, FRAMES_AHEAD)

    def read() -> None:
        affinity.pin_current_thread(other_cores)
        _read(VideoReader(path), decoded)

    reader = start_thread(read, "pose-worker-read")
    affinity.pin_current_thread(pose_cores)  # before MediaPipe starts its threads
    try:
        with MediaPipePoseEstimator(persons, model_complexity=model_complexity) as estimator:
            for frame, t in decoded:
                connection.send((estimator.estimate(frame), (frame.shape[1], frame.shape[0]), t))
            connection.send(None)  # before the graphs close: the caller need not wait for that
    except (BrokenPipeError, EOFError):
        pass  # the caller has gone
    except BaseException as err:  # passed on to the caller, which raises it
        try:
            connection.send(_Failed(err))
        except Exception:  # not picklable: its text will do
            connection.send(_Failed(RuntimeError(f"pose worker: {err!r}")))
    finally:
        stop.set()
        reader.join(timeout=1.0)
        connection.close()


class _InProcess:
    """(people, size, frame or None, t) per frame of a video file, estimated in a worker process
    started at once (``spawn``: a fresh interpreter, safe beside threads; scripts that use it need
    the ``if __name__ == "__main__":`` guard). With ``keep_frames`` the frames are decoded here a
    second time (sending them would cost more). While it runs, MediaPipe has some of the cores to
    itself; this process's threads and the worker's decoder run on the others (:mod:`core.affinity`),
    so that nothing makes MediaPipe wait for a core."""

    def __init__(self, frames: VideoReader, stage: PoseStage, keep_frames: bool) -> None:
        pose_cores, caller_cores = affinity.split_cores(affinity.usable_cores(), stage.persons) or (set(), set())
        context = multiprocessing.get_context("spawn")
        self._receiving, sending = context.Pipe(duplex=False)
        self._worker = context.Process(target=_estimate_video, name="pose-worker", daemon=True,
                                       args=(str(frames.path), stage.persons, stage.model_complexity, sending,
                                             native_logs.is_quiet(), (pose_cores, caller_cores)))
        self._worker.start()
        sending.close()
        self._pinned = affinity.pin_process(caller_cores)
        self._frames = frames
        self._local = iter(frames) if keep_frames else None
        self._finished = False

    def __iter__(self) -> Iterator[tuple]:
        while True:
            try:
                item = self._receiving.recv()
            except EOFError:
                raise RuntimeError(f"the pose worker process ended unexpectedly "
                                   f"(exit code {self._worker.exitcode})") from None
            if item is None:
                break
            if isinstance(item, _Failed):
                raise item.error
            people, size, t = item
            frame = next(self._local)[0] if self._local is not None else None
            yield people, size, frame, t
        self._finished = True
        if self._local is not None and next(self._local, None) is not None:
            raise InputError(f"{self._frames.path}: the video decoded to more frames the second time")

    def close(self) -> None:
        affinity.restore(self._pinned)
        self._pinned = {}
        self._receiving.close()
        if self._local is not None:
            self._local.close()
        if not self._finished:  # stopped early or failed: end it now; else it ends by itself (daemon)
            self._worker.join(timeout=1.0)
            if self._worker.is_alive():
                self._worker.terminate()
                self._worker.join()
