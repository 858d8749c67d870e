"""The pose stage over a whole stream of frames, with decoding and MediaPipe on their own threads.

    reader thread ──frames──> estimator thread ──people──> caller's thread
    (decode)                  (MediaPipe)                   (tracking, mapping, smoothing)

For offline work (``--video``, ``--convert``, extracting teaching clips): MediaPipe keeps one core
busy and everything else runs beside it instead of after it. Nothing is dropped (the hand-overs
of :mod:`core.handover` wait when full, so memory stays bounded); the estimator sees the frames in
order on one thread and tracking runs in order on the caller's, so the poses are exactly those of
calling :meth:`pose.stage.PoseStage.process` frame by frame (``threaded=False`` does just that).
"""
from __future__ import annotations

import sys
import threading
from typing import Iterable, Iterator

import numpy as np

from core.handover import Handover, start_thread
from pose.stage import FramePose, PoseStage

FRAMES_AHEAD = 4
"""Decoded frames waiting for the estimator."""

POSES_AHEAD = 32
"""Estimated frames waiting for tracking (the caller may pause, e.g. while a model loads)."""

SWITCH_INTERVAL_S = 0.001
"""Python's thread switch interval while the threads run. MediaPipe needs the interpreter lock
briefly several times per frame; at the default 5 ms each of those waits can cost it up to 5 ms
when another thread is busy in Python (measured: 1.9 s alone, 4.3 s beside a busy thread at
5 ms, 2.3 s at 1 ms for 200 frames)."""


def pose_stream(frames: Iterable[tuple[np.ndarray, float]], stage: PoseStage, *, keep_frames: bool = False,
                threaded: bool = True) -> Iterator[tuple[np.ndarray | None, FramePose]]:
    """``(frame or None, FramePose)`` for every ``(frame_bgr, t)`` of ``frames``, in order.

    ``keep_frames``: pass each frame on (else None, so frames are freed as soon as they are
    estimated). The stage is used, not closed. Leaving the loop early stops the threads."""
    if not threaded:
        for frame, t in frames:
            pose = stage.process(frame, t)
            yield (frame if keep_frames else None), pose
        return
    stop = threading.Event()
    decoded: Handover = Handover(stop, FRAMES_AHEAD)
    estimated: Handover = Handover(stop, POSES_AHEAD)

    def read() -> None:
        iterator = iter(frames)
        try:
            decoded.pump(iterator)
        finally:
            getattr(iterator, "close", lambda: None)()

    def estimate() -> None:
        estimated.pump((stage.estimator.estimate(frame), (frame.shape[1], frame.shape[0]),
                        frame if keep_frames else None, t) for frame, t in decoded)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, SWITCH_INTERVAL_S))
    threads = [start_thread(read, "pose-stream-read"), start_thread(estimate, "pose-stream-estimate")]
    try:
        for people, size, frame, t in estimated:
            yield frame, stage.track(people, size, t)
    finally:
        stop.set()
        threads[1].join()  # the estimator finishes its frame before the caller may close the stage
        threads[0].join(timeout=1.0)  # the reader closes its own decoder
        sys.setswitchinterval(interval)
