"""A scrolling timeline: one lane per person, coloured blocks for recognised actions.

The view shows ``span`` seconds of the source's clock: from 0 until then, afterwards the last
``span`` seconds with "now" at the right edge, scrolling left as time passes.
"""
from __future__ import annotations

from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QColor, QPainter, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget

from app.gui.colors import label_color
from app.timeline import Segment

LANE_HEIGHT = 26
MARGIN_LEFT = 70


class TimelineView(QWidget):
    """Paints :class:`Segment` records of the last ``span`` seconds."""

    def __init__(self, span: float = 30.0, parent=None) -> None:
        super().__init__(parent)
        self.span = span
        self.persons = 1
        self.now = 0.0
        self.segments: list[Segment] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._fit_height()

    def set_persons(self, count: int) -> None:
        self.persons = count
        self._fit_height()
        self.update()

    def set_segments(self, segments: list[Segment], now: float) -> None:
        """Replace the shown segments (closed and running) and move "now" to ``now``."""
        self.segments = [s for s in segments if s.end_s >= now - self.span]
        self.now = now
        self.update()

    def visible_labels(self) -> list[str]:
        """Labels of the segments currently in view (for tests and accessibility)."""
        return [s.label for s in self.segments]

    def _fit_height(self) -> None:
        self.setFixedHeight(LANE_HEIGHT * self.persons + 22)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(30, 30, 30))
        width = max(1, self.width() - MARGIN_LEFT - 6)
        left = max(0.0, self.now - self.span)
        x_of = lambda t: MARGIN_LEFT + (t - left) / self.span * width  # noqa: E731
        p.setPen(QColor(200, 200, 200))
        for m in range(self.persons):
            p.drawText(QRectF(4, m * LANE_HEIGHT + 2, MARGIN_LEFT - 8, LANE_HEIGHT - 4),
                       Qt.AlignmentFlag.AlignVCenter, f"Person {m + 1}")
        for s in self.segments:
            if s.person >= self.persons:
                continue
            x0, x1 = max(MARGIN_LEFT, x_of(s.start_s)), x_of(max(s.end_s, s.start_s + 0.1))
            if x1 <= MARGIN_LEFT:
                continue
            rect = QRectF(x0, s.person * LANE_HEIGHT + 3, max(2.0, x1 - x0), LANE_HEIGHT - 6)
            p.fillRect(rect, label_color(s.label))
            p.setPen(QColor(15, 15, 15))
            p.drawText(rect.adjusted(3, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter, s.label)
        axis_y = self.persons * LANE_HEIGHT + 4
        p.setPen(QPen(QColor(120, 120, 120)))
        step = 5
        first = int(-(-left // step)) * step
        for tick in range(first, int(left + self.span) + 1, step):
            x = x_of(tick)
            if x > self.width() - 12:
                break
            p.drawLine(int(x), axis_y, int(x), axis_y + 4)
            p.drawText(QRectF(x - 20, axis_y + 4, 40, 14), Qt.AlignmentFlag.AlignCenter, f"{tick}s")
        p.end()
