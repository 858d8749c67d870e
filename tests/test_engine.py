"""Engine units on synthetic input: windowing, smoothing, the no-action rule, stale-frame dropping,
segments; and the real-time engine end to end on a synthetic source with a test checkpoint."""
import threading
import time

import numpy as np
import pytest

from app.metrics import LatencyStats, RateMeter
from app.queues import Closed, DropOldestQueue
from app.scoring import NO_ACTION, ScoreSmoother, decide, joint_motion
from app.timeline import SegmentBuilder
from app.windowing import WindowBuffer

V = 25


def _joints(x_offset: float, persons: int = 1) -> np.ndarray:
    j = np.zeros((persons, V, 3), dtype=np.float32)
    j[..., 0] = x_offset + np.arange(V) * 0.01
    j[..., 1] = np.linspace(-0.9, 0.7, V)
    j[..., 2] = 3.0
    return j


# --- stale-frame dropping -----------------------------------------------------------------------

def test_queue_drops_oldest_and_counts():
    q = DropOldestQueue(maxsize=2)
    assert q.put(1) and q.put(2)
    assert not q.put(3)  # 1 is stale and goes
    assert q.dropped == 1
    assert q.get(timeout=0) == 2 and q.get(timeout=0) == 3
    assert q.get(timeout=0.01) is None


def test_queue_get_latest_skips_stale_items():
    q = DropOldestQueue(maxsize=5)
    for i in range(4):
        q.put(i)
    assert q.get_latest() == 3
    assert q.dropped == 3 and len(q) == 0


def test_queue_close_wakes_blocked_consumer():
    q = DropOldestQueue(maxsize=1)
    outcome = []

    def consume():
        try:
            q.get()
        except Closed:
            outcome.append("closed")

    th = threading.Thread(target=consume)
    th.start()
    time.sleep(0.05)
    q.close()
    th.join(timeout=2)
    assert outcome == ["closed"]


def test_slow_consumer_sees_only_fresh_items():
    """A producer at full speed and a slow consumer: the consumer never falls behind."""
    q = DropOldestQueue(maxsize=1)
    seen = []

    def produce():
        for i in range(200):
            q.put(i)
            time.sleep(0.0005)
        q.close()

    th = threading.Thread(target=produce)
    th.start()
    try:
        while True:
            item = q.get(timeout=1)
            seen.append(item)
            time.sleep(0.01)
    except Closed:
        pass
    th.join()
    assert seen[-1] == 199  # the newest item always arrives
    assert len(seen) < 100 and q.dropped == 200 - len(seen)
    assert seen == sorted(seen)


# --- windowing ----------------------------------------------------------------------------------

def test_window_waits_for_fill_then_respects_stride():
    buf = WindowBuffer(persons=1, window_seconds=2.0, fps=30, stride_seconds=0.5, min_fill=0.5)
    cuts = []
    for i in range(91):  # 3 s at 30 fps
        t = i / 30
        buf.push(t, _joints(0.0), [True])
        if buf.due(t):
            cuts.append(round(buf.cut().t, 3))
    assert cuts[0] == pytest.approx(1.0, abs=0.04)  # half of the 2 s window
    assert np.allclose(np.diff(cuts), 0.5, atol=0.04)


def test_window_is_resampled_to_model_fps_by_timestamps():
    """Frames arriving irregularly at ~10 fps become a 30 fps grid; linear motion stays linear."""
    buf = WindowBuffer(persons=1, window_seconds=1.0, fps=30, stride_seconds=0.1)
    rng = np.random.default_rng(0)
    t = 0.0
    while t < 1.0:
        buf.push(t, _joints(0.5 * t), [True])  # moves 0.5 m/s along x
        t += rng.uniform(0.07, 0.13)
    w = buf.cut()
    assert w.skeleton.shape[0] == 3 and w.skeleton.shape[2:] == (V, 1)
    frames = w.skeleton.shape[1]
    assert frames >= 25  # about 30 frames over the ~0.95 s covered
    dx = np.diff(w.skeleton[0, :, 0, 0])
    assert np.allclose(dx, 0.5 / 30, atol=1e-4)
    assert joint_motion(w.skeleton, w.fps) == pytest.approx(0.5, rel=0.01)


