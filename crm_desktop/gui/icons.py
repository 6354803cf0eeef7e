"""Icons only through `icons.get(name)`: SVGs from resources/icons, scaled for high DPI.
A selected item (the sidebar's current section, a highlighted menu entry) draws its icon
in white, so it never disappears as blue on the blue highlight."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRect, QSize, Qt
from PySide6.QtGui import QIcon, QIconEngine, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QStyleOption

from crm_desktop.gui.resources import resource

_INK = "#4b6bbf"  # the stroke colour of our SVGs
_ENGINES: dict[str, QIconEngine] = {}  # kept alive for the icons that draw through them


def _pixmap(svg: bytes, size: QSize) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg))
    pixmap = QPixmap(size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter)
    painter.end()
    return pixmap


class _SvgIconEngine(QIconEngine):
    """Draws an SVG at the size asked for, when it is first asked for (the window's thirty
    icons in five sizes were a tenth of its start), in white when selected."""

    def __init__(self, svg: bytes, white: bytes) -> None:
        super().__init__()
        self._svg, self._white = svg, white
        self._made: dict[tuple[int, int, QIcon.Mode], QPixmap] = {}

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        key = (size.width(), size.height(), mode)
        found = self._made.get(key)
        if found is None:
            selected = mode == QIcon.Mode.Selected
            found = _pixmap(self._white if selected else self._svg, size)
            if mode == QIcon.Mode.Disabled and isinstance(
                app := QApplication.instance(), QApplication
            ):
                found = app.style().generatedIconPixmap(mode, found, QStyleOption())
            self._made[key] = found
        return found

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        # Sharp on a high-DPI screen: drawn at the device's pixels, not scaled up.
        pixels = QSize(round(size.width() * scale), round(size.height() * scale))
        found = QPixmap(self.pixmap(pixels, mode, state))
        found.setDevicePixelRatio(scale)
        return found

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        painter.drawPixmap(rect, self.pixmap(rect.size(), mode, state))

    def clone(self) -> QIconEngine:
        return _SvgIconEngine(self._svg, self._white)


@cache
def get(name: str) -> QIcon:
    path = resource("icons", f"{name}.svg")
    if not path.exists():
        return QIcon()
    text = path.read_text(encoding="utf-8")
    if _INK not in text:
        return QIcon(str(path))
    engine = _ENGINES[name] = _SvgIconEngine(text.encode(), text.replace(_INK, "#ffffff").encode())
    return QIcon(engine)


def app_icon() -> QIcon:
    return get("crm-desktop")
