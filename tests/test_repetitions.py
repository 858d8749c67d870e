"""Repetition counting from the pose alone: synthetic series with known counts, speeds and noise
(every count exact, stillness and jitter count nothing), the live counter, and real footage
(../shared/videos: the hand counts of labels.csv, a cut of three squats, a person standing still)."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import rep_synth as rs
from scipy.signal import find_peaks
from app_fakes import cut_clip

import main
from app.repetitions import RepetitionCounter, find_series
from pose.layouts import NTU25

ROOT = Path(__file__).resolve().parents[1]


def _exercise(kind: str, profile: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Joints (T, 25, 3) doing ``kind`` with the 0..1 ``profile``: a squat, both arms raised, or an
    arbitrary movement (five random joints pushed along random directions by 30 cm)."""
    pose = rs.standing()
    if kind == "squat":
        return rs.squat(pose, 0.35 * profile)
    if kind == "arms":
        return rs.arm_raise(pose, 1.4 * profile)
    out = np.repeat(pose[None], len(profile), axis=0)
    joints = rng.choice(NTU25.num_joints, 5, replace=False)
    directions = rng.normal(size=(5, 3))
    directions *= 0.3 / np.linalg.norm(directions, axis=1, keepdims=True)
    out[:, joints] += profile[:, None, None] * directions[None]
    return out


def _count(times, joints) -> int:
    return sum(s.count for s in find_series(times, joints))


@pytest.mark.parametrize("sigma", [0.0, 0.01, 0.02])
@pytest.mark.parametrize("period", [0.5, 1.0, 2.0, 4.0, 5.5])
@pytest.mark.parametrize("kind", ["squat", "arms", "any"])
def test_counts_known_series_at_every_speed_and_noise(kind, period, sigma):
    """Counts of 3, 8 and 12, cycles uneven by up to 15% in length and 20% in depth, between rests,
    with up to 2 cm of jitter and 2 cm of wobble per joint, 6 cm in placement, and 10% of the
    frames lost: every count exact."""
    for count in (3, 8, 12):
        rng = np.random.default_rng(count * 100 + int(period * 10))
        times, profile = rs.cycles(count, period, rng)
        t, joints = rs.noisy(_exercise(kind, profile, rng), times, rng, sigma)
        series = find_series(t, joints)
        assert [s.count for s in series] == [count], (kind, period, sigma, count)
        assert series[0].period_s == pytest.approx(period, rel=0.25)
        assert 2.0 - period <= series[0].start_s and series[0].end_s <= times[-1] - 2.0 + period


@pytest.mark.parametrize("sigma", [0.005, 0.01, 0.02])
def test_a_person_standing_still_counts_nothing(sigma):
    for seed in range(4):
        rng = np.random.default_rng(seed)
        times = np.arange(60 * 30) / 30.0
        t, joints = rs.noisy(np.repeat(rs.standing()[None], len(times), axis=0), times, rng, sigma)
        assert find_series(t, joints) == [], (sigma, seed)


def test_swaying_walking_about_and_odd_movements_count_nothing():
    """Slow sway and wandering of the whole body (removed by the body frame), one squat, two
    squats, and single movements at random moments: no series."""
    rng = np.random.default_rng(7)
    times = np.arange(40 * 30) / 30.0
    pose = np.repeat(rs.standing()[None], len(times), axis=0)
    pose += np.stack([0.4 * np.sin(times / 3), 0 * times, 1.0 * np.sin(times / 7)], axis=1)[:, None]
    assert find_series(*rs.noisy(pose, times, rng, 0.01)) == []
    for count in (1, 2):
        t, profile = rs.cycles(count, 2.0, rng)
        assert find_series(*rs.noisy(_exercise("squat", profile, rng), t, rng, 0.01)) == []
    profile = np.zeros(len(times))
    for start, length in ((90, 50), (400, 35), (700, 80), (1000, 45)):  # four unlike movements
        profile[start:start + length] = np.sin(np.linspace(0, np.pi, length)) * rng.uniform(0.5, 1)
    assert find_series(*rs.noisy(_exercise("arms", profile, rng), times, rng, 0.01)) == []


