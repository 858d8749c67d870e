"""A clip's totals: repetition series named by the segments overlapping them (labels that flicker
within a series rename it, never recount it), repetitions per segment, the per-person summary."""
import numpy as np
import rep_synth as rs

from app.clip_summary import (PoseRecord, format_summary, name_series, segments_with_reps,
                              summary)
from app.repetitions import Series
from app.scoring import NO_ACTION
from app.timeline import Segment
from pose.stage import FramePose

# a squat series read by the classifier as flickering "stand to sit" / "sit to stand"
FLICKER = [Segment(0, 1.0, 4.0, "stand to sit", 0.7), Segment(0, 4.0, 5.5, "sit to stand", 0.6),
           Segment(0, 5.5, 9.0, "stand to sit", 0.8), Segment(0, 9.5, 12.0, "wave", 0.5)]
SQUATS = Series(1.2, 8.8, 1.5, (2.0, 3.5, 5.0, 6.5, 8.0), (1.3, 2.8, 4.2, 5.8, 7.2))


def test_a_series_is_named_by_the_longest_overlap_and_keeps_its_count():
    records = name_series({0: [SQUATS]}, FLICKER)
    assert [(r.person, r.label, r.count) for r in records] == [(0, "stand to sit", 5)]
    assert records[0].to_dict() == {"person": 0, "start_s": 1.2, "end_s": 8.8, "label": "stand to sit",
                                    "count": 5}


def test_reps_go_to_the_segments_of_the_series_name_and_add_up():
    records = name_series({0: [SQUATS]}, FLICKER)
    segments = segments_with_reps(FLICKER, records)
    # 2.0 and 3.5 in the first segment; 5.0 falls in "sit to stand", so it goes to the nearest
    # "stand to sit" segment (5.5-9.0) with 6.5 and 8.0
    assert [s.reps for s in segments] == [2, 0, 3, 0]
    assert sum(s.reps for s in segments) == sum(r.count for r in records)


def test_summary_per_person_and_action():
    records = name_series({0: [SQUATS]}, FLICKER)
    rows = summary(segments_with_reps(FLICKER, records), records)
    assert rows == [
        {"person": 0, "label": "stand to sit", "seconds": 6.5, "segments": 2, "repetitions": 5},
        {"person": 0, "label": "wave", "seconds": 2.5, "segments": 1, "repetitions": 0},
        {"person": 0, "label": "sit to stand", "seconds": 1.5, "segments": 1, "repetitions": 0},
    ]
    table = format_summary(rows).splitlines()
    assert table[0].split() == ["person", "seconds", "segments", "reps", "action"]
    assert table[1].split() == ["1", "6.50", "2", "5", "stand", "to", "sit"]


def test_a_series_no_segment_names_is_no_action_and_still_counted():
    records = name_series({1: [SQUATS]}, FLICKER)  # person 2 has no segments
    assert [(r.person, r.label, r.count) for r in records] == [(1, NO_ACTION, 5)]
    assert [s.reps for s in segments_with_reps(FLICKER, records)] == [0, 0, 0, 0]
    assert {"person": 1, "label": NO_ACTION, "seconds": 0.0, "segments": 0, "repetitions": 5} in summary(FLICKER, records)


def test_a_two_person_model_names_both_slots_from_its_one_result():
    records = name_series({0: [], 1: [SQUATS]}, FLICKER, label_person={0: 0, 1: 0})
    assert [(r.person, r.label, r.count) for r in records] == [(0, "stand to sit", 5)]


def test_pose_record_counts_each_slot():
    rng = np.random.default_rng(0)
    times, profile = rs.cycles(6, 1.2, rng)
    squatting = rs.squat(rs.standing(), 0.35 * profile)
    standing = rs.standing() + np.array([1.0, 0.0, 0.5])
    record = PoseRecord()
    for i, t in enumerate(times):
        pose = FramePose.empty(t, 2)
        pose.joints3d[0], pose.joints3d[1] = squatting[i], standing
        pose.present[:] = [True, i % 50 != 0]  # the second person is lost now and then
        record.add(pose)
    found = record.series()
    assert [s.count for s in found[0]] == [6] and found[1] == []
    assert PoseRecord().series() == {}
