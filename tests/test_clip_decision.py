"""One label per clip: still windows count but add nothing, the background class is never named."""
import numpy as np

from app.clip_decision import ClipDecision
from app.scoring import NO_ACTION, decide

NAMES = ["wave", "clap", "other"]


def _state(probs, motion=1.0, background=("other",)):
    return decide(0, 1.0, np.array(probs), NAMES, threshold=0.4, motion=motion, still_threshold=0.15,
                  background=background)


def test_the_background_class_reads_no_action_live():
    assert _state([0.2, 0.1, 0.7]).label == NO_ACTION
    assert _state([0.2, 0.1, 0.7], background=()).label == "other"
    assert _state([0.7, 0.1, 0.2]).label == "wave"


def test_best_is_the_action_with_the_highest_mean_and_still_windows_dilute_it():
    d = ClipDecision({"other"})
    for _ in range(3):
        d.add(_state([0.8, 0.15, 0.05]))
    assert d.best()[0] == d.dominant(0.4)[0] == "wave" and abs(d.best()[1] - 0.8) < 1e-9
    assert d.runner_up()[0] == "clap"
    for _ in range(3):  # the person stands still for as long again: the clip is half rest
        d.add(_state([0.8, 0.15, 0.05], motion=0.01))
    assert abs(d.best()[1] - 0.4) < 1e-9
    for _ in range(2):
        d.add(_state([0.8, 0.15, 0.05], motion=0.01))
    label, score = d.dominant(0.4)
    assert label == NO_ACTION and abs(score - 0.3) < 1e-9


def test_background_above_every_action_gives_no_action():
    d = ClipDecision({"other"})
    for probs in ([0.45, 0.05, 0.5], [0.42, 0.08, 0.5]):
        d.add(_state(probs))
    label, score = d.dominant(0.4)
    assert label == NO_ACTION and abs(score - 0.435) < 1e-9
    assert d.best()[0] == "wave" and abs(d.background_score() - 0.5) < 1e-9
    assert ClipDecision().dominant(0.4) == (NO_ACTION, 0.0)  # nobody seen


def test_several_background_classes_count_together():
    names = ["wave", "draw x", "draw circle"]
    state = decide(0, 1.0, np.array([0.4, 0.35, 0.25]), names, threshold=0.3, motion=1.0, still_threshold=0.1,
                   background={"draw x", "draw circle"})
    assert state.label == NO_ACTION and state.score == 0.4 and state.top[0] == ("wave", 0.4)
    state = decide(0, 1.0, np.array([0.2, 0.7, 0.1]), names, threshold=0.1, motion=1.0, still_threshold=0.1,
                   background={"draw x", "draw circle"})
    assert state.label == NO_ACTION and state.score == 0.2  # the best action's score, not the background's
    d = ClipDecision({"draw x", "draw circle"})
    d.add(decide(0, 1.0, np.array([0.6, 0.3, 0.1]), names, 0.3, 1.0, 0.1, background={"draw x", "draw circle"}))
    assert d.dominant(0.3)[0] == "wave" and abs(d.background_score() - 0.4) < 1e-9
