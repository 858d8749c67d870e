"""Offline analysis with the pose stage and the classifier side by side (app.analysis_runner) gives
exactly the serial run's results: on a synthetic clip (scripted landmarks: any timing, a model that
is still loading, a two-person model found late, an error in the middle) and on a real clip."""
import threading
import time
from concurrent.futures import Future

import numpy as np
import pytest
from app_fakes import ScriptedEstimator, frames, person_landmarks

from app.analysis_runner import BATCH_WINDOWS, analyse_frames
from app.pipeline import ActionPipeline, PipelineConfig
from app.recognizer import Recognizer
from app.video_analysis import analyse_video
from pose.stage import PoseStage


def _script(t: float):
    """One person waving from the start; a second one walks in at 2 s and leaves at 4 s."""
    people = [person_landmarks(t, x_pixels=20.0, wave_hz=1.5, image_height=48)]
    if 2.0 <= t < 4.0:
        people.append(person_landmarks(t, x_pixels=35.0 + 5 * (t - 2.0), image_height=48))
    return people


CLIP = list(frames(180))  # 6 s at 30 fps


def _stages(delay: float = 0.0):
    return lambda persons: PoseStage(persons, estimator=ScriptedEstimator(_script, delay))


def _outcome(results) -> list[tuple]:
    """Everything an analysis yields, in a form that compares exactly."""
    out = []
    for frame, t, pose, states in results:
        out.append((t, pose.joints3d.tobytes(), pose.joints2d.tobytes(), pose.present.tobytes(),
                    tuple(pose.track_ids), tuple(states)))
    return out


def _later(value, seconds: float) -> Future:
    """A future that resolves after ``seconds`` (a model still loading when the frames start)."""
    future = Future()
    threading.Timer(seconds, future.set_result, (value,)).start()
    return future


def test_threaded_analysis_equals_the_serial_one_with_any_timing(recognizer):
    config = PipelineConfig(persons=2)
    serial = _outcome(analyse_frames(CLIP, recognizer, config, threaded=False, make_pose_stage=_stages()))
    assert len(serial) == len(CLIP) and [r[0] for r in serial] == [t for _, t in CLIP]
    windows = [r[5] for r in serial if r[5]]
    assert len(windows) >= 15 and any(s.top for states in windows for s in states)
    assert any(len(states) == 2 and all(s.top for s in states) for states in windows)  # both people scored
    threaded = _outcome(analyse_frames(CLIP, recognizer, config, make_pose_stage=_stages()))
    assert threaded == serial
    # slow pose stage, model ready only after a third of the clip: the same results, windows scored
    # several per forward pass
    batches = []
    predict = recognizer.predict
    recognizer.predict = lambda samples: batches.append(len(samples)) or predict(samples)
    try:
        late = _outcome(analyse_frames(CLIP, _later(recognizer, 0.6), config, make_pose_stage=_stages(0.005)))
    finally:
        del recognizer.predict
    assert late == serial
    assert max(batches) > 2 and len(batches) < len(windows)  # several windows (of 1-2 people) per pass


def test_batch_of_one_equals_the_pipeline_step_frame_by_frame(recognizer):
    config = PipelineConfig(persons=2)
    pipeline = ActionPipeline(recognizer, config, pose_stage=_stages()(2))
    stepped = []
    for frame, t in CLIP:
        pose, states = pipeline.step(frame, t)
        stepped.append((t, pose.joints3d.tobytes(), pose.joints2d.tobytes(), pose.present.tobytes(),
                        tuple(pose.track_ids), tuple(states)))
    single = _outcome(analyse_frames(CLIP, _later(recognizer, 0.3), config, batch=1,
                                     make_pose_stage=_stages(0.003)))
    assert single == stepped
    # batches of four score the same windows with the same labels; scores agree to float rounding
    batched = _outcome(analyse_frames(CLIP, recognizer, config, make_pose_stage=_stages()))
    assert BATCH_WINDOWS > 1
    for a, b in zip(batched, stepped):
        assert a[:5] == b[:5] and len(a[5]) == len(b[5])
        for x, y in zip(a[5], b[5]):
            assert (x.person, x.t, x.label, [n for n, _ in x.top]) == (y.person, y.t, y.label, [n for n, _ in y.top])
            np.testing.assert_allclose([p for _, p in x.top], [p for _, p in y.top], atol=1e-6)


