"""The "Teach" tab in the real window (offscreen) on a short real video: a take saves the video and
the live pose stage's skeleton sequence into the clips folder, the counts update, a bad take is
deleted, mistakes are shown in the window, and fine-tuned checkpoints appear in the model picker."""
from __future__ import annotations

import numpy as np
import pytest
from app_fakes import cut_clip, make_checkpoint
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QMessageBox

from app.gui.main_window import MainWindow, WindowOptions
from core.video import VideoReader
from model.data import clips


@pytest.fixture(scope="module")
def short_video(tmp_path_factory, videos_dir):
    """Four seconds of the real waving clip, small."""
    folder = tmp_path_factory.mktemp("video")
    return cut_clip(videos_dir / "waving.avi", folder / "waving_short.avi", 30, 120, size=(320, 240))


@pytest.fixture
def window(qtbot, tmp_path, short_video):
    model = make_checkpoint(tmp_path / "model.pt")
    win = MainWindow(WindowOptions(source=str(short_video), model=model, device="cpu",
                                   output_dir=tmp_path / "out"))
    qtbot.addWidget(win)
    win.show()
    win.start_up()
    win.recorder_panel.countdown.setValue(0)
    yield win
    win.close()


def _record(panel, qtbot, action: str, frames: int = 8) -> clips.Clip:
    panel.action.setCurrentText(action)
    assert panel.start_take()
    qtbot.waitUntil(lambda: panel.recorder.frames_with_person >= frames and panel.recorder.seconds > 0.7,
                    timeout=20000)
    return panel.stop_take()


def test_a_take_saves_video_and_sequence_and_counts_update(window, qtbot, monkeypatch):
    panel = window.recorder_panel
    folder = window.output_dir / "clips"
    assert panel.clips_folder == folder and panel.counts() == {}

    first = _record(panel, qtbot, "wave")
    assert first is not None and first.action == "wave"
    assert first.video.parent == folder / "wave" and first.video.suffix == ".mp4"
    assert first.sequence == first.video.with_suffix(".npz")
    reader = VideoReader(first.video)
    assert sum(1 for _ in reader) >= 8
    with np.load(first.sequence, allow_pickle=False) as z:
        skeleton, t = z["skeleton"], z["timestamps"]
        assert skeleton.shape[0] == 3 and skeleton.shape[2:] == (25, 1) and skeleton.shape[1] == len(t) >= 8
        assert str(z["label_name"]) == "wave" and str(z["source"]) == first.video.name
        assert t[0] == 0 and np.all(np.diff(t) > 0) and z["visibility"].shape == (len(t), 25, 1)
        assert skeleton.any(axis=(0, 2))[:, 0].mean() > 0.5  # the waving man is in most frames
    assert not first.needs_extraction  # training reads the sequence, never the video again
    assert panel.counts() == {"wave": 1} and panel.selected_take() == first
    assert "Saved take wave/" in window.message.text()

    second = _record(panel, qtbot, "raise arms")
    assert panel.counts() == {"raise arms": 1, "wave": 1}
    assert second.sequence.parent.name == "raise arms"

    # the saved takes are a clip folder that training reads without extracting anything
    data = clips.load_clips(folder, progress=False, extract=lambda *a, **k: pytest.fail("extracted"))
    assert data.class_names == ("raise arms", "wave") and len(data) == 2

    # delete the bad take: confirmation, files gone, counts and folders follow
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    panel.select_take(second)
    assert not panel.delete_selected() and second.sequence.exists()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert panel.delete_selected()
    assert not second.video.exists() and not second.sequence.exists()
    assert not (folder / "raise arms").exists() and panel.counts() == {"wave": 1}


def test_record_key_countdown_and_end_of_source(window, qtbot):
    panel = window.recorder_panel
    panel.action.setCurrentText("wave")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    panel.countdown.setValue(1)
    qtbot.keyClick(window, Qt.Key.Key_T)
    assert panel.recorder is None and "get ready" in panel.status.text()
    qtbot.waitUntil(lambda: panel.recorder is not None, timeout=3000)
    assert panel.record.text().startswith("Stop take")
    # the video ends while recording: the take is saved when the engine goes
    qtbot.waitUntil(lambda: window.engine is None, timeout=20000)
    assert panel.recorder is None and panel.counts() == {"wave": 1}
    assert panel.record.text().startswith("Record take")


def test_mistakes_are_shown_in_the_window(window, qtbot):
    panel = window.recorder_panel
    panel.action.setCurrentText("  ")
    assert not panel.start_take()
    assert "action name" in window.message.text() and window.message.level == "error"
    window.stop()
    panel.action.setCurrentText("wave")
    assert not panel.start_take()
    assert "Start a source" in window.message.text()
    assert panel.counts() == {} and not (window.output_dir / "clips").exists()


def test_a_take_too_short_is_not_kept(window, qtbot):
    panel = window.recorder_panel
    panel.action.setCurrentText("wave")
    assert panel.start_take()
    qtbot.waitUntil(lambda: panel.recorder.frames_with_person >= 1, timeout=20000)
    assert panel.stop_take() is None
    assert "too short" in window.message.text() and "nothing was saved" in window.message.text()
    assert panel.counts() == {} and not (window.output_dir / "clips" / "wave").exists()


def test_fine_tuned_checkpoints_are_listed_in_the_model_picker(window, user_models_dir):
    items = lambda: [window.controls.model.itemText(i) for i in range(window.controls.model.count())]  # noqa: E731
    assert "my_actions" not in items()
    make_checkpoint(user_models_dir / "my_actions.pt", class_names=["wave", "raise arms"])
    window.refresh_models()
    assert "my_actions" in items()
    assert window.load_model(str(user_models_dir / "my_actions.pt"))
    assert window.recognizer.class_names == ["wave", "raise arms"]
