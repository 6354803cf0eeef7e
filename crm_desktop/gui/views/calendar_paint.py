"""What the calendar's grids share: kind colours, sizes, day and time arithmetic, labels and
tooltips, the painted chip, the placement of timed blocks side by side and the geometry of
the day columns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

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


def is_dark(widget: QWidget) -> bool:
    return widget.palette().window().color().lightness() < 128


def chip_label(occurrence: Any) -> str:
    prefix = "✓ " if occurrence.done else ""
    repeat = " ↻" if occurrence.recurring else ""
    return f"{prefix}{occurrence.subject}{repeat}"


def chip_tooltip(occurrence: Any) -> str:
    start = occurrence.start.astimezone()
    when = (
        f"{day_of(occurrence):%a %d %b}, all day"
        if occurrence.all_day
        else f"{start:%a %d %b %H:%M}–{occurrence.end.astimezone():%H:%M}"
    )
    state = " · done" if occurrence.done else ""
    repeat = " · repeats" if occurrence.recurring else ""
    return f"<b>{occurrence.subject}</b><br>{occurrence.kind.capitalize()} · {when}{state}{repeat}"


def paint_chip(
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


class DayColumns:
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
