"""The "Teach" tab: record takes of your own actions into a clips folder, then fine-tune on them.

Choose an action or type a new one, press T (or "Record take"), perform after the countdown, press
T again: the take's video and its skeleton sequence from the live pose stage are saved into
``<clips folder>/<action>/`` (:mod:`app.takes`). The tree shows how many takes each action has; a
bad take is selected and deleted. ``python main.py --train --data <clips folder>`` then teaches
the model these actions, and the new checkpoint appears in the model picker.
"""
from __future__ import annotations

import shlex
from pathlib import Path

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton,
                             QSpinBox, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from app.engine import RealtimeEngine
from app.takes import TakeRecorder, delete_take
from core.errors import InputError
from model.data.clips import Clip, scan

RECORD_KEY = "T"
CLIP_ROLE = Qt.ItemDataRole.UserRole


class RecorderPanel(QWidget):
    """Records takes from the current engine (see :meth:`set_engine`) into ``clips_folder``.

    ``message`` carries ``(text, level)`` with level ``info`` or ``error`` for the window's strip."""

    message = pyqtSignal(str, str)
    take_saved = pyqtSignal(object)  # the saved Clip

    def __init__(self, clips_folder: str | Path, parent=None) -> None:
        super().__init__(parent)
        self.clips_folder = Path(clips_folder)
        self.engine: RealtimeEngine | None = None
        self.fps: float | None = None
        self.recorder: TakeRecorder | None = None
        self._countdown_left = 0
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(250)
        self._status_timer.timeout.connect(self._show_progress)
        self._build()
        self.refresh()

    # --- layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        column = QVBoxLayout(self)
        folder_row = QHBoxLayout()
        self.folder_label = QLabel()
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_label.setWordWrap(True)
        self.change_folder = QPushButton("Change…")
        self.change_folder.setToolTip("Choose the clips folder (one sub-folder per action)")
        self.change_folder.clicked.connect(self.choose_folder)
        folder_row.addWidget(self.folder_label, 1)
        folder_row.addWidget(self.change_folder)
        column.addWidget(QLabel("Clips folder"))
        column.addLayout(folder_row)

        self.action = QComboBox()
        self.action.setEditable(True)
        self.action.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.action.lineEdit().setPlaceholderText("type a new action name")
        self.action.lineEdit().returnPressed.connect(self.setFocus)  # Enter: done typing, T records
        self.countdown = QSpinBox()
        self.countdown.setRange(0, 10)
        self.countdown.setValue(3)
        self.countdown.setSuffix(" s")
        self.countdown.setToolTip("Wait this long after pressing T, to step into position")
        action_row = QHBoxLayout()
        action_row.addWidget(QLabel("Action"))
        action_row.addWidget(self.action, 1)
        column.addLayout(action_row)

        self.record = QPushButton()
        self.record.setCheckable(True)
        self.record.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.record.clicked.connect(self.toggle_take)
        record_row = QHBoxLayout()
        record_row.addWidget(self.record, 1)
        record_row.addWidget(QLabel("Countdown"))
        record_row.addWidget(self.countdown)
        column.addLayout(record_row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        column.addWidget(self.status)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Action / take", "Clips"])
        self.tree.setColumnWidth(0, 220)
        self.tree.itemSelectionChanged.connect(self._on_selection)
        self.delete = QPushButton("Delete take")
        self.delete.setToolTip("Delete the selected take (video and skeleton sequence)")
        self.delete.clicked.connect(self.delete_selected)
        column.addWidget(self.tree, 1)
        column.addWidget(self.delete)

        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column.addWidget(self.hint)
        self._show_idle()

    def shortcut_action(self) -> QAction:
        """A window-wide action for the record key (the window adds it with ``addAction``)."""
        act = QAction("Record take", self)
        act.setShortcut(QKeySequence(RECORD_KEY))
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.triggered.connect(self.toggle_take)
        return act

    # --- state shown ----------------------------------------------------------------------------

    def _show_idle(self) -> None:
        self.record.setChecked(False)
        self.record.setText(f"Record take ({RECORD_KEY})")
        self.action.setEnabled(True)
        self.change_folder.setEnabled(True)

    def _show_progress(self) -> None:
        rec = self.recorder
        if rec is not None:
            self.status.setText(f"● recording {rec.action!r}: {rec.frames} frames, {rec.seconds:.1f} s "
                                f"(person seen in {rec.frames_with_person})")

    def refresh(self) -> None:
        """Re-read the clips folder: actions, their takes and counts."""
        self.folder_label.setText(str(self.clips_folder))
        self.hint.setText("Then teach the model these actions (a few minutes on a laptop):\n"
                          f"python main.py --train --data {shlex.quote(str(self.clips_folder))}")
        try:
            actions = scan(self.clips_folder) if self.clips_folder.is_dir() else {}
        except InputError as err:
            actions = {}
            self.message.emit(str(err), "error")
        typed = self.action.currentText()
        self.action.clear()
        self.action.addItems(list(actions))
        self.action.setCurrentText(typed)
        self.tree.clear()
        for name, clips in actions.items():
            item = QTreeWidgetItem([name, str(len(clips))])
            for clip in clips:
                child = QTreeWidgetItem([clip.sequence.stem, ""])
                child.setData(0, CLIP_ROLE, clip)
                child.setToolTip(0, "\n".join(str(p) for p in clip.files()))
                item.addChild(child)
            self.tree.addTopLevelItem(item)
        self._on_selection()

    def counts(self) -> dict[str, int]:
        """Takes per action as shown in the tree."""
        return {self.tree.topLevelItem(i).text(0): int(self.tree.topLevelItem(i).text(1))
                for i in range(self.tree.topLevelItemCount())}

    def select_take(self, clip: Clip) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            for j in range(item.childCount()):
                if item.child(j).data(0, CLIP_ROLE) == clip:
                    item.setExpanded(True)
                    self.tree.setCurrentItem(item.child(j))
                    return

    def selected_take(self) -> Clip | None:
        item = self.tree.currentItem()
        return item.data(0, CLIP_ROLE) if item is not None else None

    def _on_selection(self) -> None:
        item = self.tree.currentItem()
        self.delete.setEnabled(self.selected_take() is not None and self.recorder is None)
        if item is not None and self.recorder is None:
            self.action.setCurrentText(item.text(0) if item.parent() is None else item.parent().text(0))

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if self.recorder is None:
            self.refresh()  # files may have changed outside the window
        super().showEvent(event)

    # --- user actions ---------------------------------------------------------------------------

    def set_engine(self, engine: RealtimeEngine | None, fps: float | None = None) -> None:
        """Follow the window's engine; a take in progress ends (and is saved) when it goes."""
        if engine is not self.engine:
            if self._countdown.isActive():
                self._countdown.stop()
                self.status.setText("")
                self._show_idle()
            if self.recorder is not None:
                self.stop_take()
        self.engine, self.fps = engine, fps

    def set_clips_folder(self, folder: str | Path) -> None:
        self.clips_folder = Path(folder)
        self.refresh()

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Clips folder", str(self.clips_folder))
        if path:
            self.set_clips_folder(path)

    def toggle_take(self) -> None:
        """Start a take (after the countdown), or stop the one running (or its countdown)."""
        if self.recorder is not None:
            self.stop_take()
        elif self._countdown.isActive():
            self._countdown.stop()
            self.status.setText("cancelled")
            self._show_idle()
        else:
            self.start_take()

    def start_take(self) -> bool:
        """Begin recording the action named in the picker (after the countdown, if any)."""
        name = self.action.currentText().strip()
        if not name:
            self._fail("Type an action name (or choose one) before recording a take.")
            return False
        if self.engine is None:
            self._fail("Start a source (camera or video) before recording a take.")
            return False
        self.record.setChecked(True)
        self.action.setEnabled(False)
        self.change_folder.setEnabled(False)
        self._countdown_left = self.countdown.value()
        if self._countdown_left:
            self.record.setText(f"Cancel ({RECORD_KEY})")
            self.status.setText(f"get ready: {self._countdown_left}…")
            self._countdown.start()
            return True
        return self._begin()

    def _tick(self) -> None:
        self._countdown_left -= 1
        if self._countdown_left > 0:
            self.status.setText(f"get ready: {self._countdown_left}…")
            return
        self._countdown.stop()
        self._begin()

    def _begin(self) -> bool:
        if self.engine is None:
            self._show_idle()
            self._fail("The source stopped before the take began.")
            return False
        try:
            self.recorder = TakeRecorder(self.engine, self.clips_folder, self.action.currentText(), self.fps)
        except (InputError, OSError) as err:
            self._show_idle()
            self._fail(f"cannot record a take: {err}")
            return False
        self.record.setText(f"Stop take ({RECORD_KEY})")
        self.delete.setEnabled(False)
        self._status_timer.start()
        self._show_progress()
        return True

    def stop_take(self) -> Clip | None:
        """End the take in progress and save it; the counts update."""
        recorder, self.recorder = self.recorder, None
        self._status_timer.stop()
        self._show_idle()
        if recorder is None:
            return None
        try:
            clip = recorder.stop()
        except (InputError, OSError) as err:
            self.status.setText("")
            self._fail(str(err))
            self.refresh()
            return None
        self.status.setText(f"saved {clip.name} ({recorder.frames} frames, {recorder.seconds:.1f} s)")
        self.message.emit(f"Saved take {clip.name} to {self.clips_folder}.", "info")
        self.refresh()
        self.select_take(clip)
        self.take_saved.emit(clip)
        return clip

    def delete_selected(self) -> bool:
        """Delete the selected take after confirmation."""
        clip = self.selected_take()
        if clip is None or self.recorder is not None:
            return False
        answer = QMessageBox.question(self, "Delete take", f"Delete the take {clip.name} "
                                      f"({', '.join(p.name for p in clip.files())})?")
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            delete_take(clip)
        except OSError as err:
            self._fail(f"cannot delete {clip.name}: {err}")
            return False
        self.status.setText(f"deleted {clip.name}")
        self.refresh()
        return True

    def _fail(self, text: str) -> None:
        self.message.emit(text, "error")


def add_recorder_panel(window) -> RecorderPanel:
    """Plug the panel into a :class:`app.gui.main_window.MainWindow`: a "Teach" tab, the record key,
    the window's engine and message strip; clips go to ``<window.output_dir>/clips``."""
    panel = RecorderPanel(window.output_dir / "clips")
    window.add_panel(panel, "Teach")
    window.addAction(panel.shortcut_action())
    window.engine_changed.connect(lambda engine: panel.set_engine(engine, window.source_fps))
    panel.message.connect(lambda text, level: (window.show_error if level == "error"
                                               else window.show_info)(text))
    return panel