def test_two_exercises_with_a_rest_between_are_two_series():
    rng = np.random.default_rng(3)
    t1, squats = rs.cycles(5, 2.0, rng, rest=2.0)
    t2, raises = rs.cycles(6, 1.0, rng, rest=1.5)
    joints = np.concatenate([_exercise("squat", squats, rng), _exercise("arms", raises, rng)])
    times = np.concatenate([t1, t2 + t1[-1] + 1 / rs.FPS])
    series = find_series(*rs.noisy(joints, times, rng, 0.01))
    assert [s.count for s in series] == [5, 6]
    assert series[0].end_s < t1[-1] < series[1].start_s
    assert all(series[0].start_s <= r <= series[0].end_s for r in series[0].rep_times)


def test_a_faster_rhythm_without_a_pause_starts_a_new_series():
    rng = np.random.default_rng(4)
    t1, slow = rs.cycles(4, 2.0, rng, rest=2.0)
    t2, fast = rs.cycles(8, 0.6, rng, rest=0.0)
    profile = np.concatenate([slow[:-60], fast, np.zeros(60)])
    times = np.arange(len(profile)) / rs.FPS
    series = find_series(*rs.noisy(_exercise("arms", profile, rng), times, rng, 0.01))
    assert [s.count for s in series] == [4, 8]
    assert series[0].period_s == pytest.approx(2.0, rel=0.2) and series[1].period_s == pytest.approx(0.6, rel=0.2)


def test_count_does_not_depend_on_where_the_person_stands_or_faces():
    rng = np.random.default_rng(5)
    times, profile = rs.cycles(6, 1.5, rng)
    joints = _exercise("squat", profile, rng)
    a = np.radians(60)
    turn = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    moved = (joints - joints[0, 0]) @ turn.T + np.array([1.5, 0.2, 5.0])
    plain, turned = find_series(times, joints), find_series(times, moved)
    assert [s.count for s in plain] == [s.count for s in turned] == [6]
    assert np.allclose(plain[0].rep_times, turned[0].rep_times, atol=0.1)


def test_a_person_lost_for_longer_than_max_gap_splits_the_series():
    rng = np.random.default_rng(6)
    times, profile = rs.cycles(10, 1.0, rng)
    joints = _exercise("arms", profile, rng)
    present = ~((times > 6.2) & (times < 8.0))  # unseen for 1.8 s in the middle of the series
    series = find_series(times, joints, present)
    assert len(series) == 2 and series[0].end_s <= 6.2 + 1e-9 and series[1].start_s >= 8.0
    assert 7 <= sum(s.count for s in series) <= 9


def test_live_counter_counts_up_and_settles_on_the_true_count():
    """Frames pushed one by one, counts read every 0.25 s: never more than the repetitions done so
    far, never down during the series, the true count at its end, 0 after a rest."""
    rng = np.random.default_rng(8)
    times, profile = rs.cycles(9, 1.5, rng, rest=3.0)
    t, joints = rs.noisy(_exercise("squat", profile, rng), times, rng, 0.01)
    bottoms = times[find_peaks(profile)[0]]  # a squat is done once its bottom is passed
    counter, seen, next_read = RepetitionCounter(), [], 0.0
    for ti, ji in zip(t, joints):
        counter.push(ti, ji, True)
        if ti >= next_read:
            seen.append((ti, counter.update(ti)))
            next_read += 0.25
    counts = [n for _, n in seen]
    assert all(n <= np.sum(bottoms <= ti + 1e-9) for ti, n in seen)
    during = [n for ti, n in seen if times[0] + 3.0 < ti < times[-1] - 3.0]
    assert during == sorted(during) and max(counts) == 9
    assert counts[-1] == 0  # 3 s of rest: the series is over


def test_live_counter_keeps_the_repetitions_that_left_its_history():
    rng = np.random.default_rng(9)
    times, profile = rs.cycles(25, 2.0, rng, rest=1.0)  # 52 s: longer than the 30 s history
    joints = _exercise("arms", profile, rng)
    counter = RepetitionCounter(history_seconds=30.0)
    last = 0
    for ti, ji in zip(times, joints):
        counter.push(ti, ji, True)
        if ti <= times[-1] - 1.0:
            last = counter.update(ti)
    assert last == 25


