"""The control strip: source and model pickers, threshold, start/stop, record and screenshot.

It only reports what the user asked for through signals; the main window decides what happens.
"""
from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from app.sources import is_stream_url, redact_url

CAMERA_INDICES = range(4)
OPEN_FILE = "__open_file__"
OPEN_URL = "__open_url__"
OPEN_MODEL = "__open_model__"


class PopupComboBox(QComboBox):
    """A combo box that announces when its list is about to open (so it can be refreshed)."""

    about_to_open = pyqtSignal()

    def showPopup(self) -> None:  # noqa: N802 (Qt name)
        self.about_to_open.emit()
        super().showPopup()


class ControlBar(QWidget):
    """Pickers and buttons; ``source_chosen`` carries a camera index as text, a stream URL or a
    file path."""

    source_chosen = pyqtSignal(str)
    model_chosen = pyqtSignal(str)
    open_file_requested = pyqtSignal()
    open_url_requested = pyqtSignal()
    open_model_requested = pyqtSignal()
    threshold_changed = pyqtSignal(float)
    start_stop_clicked = pyqtSignal()
    record_clicked = pyqtSignal()
    screenshot_clicked = pyqtSignal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        self.source = QComboBox()
        self.source.setToolTip("Camera, network camera (RTSP / HTTP address) or video file "
                               "(Ctrl+O opens a file, Ctrl+U an address)")
        for i in CAMERA_INDICES:
            self.source.addItem(f"Camera {i}", str(i))
        self.source.addItem("Open stream URL…", OPEN_URL)
        self.source.addItem("Open video file…", OPEN_FILE)
        self.model = PopupComboBox()
        self.model.setToolTip("Checkpoint to recognise with (Ctrl+M opens a file)")
        self.model.setMinimumContentsLength(20)
        self.model.addItem("Open checkpoint…", OPEN_MODEL)
        self.threshold = QSlider(Qt.Orientation.Horizontal)
        self.threshold.setRange(0, 100)
        self.threshold.setFixedWidth(120)
        self.threshold.setToolTip("Below this score the label is 'no action' ( + / - )")
        self.threshold_label = QLabel()
        self.start_stop = QPushButton("Stop")
        self.start_stop.setToolTip("Start / stop (Space)")
        self.record = QPushButton("Record")
        self.record.setCheckable(True)
        self.record.setToolTip("Record a clip of the source (R)")
        self.screenshot = QPushButton("Screenshot")
        self.screenshot.setToolTip("Save a screenshot of the window (Ctrl+S)")
        for label, widget in (("Source", self.source), ("Model", self.model)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addWidget(QLabel("Threshold"))
        row.addWidget(self.threshold)
        row.addWidget(self.threshold_label)
        row.addStretch(1)
        for button in (self.start_stop, self.record, self.screenshot):
            row.addWidget(button)
        self.source.activated.connect(self._on_source)
        self.model.activated.connect(self._on_model)
        self.threshold.valueChanged.connect(self._on_threshold)
        self.start_stop.clicked.connect(self.start_stop_clicked)
        self.record.clicked.connect(self.record_clicked)
        self.screenshot.clicked.connect(self.screenshot_clicked)

    # --- showing state chosen elsewhere (no signals emitted) --------------------------------------

    def show_source(self, spec: str) -> None:
        """Select ``spec`` in the picker, adding a file or stream entry when it is new."""
        index = self.source.findData(spec)
        if index < 0:
            index = self.source.count() - 2  # before "Open stream URL…" and "Open video file…"
            shown = redact_url(spec) if is_stream_url(spec) else spec
            self.source.insertItem(index, shown if is_stream_url(spec) else Path(spec).name, spec)
            self.source.setItemData(index, shown, Qt.ItemDataRole.ToolTipRole)
        self.source.setCurrentIndex(index)

    def show_models(self, paths: list[Path], current: Path | None) -> None:
        """List ``paths`` (and ``current`` if not among them) and select ``current``."""
        self.model.clear()
        entries = list(paths)
        if current is not None and current not in entries:
            entries.append(current)
        for path in entries:
            self.model.addItem(path.stem, str(path))
            self.model.setItemData(self.model.count() - 1, str(path), Qt.ItemDataRole.ToolTipRole)
        self.model.addItem("Open checkpoint…", OPEN_MODEL)
        self.model.setCurrentIndex(entries.index(current) if current in entries else -1)

    def show_threshold(self, value: float) -> None:
        self.threshold.blockSignals(True)
        self.threshold.setValue(round(value * 100))
        self.threshold.blockSignals(False)
        self.threshold_label.setText(f"{value:.2f}")

    def show_running(self, running: bool) -> None:
        self.start_stop.setText("Stop" if running else "Start")

    def show_recording(self, recording: bool) -> None:
        self.record.setChecked(recording)
        self.record.setText("Stop recording" if recording else "Record")

    # --- user input -----------------------------------------------------------------------------

    def _on_source(self, index: int) -> None:
        spec = self.source.itemData(index)
        if spec == OPEN_FILE:
            self.open_file_requested.emit()
        elif spec == OPEN_URL:
            self.open_url_requested.emit()
        else:
            self.source_chosen.emit(spec)

    def _on_model(self, index: int) -> None:
        path = self.model.itemData(index)
        if path == OPEN_MODEL:
            self.open_model_requested.emit()
        else:
            self.model_chosen.emit(path)

    def _on_threshold(self, value: int) -> None:
        self.threshold_label.setText(f"{value / 100:.2f}")
        self.threshold_changed.emit(value / 100)
