"""iCalendar files in and out of the calendar.

A series is stored as one activity with its rule (RRULE), extra dates (RDATE) and
exceptions: a cancelled occurrence is an EXDATE of the series, a moved one an EXDATE
plus an activity of its own (`series_id`, `recurrence_id`: where it was). That is how
the calendar stores an occurrence edited or deleted by hand, and how it is written back:
RECURRENCE-ID events with the series' UID, EXDATEs for the cancelled ones.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from crm_desktop.config import local_timezone
from crm_desktop.domain.calendar import ImportSummary
from crm_desktop.domain.errors import CrmError, ValidationError
from crm_desktop.domain.recurrence import (
    IcsEvent,
    Moment,
    Period,
    normalise_until,
    occurrences,
    zone,
)
from crm_desktop.domain.vocabulary import ACTIVITY_KINDS
from crm_desktop.exchange import ics
from crm_desktop.persistence.models import Activity
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import UowFactory, now

# ---- how dates are stored -----------------------------------------------------------------


def _utc(value: Moment, tz: dt.tzinfo = dt.UTC) -> dt.datetime:
    """A stored instant: a date is midnight UTC of that date (all-day), a time in UTC."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)


def parse_dates(raw: str) -> list[dt.datetime]:
    """The instants of a stored EXDATE or RDATE list (a period counts by its start)."""
    if not raw or raw == "[]":
        return []
    try:
        return [dt.datetime.fromisoformat(v.split("/", 1)[0]) for v in json.loads(raw)]
    except (ValueError, TypeError, AttributeError):
        return []


def _parse_rdates(raw: str) -> list[dt.datetime | Period]:
    found: list[dt.datetime | Period] = []
    try:
        for value in json.loads(raw) if raw else []:
            start, _, end = str(value).partition("/")
            first = dt.datetime.fromisoformat(start)
            found.append((first, dt.datetime.fromisoformat(end)) if end else first)
    except (ValueError, TypeError):
        return []
    return found


def _dump_rdates(values: Iterable[dt.datetime | Period]) -> str:
    texts = set()
    for value in values:
        if isinstance(value, tuple):
            texts.add(f"{value[0].astimezone(dt.UTC).isoformat()}/"
                      f"{value[1].astimezone(dt.UTC).isoformat()}")  # fmt: skip
        else:
            texts.add(value.astimezone(dt.UTC).isoformat())
    return json.dumps(sorted(texts)) if texts else ""


def dump_dates(values: Iterable[dt.datetime]) -> str:
    """EXDATEs as stored: a JSON list of ISO date-times in UTC, sorted, each once."""
    return json.dumps(sorted({d.astimezone(dt.UTC).isoformat() for d in values}))


# ---- import ---------------------------------------------------------------------------------


