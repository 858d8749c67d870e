"""Headless ``--video`` analysis on real footage: every frame analysed, outputs consistent with the
video, written atomically; folders of clips; bad input refused with a one-line error."""
import json

import cv2
import pytest
from app_fakes import CLASS_NAMES, cut_clip, make_checkpoint

import main
from app.scoring import NO_ACTION


def _frame_count(path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return make_checkpoint(tmp_path_factory.mktemp("ck") / "one.pt")


@pytest.fixture(scope="module")
def ntu_run(videos_dir, model, tmp_path_factory):
    """One analysis of the real two-person NTU clip with every output requested."""
    out = tmp_path_factory.mktemp("out")
    video = videos_dir / "ntu_sample.avi"
    code = main.main(["--video", str(video), "--model", str(model), "--out", str(out / "a.mp4"),
                      "--timeline", str(out / "t.json"), "--csv", str(out / "s.csv"), "--device", "cpu"])
    return code, video, out


def test_timeline_counts_every_frame_of_the_video(ntu_run, model):
    code, video, out = ntu_run
    assert code == 0
    timeline = json.loads((out / "t.json").read_text())
    assert timeline["frames"] == _frame_count(video) == 72
    assert timeline["fps"] == pytest.approx(30.0)
    assert 0 < timeline["frames_with_pose"] <= timeline["frames"]
    assert timeline["video"] == str(video) and timeline["model"] == str(model)
    windows = timeline["windows"]
    assert windows, "no window was recognised on a 2.4 s clip with people in it"
    ts = [w["t"] for w in windows]
    assert ts == sorted(ts) and 0 < ts[0] and ts[-1] <= 73 / 30 + 1e-6  # AVI timestamps start at 2/30 s
    for w in windows:
        assert [t["label"] for t in w["top"]] and all(t["label"] in CLASS_NAMES for t in w["top"])
        scores = [t["score"] for t in w["top"]]
        assert scores == sorted(scores, reverse=True) and sum(scores) <= 1.0001
    assert timeline["dominant"]["label"] in CLASS_NAMES + [NO_ACTION]
    for seg in timeline["segments"]:
        assert set(seg) == {"person", "start_s", "end_s", "label", "score", "reps"}
        assert 0 <= seg["start_s"] <= seg["end_s"] <= 73 / 30 + 1e-6
    assert timeline["repetitions"] == []  # 2.4 s: too short for three cycles of anything
    for row in timeline["summary"]:
        assert set(row) == {"person", "label", "seconds", "segments", "repetitions"}
        mine = [s for s in timeline["segments"] if s["person"] == row["person"] and s["label"] == row["label"]]
        assert row["segments"] == len(mine) > 0 and row["repetitions"] == 0
        assert row["seconds"] == pytest.approx(sum(s["end_s"] - s["start_s"] for s in mine), abs=1e-3)


def test_annotated_video_has_every_frame(ntu_run):
    _, video, out = ntu_run
    annotated = out / "a.mp4"
    assert _frame_count(annotated) == _frame_count(video)
    cap = cv2.VideoCapture(str(annotated))
    assert (cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (1920, 1080)
    cap.release()


def test_csv_holds_the_segments_and_no_temporary_files_remain(ntu_run):
    _, _, out = ntu_run
    lines = (out / "s.csv").read_text().splitlines()
    timeline = json.loads((out / "t.json").read_text())
    assert lines[0] == "person,start_s,end_s,label,score,reps"
    assert len(lines) - 1 == len(timeline["segments"])
    assert sorted(p.name for p in out.iterdir()) == ["a.mp4", "s.csv", "t.json"]


@pytest.fixture(scope="module")
def clip_folder(videos_dir, tmp_path_factory):
    """Two short real clips (downscaled cuts of ntu_sample.avi) and one broken 'video'."""
    folder = tmp_path_factory.mktemp("clips")
    cut_clip(videos_dir / "ntu_sample.avi", folder / "a_first.avi", 0, 20)
    cut_clip(videos_dir / "ntu_sample.avi", folder / "b_second.avi", 20, 20)
    (folder / "c_broken.mp4").write_bytes(b"this is not a video")
    return folder


def test_folder_of_clips_reports_one_dominant_line_per_clip(clip_folder, tmp_path, capsys):
    model = make_checkpoint(tmp_path / "one.pt", window_seconds=0.5)
    code = main.main(["--video", str(clip_folder), "--model", str(model), "--timeline", str(tmp_path / "tl")])
    printed = capsys.readouterr().out
    assert code == 0
    dominant = [line for line in printed.splitlines() if line.startswith("dominant: ")]
    assert [line.rsplit("clip=", 1)[1] for line in dominant] == ["a_first.avi", "b_second.avi"]
    assert "skipped c_broken.mp4" in printed
    written = sorted(p.name for p in (tmp_path / "tl").iterdir())
    assert written == ["a_first.timeline.json", "b_second.timeline.json"]
    assert json.loads((tmp_path / "tl" / "a_first.timeline.json").read_text())["frames"] == 20


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("make_input, message", [
    (lambda d: d / "missing.mp4", "not found"),
    (lambda d: _write(d / "empty.mp4", b""), "empty"),
    (lambda d: _write(d / "text.avi", b"hello"), "not a readable video"),
    (lambda d: d, "no video files"),
    (lambda d: "rtsp://viewer:pw@cam.local/live", "analyses recorded files; to watch the stream "
                                                  "rtsp://viewer:***@cam.local/live live, use --source URL"),
])
def test_bad_video_input_is_a_one_line_error(tmp_path, capsys, make_input, message):
    model = make_checkpoint(tmp_path / "m.pt")
    target = make_input(tmp_path)
    code = main.main(["--video", str(target), "--model", str(model), "--timeline", str(tmp_path / "t.json")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: ") and message in err and "\n" not in err
    assert not (tmp_path / "t.json").exists()


def test_bad_checkpoint_is_refused(tmp_path, videos_dir, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    code = main.main(["--video", str(videos_dir / "ntu_sample.avi"), "--model", str(bad)])
    assert code == 2 and "bad.pt" in capsys.readouterr().err


def test_stride_and_threshold_options_reach_the_pipeline(videos_dir, model, tmp_path, ntu_run):
    assert json.loads((ntu_run[2] / "t.json").read_text())["segments"] == []  # default 0.4: no action
    out = tmp_path / "t.json"
    code = main.main(["--video", str(videos_dir / "ntu_sample.avi"), "--model", str(model), "--device", "cpu",
                      "--stride", "0.5", "--threshold", "0", "--timeline", str(out)])
    assert code == 0
    timeline = json.loads(out.read_text())
    times = sorted({w["t"] for w in timeline["windows"]})
    assert len(times) >= 2 and min(b - a for a, b in zip(times, times[1:])) >= 0.5 - 1e-6
    assert timeline["segments"] and all(s["label"] in CLASS_NAMES for s in timeline["segments"])


@pytest.mark.parametrize("option, value, message", [
    ("--stride", "0", "--stride must be a positive number of seconds"),
    ("--stride", "-1", "--stride must be a positive number of seconds"),
    ("--threshold", "1.5", "--threshold must be between 0 and 1"),
])
def test_bad_stride_or_threshold_is_a_one_line_error(videos_dir, model, capsys, option, value, message):
    code = main.main(["--video", str(videos_dir / "ntu_sample.avi"), "--model", str(model), option, value])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and "\n" not in err
