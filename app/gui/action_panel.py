"""The current action of each person: a large label, the repetitions of the series under way and
the top-5 classes as probability bars."""
from __future__ import annotations

from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QGroupBox, QLabel, QProgressBar, QGridLayout, QVBoxLayout, QWidget

from app.gui.colors import label_color
from app.scoring import ActionState

TOP_K = 5


class PersonCard(QGroupBox):
    """One person's action label, repetition count, motion and top-5 bars."""

    def __init__(self, person: int, parent=None) -> None:
        super().__init__(f"Person {person + 1}", parent)
        layout = QVBoxLayout(self)
        self.label = QLabel("not seen")
        font = QFont()
        font.setPointSize(16)
        font.setBold(True)
        self.label.setFont(font)
        self.reps = QLabel("")
        self.reps.setToolTip("Repetitions of the movement the person is repeating now")
        reps_font = QFont()
        reps_font.setPointSize(13)
        reps_font.setBold(True)
        self.reps.setFont(reps_font)
        self.detail = QLabel("")
        layout.addWidget(self.label)
        layout.addWidget(self.reps)
        layout.addWidget(self.detail)
        grid = QGridLayout()
        self.names: list[QLabel] = []
        self.bars: list[QProgressBar] = []
        for row in range(TOP_K):
            name, bar = QLabel(""), QProgressBar()
            bar.setRange(0, 1000)
            bar.setFormat("")
            bar.setMaximumHeight(14)
            grid.addWidget(name, row, 0)
            grid.addWidget(bar, row, 1)
            self.names.append(name)
            self.bars.append(bar)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)

    def show_state(self, state: ActionState) -> None:
        color = label_color(state.label).name()
        self.label.setText(state.label)
        self.label.setStyleSheet(f"color: {color};")
        self.reps.setText(f"{state.reps} repetitions" if state.reps else "")
        reason = "still" if state.still else f"moving {state.motion:.2f} m/s"
        self.detail.setText(f"score {state.score:.2f} · {reason}")
        for i in range(TOP_K):
            shown = i < len(state.top)  # a model with fewer than five classes shows fewer rows
            self.names[i].setVisible(shown)
            self.bars[i].setVisible(shown)
            if shown:
                name, p = state.top[i]
                self.names[i].setText(name)
                self.bars[i].setValue(int(round(p * 1000)))
                self.bars[i].setFormat(f"{p * 100:.0f}%")

    def show_absent(self, text: str = "not seen") -> None:
        self.label.setText(text)
        self.label.setStyleSheet("color: #888;")
        self.reps.setText("")
        self.detail.setText("")
        for name, bar in zip(self.names, self.bars):
            name.setText("")
            bar.setValue(0)
            bar.setFormat("")


class ActionPanel(QWidget):
    """A stack of :class:`PersonCard`, one per tracked person slot."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.cards: list[PersonCard] = []
        self.set_persons(1)

    def set_persons(self, count: int) -> None:
        """Show ``count`` person cards (all reset to "not seen")."""
        while self._layout.count():
            widget = self._layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.cards = [PersonCard(i, self) for i in range(count)]
        for card in self.cards:
            self._layout.addWidget(card)
        self._layout.addStretch(1)

    def show_state(self, state: ActionState) -> None:
        if 0 <= state.person < len(self.cards):
            self.cards[state.person].show_state(state)

    def show_absent(self, person: int, text: str = "not seen") -> None:
        if 0 <= person < len(self.cards):
            self.cards[person].show_absent(text)
