"""The calendar's day/week grid: the all-day row, the hours and the current-time line.

Drag an activity to move it, drag its lower edge to make it longer or shorter, double-click
an empty slot to create one there and an activity to open it. The grid only emits signals;
the calendar view turns them into undoable service calls."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontInfo, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QScrollArea, QToolTip, QVBoxLayout, QWidget

from crm_desktop.gui.views.calendar_paint import (
    GUTTER,
    MIN_LANE,
    MORE_WIDTH,
    SHORTEST,
    SNAP,
    DayColumns,
    Overflow,
    Placed,
    chip_label,
    chip_tooltip,
    colour,
    day_name,
    day_of,
    is_dark,
    midnight,
    paint_chip,
    place_day,
    wall_minutes,
)


class HourCanvas(QWidget):
    """The hours of one or more days; timed activities as blocks."""

    rescheduled = Signal(object, object, object)  # occurrence, new start, new end
    create_requested = Signal(object, bool)  # start, all day
    open_requested = Signal(object)  # occurrence
    menu_requested = Signal(object, object)  # occurrence, global position
    more_requested = Signal(object, object, object)  # date, occurrences, global position
    HOUR = 44

    def __init__(self, columns: DayColumns, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.placed: list[Placed] = []
        self.overflows: list[Overflow] = []
        self._rects: dict[int, QRectF | None] = {}  # id(placed): where drawn, None: in "+n"
        self._laid_out_for: float | None = None  # the column width of that layout
        self._drag: dict[str, Any] | None = None
        self.setMinimumHeight(24 * self.HOUR)
        self.setMouseTracking(True)
        self.setAccessibleName("Hours of the day")
        self._clock = QTimer(self)
        self._clock.setInterval(60_000)
        self._clock.timeout.connect(self.update)
        self._clock.start()

    def set_occurrences(self, timed: dict[dt.date, list[Any]]) -> None:
        self.placed = []
        for column, day in enumerate(self.columns.days):
            self.placed.extend(place_day(timed.get(day, []), day, column))
        self._laid_out_for = None
        self.update()

    def _block(
        self, day: int, top: float, bottom: float, lane: int = 0, lanes: int = 1, room: float = 0
    ) -> QRectF:
        """Where an activity from `top` to `bottom` (minutes) is drawn in a day column
        (`room`: pixels of the column's right side kept for a "+n" strip)."""
        lane_width = (self.columns.width(self) - room) / lanes
        x = self.columns.x(self, day) + lane * lane_width
        y = top / 60 * self.HOUR
        h = max((bottom - top) / 60 * self.HOUR, SHORTEST / 60 * self.HOUR)
        return QRectF(x + 1, y + 1, max(lane_width - 3, 6), h - 2)

    def _layout(self) -> None:
        """Lay the blocks out for the current column width: as many lanes side by side as
        are at least MIN_LANE wide; the rest of a crowded cluster goes into "+n"."""
        width = self.columns.width(self)
        if self._laid_out_for == width:
            return
        self._laid_out_for = width
        self._rects, self.overflows = {}, []
        hidden: dict[tuple[int, int], list[Placed]] = {}
        for p in self.placed:
            if p.lanes <= max(int(width // MIN_LANE), 1):
                self._rects[id(p)] = self._block(p.day, p.top, p.bottom, p.lane, p.lanes)
                continue
            fit = max(int((width - MORE_WIDTH) // MIN_LANE), 1)
            if p.lane < fit:
                self._rects[id(p)] = self._block(
                    p.day, p.top, p.bottom, p.lane, fit, room=MORE_WIDTH
                )
            else:
                self._rects[id(p)] = None
                hidden.setdefault((p.day, p.cluster), []).append(p)
        for (day, _cluster), crowd in hidden.items():
            top = min(p.top for p in crowd)
            bottom = max(max(p.bottom, p.top + SHORTEST) for p in crowd)
            x = self.columns.x(self, day) + width - MORE_WIDTH
            rect = QRectF(x + 1, top / 60 * self.HOUR + 1, MORE_WIDTH - 3, 0)
            rect.setBottom(bottom / 60 * self.HOUR - 1)
            self.overflows.append(Overflow(rect, day, [p.occurrence for p in crowd]))

    def _rect(self, p: Placed) -> QRectF | None:
        """Where an occurrence is drawn; None when it is counted in a "+n" strip."""
        self._layout()
        return self._rects.get(id(p))

    def hit(self, pos: QPoint) -> Placed | None:
        for p in reversed(self.placed):
            rect = self._rect(p)
            if rect is not None and rect.contains(pos.toPointF()):
                return p
        return None

    def overflow_at(self, pos: QPoint) -> Overflow | None:
        self._layout()
        return next((o for o in self.overflows if o.rect.contains(pos.toPointF())), None)

    def minutes_at(self, y: float) -> float:
        return y / self.HOUR * 60

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self.paint(painter, event.rect())
        painter.end()

    def paint(self, painter: QPainter, exposed: QRect) -> None:
        dark = is_dark(self)
        palette = self.palette()
        full = self.columns.total(self)
        painter.fillRect(exposed, palette.base())
        today = dt.date.today()
        width = self.columns.width(self)
        if today in self.columns.days:
            x = self.columns.x(self, self.columns.days.index(today))
            painter.fillRect(
                QRectF(x, 0, width, self.height()), QColor(47, 99, 212, 28 if dark else 14)
            )
        line = QColor(palette.mid().color())
        faint = QColor(line)
        faint.setAlpha(70)
        text = palette.placeholderText().color()
        for hour in range(25):
            y = hour * self.HOUR
            if y < exposed.top() - self.HOUR or y > exposed.bottom() + self.HOUR:
                continue
            painter.setPen(QPen(line, 1))
            painter.drawLine(GUTTER - 6, y, full, y)
            painter.setPen(QPen(faint, 1, Qt.PenStyle.DotLine))
            painter.drawLine(GUTTER, y + self.HOUR // 2, full, y + self.HOUR // 2)
            if 0 < hour < 24:
                painter.setPen(text)
                painter.drawText(
                    QRect(0, y - 8, GUTTER - 10, 16),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    f"{hour:02d}:00",
                )
        painter.setPen(QPen(line, 1))
        for column in range(len(self.columns.days) + 1):
            x = int(self.columns.x(self, column))
            painter.drawLine(x, exposed.top(), x, exposed.bottom())
        drag = self._drag
        for p in self.placed:
            rect = self._rect(p)
            if rect is None or not rect.intersects(QRectF(exposed)):
                continue
            start = p.occurrence.start.astimezone()
            if rect.width() >= 90:
                label = f"{start:%H:%M} {chip_label(p.occurrence)}"
            else:  # a narrow block keeps its width for the subject: the place tells the time
                label = p.occurrence.subject
            paint_chip(
                painter,
                rect,
                p.occurrence,
                label,
                dark,
                110 if drag and drag["placed"] is p else 255,
            )
        for crowd in self.overflows:
            if crowd.rect.intersects(QRectF(exposed)):
                self._paint_more(painter, crowd, dark)
        if drag and drag["moved"]:
            p = drag["placed"]
            ghost = self._ghost_rect(drag)
            top, bottom = drag["top"], drag["bottom"]
            span = f"{int(top) // 60:02d}:{int(top) % 60:02d}–{int(bottom) // 60:02d}:"
            label = f"{span}{int(bottom) % 60:02d} {p.occurrence.subject}"
            paint_chip(painter, ghost, p.occurrence, label, dark)
            painter.setPen(QPen(colour(p.occurrence.kind), 2, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(ghost, 3, 3)
        if today in self.columns.days:  # the current-time line
            now = dt.datetime.now().astimezone()
            minutes = wall_minutes(now, today)
            now_y = minutes / 60 * self.HOUR
            x = self.columns.x(self, self.columns.days.index(today))
            painter.setPen(QPen(QColor("#dc2626"), 2))
            painter.drawLine(int(x), int(now_y), int(x + width), int(now_y))
            painter.setBrush(QColor("#dc2626"))
            painter.drawEllipse(QRectF(x - 4, now_y - 4, 8, 8))

    def _paint_more(self, painter: QPainter, crowd: Overflow, dark: bool) -> None:
        fill = QColor(self.palette().mid().color())
        fill.setAlpha(120 if dark else 70)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(crowd.rect, 3, 3)
        painter.setPen(self.palette().text().color())
        painter.drawText(
            crowd.rect.adjusted(0, 2, 0, 0),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
            f"+{len(crowd.occurrences)}",
        )

    def _ghost_rect(self, drag: dict[str, Any]) -> QRectF:
        return self._block(drag["day"], drag["top"], drag["bottom"])  # the whole width

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        crowd = self.overflow_at(event.position().toPoint())
        if crowd is not None:
            day = self.columns.days[crowd.day]
            self.more_requested.emit(day, crowd.occurrences, event.globalPosition().toPoint())
            return
        p = self.hit(event.position().toPoint())
        rect = self._rect(p) if p is not None else None
        if p is None or rect is None:
            return
        mode = "resize" if event.position().y() > rect.bottom() - 6 else "move"
        self._drag = {
            "placed": p,
            "mode": mode,
            "press": event.position(),
            "day": p.day,
            "top": p.top,
            "bottom": p.bottom,
            "moved": False,
        }

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        drag = self._drag
        if drag is None:
            p = self.hit(pos.toPoint())
            rect = self._rect(p) if p is not None else None
            near_edge = rect is not None and pos.y() > rect.bottom() - 6
            self.setCursor(
                Qt.CursorShape.SizeVerCursor if near_edge else Qt.CursorShape.ArrowCursor
            )
            return
        if (pos - drag["press"]).manhattanLength() < 4 and not drag["moved"]:
            return
        drag["moved"] = True
        p = drag["placed"]
        delta = round(self.minutes_at(pos.y() - drag["press"].y()) / SNAP) * SNAP
        length = p.bottom - p.top
        if drag["mode"] == "move":
            top = min(max(p.top + delta, 0), 1440 - max(length, SNAP))
            drag.update(top=top, bottom=top + length)
            drag["day"] = self.columns.column_at(self, pos.x())
        else:
            drag["bottom"] = min(max(p.bottom + delta, p.top + SNAP), 1440)
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag, self._drag = self._drag, None
        if drag is None:
            return
        self.update()
        p = drag["placed"]
        if not drag["moved"] or (drag["day"], drag["top"], drag["bottom"]) == (
            p.day,
            p.top,
            p.bottom,
        ):
            return
        base = midnight(self.columns.days[drag["day"]])
        start = base + dt.timedelta(minutes=drag["top"])
        end = base + dt.timedelta(minutes=drag["bottom"])
        # Re-read the offset: a move across a DST change keeps the wall-clock time.
        start = start.replace(tzinfo=None).astimezone()
        end = end.replace(tzinfo=None).astimezone()
        self.rescheduled.emit(p.occurrence, start, end)

    def contextMenuEvent(self, event: Any) -> None:
        placed = self.hit(event.pos())
        if placed is not None:
            self.menu_requested.emit(placed.occurrence, event.globalPos())

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        p = self.hit(event.position().toPoint())
        if p is not None:
            self.open_requested.emit(p.occurrence)
            return
        if not self.columns.days:
            return
        day = self.columns.days[self.columns.column_at(self, event.position().x())]
        minutes = int(self.minutes_at(event.position().y()) // 30 * 30)
        start = (midnight(day) + dt.timedelta(minutes=minutes)).replace(tzinfo=None).astimezone()
        self.create_requested.emit(start, False)

    def event(self, event: Any) -> bool:
        if event.type() == event.Type.ToolTip:
            p = self.hit(event.pos())
            crowd = self.overflow_at(event.pos())
            if p is not None:
                QToolTip.showText(event.globalPos(), chip_tooltip(p.occurrence), self)
            elif crowd is not None:
                names = "<br>".join(chip_tooltip(o) for o in crowd.occurrences[:8])
                more = len(crowd.occurrences) - 8
                extra = f"<br>… and {more} more" if more > 0 else ""
                QToolTip.showText(event.globalPos(), f"{names}{extra}", self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)


class DayHeader(QWidget):
    """Day names and the all-day row above the hours."""

    create_requested = Signal(object, bool)
    open_requested = Signal(object)
    menu_requested = Signal(object, object)
    NAMES = 26
    LANE = 20

    def __init__(self, columns: DayColumns, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.all_day: list[tuple[int, int, Any]] = []  # column, lane, occurrence
        self.setAccessibleName("All-day activities")
        self._lanes = 1
        self._fit()

    def _fit(self) -> None:
        self.setFixedHeight(self.NAMES + self._lanes * self.LANE + 6)

    def set_occurrences(self, all_day: dict[dt.date, list[Any]]) -> None:
        self.all_day = []
        lanes = 1
        for column, day in enumerate(self.columns.days):
            todays = all_day.get(day, [])
            lanes = max(lanes, len(todays))
            self.all_day.extend((column, lane, o) for lane, o in enumerate(todays))
        self._lanes = min(lanes, 4)
        self._fit()
        self.update()

    def _rect(self, column: int, lane: int) -> QRectF:
        return QRectF(
            self.columns.x(self, column) + 1,
            self.NAMES + lane * self.LANE + 2,
            self.columns.width(self) - 3,
            self.LANE - 3,
        )

    def hit(self, pos: QPoint) -> Any | None:
        for column, lane, o in self.all_day:
            if lane < self._lanes and self._rect(column, lane).contains(pos.toPointF()):
                return o
        return None

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self.paint(painter)
        painter.end()

    def paint(self, painter: QPainter) -> None:
        palette = self.palette()
        dark = is_dark(self)
        full = self.columns.total(self)
        base = QFont(painter.font())
        painter.fillRect(QRect(0, 0, full, self.height()), palette.window())
        today = dt.date.today()
        text = palette.windowText().color()
        muted = palette.placeholderText().color()
        bold = QFont(base)
        bold.setBold(True)
        painter.setPen(muted)
        painter.drawText(
            QRect(0, self.NAMES, GUTTER - 8, self.LANE),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            "all day",
        )
        for column, day in enumerate(self.columns.days):
            x = self.columns.x(self, column)
            cell = QRectF(x, 0, self.columns.width(self), self.NAMES)
            if day == today:
                painter.fillRect(cell.adjusted(2, 2, -2, -2), QColor("#2f63d4"))
                painter.setPen(QColor("white"))
                painter.setFont(bold)
            else:
                painter.setPen(text)
                painter.setFont(base)
            painter.drawText(cell, Qt.AlignmentFlag.AlignCenter, day_name(day, cell.width()))
        painter.setFont(base)
        painter.setPen(QPen(palette.mid().color(), 1))
        painter.drawLine(GUTTER, self.height() - 1, full, self.height() - 1)
        counts = Counter(column for column, _lane, _o in self.all_day)
        for column, lane, o in self.all_day:
            # The last lane holds "+n more" when a day has more than fit.
            if lane < self._lanes - 1 or (
                lane == self._lanes - 1 and counts[column] <= self._lanes
            ):
                paint_chip(painter, self._rect(column, lane), o, chip_label(o), dark)
        for column, count in counts.items():
            if count > self._lanes:
                painter.setPen(muted)
                painter.drawText(
                    self._rect(column, self._lanes - 1),
                    Qt.AlignmentFlag.AlignCenter,
                    f"+{count - self._lanes + 1} more",
                )

    def contextMenuEvent(self, event: Any) -> None:
        found = self.hit(event.pos())
        if found is not None:
            self.menu_requested.emit(found, event.globalPos())

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        o = self.hit(event.position().toPoint())
        if o is not None:
            self.open_requested.emit(o)
            return
        if event.position().y() < self.NAMES or not self.columns.days:
            return
        day = self.columns.days[self.columns.column_at(self, event.position().x())]
        self.create_requested.emit(midnight(day), True)

    def event(self, event: Any) -> bool:
        if event.type() == event.Type.ToolTip:
            o = self.hit(event.pos())
            if o is not None:
                QToolTip.showText(event.globalPos(), chip_tooltip(o), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)


class TimeGridView(QWidget):
    """Day or week: the header with the all-day row over the scrollable hours."""

    rescheduled = Signal(object, object, object)
    create_requested = Signal(object, bool)
    open_requested = Signal(object)
    menu_requested = Signal(object, object)
    more_requested = Signal(object, object, object)  # date, occurrences, global position

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.now: Callable[[], dt.datetime] = dt.datetime.now  # replaced in tests
        self.columns = DayColumns()
        self.header = DayHeader(self.columns, self)
        self.canvas = HourCanvas(self.columns, self)
        self.columns.canvas = self.canvas
        self.scroller = QScrollArea(self)
        self.scroller.setWidget(self.canvas)
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroller.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.scroller, 1)
        for source in (self.canvas, self.header):
            source.create_requested.connect(self.create_requested)
            source.open_requested.connect(self.open_requested)
            source.menu_requested.connect(self.menu_requested)
        self.canvas.rescheduled.connect(self.rescheduled)
        self.canvas.more_requested.connect(self.more_requested)
        self._scrolled = False
        self._pending_hour: int | None = None
        # Until the hours are laid out the scroll bar has no range and a scroll is lost.
        self.scroller.verticalScrollBar().rangeChanged.connect(
            lambda _low, _high: self._scroll_pending()
        )

    def set_range(self, days: list[dt.date], found: list[Any]) -> None:
        self.columns.days = list(days)
        timed: dict[dt.date, list[Any]] = {}
        all_day: dict[dt.date, list[Any]] = {}
        for o in found:
            day = day_of(o)
            (all_day if o.all_day else timed).setdefault(day, []).append(o)
        self.header.set_occurrences(all_day)
        self.canvas.set_occurrences(timed)
        if not self._scrolled:
            # Open at the hour it is now (an hour before, for context), not at a fixed one.
            self.scroll_to_hour(max(self.now().hour - 1, 0))

    def scroll_to_hour(self, hour: int) -> None:
        """Show `hour` at the top of the hours (once they are laid out)."""
        self._scrolled = True
        self._pending_hour = hour
        self._scroll_pending()

    def _scroll_pending(self) -> None:
        bar = self.scroller.verticalScrollBar()
        if self._pending_hour is None or bar.maximum() <= 0:
            return
        target = max(self._pending_hour * HourCanvas.HOUR - 10, 0)
        bar.setValue(target)
        if bar.value() == min(target, bar.maximum()):
            self._pending_hour = None

    def first_hour_shown(self) -> int:
        return round((self.scroller.verticalScrollBar().value() + 10) / HourCanvas.HOUR)

    def render_hours(self, painter: QPainter, target: QRect, first: int, last: int) -> None:
        """Draw the header and the hours first..last into `target` (printing), laid out
        for the page's shape rather than the window's."""
        source_height = (last - first) * HourCanvas.HOUR
        total = self.header.height() + source_height
        width = max(int(total * target.width() / target.height()), 600)
        scale = min(target.width() / width, target.height() / total)
        self.columns.print_width = width
        font = QFont(self.font())
        font.setPixelSize(QFontInfo(self.font()).pixelSize())
        try:
            painter.save()
            painter.setFont(font)
            painter.translate(target.topLeft())
            painter.scale(scale, scale)
            painter.setClipRect(QRect(0, 0, width, self.header.height()))
            self.header.paint(painter)
            painter.translate(0, self.header.height() - first * HourCanvas.HOUR)
            exposed = QRect(0, first * HourCanvas.HOUR, width, source_height)
            painter.setClipRect(exposed)
            self.canvas.paint(painter, exposed)
            painter.restore()
        finally:
            self.columns.print_width = None
