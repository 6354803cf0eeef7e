"""Calendar: recurring activities expanded for the range shown, exceptions, the Today /
Overdue list, and iCalendar import and export."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import CrmError, ValidationError
from crm_desktop.domain.records import Saved
from crm_desktop.domain.recurrence import IcsEvent, occurrences, zone
from crm_desktop.domain.text import display_name
from crm_desktop.exchange import ics
from crm_desktop.persistence.models import Activity
from crm_desktop.services._common import UowFactory, now, require
from crm_desktop.services.activities import KINDS


@dataclass(frozen=True)
class Occurrence:
    activity_id: str
    kind: str
    subject: str
    start: dt.datetime
    end: dt.datetime
    all_day: bool
    done: bool
    recurring: bool


@dataclass(frozen=True)
class Reminder:
    activity_id: str
    subject: str
    kind: str
    occurrence: dt.datetime  # when the activity starts
    at: dt.datetime  # when to remind


@dataclass(frozen=True)
class KeepInTouch:
    contact_id: str
    name: str
    reason: str


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    problems: tuple[str, ...]


def _exdates(activity: Activity) -> list[dt.datetime]:
    try:
        return [dt.datetime.fromisoformat(v) for v in json.loads(activity.exdates or "[]")]
    except (ValueError, TypeError):
        return []


class CalendarService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def schedule(
        self,
        kind: str,
        subject: str,
        start: dt.datetime,
        minutes: int = 30,
        timezone: str = "",
        rrule: str = "",
        all_day: bool = False,
        contact_id: str | None = None,
        owner_id: str | None = None,
    ) -> Saved:
        """Plan an activity, once or recurring (an RRULE such as FREQ=WEEKLY;BYDAY=MO)."""
        if kind not in KINDS:
            raise ValidationError(f"unknown activity kind {kind!r}")
        if not subject.strip():
            raise ValidationError("an activity needs a subject")
        if start.tzinfo is None:
            start = start.replace(tzinfo=zone(timezone))
        if rrule:  # refuse a bad rule now rather than when the calendar is drawn
            occurrences(start, rrule, (), start, start + dt.timedelta(days=1), timezone)
        with self._uow() as uow:
            company_id = None
            if contact_id:
                company_id = require(uow.contacts, contact_id, "contact").company_id
            activity = uow.activities.add(
                Activity(
                    kind=kind,
                    subject=subject.strip(),
                    starts_at=start,
                    ends_at=start + dt.timedelta(minutes=minutes),
                    all_day=all_day,
                    timezone=timezone,
                    rrule=rrule.removeprefix("RRULE:"),
                    owner_id=owner_id,
                    contact_id=contact_id,
                    company_id=company_id,
                    reminder_minutes=15,
                )
            )
            uow.session.flush()
            return Saved(activity.id, uow.commit())

    def occurrences(
        self,
        start: dt.datetime,
        end: dt.datetime,
        owner_id: str | None = None,
        kinds: Sequence[str] | None = None,
    ) -> list[Occurrence]:
        """Every occurrence in [start, end), recurring activities expanded for this range
        only, in time order."""
        found: list[Occurrence] = []
        with self._uow.read() as uow:
            for a in uow.activities.in_range(start, end, owner_id, kinds):
                if a.starts_at is None:
                    continue
                length = (a.ends_at - a.starts_at) if a.ends_at else dt.timedelta(minutes=30)
                for when in occurrences(a.starts_at, a.rrule, _exdates(a), start, end, a.timezone):
                    found.append(
                        Occurrence(
                            a.id,
                            a.kind,
                            a.subject,
                            when,
                            when + length,
                            a.all_day,
                            a.done,
                            bool(a.rrule),
                        )
                    )
        return sorted(found, key=lambda o: (o.start, o.subject))

    def skip(self, activity_id: str, occurrence: dt.datetime) -> ChangeSet:
        """Leave out one occurrence of a recurring activity (an EXDATE)."""
        with self._uow() as uow:
            activity = require(uow.activities, activity_id, "activity")
            if not activity.rrule:
                raise ValidationError("only a recurring activity has occurrences to skip")
            dates = [d.isoformat() for d in _exdates(activity)]
            dates.append(occurrence.astimezone(dt.UTC).isoformat())
            activity.exdates = json.dumps(sorted(set(dates)))
            return uow.commit()

    def today_and_overdue(
        self, moment: dt.datetime | None = None, timezone: str = ""
    ) -> tuple[list[Occurrence], list[Occurrence]]:
        """Not-done occurrences due today (in `timezone`) and single ones already overdue."""
        moment = moment or now()
        tz = zone(timezone)
        local = moment.astimezone(tz)
        day_start = dt.datetime.combine(local.date(), dt.time(), tzinfo=tz)
        day_end = day_start + dt.timedelta(days=1)
        today = [o for o in self.occurrences(day_start, day_end) if not o.done]
        past = self.occurrences(moment - dt.timedelta(days=365), day_start)
        overdue = [o for o in past if not o.done and not o.recurring]
        return today, overdue

    def reminders(self, start: dt.datetime, end: dt.datetime) -> list[Reminder]:
        """Reminders that fall in [start, end), for activities not done, in time order
        (occurrences of recurring activities each get their own)."""
        found: list[Reminder] = []
        # An occurrence up to a day after `end` may have its reminder inside the window.
        horizon = end + dt.timedelta(days=1)
        with self._uow.read() as uow:
            for a in uow.activities.in_range(start, horizon):
                if a.done or a.reminder_minutes is None or a.starts_at is None:
                    continue
                lead = dt.timedelta(minutes=a.reminder_minutes)
                for when in occurrences(
                    a.starts_at, a.rrule, _exdates(a), start, horizon, a.timezone
                ):
                    at = when - lead
                    if start <= at < end:
                        found.append(Reminder(a.id, a.subject, a.kind, when, at))
        return sorted(found, key=lambda r: r.at)

    def keep_in_touch(self, today: dt.date | None = None, days_ahead: int = 7) -> list[KeepInTouch]:
        """Birthdays in the coming days and contacts whose stay-in-touch cadence is due."""
        today = today or dt.date.today()
        days = [today + dt.timedelta(days=n) for n in range(days_ahead + 1)]
        result: list[KeepInTouch] = []
        with self._uow.read() as uow:
            for cid, first, last, born in uow.contacts.birthdays([f"{d:%m-%d}" for d in days]):
                day = next(d for d in days if (d.month, d.day) == (born.month, born.day))
                when = "today" if day == today else f"on {day:%a %d %b}"
                result.append(
                    KeepInTouch(
                        cid, display_name(first, last), f"birthday {when} ({day.year - born.year})"
                    )
                )
            moment = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)
            for cid, first, last, cadence, done_at in uow.contacts.cadence_due(moment):
                since = (
                    f"last contact {(moment - done_at).days} days ago"
                    if done_at
                    else "never contacted"
                )
                result.append(
                    KeepInTouch(cid, display_name(first, last), f"{since} (every {cadence} days)")
                )
        return result

    def cadence(self, contact_id: str) -> int:
        """The stay-in-touch cadence of a contact in days (0: none)."""
        with self._uow.read() as uow:
            return require(uow.contacts, contact_id, "contact", include_deleted=True).cadence_days

    def set_cadence(self, contact_id: str, days: int) -> ChangeSet:
        """Stay in touch with a contact every `days` days (0: no cadence)."""
        if days < 0:
            raise ValidationError("a cadence cannot be negative")
        with self._uow() as uow:
            contact = require(uow.contacts, contact_id, "contact")
            if contact.cadence_days != days:
                contact.cadence_days = days
            return uow.commit()

    # ---- iCalendar ------------------------------------------------------------------------

    def export_ics(self, path: Path) -> int:
        """Write every live activity with a time as a VEVENT; returns how many."""
        with self._uow.read() as uow:
            events = [
                IcsEvent(
                    uid=a.ical_uid or f"{a.id}@crm-desktop",
                    summary=a.subject,
                    start=a.starts_at.date() if a.all_day else a.starts_at,
                    end=(a.ends_at.date() if a.all_day else a.ends_at) if a.ends_at else None,
                    description=a.notes,
                    timezone=a.timezone,
                    rrule=a.rrule,
                    exdates=tuple(_exdates(a)),
                    categories=(a.kind.upper(),),
                )
                for a in uow.activities.all()
                if a.starts_at is not None
            ]
        path.write_bytes(ics.write_calendar(events))
        return len(events)

    def import_ics(self, path: Path) -> ImportSummary:
        """Create (or update, by UID) an activity per event; attendees link contacts by
        e-mail. Broken events are reported by name; the good ones are imported."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CrmError(f"cannot read {path}: {exc.strerror}") from exc
        events, problems = ics.read_calendar(data)
        created = updated = 0
        with self._uow() as uow:
            for event in events:
                start, end = event.start, event.end
                if not isinstance(start, dt.datetime):
                    start = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
                if end is not None and not isinstance(end, dt.datetime):
                    end = dt.datetime.combine(end, dt.time(), tzinfo=dt.UTC)
                contact_id = None
                for email in event.attendees:
                    people = uow.contacts.by_email(email)
                    if people:
                        contact_id = people[0].id
                        break
                values = {
                    "kind": "meeting",
                    "subject": event.summary or "(no title)",
                    "notes": event.description,
                    "starts_at": start,
                    "ends_at": end,
                    "all_day": event.all_day,
                    "timezone": event.timezone,
                    "rrule": event.rrule,
                    "exdates": json.dumps(
                        sorted(
                            (
                                d
                                if isinstance(d, dt.datetime)
                                else dt.datetime.combine(d, dt.time(), tzinfo=dt.UTC)
                            )
                            .astimezone(dt.UTC)
                            .isoformat()
                            for d in event.exdates
                        )
                    ),
                    "contact_id": contact_id,
                    "ical_uid": event.uid,
                }
                existing = uow.activities.by_ical_uid(event.uid)
                if existing is None:
                    uow.activities.add(Activity(**values))
                    created += 1
                else:
                    for key, value in values.items():
                        if getattr(existing, key) != value:
                            setattr(existing, key, value)
                    updated += 1
            uow.commit()
        return ImportSummary(created, updated, tuple(problems))
