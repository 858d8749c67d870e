"""Person tracking: ids and slots through crossing, overlapping, leaving, re-entering and empty frames."""
import numpy as np

from blazepose_synth import project, rotate_y, standing_world
from pose.tracking import PersonTracker

VIS = np.full(33, 0.9)
DT = 1 / 30


def person(x: float, z: float = 3.0, turn: float = 0.0) -> np.ndarray:
    """Image landmarks (33, 2) of a person standing x metres right of the optical axis."""
    return project(rotate_y(standing_world(), turn), (x, 0.0, z))


def run(tracker: PersonTracker, frames: list[list[np.ndarray]], t0: float = 0.0):
    """Track a list of frames (each a list of detections); returns per frame [(track_id, slot), ...]."""
    out = []
    for i, people in enumerate(frames):
        tracks = tracker.update(people, [VIS] * len(people), t0 + i * DT)
        out.append([(tr.track_id, tr.slot) if tr else None for tr in tracks])
    return out


def test_people_seen_together_first_get_slots_left_to_right():
    tracker = PersonTracker(slots=2)
    (first,) = run(tracker, [[person(0.8), person(-0.8)]])  # given right one first
    assert first == [(1, 1), (0, 0)]


def test_ids_survive_two_people_crossing_paths():
    tracker = PersonTracker(slots=2)
    frames = []
    for i in range(60):  # A walks right, B walks left, they meet at frame 30
        a, b = -1.2 + 0.04 * i, 1.2 - 0.04 * i
        people = [person(a), person(b)]  # identical where they meet: only motion tells them apart
        frames.append(people if i % 2 == 0 else people[::-1])  # detection order is arbitrary
    out = run(tracker, frames)
    for i, result in enumerate(out):
        if i == 30:
            continue  # the two detections are the same image: either answer is right
        a_first = i % 2 == 0
        ids = {"A": result[0 if a_first else 1], "B": result[1 if a_first else 0]}
        assert ids == {"A": (0, 0), "B": (1, 1)}, i


def test_ids_survive_a_close_embrace():
    """Two people side by side whose boxes overlap heavily (hugging) keep their ids."""
    tracker = PersonTracker(slots=2)
    rng = np.random.default_rng(0)
    out = run(tracker, [[person(-0.12 + rng.normal(0, 0.01), turn=70), person(0.12, turn=-70)]
                        for _ in range(40)])
    assert all(r == [(0, 0), (1, 1)] for r in out)


def test_person_leaving_and_reentering_keeps_id_and_slot():
    tracker = PersonTracker(slots=2)
    frames = [[person(-0.8), person(0.8)]] * 10  # both
    frames += [[person(0.8)]] * 15  # A leaves for half a second
    frames += [[person(0.8), person(-1.5)]] * 10  # A comes back somewhere else
    out = run(tracker, frames)
    assert out[0] == [(0, 0), (1, 1)]
    assert all(r == [(1, 1)] for r in out[10:25])
    assert all(r == [(1, 1), (0, 0)] for r in out[25:])


def test_frames_with_nobody_keep_tracks_until_they_expire():
    tracker = PersonTracker(slots=1, max_missed_seconds=1.0)
    out = run(tracker, [[person(0.0)]] * 5 + [[]] * 20 + [[person(0.1)]])
    assert out[-1] == [(0, 0)]  # back within the second: same person
    out = run(tracker, [[]] * 40 + [[person(0.1)]], t0=1.0)
    assert out[-1] == [(1, 0)]  # gone for more than a second: a new id, same slot


def test_a_newcomer_does_not_steal_a_briefly_missed_track():
    tracker = PersonTracker(slots=2)
    out = run(tracker, [[person(-0.8)]] * 10 + [[person(0.8)]] + [[person(-0.8), person(0.8)]] * 5)
    assert out[10] == [(1, 1)]  # B appears while A is missed for one frame: B gets the free slot
    assert all(r == [(0, 0), (1, 1)] for r in out[11:])


def test_one_slot_keeps_the_tracked_person_when_another_shows_up():
    tracker = PersonTracker(slots=1)
    out = run(tracker, [[person(0.0)]] * 5 + [[person(1.0), person(0.02)]] * 5)
    assert all(r == [None, (0, 0)] for r in out[5:])


def test_a_jumping_estimate_stays_in_its_slot_when_all_slots_are_held():
    tracker = PersonTracker(slots=2)
    out = run(tracker, [[person(-0.8), person(0.8)]] * 5 + [[person(-2.2), person(0.8)]])
    assert out[-1] == [(0, 0), (1, 1)]  # A's estimate jumped too far to match, but A is the one unseen
