"""iCalendar (RFC 5545) in and out, with the icalendar library (imported when used).

Reading (ics_read.py) keeps going past anything broken: every whole event is returned,
and what was lost is named. Writing puts each series with its exceptions: the moved
occurrences as VEVENTs with the series' UID and a RECURRENCE-ID, the cancelled ones as
EXDATEs; all-day dates as DATE values; every TZID an IANA zone with its VTIMEZONE."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from crm_desktop.domain.recurrence import IcsEvent, Moment, Period, join_rule, rule_parts
from crm_desktop.domain.zones import safe_zone
from crm_desktop.exchange.ics_read import CalendarFile, read

PRODID = "-//crm-desktop//crm-desktop//EN"
log = logging.getLogger(__name__)

__all__ = ["PRODID", "CalendarFile", "read_calendar", "write_calendar"]


def read_calendar(data: bytes, local_zone: str = "") -> CalendarFile:
    """Events and to-dos of an .ics file and what could not be read (each named).
    Floating times are read in `local_zone` (an IANA name; "" = UTC)."""
    return read(data, local_zone)


def write_calendar(events: Iterable[IcsEvent], name: str = "crm-desktop") -> bytes:
    """A VCALENDAR with one VEVENT per event (times with their IANA TZID, or UTC)."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    stamp = dt.datetime.now(dt.UTC)
    zoned = False
    for item in events:
        if item.start is None:
            continue
        tz = safe_zone(item.timezone)
        zoned = zoned or (isinstance(item.start, dt.datetime) and tz is not dt.UTC)
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("summary", item.summary)
        if item.recurrence_id is not None:
            event.add("recurrence-id", _out(item.recurrence_id, tz))
        event.add("dtstart", _out(item.start, tz))
        if item.end is not None:
            event.add("dtend", _out(item.end, tz))
        if item.description:
            event.add("description", item.description)
        if item.rrule:
            _add_rule(event, item)
        _add_dates(event, "rdate", item.rdates, tz)
        _add_dates(event, "exdate", item.exdates, tz)
        for email in item.attendees:
            event.add("attendee", f"mailto:{email}")
        if item.categories:
            event.add("categories", list(item.categories))
        calendar.add_component(event)
    if zoned:
        calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _out(value: Moment, tz: dt.tzinfo) -> Moment:
    if isinstance(value, dt.datetime):
        return value.astimezone(tz)
    return value


def _add_rule(event: Any, item: IcsEvent) -> None:
    from icalendar import vRecur

    parts = rule_parts(item.rrule)
    until = parts.get("UNTIL", "")
    if item.all_day and len(until) > 8:  # RFC 5545: UNTIL is a DATE when DTSTART is
        parts["UNTIL"] = until[:8]
    try:
        event.add("rrule", vRecur.from_ical(join_rule(parts)))
    except ValueError as exc:  # a rule stored by hand that no program can read: left out
        log.warning("event %s written without its rule %r: %s", item.uid, item.rrule, exc)


def _add_dates(event: Any, name: str, values: Sequence[Moment | Period], tz: dt.tzinfo) -> None:
    """EXDATE or RDATE: one property per kind of value (dates, date-times, periods)."""
    dates = [v for v in values if isinstance(v, dt.date) and not isinstance(v, dt.datetime)]
    times = [v.astimezone(tz) for v in values if isinstance(v, dt.datetime)]
    # Periods in UTC: the library writes no TZID for them.
    periods = [(v[0].astimezone(dt.UTC), v[1].astimezone(dt.UTC)) for v in values
               if isinstance(v, tuple)]  # fmt: skip
    if dates:
        event.add(name, sorted(dates), parameters={"VALUE": "DATE"})
    if times:
        event.add(name, sorted(times))
    if periods:
        event.add(name, sorted(periods), parameters={"VALUE": "PERIOD"})
