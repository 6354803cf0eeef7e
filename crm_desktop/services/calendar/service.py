"""Calendar: recurring activities expanded for the range shown, exceptions, the Today /
Overdue list, and iCalendar import and export."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from crm_desktop.domain.calendar import (
    CalendarEdit,
    ImportSummary,
    KeepInTouch,
    Occurrence,
    Reminder,
)
from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.formatting import pluralise
from crm_desktop.domain.records import ActivityDraft, ActivityRecord, Saved
from crm_desktop.domain.recurrence import (
    occurrences,
    same_rule,
    shift_weekdays,
    split_rule,
    zone,
)
from crm_desktop.domain.text import display_name
from crm_desktop.domain.vocabulary import ACTIVITY_KINDS as KINDS
from crm_desktop.persistence.models import Activity
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import UowFactory, now, require
from crm_desktop.services.calendar import files as calendar_files
from crm_desktop.services.calendar.files import dump_dates, parse_dates

__all__ = ["CalendarEdit", "CalendarService", "ImportSummary", "Occurrence", "Reminder"]

log = logging.getLogger(__name__)


SCOPES = ("one", "following", "all")
_FIELDS = (
    "kind", "subject", "notes", "starts_at", "ends_at", "all_day", "timezone", "done",
    "done_at", "outcome", "rrule", "exdates", "reminder_minutes", "owner_id", "contact_id",
    "company_id", "deal_id", "deleted_at", "series_id",
)  # fmt: skip


def _snapshot(activity: Activity) -> tuple[str, tuple[tuple[str, object], ...]]:
    return activity.id, tuple((f, getattr(activity, f)) for f in _FIELDS)


def _add_exdate(activity: Activity, occurrence: dt.datetime) -> None:
    activity.exdates = dump_dates([*_exdates(activity), occurrence])


def _shift_wall(
    first: dt.datetime, old: dt.datetime, new: dt.datetime, tz: dt.tzinfo
) -> dt.datetime:
    """Move a series' first start by the wall-clock difference between an occurrence and
    its new time, so 10:00 -> 11:00 stays 11:00 on both sides of a DST change."""
    delta = new.astimezone(tz).replace(tzinfo=None) - old.astimezone(tz).replace(tzinfo=None)
    wall = first.astimezone(tz).replace(tzinfo=None) + delta
    return wall.replace(tzinfo=tz).astimezone(dt.UTC)


_parse_exdates = parse_dates


def _exdates(activity: Activity) -> list[dt.datetime]:
    return _parse_exdates(activity.exdates)


def _repeats(activity: Activity) -> bool:
    """A series: by a rule, or by extra dates alone."""
    return bool(activity.rrule or activity.rdates)


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
            uow.flush()
            return Saved(activity.id, uow.commit())

    def occurrences(
        self,
        start: dt.datetime,
        end: dt.datetime,
        owner_id: str | None = None,
        kinds: Sequence[str] | None = None,
        open_only: bool = False,
    ) -> list[Occurrence]:
        """Every occurrence in [start, end), recurring activities expanded for this range
        only, in time order (`open_only`: those not done)."""
        found: list[Occurrence] = []
        with self._uow.read() as uow:
            rows = uow.activities.slots(start, end, owner_id, kinds, open_only)
        half_hour = dt.timedelta(minutes=30)
        for row_id, kind, subject, starts, ends, all_day, done, rrule, exdates, tz, rdates in rows:
            if starts is None:
                continue
            length = (ends - starts) if ends else half_hour
            if not rrule and not rdates:  # the common case, without the rule machinery
                if start <= starts < end:
                    found.append(
                        Occurrence(
                            row_id, kind, subject, starts, starts + length, all_day, done, False
                        )
                    )
                continue
            try:  # all-day series repeat on dates (UTC), timed ones in their own zone
                expanded = occurrences(
                    starts,
                    rrule,
                    _parse_exdates(exdates),
                    start,
                    end,
                    "" if all_day else tz,
                    parse_dates(rdates),
                )
            except ValidationError as exc:  # one broken rule must not hide the calendar
                log.warning("activity %s left out of the calendar: %s", row_id, exc)
                continue
            for when in expanded:
                found.append(
                    Occurrence(row_id, kind, subject, when, when + length, all_day, done, True)
                )
        return sorted(found, key=lambda o: (o.start, o.subject))

    # ---- one activity: read, save, edit an occurrence, done with an outcome ---------------

    def get(self, activity_id: str) -> ActivityRecord:
        with self._uow.read() as uow:
            a = require(uow.activities, activity_id, "activity", include_deleted=True)
            start = a.starts_at or a.created_at
            minutes = int((a.ends_at - start).total_seconds() // 60) if a.ends_at else 30
            name = ""
            if a.contact_id:
                contact = uow.contacts.get(a.contact_id, include_deleted=True)
                if contact is not None:
                    name = display_name(contact.first_name, contact.last_name)
            draft = ActivityDraft(
                kind=a.kind,
                subject=a.subject,
                start=start,
                minutes=max(minutes, 0),
                all_day=a.all_day,
                timezone=a.timezone,
                rrule=a.rrule,
                notes=a.notes,
                reminder_minutes=a.reminder_minutes,
                owner_id=a.owner_id,
                contact_id=a.contact_id,
                company_id=a.company_id,
                deal_id=a.deal_id,
                done=a.done,
                outcome=a.outcome,
            )
            return ActivityRecord(a.id, draft, name, a.series_id, a.done_at)

    def _values(self, uow: UnitOfWork, draft: ActivityDraft) -> dict[str, object]:
        if draft.kind not in KINDS:
            raise ValidationError(f"unknown activity kind {draft.kind!r}")
        if not draft.subject.strip():
            raise ValidationError("an activity needs a subject")
        if draft.minutes < 0:
            raise ValidationError("an activity cannot end before it starts")
        start = draft.start
        if start.tzinfo is None:
            start = start.replace(tzinfo=zone(draft.timezone))
        if draft.all_day:  # kept at midnight UTC of the date it is written with
            start = dt.datetime.combine(start.date(), dt.time(), tzinfo=dt.UTC)
        rrule = draft.rrule.removeprefix("RRULE:")
        if rrule:  # refuse a bad rule now rather than when the calendar is drawn
            occurrences(start, rrule, (), start, start + dt.timedelta(days=1), draft.timezone)
        company_id = draft.company_id
        if draft.contact_id and not company_id:
            contact = require(uow.contacts, draft.contact_id, "contact", include_deleted=True)
            company_id = contact.company_id
        return {
            "kind": draft.kind,
            "subject": draft.subject.strip(),
            "notes": draft.notes,
            "starts_at": start.astimezone(dt.UTC),
            "ends_at": (start + dt.timedelta(minutes=draft.minutes)).astimezone(dt.UTC),
            "all_day": draft.all_day,
            "timezone": "" if draft.all_day else draft.timezone,  # all day: dates, in UTC
            "rrule": rrule,
            "reminder_minutes": draft.reminder_minutes,
            "owner_id": draft.owner_id,
            "contact_id": draft.contact_id,
            "company_id": company_id,
            "deal_id": draft.deal_id,
            "done": draft.done,
            "outcome": draft.outcome,
        }

    def create(self, draft: ActivityDraft) -> CalendarEdit:
        """A new activity, once or recurring."""
        with self._uow() as uow:
            values = self._values(uow, draft)
            if draft.done:
                values["done_at"] = now()
            activity = uow.activities.add(Activity(**values))
            uow.flush()
            return CalendarEdit(uow.commit(), activity.id, created=(activity.id,))

    def edit(
        self,
        activity_id: str,
        occurrence: dt.datetime | None,
        draft: ActivityDraft,
        scope: str = "one",
    ) -> CalendarEdit:
        """Change an activity. For a recurring one, `occurrence` is the start of the
        occurrence edited and `scope` says what changes: "one" (that occurrence becomes an
        activity of its own, an exception of the series), "following" (the series is cut
        there and goes on as a new series with the changes) or "all" (the whole series; a
        new time moves every occurrence by the same wall-clock difference)."""
        if scope not in SCOPES:
            raise ValidationError(f"scope must be one of {', '.join(SCOPES)}")
        with self._uow() as uow:
            a = require(uow.activities, activity_id, "activity")
            values = self._values(uow, draft)
            before = [_snapshot(a)]
            created: list[str] = []
            target = a
            first = a.starts_at
            if not _repeats(a) or occurrence is None or first is None:
                self._assign(a, values)
            elif scope == "all" or (scope == "following" and occurrence <= first):
                tz = zone(a.timezone)
                start, end = values["starts_at"], values["ends_at"]
                assert isinstance(start, dt.datetime) and isinstance(end, dt.datetime)
                days = (start.astimezone(tz).date() - occurrence.astimezone(tz).date()).days
                rule = str(values["rrule"])
                if same_rule(rule, a.rrule):  # weekdays move with the occurrence dragged
                    rule = shift_weekdays(a.rrule, days) if days else a.rrule
                values["rrule"] = rule
                # The series keeps its first occurrence, moved by the same wall-clock
                # difference (10:00 -> 11:00 stays 11:00 on both sides of a DST change).
                shifted = _shift_wall(first, occurrence, start, tz)
                values["starts_at"], values["ends_at"] = shifted, shifted + (end - start)
                values["exdates"] = dump_dates(
                    _shift_wall(d, occurrence, start, tz) for d in _exdates(a)
                )
                self._assign(a, values)
            elif scope == "one" or not a.rrule:
                # The occurrence leaves the series: an EXDATE there, and an activity of its
                # own that remembers where it was (exported with a RECURRENCE-ID).
                _add_exdate(a, occurrence)
                values["rrule"] = ""
                target = uow.activities.add(
                    Activity(
                        **values, series_id=a.id, recurrence_id=occurrence, ical_uid=a.ical_uid
                    )
                )
            else:  # following
                old_rule, new_rule = split_rule(first, a.rrule, occurrence, a.timezone)
                tz = zone(a.timezone)
                start = values["starts_at"]
                assert isinstance(start, dt.datetime)
                days = (start.astimezone(tz).date() - occurrence.astimezone(tz).date()).days
                keep = [d for d in _exdates(a) if d < occurrence]
                move = [d for d in _exdates(a) if d >= occurrence]
                if same_rule(str(values["rrule"]), a.rrule):
                    values["rrule"] = shift_weekdays(new_rule, days) if days else new_rule
                a.rrule = old_rule
                a.exdates = dump_dates(keep)
                values["exdates"] = dump_dates(_shift_wall(d, occurrence, start, tz) for d in move)
                target = uow.activities.add(Activity(**values, series_id=a.id))
            if values.get("done") and target.done_at is None:
                target.done_at = now()
            if not values.get("done") and target.done_at is not None:
                target.done_at = None
            uow.flush()
            if target is not a:
                created.append(target.id)
            return CalendarEdit(uow.commit(), target.id, tuple(created), tuple(before))

    @staticmethod
    def _assign(activity: Activity, values: dict[str, object]) -> None:
        for key, value in values.items():
            if getattr(activity, key) != value:
                setattr(activity, key, value)

    def reschedule(
        self,
        activity_id: str,
        occurrence: dt.datetime,
        start: dt.datetime,
        end: dt.datetime,
        scope: str = "one",
    ) -> CalendarEdit:
        """Move (and resize) an occurrence, as dragging it in the calendar does."""
        record = self.get(activity_id)
        minutes = max(int((end - start).total_seconds() // 60), 0)
        draft = replace(record.draft, start=start, minutes=minutes)
        return self.edit(activity_id, occurrence, draft, scope)

    def complete(
        self, activity_id: str, occurrence: dt.datetime | None = None, outcome: str = ""
    ) -> CalendarEdit:
        """Mark an activity (or one occurrence of a series) done with an outcome, which
        then shows on the timelines of its contact, company and deal."""
        record = self.get(activity_id)
        start = occurrence or record.draft.start
        draft = replace(record.draft, start=start, done=True, outcome=outcome.strip())
        return self.edit(activity_id, occurrence, draft, "one")

    def revert(self, edit: CalendarEdit) -> ChangeSet:
        """Undo an edit: rows it created go to the Trash, changed rows get their fields back."""
        stamp = now()
        with self._uow() as uow:
            for row_id in edit.created:
                a = require(uow.activities, row_id, "activity", include_deleted=True)
                if a.deleted_at is None:
                    a.deleted_at = stamp
            for row_id, fields in edit.before:
                a = require(uow.activities, row_id, "activity", include_deleted=True)
                self._assign(a, dict(fields))
            return uow.commit()

    def delete(self, activity_id: str, occurrence: dt.datetime | None = None) -> CalendarEdit:
        """Delete an activity (to the Trash), or only one occurrence of a series."""
        with self._uow() as uow:
            a = require(uow.activities, activity_id, "activity")
            before = (_snapshot(a),)
            if _repeats(a) and occurrence is not None:
                _add_exdate(a, occurrence)
            else:
                a.deleted_at = now()
            return CalendarEdit(uow.commit(), a.id, (), before)

    def end_series(self, activity_id: str, occurrence: dt.datetime) -> CalendarEdit:
        """Delete this and the following occurrences of a series: it ends before them
        (the whole series goes to the Trash when `occurrence` is its first)."""
        with self._uow() as uow:
            a = require(uow.activities, activity_id, "activity")
            before = (_snapshot(a),)
            if not a.rrule or a.starts_at is None or occurrence <= a.starts_at:
                a.deleted_at = now()
            else:
                a.rrule = split_rule(a.starts_at, a.rrule, occurrence, a.timezone)[0]
            return CalendarEdit(uow.commit(), a.id, (), before)

    def skip(self, activity_id: str, occurrence: dt.datetime) -> ChangeSet:
        """Leave out one occurrence of a recurring activity (an EXDATE)."""
        with self._uow() as uow:
            activity = require(uow.activities, activity_id, "activity")
            if not _repeats(activity):
                raise ValidationError("only a recurring activity has occurrences to skip")
            _add_exdate(activity, occurrence)
            return uow.commit()

    def today_and_overdue(
        self, moment: dt.datetime | None = None, timezone: str = ""
    ) -> tuple[list[Occurrence], list[Occurrence]]:
        """Not-done occurrences due today (in `timezone`) and single ones already overdue."""
        moment = moment or now()
        tz = zone(timezone)
        local = moment.astimezone(tz)
        day = dt.timedelta(days=1)
        today_date = local.date()
        day_start = dt.datetime.combine(today_date, dt.time(), tzinfo=tz)
        day_end = day_start + day

        def is_today(o: Occurrence) -> bool:  # an all-day one by its date
            if o.all_day:
                return o.start.astimezone(dt.UTC).date() == today_date
            return day_start <= o.start < day_end

        def is_past(o: Occurrence) -> bool:
            if o.all_day:
                return o.start.astimezone(dt.UTC).date() < today_date
            return o.start < day_start

        # One read for both lists (the year back reaches a day past today's end).
        found = self.occurrences(moment - 365 * day, day_end + day, open_only=True)
        today = [o for o in found if is_today(o)]
        overdue = [o for o in found if not o.recurring and is_past(o)]
        return today, overdue

    def reminders(self, start: dt.datetime, end: dt.datetime) -> list[Reminder]:
        """Reminders that fall in [start, end), for activities not done, in time order
        (occurrences of recurring activities each get their own)."""
        found: list[Reminder] = []
        # An occurrence up to a day after `end` may have its reminder inside the window.
        horizon = end + dt.timedelta(days=1)
        with self._uow.read() as uow:
            for a in uow.activities.in_range(start, horizon, reminding=True):
                if a.done or a.reminder_minutes is None or a.starts_at is None:
                    continue
                lead = dt.timedelta(minutes=a.reminder_minutes)
                try:
                    expanded = occurrences(
                        a.starts_at,
                        a.rrule,
                        _exdates(a),
                        start - dt.timedelta(days=1),
                        horizon,
                        "" if a.all_day else a.timezone,
                        parse_dates(a.rdates),
                    )
                except ValidationError:
                    continue  # left out of the calendar too (logged there)
                for when in expanded:
                    if a.all_day:  # on its date at 09:00 on this machine's clock
                        day = when.astimezone(dt.UTC).date()
                        at = dt.datetime(day.year, day.month, day.day, 9).astimezone()
                    else:
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
                    f"last contact {pluralise((moment - done_at).days, 'day')} ago"
                    if done_at
                    else "never contacted"
                )
                result.append(
                    KeepInTouch(
                        cid,
                        display_name(first, last),
                        f"{since} (every {pluralise(cadence, 'day')})",
                    )
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

    def export_ics(self, path: Path, since: dt.datetime | None = None) -> int:
        """Write every live activity with a time as a VEVENT (those starting from `since`
        and every repeating one, when given), a series with its exceptions; returns how
        many. The file is replaced in one step, so a calendar app subscribed to it never
        reads half a file."""
        return calendar_files.export_ics(self._uow, path, since)

    def import_ics(self, path: Path, local_zone: str | None = None) -> ImportSummary:
        """Create (or update, by UID) an activity per event and a task per to-do; moved
        and cancelled occurrences become exceptions of their series; attendees link
        contacts by e-mail. Floating times are read in `local_zone` (default: this
        computer's). What could not be imported is named, with why."""
        return calendar_files.import_ics(self._uow, path, local_zone)
