"""iCalendar (RFC 5545) in and out, with the icalendar library (imported when used).

Reading keeps going past a broken event: it is reported with what is wrong, and the good
events before and after it are returned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from crm_desktop.domain.recurrence import IcsEvent

PRODID = "-//crm-desktop//crm-desktop//EN"


def write_calendar(events: Iterable[IcsEvent], name: str = "crm-desktop") -> bytes:
    """A VCALENDAR with one VEVENT per event (times in UTC, or with their TZID)."""
    from icalendar import Calendar, Event, vRecur

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    stamp = dt.datetime.now(dt.UTC)
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("summary", item.summary)
        event.add("dtstart", _out(item.start, item.timezone))
        if item.end is not None:
            event.add("dtend", _out(item.end, item.timezone))
        if item.description:
            event.add("description", item.description)
        if item.rrule:
            event.add("rrule", vRecur.from_ical(item.rrule))
        for ex in item.exdates:
            event.add("exdate", _out(ex, item.timezone))
        for email in item.attendees:
            event.add("attendee", f"mailto:{email}")
        if item.categories:
            event.add("categories", list(item.categories))
        calendar.add_component(event)
    if any(item.timezone for item in events if isinstance(item.start, dt.datetime)):
        calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _out(value: dt.datetime | dt.date, timezone: str) -> dt.datetime | dt.date:
    if isinstance(value, dt.datetime) and timezone:
        from zoneinfo import ZoneInfo

        return value.astimezone(ZoneInfo(timezone))
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return value


def read_calendar(data: bytes) -> tuple[list[IcsEvent], list[str]]:
    """Events of an .ics file and one message per broken event (naming it)."""
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        return [], [f"not an iCalendar file: {exc}"]
    events: list[IcsEvent] = []
    problems: list[str] = []
    for number, component in enumerate(calendar.walk("VEVENT"), start=1):
        try:
            events.append(_event(component))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            summary = str(component.get("SUMMARY", "")) or "(no summary)"
            uid = str(component.get("UID", "")) or f"event {number}"
            problems.append(f"event {number} {summary!r} ({uid}): {exc}")
    return events, problems


def _event(component: Any) -> IcsEvent:
    start_prop = component.get("DTSTART")
    if start_prop is None:
        raise ValueError("it has no DTSTART")
    start = start_prop.dt
    tzid = ""
    if isinstance(start, dt.datetime):
        if start.tzinfo is None:
            start = start.replace(tzinfo=dt.UTC)  # floating time: read as UTC
        else:
            tzid = getattr(start.tzinfo, "key", "") or str(start_prop.params.get("TZID", ""))
            if tzid in ("UTC", "Z"):
                tzid = ""
    end_prop = component.get("DTEND")
    end = end_prop.dt if end_prop is not None else None
    if isinstance(end, dt.datetime) and end.tzinfo is None:
        end = end.replace(tzinfo=dt.UTC)
    rrule = component.get("RRULE")
    exdates: list[Any] = []
    raw_ex = component.get("EXDATE")
    for group in raw_ex if isinstance(raw_ex, list) else ([raw_ex] if raw_ex else []):
        for item in group.dts:
            value = item.dt
            if isinstance(value, dt.datetime) and value.tzinfo is None:
                value = value.replace(
                    tzinfo=start.tzinfo if isinstance(start, dt.datetime) else dt.UTC
                )
            exdates.append(value)
    attendees = component.get("ATTENDEE")
    emails = [
        str(a).removeprefix("mailto:").removeprefix("MAILTO:")
        for a in (attendees if isinstance(attendees, list) else [attendees] if attendees else [])
    ]
    return IcsEvent(
        uid=str(component.get("UID", "")) or f"generated-{hash(str(start))}",
        summary=str(component.get("SUMMARY", "")),
        start=start,
        end=end,
        description=str(component.get("DESCRIPTION", "")),
        timezone=tzid,
        rrule=rrule.to_ical().decode() if rrule else "",
        exdates=tuple(exdates),
        attendees=tuple(e for e in emails if "@" in e),
    )