def test_a_two_person_model_that_loads_late_restarts_the_clip_with_two_slots(pair_recognizer):
    config = PipelineConfig()  # persons from the model
    known = _outcome(analyse_frames(CLIP, pair_recognizer, config, threaded=False, make_pose_stage=_stages()))
    assert all(len(r[4]) == 2 for r in known)
    built = []

    def counting(persons):
        built.append(persons)
        return _stages(0.002)(persons)

    late = _outcome(analyse_frames(CLIP, _later(pair_recognizer, 0.2), config, make_pose_stage=counting))
    assert built == [1, 2] and late == known


def test_frames_are_passed_on_in_order_when_kept(recognizer):
    results = list(analyse_frames(CLIP, _later(recognizer, 0.3), PipelineConfig(persons=2), keep_frames=True,
                                  make_pose_stage=_stages(0.002)))
    assert len(results) == len(CLIP)
    assert all(np.array_equal(r.frame, frame) for r, (frame, _) in zip(results, CLIP))


def test_an_error_in_the_pose_stage_stops_every_thread_and_is_raised(recognizer):
    def failing(t):
        if t > 2.0:
            raise ValueError("broken frame")
        return _script(t)

    make = lambda persons: PoseStage(persons, estimator=ScriptedEstimator(failing))  # noqa: E731
    with pytest.raises(ValueError, match="broken frame"):
        list(analyse_frames(CLIP, recognizer, PipelineConfig(), make_pose_stage=make))
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and _workers():
        time.sleep(0.05)
    assert not _workers()


def _workers() -> list[str]:
    return [th.name for th in threading.enumerate() if th.name.startswith(("pose-stream", "analysis-"))]


def test_real_clip_threaded_and_serial_timelines_are_identical(videos_dir, tmp_path):
    from app_fakes import cut_clip

    from app.model_catalog import startup_model

    model = startup_model()
    if model is None:
        pytest.skip("no shipped model in assets/models/")
    clip = cut_clip(videos_dir / "ntu_sample.avi", tmp_path / "ntu.avi", 0, 72, size=(640, 360))
    config = PipelineConfig(persons=2, threshold=0.0)  # both actors, every window named
    recognizer = Recognizer(model, "cpu")
    serial = analyse_video(clip, recognizer, config, progress=False, threaded=False)
    threaded = analyse_video(clip, _later(recognizer, 0.5), config, progress=False)
    assert serial.frames == 72 and len(serial.windows) >= 10 and serial.segments
    assert {w["person"] for w in serial.windows} == {0, 1}
    assert threaded.timeline() == serial.timeline()


def test_a_video_that_breaks_off_is_reported_from_the_worker_process(videos_dir, tmp_path, recognizer):
    import multiprocessing

    from app_fakes import cut_clip

    from core.errors import InputError
    from core.video import VideoReader

    clip = cut_clip(videos_dir / "ntu_sample.avi", tmp_path / "cut.avi", 0, 40)
    data = clip.read_bytes()
    clip.write_bytes(data[: len(data) // 2])
    results = []
    with pytest.raises(InputError, match="truncated"):
        for result in analyse_frames(VideoReader(clip), recognizer, PipelineConfig()):
            results.append(result)
    assert 0 < len(results) < 40  # the frames before the break came out, in order
    assert not multiprocessing.active_children()


def test_a_recognizer_load_starts_with_the_pose_stage_and_gives_the_same_results(recognizer):
    from app.recognizer_loader import RecognizerLoad

    config = PipelineConfig(persons=2)
    serial = _outcome(analyse_frames(CLIP, recognizer, config, threaded=False, make_pose_stage=_stages()))
    load = RecognizerLoad(recognizer.path, "cpu")
    results = analyse_frames(CLIP, load, config, make_pose_stage=_stages())
    assert load.future is None  # nothing imported or loaded before the analysis begins
    assert _outcome(results) == serial and load.future.done() and not load.failed()
