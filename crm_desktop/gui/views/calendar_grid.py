"""The calendar's day/week grid (all-day row, hours, current-time line) and month grid,
painted by hand so a month with thousands of activities draws in a few milliseconds.

Drag an activity to move it, drag its lower edge to make it longer or shorter, double-click
an empty slot to create one there and an activity to open it. The grids only emit signals;
the calendar view turns them into undoable service calls."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPoint, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontInfo, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QScrollArea, QToolTip, QVBoxLayout, QWidget

KIND_COLOURS = {
    "call": "#2f63d4",
    "meeting": "#7b3fc4",
    "task": "#1f8a5b",
    "email": "#c27c0e",
    "note": "#6b7280",
}
GUTTER = 56
SNAP = 15  # minutes
MIN_LANE = 44  # px: narrower blocks read as slivers of "…"; more overlap becomes "+n"
MORE_WIDTH = 30  # px: the "+n" strip of a crowded hour
SHORTEST = 30  # minutes: a call or note of no length is drawn this long, one line of text


def midnight(day: dt.date) -> dt.datetime:
    """Local midnight of a day, with that day's own UTC offset (DST-correct)."""
    return dt.datetime(day.year, day.month, day.day).astimezone()


def wall_minutes(moment: dt.datetime, day: dt.date) -> float:
    """Minutes from the start of `day` to `moment` on this machine's wall clock."""
    wall = moment.astimezone().replace(tzinfo=None)
    return (wall - dt.datetime(day.year, day.month, day.day)).total_seconds() / 60


def day_of(occurrence: Any) -> dt.date:
    """The day an occurrence is drawn on: an all-day one's own date (stored at midnight
    UTC), a timed one's local date."""
    start: dt.datetime = occurrence.start
    return start.astimezone(dt.UTC).date() if occurrence.all_day else start.astimezone().date()


def day_name(day: dt.date, width: float) -> str:
    """A day column's heading, as long as its width allows: "Mon 30 Nov", "Mon 30", "30"."""
    if width >= 90:
        return f"{day:%a %d %b}"
    return f"{day:%a %d}" if width >= 56 else f"{day:%d}"


def colour(kind: str) -> QColor:
    return QColor(KIND_COLOURS.get(kind, "#6b7280"))


def _is_dark(widget: QWidget) -> bool:
    return widget.palette().window().color().lightness() < 128


def _label(occurrence: Any) -> str:
    prefix = "✓ " if occurrence.done else ""
    repeat = " ↻" if occurrence.recurring else ""
    return f"{prefix}{occurrence.subject}{repeat}"


def _tooltip(occurrence: Any) -> str:
    start = occurrence.start.astimezone()
    when = (
        f"{day_of(occurrence):%a %d %b}, all day"
        if occurrence.all_day
        else f"{start:%a %d %b %H:%M}–{occurrence.end.astimezone():%H:%M}"
    )
    state = " · done" if occurrence.done else ""
    repeat = " · repeats" if occurrence.recurring else ""
    return f"<b>{occurrence.subject}</b><br>{occurrence.kind.capitalize()} · {when}{state}{repeat}"


def _paint_chip(
    painter: QPainter, rect: QRectF, occurrence: Any, text: str, dark: bool, alpha: int = 255
) -> None:
    base = colour(occurrence.kind)
    fill = QColor(base)
    fill.setAlpha(90 if dark else 45)
    if occurrence.done:
        fill.setAlpha(fill.alpha() // 2)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setOpacity(alpha / 255)
    painter.setBrush(fill)
    painter.drawRoundedRect(rect, 3, 3)
    painter.setBrush(base)
    painter.drawRect(QRectF(rect.left(), rect.top(), 3, rect.height()))
    ink = QColor("#f3f4f6" if dark else "#111827")
    if occurrence.done:
        ink.setAlpha(150)
    painter.setPen(ink)
    inner = rect.adjusted(6, 1, -3, -1)
    metrics = painter.fontMetrics()
    if inner.height() >= 2 * metrics.height():
        painter.drawText(
            inner, Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignTop, text
        )  # long enough to wrap
    else:
        elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(inner.width()))
        painter.drawText(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, elided)
    painter.setOpacity(1.0)


