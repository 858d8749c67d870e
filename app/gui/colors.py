"""One stable colour per action label, shared by the action panel and the timeline."""
from __future__ import annotations

import zlib

from PyQt6.QtGui import QColor

from app.scoring import NO_ACTION


def label_color(label: str) -> QColor:
    """A readable colour derived from the label text (grey for "no action")."""
    if label == NO_ACTION:
        return QColor(110, 110, 110)
    hue = zlib.crc32(label.encode("utf-8")) % 360
    return QColor.fromHsv(hue, 170, 220)
