"""The main window: live video with skeletons, the action of each person, a timeline, controls.

    python main.py [--source CAMERA_INDEX|VIDEO_FILE] [--model CHECKPOINT] [--device auto|cpu|cuda]
                   [--persons 1|2] [--screenshot PNG --quit-after SECONDS]

The window owns one :class:`app.engine.RealtimeEngine` at a time; changing the source or the model
starts a fresh one. At start-up the model loads in the background while the engine already shows
the poses of the first frames; it then joins the running engine (a fresh one only when it needs
other person slots). Every problem the user can cause (no camera, a bad file, a bad checkpoint, a
camera unplugged mid-run) is shown in the message strip and the window stays usable. Other
workflows plug in with :meth:`MainWindow.add_panel` and the ``engine_changed`` signal (their
panels subscribe to the engine's frames).
"""
from __future__ import annotations

import argparse
import math
import sys
import time
import traceback
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt6.QtCore import QStandardPaths, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QImage, QKeySequence
from PyQt6.QtWidgets import (QApplication, QFileDialog, QInputDialog, QLabel, QMainWindow, QMessageBox,
                             QSplitter, QTabWidget, QVBoxLayout, QWidget)

from app.engine import RealtimeEngine
from app.gui.action_panel import ActionPanel
from app.gui.controls import ControlBar
from app.gui.message_bar import MessageBar
from app.gui.recorder_panel import add_recorder_panel
from app.gui.timeline_view import TimelineView
from app.gui.video_view import VideoView
from app.metrics import LatencyStats, RateMeter
from app.model_catalog import shipped_models, startup_model
from app.pipeline import ActionPipeline, PipelineConfig, config_from_args, is_absent
from app.recognizer_loader import RecognizerLoad
from app.recording import ClipRecorder
from app.sources import CameraSource, NetworkSource, is_stream_url, open_source
from app.timeline import SegmentBuilder
from core.atomic import atomic_path
from core.errors import InputError
from model.user_models import user_models

MAX_QUIT_AFTER = 86400.0  # Qt timers count milliseconds in 32 bits (at most 24.8 days)

if TYPE_CHECKING:  # torch comes with the recogniser, imported when a model loads
    from app.recognizer import Recognizer

MODEL_LOAD_DELAY_MS = 1500
"""The start-up model starts loading at the first frame shown, at the latest after this long."""

VIDEO_FILTER = "Videos (*.mp4 *.avi *.mov *.mkv *.webm *.m4v);;All files (*)"
MODEL_FILTER = "Checkpoints (*.pt *.pth);;All files (*)"
SHORTCUTS = (
    ("Space", "start / stop"), ("Ctrl+O", "open a video file"), ("Ctrl+U", "open a stream URL"),
    ("Ctrl+M", "open a checkpoint"),
    ("R", "record a clip / stop recording"), ("T", "record a take of an action (Teach tab)"),
    ("Ctrl+S", "save a screenshot"),
    ("+ / -", "raise / lower the threshold"), ("F11", "full screen"), ("Esc", "dismiss the message"),
    ("F1", "this list"), ("Ctrl+Q", "quit"),
)


