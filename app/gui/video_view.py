"""The video area: paints the newest annotated frame, scaled to fit, and reports when it is on screen.

The frame arrives already resized and annotated by the engine's worker thread, so painting is a
plain blit. After each paint the widget emits ``painted`` with the frame's token (its capture
time), from which the window measures capture-to-screen latency.
"""
from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QImage, QPainter
from PyQt6.QtWidgets import QSizePolicy, QWidget


class VideoView(QWidget):
    """Shows RGB frames (H, W, 3 uint8) or a placeholder text."""

    painted = pyqtSignal(object)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._image: QImage | None = None
        self._buffer: np.ndarray | None = None  # keeps the pixels alive for the QImage
        self._token: object = None
        self._placeholder = ""
        self.frames_shown = 0

    def set_frame(self, rgb: np.ndarray, token: object = None) -> None:
        """Show ``rgb`` at the next paint; ``token`` comes back through ``painted``."""
        rgb = np.ascontiguousarray(rgb)
        h, w = rgb.shape[:2]
        self._buffer = rgb
        self._image = QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888)
        self._token = token
        self.update()

    def set_placeholder(self, text: str) -> None:
        """Text shown when there is no frame (clears the current frame)."""
        self._placeholder = text
        self._image = self._buffer = None
        self._token = None
        self.update()

    def has_frame(self) -> bool:
        return self._image is not None

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(18, 18, 18))
        if self._image is None:
            painter.setPen(QColor(200, 200, 200))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self._placeholder)
            painter.end()
            return
        iw, ih = self._image.width(), self._image.height()
        scale = min(self.width() / iw, self.height() / ih)
        w, h = iw * scale, ih * scale
        target = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, self._image)
        painter.end()
        if self._token is not None:
            token, self._token = self._token, None
            self.frames_shown += 1
            self.painted.emit(token)