def test_absent_person_is_zero_and_not_present():
    buf = WindowBuffer(persons=2, window_seconds=1.0, fps=30, stride_seconds=0.1)
    for i in range(31):
        joints = _joints(0.0, persons=2)
        buf.push(i / 30, joints, [True, i > 25])  # second person only in the last few frames
    w = buf.cut()
    assert w.present.tolist() == [True, False]
    assert np.all(w.skeleton[..., 1][:, :-6] == 0)
    assert w.person(1).shape[-1] == 1 and np.any(w.person(1)[:, -5:] != 0)


def test_non_finite_joints_count_as_absent():
    buf = WindowBuffer(persons=1, window_seconds=1.0, fps=30, stride_seconds=0.1)
    for i in range(31):
        joints = _joints(0.0)
        if i % 2:
            joints[0, 5, 1] = np.nan
        buf.push(i / 30, joints, [True])
    w = buf.cut()
    assert np.isfinite(w.skeleton).all()
    assert w.present.tolist() == [True]  # half of the frames are enough


def test_time_jump_backwards_restarts_the_buffer():
    buf = WindowBuffer(persons=1, window_seconds=1.0, fps=30, stride_seconds=0.1)
    for i in range(30):
        buf.push(i / 30, _joints(0.0), [True])
    buf.push(0.0, _joints(0.0), [True])  # source looped
    assert buf.cut() is None


# --- smoothing and the no-action rule ------------------------------------------------------------

def test_ema_smoothing_steadies_flicker_and_resets_after_absence():
    sm = ScoreSmoother(alpha=0.3, reset_after=1.0)
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    out = [sm.update(0, t * 0.1, a if t % 2 else b) for t in range(20)]
    assert all(abs(o[0] - 0.5) < 0.2 for o in out[5:])  # flicker is damped
    fresh = sm.update(0, 10.0, a)  # long gap: no memory of the past
    assert fresh.tolist() == [1.0, 0.0]
    other = sm.update(1, 10.0, b)  # people are independent
    assert other.tolist() == [0.0, 1.0]


def test_decide_names_action_or_no_action():
    names = ["wave", "clap", "kick"]
    p = np.array([0.7, 0.2, 0.1])
    moving = decide(0, 1.0, p, names, threshold=0.5, motion=0.8, still_threshold=0.1)
    assert moving.label == "wave" and moving.is_action and moving.top[0] == ("wave", 0.7)
    assert [n for n, _ in moving.top] == ["wave", "clap", "kick"]
    still = decide(0, 1.0, p, names, threshold=0.5, motion=0.02, still_threshold=0.1)
    assert still.label == NO_ACTION and still.still
    unsure = decide(0, 1.0, p, names, threshold=0.8, motion=0.8, still_threshold=0.1)
    assert unsure.label == NO_ACTION and not unsure.still


def test_joint_motion_of_still_person_is_zero():
    x = np.repeat(_joints(0.0)[0].T[:, None, :, None], 20, axis=1)  # (3, 20, V, 1)
    assert joint_motion(x, 30) == 0.0
    assert joint_motion(np.zeros_like(x), 30) == 0.0


# --- segments -----------------------------------------------------------------------------------

def _state(person, t, label, score=0.9):
    return decide(person, t, np.array([score, 1 - score]) if label == "a" else np.array([1 - score, score]),
                  ["a", "b"], threshold=0.5 if label != NO_ACTION else 1.1, motion=1.0, still_threshold=0.1)


def test_segments_merge_runs_and_split_on_change():
    sb = SegmentBuilder()
    for t, label in [(0, "a"), (1, "a"), (2, "b"), (3, NO_ACTION), (4, "a")]:
        sb.add(_state(0, float(t), label))
    sb.add(_state(1, 0.5, "b"))
    segs = [(s.person, s.start_s, s.end_s, s.label) for s in sb.finish(5.0)]
    assert segs == [(0, 0.0, 2.0, "a"), (1, 0.5, 5.0, "b"), (0, 2.0, 3.0, "b"), (0, 4.0, 5.0, "a")]


# --- metrics ------------------------------------------------------------------------------------

def test_latency_percentiles_and_rate():
    stats = LatencyStats()
    for ms in range(1, 101):
        stats.add(ms / 1000)
    assert stats.median() == pytest.approx(0.0505)
    assert stats.p95() == pytest.approx(0.09505)
    now = [0.0]
    meter = RateMeter(horizon=2.0, clock=lambda: now[0])
    for i in range(11):
        now[0] = i * 0.1
        meter.tick()
    assert meter.rate() == pytest.approx(10.0)


# --- the pipeline and the threaded engine on synthetic poses (no MediaPipe) ---------------------

