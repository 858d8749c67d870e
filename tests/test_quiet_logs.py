"""Quiet by default: the command line keeps MediaPipe's and TensorFlow Lite's native log lines out
of the terminal (they would land in the middle of the progress bar), passes everything else on
(progress, results, errors raised after MediaPipe loaded), and shows them all with --verbose."""
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from app_fakes import make_checkpoint

from core.native_logs import is_native_log_line

ROOT = Path(__file__).resolve().parents[1]
NATIVE = ("XNNPACK delegate", "absl::InitializeLog", "inference_feedback_manager", "landmark_projection")


def test_native_log_lines_are_told_from_everything_else():
    native = [b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
              b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
              b"W0000 00:00:1796150188.123407    5788 inference_feedback_manager.cc:114] Feedback manager",
              b"W0000 00:00:1796150188.373140    5787 landmark_projection_calculator.cc:186] Using NORM_RECT",
              b"I0000 00:00:1796150188.000001      12 gl_context.cc:357] GL version: 3.2"]
    other = [b"error: video file not found: clip.mp4", b"Traceback (most recent call last):",
             b"clip.mp4:  40%|####      | 4/10 [00:01<00:01,  3.2frame/s]", b"INFO: training started",
             b"WARNING: only 3 clips for action 'wave'", b"W0000 is not a log line", b"dominant: label=\"wave\""]
    assert all(is_native_log_line(line) for line in native)
    assert not any(is_native_log_line(line) for line in other)


@pytest.fixture(scope="module")
def clip_and_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("quiet")
    clip = folder / "grey.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 30, (320, 240))
    for i in range(60):
        writer.write(np.full((240, 320, 3), 60 + i, np.uint8))
    writer.release()
    truncated = folder / "cut.avi"
    data = clip.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    return clip, truncated, make_checkpoint(folder / "m.pt")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_video_analysis_is_quiet_unless_verbose(clip_and_model):
    clip, _, model = clip_and_model
    quiet = _run("--video", str(clip), "--model", str(model), "--device", "cpu")
    assert quiet.returncode == 0, quiet.stderr
    assert not [n for n in NATIVE if n in quiet.stderr + quiet.stdout], quiet.stderr
    assert "/60 [" in quiet.stderr  # the progress bar still shows
    assert 'dominant: label="no action"' in quiet.stdout  # nobody in a grey clip
    verbose = _run("--video", str(clip), "--model", str(model), "--device", "cpu", "--verbose")
    assert verbose.returncode == 0
    assert [n for n in NATIVE if n in verbose.stderr], "MediaPipe logged nothing: the check proves nothing"


def test_an_error_after_mediapipe_loaded_still_reaches_the_terminal(clip_and_model):
    _, truncated, model = clip_and_model
    result = _run("--video", str(truncated), "--model", str(model), "--device", "cpu")
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: video ended after") and "truncated" in last
    assert not [n for n in NATIVE if n in result.stderr]
