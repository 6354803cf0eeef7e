"""The calendar's month grid: a chip per activity, drag one to another day to move it,
double-click a day to create one and an activity to open it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QPoint, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontInfo, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from crm_desktop.gui.views.calendar_paint import (
    chip_label,
    chip_tooltip,
    day_of,
    is_dark,
    paint_chip,
)


class MonthGrid(QWidget):
    """Six weeks of days; as many activities per day as fit, then "+n more"."""

    rescheduled = Signal(object, object, object)
    create_requested = Signal(object, bool)
    open_requested = Signal(object)
    menu_requested = Signal(object, object)
    day_requested = Signal(object)  # a date: show that day
    HEADER = 24
    LINE = 17

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.month = dt.date.today().replace(day=1)
        self.first = self.month
        self.by_day: dict[dt.date, list[Any]] = {}
        self._hits: list[tuple[QRectF, Any]] = []
        self._more: list[tuple[QRectF, dt.date]] = []
        self._drag: dict[str, Any] | None = None
        self.setAccessibleName("Month")
        self.setMouseTracking(True)
        self.setMinimumSize(420, 320)
        self.print_size: tuple[int, int] | None = None  # set while painting for the printer

    def _wh(self) -> tuple[int, int]:
        return self.print_size or (self.width(), self.height())

    def set_month(self, month: dt.date, found: list[Any]) -> None:
        self.month = month.replace(day=1)
        self.first = self.month - dt.timedelta(days=self.month.weekday())
        by_day: dict[dt.date, list[Any]] = {}
        for o in found:  # already in time order; all-day ones first within a day
            day = day_of(o)
            by_day.setdefault(day, []).append(o)
        for todays in by_day.values():
            todays.sort(key=lambda o: not o.all_day)
        self.by_day = by_day
        self.update()

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range(42)]

    def cell(self, index: int) -> QRectF:
        full_width, full_height = self._wh()
        width = full_width / 7
        height = (full_height - self.HEADER) / 6
        row, column = divmod(index, 7)
        return QRectF(column * width, self.HEADER + row * height, width, height)

    def index_at(self, pos: QPoint) -> int | None:
        if pos.y() < self.HEADER:
            return None
        width = self.width() / 7
        height = (self.height() - self.HEADER) / 6
        column = min(int(pos.x() // width), 6)
        row = min(int((pos.y() - self.HEADER) // height), 5)
        return row * 7 + column

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self.paint(painter)
        painter.end()

    def render_month(self, painter: QPainter, target: QRect) -> None:
        """Draw the month into `target` (printing), laid out for the page's shape."""
        height = 760
        width = int(height * target.width() / target.height())
        font = QFont(self.font())
        font.setPixelSize(QFontInfo(self.font()).pixelSize())
        scale = min(target.width() / width, target.height() / height)
        self.print_size = (width, height)
        try:
            painter.save()
            painter.setFont(font)
            painter.translate(target.topLeft())
            painter.scale(scale, scale)
            painter.setClipRect(QRect(0, 0, width, height))
            self.paint(painter)
            painter.restore()
        finally:
            self.print_size = None
        self.update()  # the hit areas were laid out for the page

    def paint(self, painter: QPainter) -> None:
        palette = self.palette()
        dark = is_dark(self)
        full_width, full_height = self._wh()
        base = QFont(painter.font())
        painter.fillRect(QRect(0, 0, full_width, full_height), palette.base())
        text = palette.text().color()
        muted = palette.placeholderText().color()
        width = full_width / 7
        painter.setPen(muted)
        for column, name in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")):
            painter.drawText(
                QRectF(column * width, 0, width, self.HEADER), Qt.AlignmentFlag.AlignCenter, name
            )
        today = dt.date.today()
        self._hits, self._more = [], []
        grid = QPen(palette.mid().color(), 1)
        bold = QFont(base)
        bold.setBold(True)
        metrics = painter.fontMetrics()
        drop = self._drag["index"] if self._drag and self._drag["moved"] else None
        for index, day in enumerate(self.days()):
            cell = self.cell(index)
            if day.month != self.month.month:
                painter.fillRect(cell, palette.alternateBase())
            if index == drop:
                painter.fillRect(cell, QColor(47, 99, 212, 50))
            painter.setPen(grid)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(cell)
            number = QRectF(cell.left() + 4, cell.top() + 2, 24, 18)
            if day == today:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor("#2f63d4"))
                painter.drawEllipse(number.adjusted(1, 0, -1, 0))
                painter.setPen(QColor("white"))
                painter.setFont(bold)
            else:
                painter.setPen(text if day.month == self.month.month else muted)
                painter.setFont(base)
            painter.drawText(number, Qt.AlignmentFlag.AlignCenter, str(day.day))
            painter.setFont(base)
            todays = self.by_day.get(day, [])
            if not todays:
                continue
            fits = max(int((cell.height() - 22) // self.LINE), 0)
            shown = todays if len(todays) <= fits else todays[: max(fits - 1, 0)]
            y = cell.top() + 21
            for o in shown:
                line = QRectF(cell.left() + 2, y, cell.width() - 4, self.LINE - 1)
                time = "" if o.all_day else f"{o.start.astimezone():%H:%M} "
                paint_chip(painter, line, o, f"{time}{chip_label(o)}", dark)
                self._hits.append((line, o))
                y += self.LINE
            if len(shown) < len(todays):
                more = QRectF(cell.left() + 6, y, cell.width() - 8, self.LINE - 1)
                painter.setPen(muted)
                painter.drawText(
                    more,
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    metrics.elidedText(
                        f"+{len(todays) - len(shown)} more",
                        Qt.TextElideMode.ElideRight,
                        int(more.width()),
                    ),
                )
                self._more.append((more, day))

    def hit(self, pos: QPoint) -> Any | None:
        for rect, o in self._hits:
            if rect.contains(pos.toPointF()):
                return o
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        if event.button() != Qt.MouseButton.LeftButton:
            return
        for rect, day in self._more:
            if rect.contains(pos.toPointF()):
                self.day_requested.emit(day)
                return
        o = self.hit(pos)
        if o is not None:
            self._drag = {
                "occurrence": o,
                "press": pos,
                "index": self.index_at(pos),
                "moved": False,
            }

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        drag = self._drag
        pos = event.position().toPoint()
        if drag is None:
            o = self.hit(pos)
            self.setToolTip(chip_tooltip(o) if o is not None else "")
            return
        if (pos - drag["press"]).manhattanLength() >= 4:
            drag["moved"] = True
            drag["index"] = self.index_at(pos)
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag, self._drag = self._drag, None
        self.update()
        if drag is None or not drag["moved"] or drag["index"] is None:
            return
        o = drag["occurrence"]
        old_day = day_of(o)
        new_day = self.days()[drag["index"]]
        shift = (new_day - old_day).days
        if shift == 0:
            return
        if o.all_day:
            start = o.start + dt.timedelta(days=shift)
        else:  # same wall-clock time on the new day
            local = o.start.astimezone().replace(tzinfo=None) + dt.timedelta(days=shift)
            start = local.astimezone()
        self.rescheduled.emit(o, start, start + (o.end - o.start))

    def contextMenuEvent(self, event: Any) -> None:
        found = self.hit(event.pos())
        if found is not None:
            self.menu_requested.emit(found, event.globalPos())

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        o = self.hit(pos)
        if o is not None:
            self.open_requested.emit(o)
            return
        index = self.index_at(pos)
        if index is not None:
            day = self.days()[index]
            self.create_requested.emit(
                dt.datetime(day.year, day.month, day.day, 9).astimezone(), False
            )
