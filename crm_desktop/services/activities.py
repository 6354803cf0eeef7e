"""Quick actions on a record's timeline: log a call, add a note, schedule a follow-up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.records import Saved
from crm_desktop.persistence.models import Activity
from crm_desktop.services._common import UowFactory, now, require, set_deleted

KINDS = ("call", "meeting", "task", "email", "note")


class ActivityService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def log(
        self, contact_id: str, kind: str, subject: str, outcome: str = "", notes: str = ""
    ) -> Saved:
        """Record something that happened (a call, a meeting, a note), done now."""
        return self._create(
            contact_id, kind, subject, now(), done=True, outcome=outcome, notes=notes
        )

    def delete(self, ids: list[str]) -> ChangeSet:
        """Move activities to the Trash (undo of a quick action)."""
        return self._set_deleted(ids, deleted=True)

    def restore(self, ids: list[str]) -> ChangeSet:
        return self._set_deleted(ids, deleted=False)

    def _set_deleted(self, ids: Iterable[str], deleted: bool) -> ChangeSet:
        return set_deleted(self._uow, lambda uow: uow.activities, "activity", ids, deleted)

    def schedule(
        self, contact_id: str, kind: str, subject: str, when: dt.datetime, notes: str = ""
    ) -> Saved:
        """Plan a follow-up for a contact at a time."""
        return self._create(contact_id, kind, subject, when, done=False, notes=notes)

    def _create(
        self,
        contact_id: str,
        kind: str,
        subject: str,
        when: dt.datetime,
        done: bool,
        outcome: str = "",
        notes: str = "",
    ) -> Saved:
        if kind not in KINDS:
            raise ValidationError(f"unknown activity kind {kind!r}")
        if not subject.strip():
            raise ValidationError("an activity needs a subject")
        with self._uow() as uow:
            contact = require(uow.contacts, contact_id, "contact")
            minutes = {"meeting": 60, "call": 15}.get(kind, 30)
            activity = uow.activities.add(
                Activity(
                    kind=kind,
                    subject=subject.strip(),
                    notes=notes,
                    starts_at=when,
                    ends_at=when + dt.timedelta(minutes=minutes),
                    done=done,
                    done_at=when if done else None,
                    outcome=outcome,
                    owner_id=contact.owner_id,
                    contact_id=contact.id,
                    company_id=contact.company_id,
                    reminder_minutes=None if done else 15,
                )
            )
            uow.session.flush()
            return Saved(activity.id, uow.commit())
