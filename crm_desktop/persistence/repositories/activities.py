"""The queries of activities: what a calendar range holds, and look-ups by iCalendar UID."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from crm_desktop.persistence.models import Activity
from crm_desktop.persistence.repositories.base import Repository

# A series repeats by a rule or by extra dates (RDATE) alone.
_REPEATS = or_(Activity.rrule != "", Activity.rdates != "")
_ONCE = and_(Activity.rrule == "", Activity.rdates == "")


class ActivityRepository(Repository[Activity]):
    def __init__(self, session: Session) -> None:
        super().__init__(session, Activity)

    def in_range(
        self,
        start: Any,
        end: Any,
        owner_id: str | None = None,
        kinds: Sequence[str] | None = None,
        reminding: bool = False,
    ) -> list[Activity]:
        """Live activities that may have an occurrence in [start, end): single ones starting
        inside it, recurring ones that began before its end. `reminding`: only those not
        done that have a reminder."""
        extra: list[ColumnElement[bool]] = [Activity.deleted_at.is_(None)]
        if reminding:
            extra += [Activity.done.is_(False), Activity.reminder_minutes.is_not(None)]
        if owner_id:
            extra.append(Activity.owner_id == owner_id)
        if kinds:
            extra.append(Activity.kind.in_(list(kinds)))
        # Two queries, not one with OR: the single ones come from the time index.
        single = select(Activity).where(
            Activity.starts_at >= start, Activity.starts_at < end, _ONCE, *extra
        )
        recurring = select(Activity).where(_REPEATS, *extra)
        return [
            *self.session.scalars(single),
            *(a for a in self.session.scalars(recurring) if _before(a.starts_at, end)),
        ]

    def slots(
        self,
        start: Any,
        end: Any,
        owner_id: str | None = None,
        kinds: Sequence[str] | None = None,
        open_only: bool = False,
    ) -> list[Any]:
        """What a calendar draws of the activities `in_range` finds, as plain rows (no
        ORM objects: a month of thousands of activities loads in milliseconds): id, kind,
        subject, starts_at, ends_at, all_day, done, rrule, exdates, timezone, rdates."""
        columns = (
            Activity.id, Activity.kind, Activity.subject, Activity.starts_at, Activity.ends_at,
            Activity.all_day, Activity.done, Activity.rrule, Activity.exdates, Activity.timezone,
            Activity.rdates,
        )  # fmt: skip
        extra: list[ColumnElement[bool]] = [Activity.deleted_at.is_(None)]
        if owner_id:
            extra.append(Activity.owner_id == owner_id)
        if kinds:
            extra.append(Activity.kind.in_(list(kinds)))
        if open_only:
            extra.append(Activity.done.is_(False))
        single = select(*columns).where(
            Activity.starts_at >= start, Activity.starts_at < end, _ONCE, *extra
        )
        recurring = select(*columns).where(_REPEATS, *extra)
        return [
            *self.session.execute(single),
            *(r for r in self.session.execute(recurring) if _before(r.starts_at, end)),
        ]

    def by_ical_uid(self, uid: str) -> Activity | None:
        """The live activity imported with this UID (a series, not one of its exceptions)."""
        return self.session.scalars(
            select(Activity)
            .where(
                Activity.ical_uid == uid,
                Activity.recurrence_id.is_(None),
                Activity.deleted_at.is_(None),
            )
            .order_by(Activity.created_at, Activity.id)
        ).first()

    def exceptions(self, series_id: str) -> list[Activity]:
        """The live occurrences moved out of a series (those with a RECURRENCE-ID)."""
        return list(
            self.session.scalars(
                select(Activity).where(
                    Activity.series_id == series_id,
                    Activity.recurrence_id.is_not(None),
                    Activity.deleted_at.is_(None),
                )
            )
        )


def _before(starts_at: Any, end: Any) -> bool:
    """`starts_at < end` for the recurring activities, tested here rather than in SQL: with
    it in the query SQLite may walk the time index over every activity before `end`
    (100,000 rows looked up one by one) to find the few recurring ones; without it, their
    own small index (ix_activities_recurring) is read."""
    return starts_at is not None and starts_at < end