class _Import:
    """One import in one unit of work: what it did and what it could not."""

    def __init__(self, uow: UnitOfWork, summary: ics.CalendarFile) -> None:
        self.uow = uow
        self.file = summary
        self.problems: list[str] = list(summary.problems)
        self.notes: list[str] = list(summary.notes)
        self.created = self.updated = self.moved = self.cancelled = self.tasks = 0
        self.series: dict[str, Activity] = {}  # UID -> the series imported or found
        self.exdates: dict[str, set[dt.datetime]] = defaultdict(set)  # series id -> more

    def run(self) -> None:
        events = self.file.events
        for event in events:  # each series first, then the occurrences moved out of them
            if event.recurrence_id is None:
                self.one(self.master, event)
        for event in events:
            if event.recurrence_id is not None:
                self.one(self.exception, event)
        for series_id, extra in self.exdates.items():
            series = self.uow.activities.get(series_id)
            if series is not None:
                dump = dump_dates([*parse_dates(series.exdates), *extra])
                if series.exdates != dump:
                    series.exdates = dump

    def one(self, step: Any, event: IcsEvent) -> None:
        try:
            step(event)
        except ValidationError as exc:  # e.g. a series stored with a zone nothing knows
            self.problems.append(f"{event.label}: {exc}; not imported")

    def values(self, event: IcsEvent) -> dict[str, Any] | None:
        """The columns of an activity for an event (None: skipped, with why)."""
        start = event.start
        start_at = _utc(start) if start is not None else None
        end_at = _utc(event.end) if event.end is not None else None
        rule = ""
        tz = "" if event.all_day else event.timezone
        if event.rrule and start_at is not None:
            try:
                rule = normalise_until(event.rrule, zone(tz))
                occurrences(start_at, rule, (), start_at, start_at + dt.timedelta(days=1), tz)
            except ValidationError as exc:
                self.problems.append(f"{event.label}: {exc}; not imported")
                return None
        series_zone = zone(tz)
        exdates = [self._instant(d, event, series_zone) for d in event.exdates]
        rdates = [
            (_utc(d[0]), _utc(d[1]))
            if isinstance(d, tuple)
            else self._instant(d, event, series_zone)
            for d in event.rdates
        ]
        kind = "task" if event.todo else "meeting"
        for category in event.categories:
            if category.strip().lower() in ACTIVITY_KINDS:
                kind = category.strip().lower()
        return {
            "kind": kind,
            "subject": (event.summary or "(no title)")[:300],
            "notes": event.description,
            "starts_at": start_at,
            "ends_at": end_at,
            "all_day": event.all_day,
            "timezone": tz,
            "rrule": rule,
            "exdates": dump_dates(exdates) if exdates else "",
            "rdates": _dump_rdates(rdates),
            "contact_id": self.contact(event),
            "ical_uid": event.uid,
            "done": event.done,
        }

    @staticmethod
    def _instant(value: Moment, event: IcsEvent, tz: dt.tzinfo) -> dt.datetime:
        """An EXDATE, RDATE or RECURRENCE-ID as the instant of an occurrence: a date in a
        timed series means that day's occurrence (at the series' wall time)."""
        start = event.start
        if isinstance(value, dt.datetime) or not isinstance(start, dt.datetime):
            return _utc(value)
        wall = start.astimezone(tz).time()
        return dt.datetime.combine(value, wall).replace(tzinfo=tz).astimezone(dt.UTC)

    def contact(self, event: IcsEvent) -> str | None:
        for email in event.attendees:
            people = self.uow.contacts.by_email(email)
            if people:
                return people[0].id
        return None

    def master(self, event: IcsEvent) -> None:
        if event.cancelled:
            self.problems.append(f"{event.label}: cancelled (STATUS:CANCELLED); not imported")
            return
        values = self.values(event)
        if values is None:
            return
        existing = self.uow.activities.by_ical_uid(event.uid)
        self.save(existing, values)
        if values["rrule"] or values["rdates"]:
            self.cancelled += len(event.exdates)
        if event.todo:
            self.tasks += 1
        activity = existing or self.uow.activities.by_ical_uid(event.uid)
        if activity is not None:
            self.series[event.uid] = activity

    def save(self, existing: Activity | None, values: dict[str, Any]) -> Activity:
        if values["done"] and (existing is None or existing.done_at is None):
            values["done_at"] = now()
        if existing is None:
            activity = self.uow.activities.add(Activity(**values))
            self.uow.flush()
            self.created += 1
            return activity
        for key, value in values.items():
            if getattr(existing, key) != value:
                setattr(existing, key, value)
        self.updated += 1
        return existing

    def exception(self, event: IcsEvent) -> None:
        assert event.recurrence_id is not None
        series = self.series.get(event.uid) or self.uow.activities.by_ical_uid(event.uid)
        if series is None or not (series.rrule or series.rdates):
            if event.cancelled:
                self.problems.append(
                    f"{event.label}: a cancelled occurrence of a series that is not in the "
                    "file; not imported"
                )
                return
            self.notes.append(
                f"{event.label}: an occurrence of a series that is not in the file; "
                "imported on its own"
            )
            values = self.values(event)
            if values is not None:
                values["ical_uid"] = f"{event.uid}/{_utc(event.recurrence_id).isoformat()}"
                self.save(self.uow.activities.by_ical_uid(values["ical_uid"]), values)
            return
        tz = dt.UTC if series.all_day else zone(series.timezone)
        master_start = series.starts_at
        rid = _utc(event.recurrence_id)
        if (
            isinstance(event.recurrence_id, dt.date)
            and not isinstance(event.recurrence_id, dt.datetime)
            and master_start is not None
            and not series.all_day
        ):
            wall = master_start.astimezone(tz).time()
            rid = dt.datetime.combine(event.recurrence_id, wall).replace(tzinfo=tz)
            rid = rid.astimezone(dt.UTC)
        self.exdates[series.id].add(rid)
        if event.cancelled:
            self.cancelled += 1
            return
        values = self.values(event)
        if values is None:
            return
        values.update(
            rrule="", rdates="", exdates="", series_id=series.id, recurrence_id=rid,
            owner_id=series.owner_id, contact_id=values["contact_id"] or series.contact_id,
        )  # fmt: skip
        if not event.categories:
            values["kind"] = series.kind
        existing = next(
            (a for a in self.uow.activities.exceptions(series.id) if a.recurrence_id == rid),
            None,
        )
        self.save(existing, values)
        self.moved += 1


