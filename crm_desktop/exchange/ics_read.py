"""Reading iCalendar files as calendar programs really write them.

The file is cut into its components by hand first (VEVENT, VTODO, VTIMEZONE), so a
damaged component, a line that is no property or a file cut short loses only what is
damaged: every whole event is read, and each loss is named. Each component is then
parsed by the icalendar library and turned into an `IcsEvent` with times in IANA zones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from crm_desktop.domain.recurrence import IcsEvent, Moment, Period
from crm_desktop.exchange.ics_zones import ZoneBook

log = logging.getLogger(__name__)

_PROPERTY = re.compile(r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)?(?:;[^\r\n]*?)?:", re.DOTALL)
_READ = {"VEVENT", "VTODO"}
# Properties kept (or read to keep something); any other one is named as "not used".
_USED = {
    "UID", "SUMMARY", "DTSTART", "DTEND", "DURATION", "DUE", "DESCRIPTION", "RRULE",
    "RDATE", "EXDATE", "RECURRENCE-ID", "STATUS", "CATEGORIES", "ATTENDEE", "COMPLETED",
    "DTSTAMP", "CREATED", "LAST-MODIFIED", "SEQUENCE", "TRANSP", "PERCENT-COMPLETE",
}  # fmt: skip
_NOT_USED_NAMES = {"VALARM": "VALARM reminders", "X-": "X- properties (app-specific)"}


class EventError(ValueError):
    """Why one event cannot be imported, in words a person reads."""


@dataclass
class CalendarFile:
    """What a file held: its events and to-dos, and what was lost or guessed."""

    events: list[IcsEvent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # components not read, with why
    notes: list[str] = field(default_factory=list)  # read, with something guessed
    not_used: Counter[str] = field(default_factory=Counter)  # property -> components
    readable: bool = True  # False: not an iCalendar file at all


@dataclass
class _Block:
    kind: str
    line: int  # where its BEGIN is
    lines: list[tuple[int, str]]
    whole: bool = False


def decode(data: bytes) -> str:
    """Text of the file: UTF-8 (with or without a BOM), else Windows-1252."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _unfolded(text: str) -> Iterator[tuple[int, str]]:
    """Content lines with folds joined, each with the line it starts on. Line ends may be
    CRLF, LF, CR or the CR CR LF some phones write."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(re.split(r"\r*\n|\r", text), start=1):
        if raw[:1] in (" ", "\t") and pending:
            pending.append(raw[1:])
            continue
        if pending:
            yield start, "".join(pending)
        pending, start = ([raw], number) if raw.strip() else ([], 0)
    if pending:
        yield start, "".join(pending)


def split(text: str, result: CalendarFile) -> list[_Block]:
    """The components directly inside the VCALENDARs of the file, whole or cut short (a
    component whose END is missing ends where the next one of its kind begins)."""
    blocks: list[_Block] = []
    stack: list[str] = []  # the components open inside `current`
    current: _Block | None = None
    in_calendar = seen_calendar = False
    for number, line in _unfolded(text):
        head, _, value = line.partition(":")
        name = head.split(";", 1)[0].strip().upper()
        value = value.strip().upper()
        if name == "BEGIN" and value == "VCALENDAR" and current is None:
            in_calendar = seen_calendar = True
            continue
        if name == "END" and value == "VCALENDAR":
            if current is not None:
                blocks.append(current)  # cut short: its END never came
            current, stack, in_calendar = None, [], False
            continue
        if (
            name == "BEGIN"
            and current is not None
            and current.kind in _READ
            and value == current.kind
        ):
            blocks.append(current)  # a new event begins before this one ended
            current = None
        if current is None:
            if name == "BEGIN" and (in_calendar or value in _READ):
                current, stack = _Block(value, number, [(number, line)]), [value]
            continue
        current.lines.append((number, line))
        if name == "BEGIN":
            stack.append(value)
        elif name == "END" and value in stack:
            del stack[len(stack) - 1 - stack[::-1].index(value) :]
            if not stack:
                current.whole = True
                blocks.append(current)
                current = None
    if current is not None:
        blocks.append(current)
    if not seen_calendar and not blocks:
        result.readable = False
    return blocks


def parse_component(block: _Block, result: CalendarFile, label: str) -> Any | None:
    """The icalendar component of a block; lines that are no property are left out
    (and named), a component the library cannot read is named and skipped."""
    from icalendar import Component

    kept: list[str] = []
    for number, line in block.lines:
        if _PROPERTY.match(line):
            kept.append(line)
        else:
            result.notes.append(
                f"{label}: line {number} is not an iCalendar property and was left out: "
                f"{line[:40]!r}"
            )
    if not block.whole:
        kept.append(f"END:{block.kind}")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            component = Component.from_ical("\r\n".join(kept) + "\r\n")
        for warning in caught:
            log.info("%s: %s", label, warning.message)
    except Exception as exc:  # the library's errors on damaged text vary (even AttributeError)
        log.info("%s not read: %r", label, exc)
        result.problems.append(f"{label} (line {block.line}) could not be read and was skipped")
        return None
    return component


# ---- one component -> IcsEvent -------------------------------------------------------------


def _one(component: Any, name: str) -> Any:
    value = component.get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _all(component: Any, name: str) -> list[Any]:
    """Every value of a property that may come once or several times."""
    value = component.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(component: Any, name: str) -> str:
    value = _one(component, name)
    return str(value).strip() if value is not None else ""


_LOOSE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z?))?")


def _raw_dt(prop: Any, what: str) -> Any:
    try:
        value = getattr(prop, "dt", None)
    except Exception:  # the library's error for a value it could not parse
        value = None
    if value is None or not isinstance(value, dt.date | tuple | dt.timedelta):
        raw = prop.to_ical().decode(errors="replace") if hasattr(prop, "to_ical") else prop
        loose = _LOOSE.fullmatch(str(raw).strip())
        if loose is None:
            raise EventError(f"its {what} is not a date or time: {str(raw)[:40]!r}")
        # ISO 8601 with dashes and colons (hand-written): read, as meant.
        y, m, d, hh, mm, ss, z = loose.groups()
        if hh is None:
            return dt.date(int(y), int(m), int(d))
        tz = dt.UTC if z else None
        return dt.datetime(int(y), int(m), int(d), int(hh), int(mm), int(ss or 0), tzinfo=tz)
    return value


def _timed(
    value: dt.datetime, tzid: str | None, zones: ZoneBook, default: tuple[str, dt.tzinfo]
) -> tuple[dt.datetime, str]:
    """An aware date-time and its zone name ("" = UTC) from a value as parsed."""
    if tzid:
        name, tz = zones.zone(tzid, value.year)
        return value.replace(tzinfo=None).replace(tzinfo=tz), name
    if value.tzinfo is not None:  # written in UTC (Z)
        return value.astimezone(dt.UTC), ""
    name, tz = default  # floating: wall time in the user's (or the series') zone
    return value.replace(tzinfo=tz), name


def _moment(
    prop: Any, what: str, zones: ZoneBook, default: tuple[str, dt.tzinfo]
) -> tuple[Moment, str]:
    value = _raw_dt(prop, what)
    if isinstance(value, dt.datetime):
        tzid = prop.params.get("TZID") if hasattr(prop, "params") else None
        return _timed(value, str(tzid) if tzid else None, zones, default)
    if isinstance(value, dt.date):
        return value, ""
    raise EventError(f"its {what} is not a date or time")


def _moments(
    component: Any, name: str, zones: ZoneBook, default: tuple[str, dt.tzinfo]
) -> list[Moment | Period]:
    """Every value of EXDATE or RDATE (each may come several times, with several values)."""
    found: list[Moment | Period] = []
    for group in _all(component, name):
        tzid = group.params.get("TZID") if hasattr(group, "params") else None
        for item in getattr(group, "dts", []):
            value = getattr(item, "dt", None)
            item_tzid = str(tzid) if tzid else item.params.get("TZID")
            if isinstance(value, tuple):  # a PERIOD: start and end (or length)
                start, stop = value
                if not isinstance(start, dt.datetime):
                    continue
                begin, _ = _timed(start, item_tzid, zones, default)
                if isinstance(stop, dt.timedelta):
                    end = begin + stop
                elif isinstance(stop, dt.datetime):
                    end, _ = _timed(stop, item_tzid, zones, default)
                else:
                    continue
                found.append((begin, end))
            elif isinstance(value, dt.datetime):
                found.append(_timed(value, item_tzid, zones, default)[0])
            elif isinstance(value, dt.date):
                found.append(value)
            else:
                raise EventError(f"its {name} is not a list of dates")
    return found


def event_of(component: Any, number: int, zones: ZoneBook) -> IcsEvent:
    """The IcsEvent of a VEVENT or VTODO; EventError says why it cannot be one."""
    todo = component.name == "VTODO"
    start_prop = _one(component, "DUE" if todo else "DTSTART") or _one(component, "DTSTART")
    summary = _text(component, "SUMMARY")
    start: Moment | None = None
    tzname = ""
    series_zone = zones.local_zone()
    if start_prop is not None:
        start, tzname = _moment(start_prop, "start (DTSTART)", zones, zones.local_zone())
        if isinstance(start, dt.datetime) and start.tzinfo is not None:
            series_zone = (tzname, start.tzinfo)
    elif not todo:
        raise EventError("it has no start (DTSTART)")
    end = _end(component, start, zones, series_zone, todo)
    rrule_prop = _one(component, "RRULE")
    rrule = ""
    if rrule_prop is not None:
        if not isinstance(rrule_prop, dict):  # a vRecur is a dict; a broken value is not
            raise EventError("its repetition rule (RRULE) cannot be read")
        rrule = bytes(rrule_prop.to_ical()).decode()  # type: ignore[attr-defined]
    recurrence = _one(component, "RECURRENCE-ID")
    rid = _moment(recurrence, "RECURRENCE-ID", zones, series_zone)[0] if recurrence else None
    status = _text(component, "STATUS").upper()
    categories = [str(c) for g in _all(component, "CATEGORIES") for c in getattr(g, "cats", [])]
    emails = [
        str(a).strip().removeprefix("mailto:").removeprefix("MAILTO:")
        for a in _all(component, "ATTENDEE")
    ]
    exdates = [
        d for d in _moments(component, "EXDATE", zones, series_zone) if not isinstance(d, tuple)
    ]
    return IcsEvent(
        uid=_text(component, "UID"),
        summary=summary,
        start=start,
        end=end,
        description=_text(component, "DESCRIPTION"),
        timezone=tzname if isinstance(start, dt.datetime) else "",
        rrule=rrule,
        exdates=tuple(exdates),
        attendees=tuple(e for e in emails if "@" in e),
        categories=tuple(categories),
        rdates=tuple(_moments(component, "RDATE", zones, series_zone)),
        recurrence_id=rid,
        cancelled=status == "CANCELLED",
        todo=todo,
        done=todo and (status == "COMPLETED" or component.get("COMPLETED") is not None),
        number=number,
    )


def _end(
    component: Any,
    start: Moment | None,
    zones: ZoneBook,
    series_zone: tuple[str, dt.tzinfo],
    todo: bool,
) -> Moment | None:
    if todo or start is None:
        return None
    end_prop = _one(component, "DTEND")
    if end_prop is not None:
        end, _ = _moment(end_prop, "end (DTEND)", zones, series_zone)
        if isinstance(start, dt.datetime) and not isinstance(end, dt.datetime):
            end = dt.datetime.combine(end, dt.time(), tzinfo=start.tzinfo)
        elif not isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
            end = end.date()
        return end
    duration = _one(component, "DURATION")
    if duration is not None:
        length = getattr(duration, "dt", None)
        if not isinstance(length, dt.timedelta):
            raise EventError("its length (DURATION) is not a duration")
        if isinstance(start, dt.datetime):
            # Wall-clock length for whole days (RFC 5545: P1D is a day, not 24 hours).
            wall = start.replace(tzinfo=None) + length
            return wall.replace(tzinfo=start.tzinfo)
        return start + dt.timedelta(days=length.days)
    return None


def stable_uid(component: Any) -> str:
    """An id from what an event says (for events without UID): the same event gets the
    same id on every import, two different events never share one."""
    parts = []
    for name in ("DTSTART", "DTEND", "DURATION", "DUE", "SUMMARY", "DESCRIPTION", "RRULE",
                 "LOCATION", "RECURRENCE-ID"):  # fmt: skip
        value = _one(component, name)
        if value is not None:
            raw = value.to_ical() if hasattr(value, "to_ical") else str(value).encode()
            params = sorted(getattr(value, "params", {}).items())
            parts.append(f"{name}{params}:{raw.decode(errors='replace')}")
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]
    return f"generated-{digest}@crm-desktop"


def note_unused(component: Any, result: CalendarFile) -> None:
    names = set()
    for prop in component.property_items(recursive=False):
        key = prop[0].upper()
        if key in ("BEGIN", "END") or key in _USED:
            continue
        names.add("X-" if key.startswith("X-") else key)
    names.update(sub.name for sub in component.subcomponents)
    for name in names:
        result.not_used[_NOT_USED_NAMES.get(name, name)] += 1


def read(data: bytes, local: str) -> CalendarFile:
    """Every event and to-do of the file, in order, and what was lost on the way."""
    result = CalendarFile()
    blocks = split(decode(data), result)
    if not result.readable:
        return result
    definitions: dict[str, Any] = {}
    numbers: Counter[str] = Counter()
    pending: list[tuple[_Block, int]] = []
    for block in blocks:
        if block.kind == "VTIMEZONE":
            component = parse_component(block, result, "time zone")
            if component is not None and component.get("TZID"):
                definitions[str(component["TZID"])] = component
        elif block.kind in _READ:
            numbers[block.kind] += 1
            pending.append((block, numbers[block.kind]))
        else:
            result.not_used[block.kind] += 1
    zones = ZoneBook(definitions, local)
    uids: Counter[str] = Counter()
    for block, number in pending:
        kind = "to-do" if block.kind == "VTODO" else "event"
        label = f"{kind} {number}"
        component = parse_component(block, result, label)
        if component is None:
            continue
        summary = _text(component, "SUMMARY")
        label = f"{kind} {number} {summary or '(no title)'!r}"
        if not block.whole:
            result.problems.append(
                f"{label} (line {block.line}): the file ends inside it, so it was not imported"
            )
            continue
        try:
            event = event_of(component, number, zones)
        except EventError as exc:
            result.problems.append(f"{label} (line {block.line}): {exc}; not imported")
            continue
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            log.info("%s not read: %r", label, exc)
            result.problems.append(f"{label} (line {block.line}) could not be read; not imported")
            continue
        if not event.uid:
            uid = stable_uid(component)
            uids[uid] += 1
            if uids[uid] > 1:  # the same event twice: both kept, each with its own id
                uid = uid.replace("@", f"-{uids[uid]}@")
            event = replace(event, uid=uid)
        note_unused(component, result)
        result.events.append(event)
    result.notes = zones.notes + result.notes
    return result