from app_fakes import CLASS_NAMES, ScriptedEstimator, frames, person_landmarks  # noqa: E402

from app.engine import RealtimeEngine  # noqa: E402
from app.pipeline import ActionPipeline, PipelineConfig, is_absent  # noqa: E402
from core.errors import InputError  # noqa: E402
from pose.stage import PoseStage  # noqa: E402


def _pipeline(recognizer, script, persons=1, delay=0.0, **config):
    stage = PoseStage(persons=persons, estimator=ScriptedEstimator(script, delay))
    return ActionPipeline(recognizer, PipelineConfig(persons=persons, **config), pose_stage=stage)


def test_recognizer_scores_each_person_in_one_batch(recognizer, pair_recognizer):
    pipe = _pipeline(recognizer, lambda t: [person_landmarks(t, 160, 1.0), person_landmarks(t, 480)],
                     persons=2)
    window = None
    for frame, t in frames(40):
        _, window = pipe.observe(frame, t)
        if window is not None:
            break
    assert window is not None and window.present.tolist() == [True, True]
    subjects = recognizer.subjects(window)
    assert [s.person for s in subjects] == [0, 1]
    probs = recognizer.predict([s.sample for s in subjects])
    assert probs.shape == (2, len(CLASS_NAMES)) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    pair = pair_recognizer.subjects(window)
    assert len(pair) == 1 and pair[0].sample.shape[-1] == 2


def test_pipeline_still_person_is_no_action_and_moving_one_is_named(recognizer):
    pipe = _pipeline(recognizer, lambda t: [person_landmarks(t, 160, wave_hz=1.5), person_landmarks(t, 480)],
                     persons=2, threshold=0.0, stride_seconds=0.25)
    states = [s for frame, t in frames(60) for s in pipe.step(frame, t)[1]]
    assert states, "no window was recognised in 2 s of poses"
    times = sorted({s.t for s in states})
    assert times[0] == pytest.approx(0.5, abs=0.05)  # half of the 1 s window
    assert np.allclose(np.diff(times), 0.25, atol=0.04)
    waving = [s for s in states if s.person == 0]
    still = [s for s in states if s.person == 1]
    assert all(s.label in CLASS_NAMES and not s.still and s.motion > 0.2 for s in waving)
    assert all(s.label == NO_ACTION and s.still for s in still)
    assert all(len(s.top) == min(5, len(CLASS_NAMES)) for s in states)


def test_pipeline_reports_a_person_who_leaves(recognizer):
    pipe = _pipeline(recognizer, lambda t: [person_landmarks(t, 320, 1.5)] if t < 1.0 else [],
                     threshold=0.0)
    states = [s for frame, t in frames(100) for s in pipe.step(frame, t)[1]]
    assert not is_absent(states[0])
    assert is_absent(states[-1]) and states[-1].label == NO_ACTION
    segments = SegmentBuilder()
    for s in states:
        segments.add(s)
    closed = segments.finish(100 / 30)
    assert closed and all(seg.end_s <= 1.6 for seg in closed)  # closed soon after the person left


def _run_engine(engine, timeout=10.0):
    done = threading.Event()
    engine._on_event = lambda kind: done.set() if kind in ("ended", "error") else None
    engine.start()
    assert done.wait(timeout), "engine did not finish"
    deadline = time.time() + timeout
    while engine.running and time.time() < deadline:
        time.sleep(0.02)


def test_engine_drops_stale_frames_but_shows_the_newest(recognizer):
    """Pose at ~25 fps behind a 100 fps source: frames are dropped, the last one is still shown."""
    pipe = _pipeline(recognizer, lambda t: [person_landmarks(t, 320, 1.5)], delay=0.04)
    shown = []
    engine = RealtimeEngine(list(frames(150, fps=100)), pipe, pace=True)
    engine.subscribe_frames(lambda live: shown.append(live.index))
    _run_engine(engine)
    engine.stop()
    assert engine.dropped_frames > 50
    assert shown == sorted(shown) and shown[-1] == 149
    assert len(shown) + engine.dropped_frames == 150
    assert engine.take_actions(), "no labels from the inference thread"
    assert pipe.pose_stage.estimator.closed


def test_engine_paces_a_file_to_real_time(recognizer):
    pipe = _pipeline(recognizer, lambda t: [person_landmarks(t, 320)])
    engine = RealtimeEngine(list(frames(15, fps=30)), pipe, pace=True)
    start = time.perf_counter()
    _run_engine(engine)
    engine.stop()
    assert time.perf_counter() - start >= 14 / 30 - 0.02
    assert engine.dropped_frames <= 2