@dataclass
class Placed:
    occurrence: Any
    day: int  # column
    top: float  # minutes after local midnight
    bottom: float
    lane: int = 0
    lanes: int = 1
    cluster: int = 0  # occurrences that overlap, directly or through others, share one


def place_day(occurrences: list[Any], day: dt.date, column: int) -> list[Placed]:
    """Timed occurrences of one day side by side where they overlap (lanes per cluster)."""
    placed = []
    for o in occurrences:
        # Wall-clock minutes, so 10:00 is drawn at 10:00 on the day the clocks change.
        top = wall_minutes(o.start, day)
        bottom = min(wall_minutes(o.end, day), 1440)
        placed.append(Placed(o, column, max(top, 0), max(bottom, top + SNAP)))
    placed.sort(key=lambda p: (p.top, -p.bottom))
    cluster: list[Placed] = []
    lane_ends: list[float] = []
    cluster_end = -1.0
    number = 0

    def close() -> None:
        for p in cluster:
            p.lanes = len(lane_ends)

    for p in placed:
        # Short ones take the room they are drawn in, so their text is not painted over.
        shown_bottom = max(p.bottom, p.top + SHORTEST)
        if p.top >= cluster_end and cluster:
            close()
            cluster, lane_ends = [], []
            number += 1
        for lane, end in enumerate(lane_ends):
            if end <= p.top:
                p.lane, lane_ends[lane] = lane, shown_bottom
                break
        else:
            p.lane = len(lane_ends)
            lane_ends.append(shown_bottom)
        p.cluster = number
        cluster.append(p)
        cluster_end = max(cluster_end, shown_bottom) if len(cluster) > 1 else shown_bottom
    if cluster:
        close()
    return placed


@dataclass
class Overflow:
    """Occurrences of a crowded cluster that do not fit side by side: one "+n" strip."""

    rect: QRectF
    day: int
    occurrences: list[Any]


class _Columns:
    """Shared geometry of the day columns (header and hours line up)."""

    def __init__(self) -> None:
        self.days: list[dt.date] = []
        self.print_width: int | None = None  # set while painting for the printer
        self.canvas: QWidget | None = None  # the hours: the header lines up with them

    def total(self, widget: QWidget) -> int:
        if self.print_width:
            return self.print_width
        return self.canvas.width() if self.canvas is not None else widget.width()

    def width(self, widget: QWidget) -> float:
        return max((self.total(widget) - GUTTER) / max(len(self.days), 1), 10)

    def x(self, widget: QWidget, column: int) -> float:
        return GUTTER + column * self.width(widget)

    def column_at(self, widget: QWidget, x: float) -> int:
        column = int((x - GUTTER) // self.width(widget))
        return min(max(column, 0), max(len(self.days) - 1, 0))


class HourCanvas(QWidget):
    """The hours of one or more days; timed activities as blocks."""

    rescheduled = Signal(object, object, object)  # occurrence, new start, new end
    create_requested = Signal(object, bool)  # start, all day
    open_requested = Signal(object)  # occurrence
    menu_requested = Signal(object, object)  # occurrence, global position
    more_requested = Signal(object, object, object)  # date, occurrences, global position
    HOUR = 44

    def __init__(self, columns: _Columns, parent: QWidget | None = None) -> None:
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
        dark = _is_dark(self)
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
                label = f"{start:%H:%M} {_label(p.occurrence)}"
            else:  # a narrow block keeps its width for the subject: the place tells the time
                label = p.occurrence.subject
            _paint_chip(
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
            _paint_chip(painter, ghost, p.occurrence, label, dark)
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
                QToolTip.showText(event.globalPos(), _tooltip(p.occurrence), self)
            elif crowd is not None:
                names = "<br>".join(_tooltip(o) for o in crowd.occurrences[:8])
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

    def __init__(self, columns: _Columns, parent: QWidget | None = None) -> None:
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
        dark = _is_dark(self)
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
                _paint_chip(painter, self._rect(column, lane), o, _label(o), dark)
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
                QToolTip.showText(event.globalPos(), _tooltip(o), self)
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
        self.columns = _Columns()
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
        dark = _is_dark(self)
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
                _paint_chip(painter, line, o, f"{time}{_label(o)}", dark)
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
            self.setToolTip(_tooltip(o) if o is not None else "")
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
