"""The calendar's day/week grid (all-day row, hours, current-time line) and month grid,
painted by hand so a month with thousands of activities draws in a few milliseconds.

Drag an activity to move it, drag its lower edge to make it longer or shorter, double-click
an empty slot to create one there and an activity to open it. The grids only emit signals;
the calendar view turns them into undoable service calls.

The grids live in calendar_hours (day/week) and calendar_month, what they share in
calendar_paint; their names are importable from here."""

from __future__ import annotations

from crm_desktop.gui.views.calendar_hours import DayHeader, HourCanvas, TimeGridView
from crm_desktop.gui.views.calendar_month import MonthGrid
from crm_desktop.gui.views.calendar_paint import (
    GUTTER,
    KIND_COLOURS,
    MIN_LANE,
    MORE_WIDTH,
    SHORTEST,
    SNAP,
    Overflow,
    Placed,
    colour,
    day_name,
    day_of,
    midnight,
    place_day,
    wall_minutes,
)

__all__ = [
    "GUTTER",
    "KIND_COLOURS",
    "MIN_LANE",
    "MORE_WIDTH",
    "SHORTEST",
    "SNAP",
    "DayHeader",
    "HourCanvas",
    "MonthGrid",
    "Overflow",
    "Placed",
    "TimeGridView",
    "colour",
    "day_name",
    "day_of",
    "midnight",
    "place_day",
    "wall_minutes",
]