def test_live_counter_forgets_when_the_source_starts_over():
    rng = np.random.default_rng(10)
    times, profile = rs.cycles(6, 1.0, rng, rest=1.0)
    counter = RepetitionCounter()
    for ti, ji in zip(times, _exercise("arms", profile, rng)):
        counter.push(ti, ji, True)
    assert counter.update(times[-1]) == 6
    counter.push(0.0, rs.standing(), True)
    assert counter.update(0.0) == 0


# --- real footage --------------------------------------------------------------------------------

def _analyse(video, tmp_path) -> tuple[dict, list[dict]]:
    """``--video`` with the shipped model: the timeline JSON and the CSV rows."""
    timeline, table = tmp_path / f"{video.stem}.json", tmp_path / f"{video.stem}.csv"
    assert main.main(["--video", str(video), "--timeline", str(timeline), "--csv", str(table),
                      "--device", "cpu"]) == 0
    with open(table, newline="") as f:
        return json.loads(timeline.read_text()), list(csv.DictReader(f))


def _video_repetitions(video, tmp_path) -> list[dict]:
    return _analyse(video, tmp_path)[0]["repetitions"]


def _hand_counts(videos_dir) -> list[tuple[str, int]]:
    with open(videos_dir / "labels.csv", newline="") as f:
        return [(row["file"], int(row["reps"])) for row in csv.DictReader(f) if row["reps"]]


def test_real_clips_give_the_hand_counted_repetitions(videos_dir, tmp_path, capsys):
    """The ``count``s of the timeline's ``repetitions`` add up to the hand count whatever the
    labels, and the summary, the CSV's ``reps`` and the printed table agree with them."""
    counts = _hand_counts(videos_dir)
    assert counts, "labels.csv lists no hand-counted clip"
    for name, expected in counts:
        timeline, rows = _analyse(videos_dir / name, tmp_path)
        printed = capsys.readouterr().out
        assert sum(r["count"] for r in timeline["repetitions"]) == expected, (name, timeline["repetitions"])
        assert sum(r["repetitions"] for r in timeline["summary"]) == expected
        named = sum(r["count"] for r in timeline["repetitions"] if r["label"] != "no action")
        assert sum(int(row["reps"]) for row in rows) == named
        table = printed.split(f"summary of {name}:\n", 1)[1].split("\ndominant:", 1)[0].splitlines()
        assert sum(int(line.split()[3]) for line in table[1:]) == expected


def test_a_cut_of_three_real_squats_counts_three(videos_dir, tmp_path):
    """squat_side.mp4 from its start to the third time she stands up again (frame 134 of 347)."""
    clip = cut_clip(videos_dir / "squat_side.mp4", tmp_path / "three_squats.avi", 0, 134)
    assert sum(r["count"] for r in _video_repetitions(clip, tmp_path)) == 3


def test_a_real_person_standing_still_counts_nothing(videos_dir, tmp_path):
    """Ten seconds of the first frame of squat_side.mp4 (she stands upright) with camera noise
    (grain and a shake of up to 2 pixels): the pose estimator's jitter on a real body."""
    cap = cv2.VideoCapture(str(videos_dir / "squat_side.mp4"))
    ok, first = cap.read()
    cap.release()
    assert ok
    first = cv2.resize(first, (640, 360))
    rng = np.random.default_rng(0)
    path = tmp_path / "standing_still.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 24, (640, 360))
    for _ in range(240):
        shift = np.float32([[1, 0, rng.uniform(-2, 2)], [0, 1, rng.uniform(-2, 2)]])
        frame = cv2.warpAffine(first, shift, (640, 360), borderMode=cv2.BORDER_REPLICATE)
        writer.write(np.clip(frame + rng.normal(0, 4, frame.shape), 0, 255).astype(np.uint8))
    writer.release()
    assert _video_repetitions(path, tmp_path) == []


def test_the_filters_load_off_the_calling_thread():
    """``--video`` starts the import of the count's filters beside the pose stage, so that the
    count at the clip's end does not wait for it: the import happens on the preloading thread."""
    code = ("import sys, threading\n"
            "from app.repetitions import preload_filters\n"
            "assert 'scipy.signal' not in sys.modules, 'imported too early'\n"
            "thread = preload_filters()\n"
            "assert thread is not threading.current_thread() and thread.daemon\n"
            "thread.join(60)\n"
            "assert 'scipy.signal' in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