def test_engine_reports_a_source_failure_as_a_message(recognizer):
    def failing():
        yield from frames(5)
        raise InputError("camera 0 stopped delivering frames")

    pipe = _pipeline(recognizer, lambda t: [person_landmarks(t, 320)])
    engine = RealtimeEngine(failing(), pipe)
    _run_engine(engine)
    engine.stop()
    assert engine.take_errors() == ["camera 0 stopped delivering frames"]
    assert not engine.running


# --- recording ----------------------------------------------------------------------------------

from app.recording import ClipRecorder  # noqa: E402


def test_queue_put_can_wait_for_room_instead_of_dropping():
    q = DropOldestQueue(maxsize=1)
    got = []

    def consume():
        try:
            while True:
                got.append(q.get())
                time.sleep(0.002)
        except Closed:
            pass

    th = threading.Thread(target=consume)
    th.start()
    for i in range(50):
        q.put(i, wait=True)
    q.close()
    th.join(timeout=5)
    assert got == list(range(50)) and q.dropped == 0


def test_lossless_recorder_keeps_every_frame_and_discard_leaves_nothing(tmp_path):
    import cv2

    rec = ClipRecorder(tmp_path / "all.mp4", 25, max_backlog=2, lossless=True)
    for i in range(40):
        rec.write(np.full((48, 64, 3), i * 5, np.uint8))
    assert rec.close() == tmp_path / "all.mp4"
    assert cv2.VideoCapture(str(tmp_path / "all.mp4")).get(cv2.CAP_PROP_FRAME_COUNT) == 40
    gone = ClipRecorder(tmp_path / "gone.mp4", 25, lossless=True)
    for i in range(5):
        gone.write(np.zeros((48, 64, 3), np.uint8))
    gone.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.mp4"]


def test_recorder_without_frames_is_an_input_error(tmp_path):
    rec = ClipRecorder(tmp_path / "empty.mp4", 25)
    with pytest.raises(InputError, match="no frames"):
        rec.close()
    assert not list(tmp_path.iterdir())


def test_pipeline_counts_repetitions_live_and_the_overlay_shows_them(recognizer):
    """Five arm raises of 1.2 s after 1 s of standing: the states' ``reps`` count up to 5 during
    the series and drop to 0 once the person has stood still for a while."""
    from app_fakes import lifting_landmarks

    from app.overlay import _tag_text

    pipe = _pipeline(recognizer, lambda t: [lifting_landmarks(t, lifts=5, period=1.2)], threshold=0.0)
    states = [s for frame, t in frames(int(11 * 30)) for s in pipe.step(frame, t)[1]]
    reps = [(s.t, s.reps) for s in states]
    during = [n for t, n in reps if t <= 7.5]
    assert max(during) == 5 and during == sorted(during)
    assert all(n == 0 for t, n in reps if t < 1.0 + 2 * 1.2)  # two lifts are not yet a series
    assert reps[-1][1] == 0  # 4 s after the last lift
    counted = next(s for s in states if s.reps == 5)
    assert _tag_text(counted).endswith(", 5 reps")


def test_overlay_keeps_a_long_tag_inside_the_frame():
    """A person at the right edge with a long label and a repetition count: the whole tag is drawn."""
    import cv2

    from app.overlay import _tag_text, draw_overlay
    from app.scoring import ActionState
    from pose.stage import FramePose

    image = np.full((360, 640, 3), 255, np.uint8)
    pose = FramePose.empty(1.0, 1)
    pose.present[0] = True
    pose.joints2d[0] = np.stack([np.full(25, 600.0), np.linspace(100, 340, 25)], axis=1)
    pose.confidence[0] = 1.0
    state = ActionState(0, 1.0, "squat (two arms stretch out)", 0.56, (("squat (two arms stretch out)", 0.56),),
                        0.7, False, reps=8)
    draw_overlay(image, pose, {0: state})
    text = f"P1: {_tag_text(state)}"
    (tw, _), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, max(0.45, 640 / 1400), 1)
    box = np.all(image == 20, axis=2)  # the tag's dark background
    columns = np.flatnonzero(box.any(axis=0))
    assert columns.size and columns[-1] - columns[0] + 1 >= tw + 5  # not cut at the edge
    assert text.endswith(", 8 reps")
