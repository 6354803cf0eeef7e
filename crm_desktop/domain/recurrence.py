"""Recurring activities (RFC 5545 RRULE with EXDATE exceptions) expanded in the event's own
time zone, so "every Monday 10:00 Europe/Berlin" stays at 10:00 across daylight saving."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

from crm_desktop.domain.errors import ValidationError


def zone(name: str) -> dt.tzinfo:
    """A time zone by IANA name; UTC for an empty name."""
    if not name:
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"unknown time zone {name!r}") from exc


def occurrences(
    start: dt.datetime,
    rrule: str,
    exdates: Iterable[dt.datetime],
    window_start: dt.datetime,
    window_end: dt.datetime,
    timezone: str = "",
) -> list[dt.datetime]:
    """Start times (aware, UTC) of the occurrences inside [window_start, window_end).

    `start` is the first occurrence (aware). The rule is expanded in `timezone` wall time,
    only for the window asked for; EXDATEs remove single occurrences."""
    tz = zone(timezone)
    local_start = start.astimezone(tz)
    if not rrule:
        return [start.astimezone(dt.UTC)] if window_start <= start < window_end else []
    try:
        rule = rrulestr(f"RRULE:{rrule}", dtstart=local_start, forceset=True)
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"not a recurrence rule: {rrule!r} ({exc})") from exc
    skipped = {d.astimezone(dt.UTC) for d in exdates}
    found = rule.between(window_start.astimezone(tz), window_end.astimezone(tz), inc=True)
    result = []
    for moment in found:
        when = moment.astimezone(dt.UTC)
        if when not in skipped and window_start <= when < window_end:
            result.append(when)
    return result


@dataclass(frozen=True)
class IcsEvent:
    """An event as iCalendar carries it (VEVENT)."""

    uid: str
    summary: str
    start: dt.datetime | dt.date
    end: dt.datetime | dt.date | None = None
    description: str = ""
    timezone: str = ""  # TZID of the start; "" for UTC or floating
    rrule: str = ""
    exdates: tuple[dt.datetime | dt.date, ...] = ()
    attendees: tuple[str, ...] = ()  # e-mail addresses
    categories: tuple[str, ...] = field(default_factory=tuple)

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)