def import_ics(uow_factory: UowFactory, path: Path, local_zone: str | None) -> ImportSummary:
    """See CalendarService.import_ics."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CrmError(f"cannot read {path}: {exc.strerror}") from exc
    local = local_timezone() if local_zone is None else local_zone
    read = ics.read_calendar(data, local)
    if not read.readable:
        return ImportSummary(
            0, 0, (f"{path.name} is not an iCalendar file (no BEGIN:VCALENDAR)",), readable=False
        )
    if not read.events and not read.problems:
        return ImportSummary(0, 0, (f"{path.name} holds no events or to-dos",))
    with uow_factory() as uow:
        job = _Import(uow, read)
        job.run()
        changes = uow.commit()
    not_used = tuple(
        f"{name} ({count} {'item' if count == 1 else 'items'})"
        for name, count in sorted(read.not_used.items())
    )
    return ImportSummary(
        created=job.created,
        updated=job.updated,
        problems=tuple(job.problems),
        notes=tuple(job.notes),
        not_used=not_used,
        moved=job.moved,
        cancelled=job.cancelled,
        tasks=job.tasks,
        changes=changes,
    )


# ---- export ---------------------------------------------------------------------------------


def _moment(value: dt.datetime, all_day: bool) -> Moment:
    return value.astimezone(dt.UTC).date() if all_day else value


def _event(a: Activity, uid: str) -> IcsEvent:
    assert a.starts_at is not None
    return IcsEvent(
        uid=uid,
        summary=a.subject,
        start=_moment(a.starts_at, a.all_day),
        end=_moment(a.ends_at, a.all_day) if a.ends_at else None,
        description="\n".join(x for x in (a.notes, a.outcome) if x),
        timezone="" if a.all_day else a.timezone,
        rrule=a.rrule,
        categories=(a.kind.upper(),),
    )


def calendar_events(activities: list[Activity], since: dt.datetime | None) -> list[IcsEvent]:
    """The events of the calendar: each series followed by its moved occurrences."""
    live = {a.id: a for a in activities if a.starts_at is not None}
    moved: dict[str, list[Activity]] = defaultdict(list)
    for a in live.values():
        parent = live.get(a.series_id or "")
        if a.recurrence_id is not None and parent is not None and (parent.rrule or parent.rdates):
            moved[parent.id].append(a)
    inside = {child.id for children in moved.values() for child in children}
    events: list[IcsEvent] = []
    for a in live.values():
        assert a.starts_at is not None
        repeats = bool(a.rrule or a.rdates)
        if a.id in inside or not (since is None or repeats or a.starts_at >= since):
            continue
        uid = a.ical_uid or f"{a.id}@crm-desktop"
        children = sorted(
            moved.get(a.id, []),
            key=lambda c: c.recurrence_id or dt.datetime.min.replace(tzinfo=dt.UTC),
        )
        away = {c.recurrence_id for c in children}
        exdates = [d for d in parse_dates(a.exdates) if d not in away]
        rdates: list[Moment | Period] = [
            d if isinstance(d, tuple) else _moment(d, a.all_day) for d in _parse_rdates(a.rdates)
        ]
        base = _event(a, uid)
        events.append(
            replace(
                base, exdates=tuple(_moment(d, a.all_day) for d in exdates), rdates=tuple(rdates)
            )
        )
        for child in children:
            assert child.recurrence_id is not None
            event = _event(child, uid)
            events.append(
                replace(
                    event,
                    rrule="",
                    recurrence_id=_moment(child.recurrence_id, a.all_day),
                    timezone=event.timezone or ("" if a.all_day else a.timezone),
                )
            )
    return events


def export_ics(uow_factory: UowFactory, path: Path, since: dt.datetime | None) -> int:
    """See CalendarService.export_ics."""
    with uow_factory.read() as uow:
        events = calendar_events(uow.activities.all(), since)
    data = ics.write_calendar(events)
    tmp: Path | None = None
    try:  # a temporary name of its own: two writers never share one
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        tmp = Path(name)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise CrmError(f"cannot write {path}: {exc.strerror}") from exc
    return len(events)
