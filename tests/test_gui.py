"""The PyQt6 window in offscreen mode: it plays a real video with overlay and labels, switches
model and source, records and screenshots, and shows every user mistake in the window instead of
failing. Checkpoints have random weights: labels are never asserted, only that they flow."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from app_fakes import CLASS_NAMES, cut_clip, make_checkpoint
from PyQt6.QtGui import QImage

from app.gui import main_window as mw
from app.gui.main_window import MainWindow, WindowOptions
from core.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
OTHER_CLASSES = ["jump", "sit", "kick"]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    return (make_checkpoint(folder / "first.pt"),
            make_checkpoint(folder / "second.pt", seed=1, class_names=OTHER_CLASSES))


@pytest.fixture
def make_window(qtbot, tmp_path, models):
    windows = []

    def make(source: str, model: Path | None = None) -> MainWindow:
        window = MainWindow(WindowOptions(source=source, model=model or models[0], device="cpu",
                                          output_dir=tmp_path / "out"))
        qtbot.addWidget(window)
        window.show()
        window.start_up()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()


def _card_labels(window):
    return [card.label.text() for card in window.actions_panel.cards]


def test_plays_a_video_with_overlay_and_action_panel(make_window, qtbot, videos_dir):
    window = make_window(str(videos_dir / "waving.avi"))
    assert window.engine is not None and window.message.text() == ""
    qtbot.waitUntil(lambda: window.video.frames_shown >= 5, timeout=15000)
    first = window.video.frames_shown
    qtbot.waitUntil(lambda: window.video.frames_shown > first + 5, timeout=15000)
    qtbot.waitUntil(lambda: bool(window.engine.current_actions()), timeout=15000)
    card = window.actions_panel.cards[0]
    # the card shows the engine's states when the GUI thread next takes them (at the next frame)
    qtbot.waitUntil(lambda: card.label.text() != "not seen", timeout=5000)
    assert [n.text() for n in card.names[:len(CLASS_NAMES)]] != [""] * len(CLASS_NAMES)
    assert sum(bar.value() for bar in card.bars) > 0
    qtbot.waitUntil(lambda: len(window.latency) > 3, timeout=5000)
    window._update_readout()
    text = window.readout.text()
    assert "fps" in text and "latency" in text and "on cpu" in text


def test_overlay_draws_the_skeleton(make_window, qtbot, videos_dir):
    window = make_window(str(videos_dir / "waving.avi"))
    seen = []
    window.engine.subscribe_frames(seen.append)
    qtbot.waitUntil(lambda: any(f.pose.present.any() for f in seen), timeout=15000)
    live = next(f for f in seen if f.pose.present.any())
    plain = live.frame[..., ::-1]
    assert live.display.shape == plain.shape  # 640 wide: not resized
    changed = np.any(live.display != plain, axis=2)
    assert 200 < changed.sum() < 0.5 * changed.size  # bones and joints drawn, not a repaint


def test_switching_model_and_source(make_window, qtbot, videos_dir, models):
    window = make_window(str(videos_dir / "waving.avi"))
    qtbot.waitUntil(lambda: bool(window.engine.current_actions()), timeout=15000)
    first_engine = window.engine
    assert window.load_model(str(models[1]))
    assert window.engine is not first_engine and "second" in window.windowTitle()
    assert window.controls.model.currentText() == "second"
    qtbot.waitUntil(lambda: any(s.top for s in window.engine.current_actions().values()), timeout=15000)
    state = next(s for s in window.engine.current_actions().values() if s.top)
    assert {name for name, _ in state.top} <= set(OTHER_CLASSES)
    assert window.open_source(str(videos_dir / "walking.avi"))
    assert window.controls.source.currentText() == "walking.avi"
    shown = window.video.frames_shown
    qtbot.waitUntil(lambda: window.video.frames_shown > shown + 3, timeout=15000)


def test_missing_camera_shows_a_message_and_offers_a_file(make_window, qtbot, videos_dir):
    window = make_window("7")  # no such camera here
    assert window.engine is None
    text = window.message.text()
    assert "camera" in text.lower() and window.message.level == "error"
    assert window.message._action.text() == "Open video file…"
    assert not window.video.has_frame()
    # the window is still usable: a file plays
    assert window.open_source(str(videos_dir / "walking.avi"))
    assert window.message.text() == ""
    qtbot.waitUntil(lambda: window.video.frames_shown > 2, timeout=15000)


def test_bad_files_show_messages_and_keep_the_window_usable(make_window, qtbot, videos_dir, tmp_path, models):
    window = make_window(str(videos_dir / "walking.avi"))
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"\x00garbage")
    assert not window.load_model(str(broken))
    assert "broken.pt" in window.message.text()
    assert window.recognizer.path == models[0] and window.controls.model.currentText() == "first"
    text_file = tmp_path / "notes.mp4"
    text_file.write_text("not a video")
    assert not window.open_source(str(text_file))
    assert "notes.mp4" in window.message.text() and window.engine is None
    assert window.open_source(str(videos_dir / "walking.avi"))
    qtbot.waitUntil(lambda: window.video.frames_shown > 2, timeout=15000)


def test_camera_lost_mid_run_is_a_message(make_window, qtbot, monkeypatch, videos_dir):
    from core.video import VideoReader

    class Unplugged(VideoReader):
        def __iter__(self):
            for i, item in enumerate(super().__iter__()):
                if i == 10:
                    raise InputError("camera 0 stopped delivering frames (unplugged?)")
                yield item

    monkeypatch.setattr(mw, "open_source", lambda spec: Unplugged(videos_dir / "walking.avi"))
    window = make_window("0")
    qtbot.waitUntil(lambda: "stopped delivering" in window.message.text(), timeout=15000)
    assert window.engine is None and window.controls.start_stop.text() == "Start"


def test_no_shipped_model_shows_poses_and_says_so(qtbot, tmp_path, monkeypatch, videos_dir):
    monkeypatch.setattr(mw, "startup_model", lambda: None)
    window = MainWindow(WindowOptions(source=str(videos_dir / "walking.avi"), output_dir=tmp_path))
    qtbot.addWidget(window)
    window.show()
    window.start_up()
    try:
        assert "No model" in window.message.text() and window.recognizer is None
        qtbot.waitUntil(lambda: window.video.frames_shown > 2, timeout=15000)
    finally:
        window.close()


def test_record_clip_and_screenshot(make_window, qtbot, videos_dir, tmp_path):
    window = make_window(str(videos_dir / "walking.avi"))
    window.toggle_recording()
    assert window.recorder is not None and window.controls.record.isChecked()
    qtbot.waitUntil(lambda: window.recorder.frames >= 10, timeout=15000)
    window.toggle_recording()
    clips = list((tmp_path / "out").glob("clip-*.mp4"))
    assert len(clips) == 1 and "Saved clip" in window.message.text()
    shot = window.save_screenshot()
    image = QImage(str(shot))
    assert not image.isNull() and image.width() == window.width()


def test_end_of_video_offers_to_play_again(make_window, qtbot, videos_dir, tmp_path):
    clip = cut_clip(videos_dir / "walking.avi", tmp_path / "short.avi", 0, 15)
    window = make_window(str(clip))
    qtbot.waitUntil(lambda: "End of short.avi" in window.message.text(), timeout=15000)
    assert window.engine is None and window.controls.start_stop.text() == "Start"
    assert window.video.has_frame()  # the last frame stays on screen
    window.message._action.click()  # "Play again"
    assert window.engine is not None and window.message.text() == ""


def test_model_list_is_refreshed_when_opened(make_window, monkeypatch, videos_dir, models):
    window = make_window(str(videos_dir / "walking.avi"))
    monkeypatch.setattr(mw, "shipped_models", lambda: [models[1]])
    window.controls.model.about_to_open.emit()
    items = [window.controls.model.itemText(i) for i in range(window.controls.model.count())]
    assert items == ["second", "first", "Open checkpoint…"]
    assert window.controls.model.currentText() == "first"


def test_threshold_keys_and_start_stop(make_window, qtbot, videos_dir):
    from PyQt6.QtCore import Qt

    window = make_window(str(videos_dir / "walking.avi"))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    before = window.config.threshold
    qtbot.keyClick(window, Qt.Key.Key_Plus)
    assert window.config.threshold == pytest.approx(before + 0.05)
    assert window.controls.threshold.value() == round((before + 0.05) * 100)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.engine is None and window.controls.start_stop.text() == "Start"
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.engine is not None


def test_screenshot_option_writes_a_png_of_the_window(tmp_path, videos_dir, models):
    shot = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--source", str(videos_dir / "waving.avi"),
                           "--model", str(models[0]), "--device", "cpu", "--screenshot", str(shot),
                           "--quit-after", "2"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    image = QImage(str(shot))
    assert not image.isNull() and image.width() >= 640 and image.height() >= 480
    ptr = image.convertToFormat(QImage.Format.Format_RGB888)
    pixels = np.frombuffer(ptr.constBits().asstring(ptr.sizeInBytes()), np.uint8)
    assert pixels.std() > 20  # not blank
    assert not list(tmp_path.glob(".shot.png*"))  # no temporary file left behind


def test_a_bug_in_a_slot_is_reported_not_fatal(tmp_path, videos_dir, models):
    """PyQt aborts on an exception escaping a slot; the app reports it in the window instead."""
    code = ("import sys\nfrom app.gui import main_window as mw\n"
            "def broken(self):\n    raise RuntimeError('readout broke')\n"
            "mw.MainWindow._update_readout = broken\n"
            "import main\nsys.exit(main.main(sys.argv[1:]))\n")
    shot = tmp_path / "shot.png"
    proc = subprocess.run([sys.executable, "-c", code, "--source", str(videos_dir / "walking.avi"),
                           "--model", str(models[0]), "--screenshot", str(shot), "--quit-after", "1.5"],
                          cwd=ROOT, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and shot.exists()
    assert "RuntimeError: readout broke" in proc.stderr


def test_command_line_stride_and_threshold_reach_the_window(qtbot, tmp_path, models):
    import main

    args = main.build_parser().parse_args(["--model", str(models[0]), "--stride", "0.5", "--threshold", "0.65"])
    options = mw.options_from_args(args)
    options.output_dir = tmp_path
    window = MainWindow(options)
    qtbot.addWidget(window)
    assert window.config.stride_seconds == 0.5 and window.config.threshold == 0.65
    assert window.controls.threshold.value() == 65 and window.controls.threshold_label.text() == "0.65"


def test_person_card_shows_the_repetition_count(qtbot):
    from app.gui.action_panel import PersonCard
    from app.scoring import ActionState

    card = PersonCard(0)
    qtbot.addWidget(card)
    top = (("squat", 0.8), ("wave", 0.1))
    card.show_state(ActionState(0, 5.0, "squat", 0.8, top, 0.6, False, reps=7))
    assert card.reps.text() == "7 repetitions" and card.label.text() == "squat"
    card.show_state(ActionState(0, 5.25, "squat", 0.8, top, 0.6, False))
    assert card.reps.text() == ""  # no series under way
    card.show_state(ActionState(0, 5.5, "squat", 0.8, top, 0.6, False, reps=8))
    card.show_absent()
    assert card.reps.text() == "" and card.label.text() == "not seen"


def test_source_picker_takes_a_stream_url(make_window, qtbot, monkeypatch):
    """"Open stream URL…" asks for an address; the window then plays the network camera (an MJPEG
    stream served on 127.0.0.1) and lists it in the picker; a bad address is a message."""
    from mjpeg_server import MJPEGServer

    frames = [np.full((120, 160, 3), 10 * i, np.uint8) for i in range(20)]
    with MJPEGServer(frames) as server:
        window = make_window(str(Path(__file__)))  # starts on a file that is no video: a message
        monkeypatch.setattr(mw.QInputDialog, "getText", lambda *a, **k: (server.url, True))
        window.choose_stream_url()
        assert window.engine is not None and window.message.text() == ""
        qtbot.waitUntil(lambda: window.video.frames_shown >= 10, timeout=15000)
        picker = window.controls.source
        assert picker.currentData() == server.url and picker.currentText() == server.url
        window.stop()
    monkeypatch.setattr(mw.QInputDialog, "getText", lambda *a, **k: ("ftp://nowhere/x", True))
    window.choose_stream_url()
    assert "not a stream address" in window.message.text()
    assert not window.open_source(server.url)  # the server is gone
    assert window.message.text().startswith("cannot open stream") and window.engine is None


def _start_with_model_loading(qtbot, tmp_path, monkeypatch, videos_dir, model):
    """A window started on waving.avi whose start-up ``model`` loads only when the returned future
    is given its result."""
    from concurrent.futures import Future

    from app import recognizer_loader

    pending = Future()
    monkeypatch.setattr(recognizer_loader, "load_in_background", lambda path, device: pending)
    window = MainWindow(WindowOptions(source=str(videos_dir / "waving.avi"), model=model, device="cpu",
                                      output_dir=tmp_path))
    qtbot.addWidget(window)
    window.show()
    window.start_up()
    return window, pending


def test_poses_show_while_the_model_loads_then_it_joins_the_running_engine(qtbot, tmp_path, monkeypatch,
                                                                           videos_dir, models):
    from app.recognizer import Recognizer

    window, pending = _start_with_model_loading(qtbot, tmp_path, monkeypatch, videos_dir, models[0])
    try:
        engine = window.engine
        qtbot.waitUntil(lambda: window.video.frames_shown >= 3, timeout=15000)
        assert window.recognizer is None and not engine.current_actions()  # poses first
        assert window.controls.model.currentText() == "first"
        pending.set_result(Recognizer(models[0], "cpu"))
        qtbot.waitUntil(lambda: any(s.top for s in engine.current_actions().values()), timeout=15000)
        assert window.engine is engine and window.recognizer.path == models[0]  # no restart
    finally:
        window.close()


def test_a_two_person_model_loading_late_restarts_the_source_with_two_slots(qtbot, tmp_path, monkeypatch,
                                                                            videos_dir):
    from app.recognizer import Recognizer

    pair = make_checkpoint(tmp_path / "pair.pt", num_person=2)
    window, pending = _start_with_model_loading(qtbot, tmp_path, monkeypatch, videos_dir, pair)
    try:
        first = window.engine
        assert first.pipeline.persons == 1
        pending.set_result(Recognizer(pair, "cpu"))
        qtbot.waitUntil(lambda: window.engine is not first, timeout=15000)
        assert window.engine.pipeline.persons == 2 and window.actions_panel.cards[0].title() == "Both people"
        qtbot.waitUntil(lambda: bool(window.engine.current_actions()), timeout=15000)
    finally:
        window.close()
