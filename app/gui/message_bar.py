"""An in-window message strip: errors and hints stay visible without blocking the window."""
from __future__ import annotations

from typing import Callable

from PyQt6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton

_STYLES = {
    "error": "background:#5c1f1f; color:#ffecec; border-radius:4px;",
    "info": "background:#1f3b5c; color:#eaf3ff; border-radius:4px;",
}


class MessageBar(QFrame):
    """Shows one message at a time with an optional action button and a close button."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self._label = QLabel()
        self._label.setWordWrap(True)
        self._action = QPushButton()
        self._close = QToolButton()
        self._close.setText("✕")
        self._close.setToolTip("Dismiss")
        self._close.clicked.connect(self.clear)
        layout.addWidget(self._label, 1)
        layout.addWidget(self._action)
        layout.addWidget(self._close)
        self._callback: Callable[[], None] | None = None
        self._action.clicked.connect(self._run_action)
        self.level = ""
        self.hide()

    def show_message(self, text: str, level: str = "error", action_text: str | None = None,
                     action: Callable[[], None] | None = None) -> None:
        """Display ``text`` (replacing any previous message); ``action`` adds a button."""
        self.level = level
        self.setStyleSheet(_STYLES.get(level, _STYLES["info"]))
        self._label.setText(text)
        self._callback = action
        self._action.setVisible(action is not None)
        self._action.setText(action_text or "")
        self.show()

    def text(self) -> str:
        """The message shown now ('' when hidden)."""
        return "" if self.isHidden() else self._label.text()

    def clear(self) -> None:
        self._label.clear()
        self._callback = None
        self.level = ""
        self.hide()

    def _run_action(self) -> None:
        callback = self._callback
        self.clear()
        if callback is not None:
            callback()
