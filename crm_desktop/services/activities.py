"""Quick actions on a record's timeline: log a call, add a note, schedule a follow-up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from crm_desktop.domain.activities import REMINDER_MINUTES as REMINDER
from crm_desktop.domain.activities import (
    CallLog,
    check_kind,
    default_minutes,
    follow_up_due,
    note_subject,
)
from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.records import Saved
from crm_desktop.persistence.models import Activity
from crm_desktop.services._common import UowFactory, now, require, set_deleted

FOLLOW_UP_SUBJECT = "Follow up"


class ActivityService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    # ---- the quick actions ----------------------------------------------------------------

    def log_call(
        self,
        contact_id: str,
        outcome: str,
        minutes: int = default_minutes("call"),
        started_at: dt.datetime | None = None,
    ) -> Saved:
        """Record a call with a contact, done: what was said (its outcome), how long it
        took and when it started (by default it has just ended)."""
        call = CallLog(outcome.strip(), minutes, started_at).validated()
        start = call.start(now())
        return self._create(
            contact_id,
            "call",
            call.subject,
            start,
            done=True,
            outcome=call.outcome,
            minutes=minutes,
        )

    def add_note(self, contact_id: str, text: str) -> Saved:
        """Put a note on a contact's timeline; its first line is its subject."""
        text = text.strip()
        if not text:
            raise ValidationError("a note needs some text")
        return self._create(
            contact_id, "note", note_subject(text), now(), done=True, outcome=text, notes=text
        )

    def schedule_follow_up(
        self,
        contact_id: str,
        subject: str = FOLLOW_UP_SUBJECT,
        days: int | None = None,
        due: dt.datetime | None = None,
        kind: str = "task",
    ) -> Saved:
        """Plan a follow-up with a contact: due at `due`, else in `days` days (3 unless
        said) at 10:00 local time, with a reminder."""
        if due is not None and due.tzinfo is None:
            raise ValidationError("a follow-up's due time needs its time zone")
        when = due if due is not None else follow_up_due() if days is None else follow_up_due(days)
        return self._create(contact_id, kind, subject, when, done=False)

    def log(
        self, contact_id: str, kind: str, subject: str, outcome: str = "", notes: str = ""
    ) -> Saved:
        """Record something that happened (a call, a meeting, a note), done now."""
        return self._create(
            contact_id, kind, subject, now(), done=True, outcome=outcome, notes=notes
        )

    def schedule(
        self, contact_id: str, kind: str, subject: str, when: dt.datetime, notes: str = ""
    ) -> Saved:
        """Plan a follow-up for a contact at a time."""
        return self._create(contact_id, kind, subject, when, done=False, notes=notes)

    # ---- the Trash ------------------------------------------------------------------------

    def delete(self, ids: list[str]) -> ChangeSet:
        """Move activities to the Trash (undo of a quick action)."""
        return self._set_deleted(ids, deleted=True)

    def restore(self, ids: list[str]) -> ChangeSet:
        return self._set_deleted(ids, deleted=False)

    def _set_deleted(self, ids: Iterable[str], deleted: bool) -> ChangeSet:
        return set_deleted(self._uow, lambda uow: uow.activities, "activity", ids, deleted)

    def _create(
        self,
        contact_id: str,
        kind: str,
        subject: str,
        when: dt.datetime,
        done: bool,
        outcome: str = "",
        notes: str = "",
        minutes: int | None = None,
    ) -> Saved:
        check_kind(kind)
        if not subject.strip():
            raise ValidationError("an activity needs a subject")
        with self._uow() as uow:
            contact = require(uow.contacts, contact_id, "contact")
            ends = when + dt.timedelta(minutes=minutes or default_minutes(kind))
            activity = uow.activities.add(
                Activity(
                    kind=kind,
                    subject=subject.strip(),
                    notes=notes,
                    starts_at=when,
                    ends_at=ends,
                    done=done,
                    done_at=(ends if minutes else when) if done else None,
                    outcome=outcome,
                    owner_id=contact.owner_id,
                    contact_id=contact.id,
                    company_id=contact.company_id,
                    reminder_minutes=None if done else REMINDER,
                )
            )
            uow.flush()
            return Saved(activity.id, uow.commit())
