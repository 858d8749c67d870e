"""Keeping MediaPipe and the rest of an offline run on separate cores (Linux).

MediaPipe Pose keeps about one core busy and gains nothing from a second (this project's 2-core
machine: 9.0 s for an 824-frame clip pinned to one core or free on two). When another thread
(decoding, tracking, the classifier, loading a model) runs on MediaPipe's core, MediaPipe waits,
and the scheduler puts one there whenever more threads are runnable than there are free cores.
So while a video file is analysed, the worker's MediaPipe thread gets part of the usable cores to
itself and every other thread, of the worker's decoder and of the calling process, runs on the
rest (``main.py --video`` on that clip: 9.85 s before, 9.01 s after, MediaPipe alone 9.22 s).

Where the platform has no CPU affinity (macOS, Windows), or too few cores are usable, nothing is
split and these functions do nothing.
"""
from __future__ import annotations

import os
from pathlib import Path

_TASKS = Path("/proc/self/task")


def usable_cores() -> set[int]:
    """The cores this process may run on (empty where the platform cannot tell)."""
    if not hasattr(os, "sched_getaffinity"):
        return set()
    return set(os.sched_getaffinity(0))


def split_cores(cores: set[int], busy_threads: int = 1) -> tuple[set[int], set[int]] | None:
    """``(worker, caller)``: the lower half of ``cores``, and at least ``busy_threads`` of them
    (one per MediaPipe instance), for the worker, the rest for the caller; None when that leaves the
    caller none."""
    if len(cores) <= busy_threads:
        return None
    ordered = sorted(cores)
    share = max(busy_threads, len(ordered) // 2)
    return set(ordered[:share]), set(ordered[share:])


def pin_current_thread(cores: set[int]) -> None:
    """Run the calling thread (and the threads it starts later) on ``cores`` only; where that
    cannot be done, leave it where it is (this only ever saves time)."""
    if cores and hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, cores)
        except OSError:
            pass


def pin_process(cores: set[int]) -> dict[int, set[int]]:
    """Run every thread of this process on ``cores``; returns each thread's previous cores, for
    :func:`restore`. Threads started later inherit their starter's cores."""
    previous: dict[int, set[int]] = {}
    if not cores or not hasattr(os, "sched_setaffinity") or not _TASKS.is_dir():
        return previous
    for task in _TASKS.iterdir():
        tid = int(task.name)
        try:
            before = set(os.sched_getaffinity(tid))
            os.sched_setaffinity(tid, cores)
        except OSError:  # the thread has ended meanwhile
            continue
        previous[tid] = before
    return previous


def restore(previous: dict[int, set[int]]) -> None:
    """Give the threads pinned by :func:`pin_process` their previous cores back (threads started
    meanwhile get the union: they were started on the pinned cores)."""
    if not previous:
        return
    everything = set().union(*previous.values())
    for task in _TASKS.iterdir():
        tid = int(task.name)
        try:
            os.sched_setaffinity(tid, previous.get(tid, everything))
        except OSError:
            continue