def default_output_dir() -> Path:
    """Where clips and screenshots go: the user's Videos folder (else home) / action-recognition."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MoviesLocation)
    return Path(base or Path.home()) / "action-recognition"


@dataclass
class WindowOptions:
    """What the window starts with (from the command line)."""

    source: str = "0"
    model: Path | None = None  # None: the shipped default
    device: str = "auto"
    persons: int | None = None
    output_dir: Path = field(default_factory=default_output_dir)
    pipeline: PipelineConfig | None = None  # stride, threshold, persons (None: defaults)


class MainWindow(QMainWindow):
    """The application window. Public methods are what the controls, tests and plug-ins call."""

    engine_event = pyqtSignal(object, str)  # (engine, kind) from engine threads, to the GUI thread
    engine_changed = pyqtSignal(object)  # the new RealtimeEngine, or None when stopped
    _model_loaded = pyqtSignal(object)  # the start-up model's future, from its loading thread

    def __init__(self, options: WindowOptions | None = None) -> None:
        super().__init__()
        self.options = options or WindowOptions()
        self.output_dir = self.options.output_dir
        self.config = self.options.pipeline or PipelineConfig(persons=self.options.persons)
        self.recognizer: Recognizer | None = None
        self._starting_model: RecognizerLoad | None = None  # the start-up model, until it is in use
        self.engine: RealtimeEngine | None = None
        self.source_spec: str | None = None
        self.source = None  # the running source (a stream tells whether it is reconnecting)
        self.source_fps: float | None = None
        self.recorder: ClipRecorder | None = None
        self.segments = SegmentBuilder()
        self.latency = LatencyStats()
        self.display_rate = RateMeter()
        self._last_t = 0.0
        self.setWindowTitle("Action recognition")
        self.resize(1280, 800)
        self._build()
        self._build_actions()
        self.engine_event.connect(self._on_engine_event)
        self._model_loaded.connect(self._on_starting_model)
        self.video.painted.connect(self._on_painted)
        self._readout_timer = QTimer(self)
        self._readout_timer.timeout.connect(self._update_readout)
        self._readout_timer.start(500)
        self.controls.show_threshold(self.config.threshold)
        self.controls.show_running(False)
        self.recorder_panel = add_recorder_panel(self)

    # --- layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        self.controls = ControlBar()
        self.message = MessageBar()
        self.video = VideoView()
        self.video.set_placeholder("Starting…")
        self.actions_panel = ActionPanel()
        self.side_tabs = QTabWidget()
        self.side_tabs.addTab(self.actions_panel, "Actions")
        self.side_tabs.setMinimumWidth(300)
        self.timeline = TimelineView()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.video)
        split.addWidget(self.side_tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(4, 4, 4, 4)
        for widget, stretch in ((self.controls, 0), (self.message, 0), (split, 1), (self.timeline, 0)):
            column.addWidget(widget, stretch)
        self.setCentralWidget(central)
        self.readout = QLabel()
        self.statusBar().addWidget(self.readout, 1)
        c = self.controls
        c.source_chosen.connect(self.open_source)
        c.open_file_requested.connect(self.choose_video_file)
        c.open_url_requested.connect(self.choose_stream_url)
        c.model_chosen.connect(self.load_model)
        c.model.about_to_open.connect(self.refresh_models)
        c.open_model_requested.connect(self.choose_model_file)
        c.threshold_changed.connect(self.set_threshold)
        c.start_stop_clicked.connect(self.toggle_running)
        c.record_clicked.connect(self.toggle_recording)
        c.screenshot_clicked.connect(self.save_screenshot)
        for button in (c.start_stop, c.record, c.screenshot):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def _build_actions(self) -> None:
        def action(menu, text: str, keys, slot) -> QAction:
            act = QAction(text, self)
            act.setShortcuts([QKeySequence(k) for k in (keys if isinstance(keys, tuple) else (keys,))])
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            menu.addAction(act)
            return act

        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        action(file_menu, "Open video…", "Ctrl+O", self.choose_video_file)
        action(file_menu, "Open stream URL…", "Ctrl+U", self.choose_stream_url)
        action(file_menu, "Open checkpoint…", "Ctrl+M", self.choose_model_file)
        action(file_menu, "Save screenshot", "Ctrl+S", lambda: self.save_screenshot())
        action(file_menu, "Record clip", "R", self.toggle_recording)
        action(file_menu, "Quit", "Ctrl+Q", self.close)
        run_menu = bar.addMenu("&Run")
        action(run_menu, "Start / stop", "Space", self.toggle_running)
        step = 0.05
        action(run_menu, "Raise threshold", ("+", "="), lambda: self.set_threshold(self.config.threshold + step))
        action(run_menu, "Lower threshold", "-", lambda: self.set_threshold(self.config.threshold - step))
        view_menu = bar.addMenu("&View")
        action(view_menu, "Full screen", "F11", self._toggle_full_screen)
        action(view_menu, "Dismiss message", "Esc", self.message.clear)
        help_menu = bar.addMenu("&Help")
        action(help_menu, "Keyboard shortcuts", "F1", self._show_shortcuts)

    def add_panel(self, widget: QWidget, title: str) -> None:
        """Add a tab beside "Actions" (e.g. a workflow that records the user's own actions)."""
        self.side_tabs.addTab(widget, title)

    # --- messages -------------------------------------------------------------------------------

    def show_error(self, text: str, action_text: str | None = None, action=None) -> None:
        self.message.show_message(text, "error", action_text, action)

    def show_info(self, text: str, action_text: str | None = None, action=None) -> None:
        self.message.show_message(text, "info", action_text, action)

    # --- model ----------------------------------------------------------------------------------

    def start_up(self) -> None:
        """Open the starting source at once and load the starting model beside it (called once
        the window shows): the first frame is on screen before torch is imported (it starts
        loading once that frame is shown, or after :data:`MODEL_LOAD_DELAY_MS`), and poses are on
        screen while it loads."""
        model = self.options.model or startup_model()
        if model is not None:
            self._starting_model = RecognizerLoad(model, self.options.device)
            self.controls.show_models(shipped_models() + user_models(), self._starting_model.checkpoint)
        self.open_source(self.options.source)
        if model is not None:
            if self.engine is None:
                self._start_loading()
            else:
                QTimer.singleShot(MODEL_LOAD_DELAY_MS, self._start_loading)
        if model is None:
            self.refresh_models()
        if model is None and not self.message.text():  # a source problem is the more pressing news
            self.show_error("No model found in assets/models/: showing poses only. "
                            "Open a checkpoint with Ctrl+M.", "Open checkpoint…", self.choose_model_file)

    def load_model(self, path: str, restart: bool = True) -> bool:
        """Switch to the checkpoint at ``path``; on failure keep the current model and say why."""
        if self._starting_model is not None:
            self._take_starting_model()  # it comes first; this one replaces it
        from app.recognizer import Recognizer

        try:
            recognizer = Recognizer(path, self.options.device)
        except InputError as err:
            self.show_error(str(err))
            self.refresh_models()
            return False
        self._use_model(recognizer)
        if restart and self.source_spec is not None:
            self.open_source(self.source_spec)
        return True

    def _use_model(self, recognizer: Recognizer) -> None:
        self.recognizer = recognizer
        self.controls.show_models(shipped_models() + user_models(), recognizer.path)
        self.setWindowTitle(f"Action recognition — {recognizer.name}")

    def _start_loading(self) -> None:
        """Start loading the start-up model in the background (once)."""
        if self._starting_model is not None and self._starting_model.future is None:
            self._starting_model.start().add_done_callback(self._announce_model)

    def _announce_model(self, future: Future) -> None:
        """On the loading thread: hand the loaded model to the GUI thread."""
        try:
            self._model_loaded.emit(future)
        except RuntimeError:  # the window was deleted meanwhile
            pass

    def _on_starting_model(self, future: Future) -> None:
        if self._starting_model is not None and future is self._starting_model.future:  # not yet taken
            self._take_starting_model()

    def _take_starting_model(self) -> None:
        """Wait for the start-up model and put it to work: it joins the running engine from its
        next frame on, or (needing other person slots) the source restarts with it."""
        load, self._starting_model = self._starting_model, None
        try:
            recognizer = load.start().result()
        except InputError as err:
            if self.engine is not None:
                self.show_error(f"{err} Showing poses only.", "Open checkpoint…", self.choose_model_file)
            else:
                self.show_error(str(err))
            self.refresh_models()
            return
        self._use_model(recognizer)
        engine = self.engine
        if engine is None:
            return
        if engine.pipeline.fits(recognizer):
            engine.pipeline.attach(recognizer)
            self._show_persons(engine.pipeline)
        else:
            self.open_source(self.source_spec)

    def refresh_models(self) -> None:
        """Re-list the shipped and the user's fine-tuned checkpoints (new ones appear without a
        restart)."""
        current = self.recognizer.path if self.recognizer else None
        if current is None and self._starting_model is not None:
            current = self._starting_model.checkpoint  # still loading
        self.controls.show_models(shipped_models() + user_models(), current)

    def choose_model_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", "", MODEL_FILTER)
        if path:
            self.load_model(path)
        else:
            self.refresh_models()

    def set_threshold(self, value: float) -> None:
        self.config.threshold = min(1.0, max(0.0, round(value, 2)))
        self.controls.show_threshold(self.config.threshold)

    # --- source and engine ----------------------------------------------------------------------

    def open_source(self, spec: str) -> bool:
        """Run on ``spec`` (a camera index as text, a stream URL, or a video file / image folder
        path)."""
        self.stop()
        self.source_spec = spec
        self.controls.show_source(spec)
        try:
            source = open_source(spec)
        except InputError as err:
            self.video.set_placeholder("No video. Choose a camera above or open a file (Ctrl+O).")
            if spec.isdigit():
                self.show_error(f"No camera: {err}. Open a video file instead?", "Open video file…",
                                self.choose_video_file)
            elif is_stream_url(spec):
                self.show_error(str(err), "Open stream URL…", self.choose_stream_url)
            else:
                self.show_error(str(err), "Open video file…", self.choose_video_file)
            return False
        try:
            pipeline = ActionPipeline(self.recognizer, self.config)
        except InputError as err:
            source.close()
            self.show_error(str(err))
            return False
        self.message.clear()
        self.source = source
        self.source_fps = source.fps
        self._show_persons(pipeline)
        self.segments = SegmentBuilder()
        self.latency.clear()
        self.display_rate.clear()
        self._last_t = 0.0
        live = isinstance(source, (CameraSource, NetworkSource))  # they pace themselves
        engine = RealtimeEngine(source, pipeline, pace=not live,
                                on_event=lambda kind: self.engine_event.emit(engine, kind))
        self.engine = engine
        engine.start()
        self.controls.show_running(True)
        self.engine_changed.emit(self.engine)
        return True

    def _show_persons(self, pipeline: ActionPipeline) -> None:
        """One action card and timeline lane per person slot (one for a two-person model)."""
        pair_model = self.recognizer is not None and self.recognizer.num_person > 1
        self.actions_panel.set_persons(1 if pair_model else pipeline.persons)
        if pair_model:
            self.actions_panel.cards[0].setTitle("Both people")
        self.timeline.set_persons(len(self.actions_panel.cards))

    def choose_video_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open video", "", VIDEO_FILTER)
        if path:
            self.open_source(path)
        elif self.source_spec is not None:
            self.controls.show_source(self.source_spec)

    def choose_stream_url(self) -> None:
        """Ask for a network camera's address (RTSP or HTTP(S)) and run on it."""
        last = self.source_spec if is_stream_url(self.source_spec) else "rtsp://"
        url, ok = QInputDialog.getText(self, "Open stream", "Network camera or stream address "
                                       "(rtsp://, http://, https://):", text=last)
        url = url.strip()
        if ok and is_stream_url(url):
            self.open_source(url)
        elif ok and url:
            self.show_error(f"not a stream address (rtsp://, http:// or https://): {url}",
                            "Open stream URL…", self.choose_stream_url)
        elif self.source_spec is not None:
            self.controls.show_source(self.source_spec)

    def stop(self) -> None:
        """Stop the engine (and any recording); the last frame stays on screen."""
        if self.recorder is not None:
            self.toggle_recording()
        if self.engine is not None:
            engine, self.engine = self.engine, None
            if isinstance(self.source, NetworkSource):
                self.source.close()  # ends a wait for the network at once
            engine.stop()
            self.engine_changed.emit(None)
        self.controls.show_running(False)

    def start(self) -> None:
        if self.source_spec is not None:
            self.open_source(self.source_spec)

    def toggle_running(self) -> None:
        if self.engine is not None:
            self.stop()
        else:
            self.start()

    def _on_engine_event(self, engine: RealtimeEngine, kind: str) -> None:
        if engine is not self.engine:  # a late event of an engine already replaced or stopped
            return
        if kind == "frame":
            live = engine.latest_frame()
            if live is not None:
                self._show_frame(live)
        elif kind == "actions":
            self._show_actions(engine.take_actions())
        elif kind == "error":
            errors = engine.take_errors()
            if errors:
                self.stop()
                self.show_error("; ".join(errors), "Open video file…", self.choose_video_file)
        elif kind == "ended":
            recording = self.recorder is not None
            self.stop()  # also finishes a recording and reports it in the message strip
            note = f" {self.message.text()}" if recording else ""
            self.show_info(f"End of {Path(self.source_spec).name}.{note}", "Play again", self.start)

    def _show_frame(self, live) -> None:
        self.video.set_frame(live.display, token=live.captured)
        self._start_loading()  # the first frame is on screen: now the model
        self.display_rate.tick()
        if live.t + 1.0 < self._last_t:  # the source started over
            self.segments = SegmentBuilder()
        self._last_t = live.t
        if self.recognizer is None or self.recognizer.num_person == 1:
            for m, present in enumerate(live.pose.present):
                if not present:
                    self.actions_panel.show_absent(m)

    def _show_actions(self, states) -> None:
        for state in states:
            if is_absent(state):
                self.actions_panel.show_absent(state.person)
            else:
                self.actions_panel.show_state(state)
            self.segments.add(state)
        if states:
            now = max(self._last_t, states[-1].t)
            self.segments.drop_before(now - self.timeline.span)
            self.timeline.set_segments(self.segments.segments() + self.segments.open_segments(), now)

    def _on_painted(self, captured: float) -> None:
        self.latency.add(time.perf_counter() - captured)

    def _update_readout(self) -> None:
        parts = [f"display {self.display_rate.rate():.1f} fps"]
        engine = self.engine
        if engine is not None:
            parts.append(f"pose {engine.pose_rate.rate():.1f} fps")
            if self.recognizer is not None:
                parts.append(f"labels {engine.label_rate.rate():.1f}/s")
            parts.append(f"dropped {engine.dropped_frames}")
            if getattr(self.source, "reconnecting", False):
                parts.append("stream lost: reconnecting…")
        if len(self.latency):
            median, p95 = self.latency.median() * 1000, self.latency.p95() * 1000
            parts.append(f"latency {median:.0f} ms (p95 {p95:.0f})")
        if self.recognizer is not None:
            parts.append(f"{self.recognizer.name} on {self.recognizer.device.type}")
        else:
            parts.append("no model")
        if self.recorder is not None:
            parts.append(f"● recording {self.recorder.frames} frames")
        self.readout.setText(" · ".join(parts))

    # --- recording and screenshots --------------------------------------------------------------

    def toggle_recording(self) -> None:
        """Start recording the source to a clip in ``output_dir``, or finish the current clip."""
        if self.recorder is not None:
            recorder, self.recorder = self.recorder, None
            if self.engine is not None:
                self.engine.unsubscribe_capture(recorder.write)
            try:
                self.show_info(f"Saved clip {recorder.close()} ({recorder.frames} frames).")
            except InputError as err:
                self.show_error(str(err))
        elif self.engine is None:
            self.show_error("Start a source before recording.")
        else:
            path = self.output_dir / f"clip-{time.strftime('%Y%m%d-%H%M%S')}.mp4"
            fps = self.source_fps or self.engine.capture_rate.rate() or 30.0
            self.recorder = ClipRecorder(path, fps)
            self.engine.subscribe_capture(self.recorder.write)
        self.controls.show_recording(self.recorder is not None)

    def save_screenshot(self, path: str | Path | None = None) -> Path | None:
        """Save the window as PNG to ``path`` (default: a timestamped file in ``output_dir``)."""
        target = Path(path) if path else self.output_dir / f"screenshot-{time.strftime('%Y%m%d-%H%M%S')}.png"
        picture = self.grab()

        def verify(tmp: Path) -> None:  # read back: a PNG of the window's size
            if QImage(str(tmp)).size() != picture.size():
                raise InputError(f"screenshot {target} was not written completely (is the disk full?)")

        try:
            with atomic_path(target, verify=verify, kind="screenshot") as tmp:
                if not picture.save(str(tmp), "PNG"):
                    raise InputError(f"cannot write screenshot {target}")
        except (InputError, OSError) as err:
            self.show_error(f"screenshot not saved: {err}")
            return None
        if path is None:
            self.show_info(f"Saved screenshot {target}.")
        return target

    # --- misc -----------------------------------------------------------------------------------

    def _toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def _show_shortcuts(self) -> None:
        text = "\n".join(f"{keys}\t{what}" for keys, what in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", text)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self._starting_model = None
        self.stop()
        super().closeEvent(event)


def options_from_args(args: argparse.Namespace) -> WindowOptions:
    """The window's starting options from the parsed command line."""
    return WindowOptions(source=args.source or "0", model=Path(args.model) if args.model else None,
                         device=args.device, persons=args.persons, pipeline=config_from_args(args))


def run_cli(args: argparse.Namespace) -> int:
    """``python main.py [--source ...] [--model ...]``: open the window (and, for --screenshot,
    save a picture of it after --quit-after seconds, default 5, and exit)."""
    if args.quit_after is not None and not (0 < args.quit_after <= MAX_QUIT_AFTER and math.isfinite(args.quit_after)):
        raise InputError(f"--quit-after must be a number of seconds above 0 and at most {MAX_QUIT_AFTER:g} "
                         f"(a day), got {args.quit_after}")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(options_from_args(args))

    def report_bug(exc_type, exc, tb) -> None:
        """An exception escaping a slot is a bug: print it, say so in the window, keep running
        (PyQt would otherwise abort the application)."""
        traceback.print_exception(exc_type, exc, tb)
        window.show_error(f"internal error: {exc!r} (details on the console); please report it")

    sys.excepthook = report_bug
    window.show()
    QTimer.singleShot(0, window.start_up)
    status = {"code": 0}
    quit_after = args.quit_after if args.quit_after is not None else (5.0 if args.screenshot else None)
    if quit_after is not None:
        def finish() -> None:
            if args.screenshot and window.save_screenshot(args.screenshot) is None:
                print(f"error: {window.message.text()}", file=sys.stderr)
                status["code"] = 2
            window.close()
            app.quit()
        QTimer.singleShot(int(quit_after * 1000), finish)
    app.exec()
    return status["code"]
