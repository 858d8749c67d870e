"""The pose worker gets cores of its own while a clip is analysed (core.affinity, pose.stream):
the split of the usable cores, pinning and restoring every thread of a process, and a real clip
through the worker process with MediaPipe on its cores and everything else on the others."""
import os
import threading

import pytest

from core import affinity

linux_affinity = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(affinity.usable_cores()) < 2,
    reason="needs CPU affinity (Linux) and at least two usable cores")


def test_the_cores_are_split_between_the_worker_and_the_caller():
    assert affinity.split_cores({0, 1}) == ({0}, {1})
    assert affinity.split_cores(set(range(16))) == (set(range(8)), set(range(8, 16)))
    assert affinity.split_cores({3, 5, 7}) == ({3}, {5, 7})
    assert affinity.split_cores({2, 3, 4}, busy_threads=2) == ({2, 3}, {4})
    assert affinity.split_cores({0, 1}, busy_threads=2) is None  # two MediaPipe instances need both
    assert affinity.split_cores({0}) is None
    assert affinity.split_cores(set()) is None


def _cores_of(tid: int) -> set[int]:
    return set(os.sched_getaffinity(tid))


@linux_affinity
def test_every_thread_is_pinned_and_given_its_cores_back():
    before = affinity.usable_cores()
    target = {min(before)}
    started, release = threading.Event(), threading.Event()

    def waiting() -> None:
        started.set()
        release.wait(10)

    other = threading.Thread(target=waiting)
    other.start()
    started.wait(10)
    try:
        previous = affinity.pin_process(target)
        assert previous[threading.get_native_id()] == before
        assert _cores_of(0) == target and _cores_of(other.native_id) == target
        affinity.restore(previous)
        assert _cores_of(0) == before and _cores_of(other.native_id) == before
    finally:
        release.set()
        other.join()


@linux_affinity
def test_mediapipe_has_its_cores_to_itself_while_a_clip_is_analysed(videos_dir, tmp_path):
    from app_fakes import cut_clip

    from core.video import VideoReader
    from pose.stage import PoseStage
    from pose.stream import PoseStream

    before = affinity.usable_cores()
    pose_cores, caller_cores = affinity.split_cores(before)
    clip = cut_clip(videos_dir / "waving.avi", tmp_path / "wave.avi", 0, 30)
    seen = []
    with PoseStage(persons=1) as stage, PoseStream(VideoReader(clip), stage) as stream:
        for number, (_, pose) in enumerate(stream):
            seen.append(bool(pose.present.any()))
            if number == 10:  # the worker runs: MediaPipe's threads on their cores, the rest beside
                worker = stream._estimates._worker.pid
                tasks = {int(t) for t in os.listdir(f"/proc/{worker}/task")}
                worker_cores = [_cores_of(t) for t in tasks]
                assert _cores_of(worker) == pose_cores  # the thread that calls MediaPipe
                assert caller_cores in worker_cores  # the decoder
                assert _cores_of(0) == caller_cores
    assert len(seen) == 30 and all(seen)
    assert _cores_of(0) == before  # given back when the stream closed
