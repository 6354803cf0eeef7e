"""Icons only through `icons.get(name)`: SVGs from resources/icons, scaled for high DPI.
A selected item (the sidebar's current section, a highlighted menu entry) draws its icon
in white, so it never disappears as blue on the blue highlight."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from crm_desktop.gui.resources import resource

_INK = "#4b6bbf"  # the stroke colour of our SVGs
_SIZES = (16, 20, 24, 32, 48)


def _pixmap(svg: bytes, size: int) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg))
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter)
    painter.end()
    return pixmap


@cache
def get(name: str) -> QIcon:
    path = resource("icons", f"{name}.svg")
    if not path.exists():
        return QIcon()
    icon = QIcon(str(path))
    text = path.read_text(encoding="utf-8")
    if _INK in text:
        white = text.replace(_INK, "#ffffff").encode()
        for size in _SIZES:
            icon.addPixmap(_pixmap(white, size), QIcon.Mode.Selected)
    return icon


def app_icon() -> QIcon:
    return get("crm-desktop")
