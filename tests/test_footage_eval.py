"""``--eval --data VIDEOS``: labelled real clips scored exactly as ``--video`` decides them, with the
pose output cached outside the (possibly read-only) data folder."""
import json
import re

import pytest
from app_fakes import cut_clip, make_checkpoint

import main
from app.footage_eval import LabelledClip, find_labelled_videos
from app.scoring import NO_ACTION


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return make_checkpoint(tmp_path_factory.mktemp("ck") / "m.pt", window_seconds=1.0)


@pytest.fixture(scope="module")
def footage(videos_dir, tmp_path_factory):
    """Two short real clips and a labels.csv, like ../shared/videos."""
    folder = tmp_path_factory.mktemp("footage")
    cut_clip(videos_dir / "waving.avi", folder / "wave.avi", 0, 60)
    cut_clip(videos_dir / "walking.avi", folder / "walk.avi", 30, 60)
    (folder / "labels.csv").write_text("file,label,pattern,reps\nwave.avi,wave,wave|clap,\nwalk.avi,no action,,\n")
    return folder


def test_labels_match_by_pattern_name_alias_or_no_action(tmp_path):
    clip = LabelledClip(tmp_path / "a.mp4", "boxing", "box|punch")
    assert clip.accepts("front boxing", {}) and clip.accepts("Punch", {}) and not clip.accepts("clap", {})
    assert not clip.accepts(NO_ACTION, {})
    named = LabelledClip(tmp_path / "b.mp4", "right hand wave")
    assert named.accepts("Right Hand Wave", {}) and named.accepts("wave", {"wave": ["right hand wave"]})
    assert not named.accepts("wave", {})
    assert LabelledClip(tmp_path / "c.mp4", "no action").accepts(NO_ACTION, {})
    assert not LabelledClip(tmp_path / "c.mp4", "none").accepts("wave", {})


def test_class_folders_are_labelled_videos_and_npz_clip_folders_are_not(tmp_path):
    (tmp_path / "v" / "wave").mkdir(parents=True)
    (tmp_path / "v" / "no action").mkdir()
    (tmp_path / "v" / "wave" / "a.mp4").write_bytes(b"x")
    (tmp_path / "v" / "no action" / "b.avi").write_bytes(b"x")
    clips = find_labelled_videos(tmp_path / "v")
    assert [(c.path.name, c.label, c.negative) for c in clips] == [("b.avi", "no action", True), ("a.mp4", "wave", False)]
    (tmp_path / "s" / "wave").mkdir(parents=True)
    (tmp_path / "s" / "wave" / "a.npz").write_bytes(b"x")
    assert find_labelled_videos(tmp_path / "s") is None


@pytest.mark.parametrize("content, message", [
    ("name,action\nwave.avi,wave\n", "needs a header with the columns file,label"),
    ("file,label\nmissing.avi,wave\n", "line 2: missing.avi is not a file"),
    ("file,label,pattern\nwave.avi,wave,(unclosed\n", "line 2: pattern '(unclosed' is not a regular expression"),
])
def test_bad_labels_csv_is_one_line_error(tmp_path, model, capsys, content, message):
    (tmp_path / "wave.avi").write_bytes(b"x")
    (tmp_path / "labels.csv").write_text(content)
    assert main.main(["--eval", "--checkpoint", str(model), "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_eval_decides_each_clip_as_video_does_and_caches_poses(footage, model, tmp_path, capsys,
                                                                pose_cache_dir, monkeypatch):
    before = sorted(p.name for p in footage.iterdir())
    report_path = tmp_path / "r.json"
    assert main.main(["--eval", "--checkpoint", str(model), "--data", str(footage), "--json", str(report_path),
                      "--threshold", "0.2"]) == 0
    out = capsys.readouterr().out
    report = json.loads(report_path.read_text())
    assert re.search(rf"^clips=2 right={report['right']}$", out, re.M)
    assert [c["file"] for c in report["clips"]] == ["wave.avi", "walk.avi"]
    assert sorted(p.name for p in footage.iterdir()) == before  # nothing written into the data folder
    assert len(list(pose_cache_dir.glob("*.npz"))) == 2
    for clip in report["clips"]:  # the same decision as --video on the clip
        timeline = tmp_path / f"{clip['file']}.json"
        assert main.main(["--video", str(footage / clip["file"]), "--model", str(model), "--threshold", "0.2",
                          "--timeline", str(timeline)]) == 0
        dominant = json.loads(timeline.read_text())["dominant"]
        assert (clip["got"], clip["best"]) == (dominant["label"], dominant["best"])
        assert clip["score"] == pytest.approx(dominant["score"], abs=1e-4)
        assert clip["right"] == (clip["got"] == NO_ACTION if clip["expected"] == NO_ACTION
                                 else bool(re.search("wave|clap", clip["got"])))
    capsys.readouterr()

    import pose.mediapipe_estimator

    def no_mediapipe(*args, **kwargs):
        raise AssertionError("MediaPipe ran although the poses were cached")

    monkeypatch.setattr(pose.mediapipe_estimator.MediaPipePoseEstimator, "__init__", no_mediapipe)
    assert main.main(["--eval", "--checkpoint", str(model), str(model), "--data", str(footage),
                      "--threshold", "0.2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-2:] == [f"clips=2 right={report['right']} checkpoint={model}"] * 2


def test_video_options_are_refused_for_skeleton_data(utd_dir, model, capsys):
    assert main.main(["--eval", "--checkpoint", str(model), "--data", str(utd_dir), "--threshold", "0.5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --threshold only applies to --eval on a folder of labelled videos")
