"""The reads behind the reports: plain rows out, never ORM objects.

The deals come back whole once per report run (current values, the stage history in one
ordered read, the change log of the deals ever edited), for `services.reports._book` to
rebuild them at any instant; the orders as rows; activities and contacts as GROUP BYs.
Times are compared as stored (UTC); Julian day numbers and months are worked out by the
database (SQLite's functions, or PostgreSQL's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    distinct,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from crm_desktop.persistence.dialect import date_text, julian_day, name_of, year_month
from crm_desktop.persistence.models import (
    Activity,
    Campaign,
    Change,
    Company,
    Consent,
    Contact,
    Deal,
    DealStageHistory,
    Order,
    Reason,
    Stage,
    User,
)

Range = tuple[dt.datetime, dt.datetime]  # [start, end) in UTC


class ReportingQueries:
    def __init__(self, session: Session, contacts: ColumnElement[bool] | None = None) -> None:
        self.session = session
        self._dialect = name_of(session)
        # A condition on contacts (a saved segment's): only their orders, activities and
        # contacts are counted (None: everyone's).
        self._only = contacts

    def only_contacts(self, condition: ColumnElement[bool]) -> ReportingQueries:
        """These queries for the contacts matching `condition` only (a segment's filter,
        `ContactRepository.segment_filter`)."""
        return ReportingQueries(self.session, condition)

    def _restrict(self, stmt: Any, column: Any) -> Any:
        """Only the rows whose contact (`column`) is among the chosen contacts."""
        if self._only is None:
            return stmt
        return stmt.where(column.in_(select(Contact.id).where(self._only)))

    # ---- dialect helpers ------------------------------------------------------------------

    def _month(self, column: Any) -> ColumnElement[str]:
        """ "YYYY-MM" of a date or time column."""
        return year_month(self._dialect, column)

    @staticmethod
    def _in(column: Any, period: Range) -> ColumnElement[bool]:
        return and_(column >= period[0], column < period[1])

    def _text(self, column: Any) -> ColumnElement[Any]:
        """A date column as its ISO text, left unparsed: reading tens of thousands of
        dates, `date.fromisoformat` is many times faster than the driver's conversion."""
        return date_text(self._dialect, column)

    def _rows(self, stmt: Any) -> list[Any]:
        # Core rows straight from the connection (no ORM loading layer); they unpack like
        # tuples, and copying them into tuples would cost more than the query.
        return list(self.session.connection().execute(stmt).all())

    # ---- names ----------------------------------------------------------------------------

    def stages(self) -> list[tuple[str, str, str, int, int, int, str]]:
        """(id, pipeline id, name, position, probability, rotting days, kind) of every
        stage, removed ones too (old deals and snapshots may point at them)."""
        stmt = select(
            Stage.id,
            Stage.pipeline_id,
            Stage.name,
            Stage.position,
            Stage.probability,
            Stage.rotting_days,
            Stage.kind,
        ).order_by(Stage.pipeline_id, Stage.position)
        return self._rows(stmt)

    def users(self) -> dict[str, str]:
        return {uid: name for uid, name in self.session.execute(select(User.id, User.name))}  # noqa: C416

    def day_number(self, column: Any) -> ColumnElement[Any]:
        """A time column as a Julian day number (days, fractional, UTC)."""
        return julian_day(self._dialect, column)

    # ---- deals as they stood (the report's book of deals) -------------------------------------

    def deal_rows(self) -> list[tuple[Any, ...]]:
        """Every deal, deleted ones too (a deal deleted today was there last month), with
        its current values: id, title, stage id, owner id, value, currency, probability
        override, expected close, created (Julian day), deleted (Julian day or None),
        entered its stage (Julian day), closed (Julian day or None), contact id, company
        id, lead source, campaign id, reason id."""
        stmt = select(
            Deal.id,
            Deal.title,
            Deal.stage_id,
            Deal.owner_id,
            Deal.value_cents,
            Deal.currency,
            Deal.probability,
            self._text(Deal.expected_close),
            self.day_number(Deal.created_at),
            self.day_number(Deal.deleted_at),
            self.day_number(Deal.stage_entered_at),
            self.day_number(Deal.closed_at),
            Deal.contact_id,
            Deal.company_id,
            Deal.lead_source,
            Deal.campaign_id,
            Deal.reason_id,
        )
        return self._rows(stmt)

    def reason_labels(self) -> dict[str, str]:
        """Every won/lost reason's label by id, removed ones too."""
        return {rid: label for rid, label in self.session.execute(select(Reason.id, Reason.label))}  # noqa: C416

    def all_stage_moves(self) -> list[tuple[str, str | None, str, float]]:
        """Every stage move of every deal, each deal's in the order made: (deal id, from
        stage id, to stage id, Julian day of the move)."""
        h = DealStageHistory
        stmt = (
            select(h.deal_id, h.from_stage_id, h.to_stage_id, self.day_number(h.moved_at))
            .where(h.deleted_at.is_(None))
            .order_by(h.deal_id, h.moved_at, h.id)
        )
        return self._rows(stmt)

    def deal_edits(self, fields: Sequence[str]) -> list[tuple[str, str, str, str | None]]:
        """The change log of the deals that were ever edited in one of `fields`: (deal id,
        field, clock stamp, JSON value) of those edits and of the deals' inserts (field
        "*"), in the order made. Deals are reached through the change log's row index
        (no pass over the whole log)."""
        # EXISTS per deal: SQLite probes the log's (row_id, field) index once per deal
        # instead of walking the whole log.
        edited = select(Deal.id).where(
            exists().where(
                Change.row_id == Deal.id,
                Change.field.in_(list(fields)),
                Change.entity == "deals",
            )
        )
        ids = list(self.session.scalars(edited))
        rows: list[Any] = []
        for at in range(0, len(ids), 500):
            stmt = (
                select(Change.row_id, Change.field, Change.hlc, Change.value)
                .where(
                    Change.row_id.in_(ids[at : at + 500]),
                    Change.field.in_(["*", *fields]),
                    Change.entity == "deals",
                )
                .order_by(Change.row_id, Change.hlc, Change.seq)
            )
            rows += self._rows(stmt)
        return rows

    def deals_with_planned_activity(self, at: dt.datetime | None) -> set[str]:
        """Ids of deals that had an activity planned (made, and not yet done) at `at`
        (None: now)."""
        stmt = select(Activity.deal_id).where(
            Activity.deal_id.is_not(None), Activity.deleted_at.is_(None)
        )
        if at is None:
            stmt = stmt.where(Activity.done.is_(False))
        else:
            stmt = stmt.where(
                Activity.created_at <= at, or_(Activity.done.is_(False), Activity.done_at > at)
            )
        return set(self.session.scalars(stmt.distinct()))

    # ---- activities ---------------------------------------------------------------------------

    def activities(
        self, period: Range, now: dt.datetime, owner_id: str | None
    ) -> list[tuple[str | None, str, int, int]]:
        """(owner id, kind, done in the period, overdue now: not done and due before now,
        whenever that was)."""
        done = and_(Activity.done.is_(True), self._in(Activity.done_at, period))
        overdue = and_(Activity.done.is_(False), Activity.starts_at < now)
        stmt = (
            select(
                Activity.owner_id,
                Activity.kind,
                func.sum(case((done, 1), else_=0)),
                func.sum(case((overdue, 1), else_=0)),
            )
            .where(Activity.deleted_at.is_(None), or_(done, overdue))
            .group_by(Activity.owner_id, Activity.kind)
        )
        if owner_id:
            stmt = stmt.where(Activity.owner_id == owner_id)
        return self._rows(self._restrict(stmt, Activity.contact_id))

    def done_by_month(self, owner_id: str | None) -> dict[str, int]:
        """Done activities per month ("YYYY-MM") they were done in."""
        month = self._month(Activity.done_at)
        stmt = (
            select(month, func.count())
            .where(Activity.deleted_at.is_(None), Activity.done.is_(True))
            .group_by(month)
        )
        if owner_id:
            stmt = stmt.where(Activity.owner_id == owner_id)
        stmt = self._restrict(stmt, Activity.contact_id)
        return {m: int(n) for m, n in self._rows(stmt) if m}

    def done_activities_on(self, deal_ids: Sequence[str]) -> int:
        """Done activities on these deals (any time)."""
        total = 0
        ids = list(deal_ids)
        for at in range(0, len(ids), 500):
            stmt = (
                select(func.count())
                .select_from(Activity)
                .where(
                    Activity.deal_id.in_(ids[at : at + 500]),
                    Activity.done.is_(True),
                    Activity.deleted_at.is_(None),
                )
            )
            total += int(self.session.execute(stmt).scalar_one())
        return total

    # ---- orders and campaigns -----------------------------------------------------------------

    def orders(self, before: dt.date, owner_id: str | None) -> list[tuple[Any, ...]]:
        """The orders placed before a day that belong to no deal (an order of a deal is
        that deal's sale): (customer key: company or contact id, company|person, day,
        amount, currency, campaign id, the contact's lead source)."""
        stmt = (
            select(
                func.coalesce(Order.company_id, Order.contact_id),
                case((Order.company_id.is_(None), "person"), else_="company"),
                self._text(Order.ordered_on),
                Order.amount_cents,
                Order.currency,
                Order.campaign_id,
                func.coalesce(Contact.lead_source, ""),
            )
            .outerjoin(Contact, Contact.id == Order.contact_id)
            .where(
                Order.deleted_at.is_(None),
                Order.deal_id.is_(None),
                Order.ordered_on < before,
            )
        )
        if owner_id:
            stmt = stmt.where(
                Order.contact_id.in_(select(Contact.id).where(Contact.owner_id == owner_id))
            )
        return self._rows(self._restrict(stmt, Order.contact_id))

    def campaigns(self) -> list[tuple[str, str, str, dt.date | None, int]]:
        """Live campaigns: (id, name, channel, started on, cost)."""
        stmt = (
            select(
                Campaign.id,
                Campaign.name,
                Campaign.channel,
                Campaign.started_on,
                Campaign.cost_cents,
            )
            .where(Campaign.deleted_at.is_(None))
            .order_by(Campaign.started_on, Campaign.name)
        )
        return self._rows(stmt)

    # ---- customers ----------------------------------------------------------------------------

    def customer_names(self, ids: Sequence[str]) -> dict[str, str]:
        """Names of companies and contacts by id."""
        if not ids:
            return {}
        names = dict(
            self.session.execute(select(Company.id, Company.name).where(Company.id.in_(ids))).all()
        )
        for cid, first, last in self.session.execute(
            select(Contact.id, Contact.first_name, Contact.last_name).where(Contact.id.in_(ids))
        ):
            names[cid] = f"{first} {last}".strip()
        return names

    # ---- contacts and data quality --------------------------------------------------------------

    def _contacts(self, stmt: Any, owner_id: str | None) -> Any:
        stmt = self._restrict(stmt.where(Contact.deleted_at.is_(None)), Contact.id)
        return stmt.where(Contact.owner_id == owner_id) if owner_id else stmt

    def new_contacts(self, period: Range, owner_id: str | None) -> int:
        stmt = select(func.count()).select_from(Contact).where(self._in(Contact.created_at, period))
        return int(self.session.execute(self._contacts(stmt, owner_id)).scalar_one())

    def contact_count(self, owner_id: str | None) -> int:
        stmt = select(func.count()).select_from(Contact)
        return int(self.session.execute(self._contacts(stmt, owner_id)).scalar_one())

    def without_consent(self, owner_id: str | None) -> int:
        """Live contacts with no granted consent on record: all of them less those with
        one (a pass over the consents, not a lookup per contact)."""
        with_consent = self._contacts(
            select(func.count(distinct(Consent.contact_id)))
            .join(Contact, Contact.id == Consent.contact_id)
            .where(Consent.status == "granted", Consent.deleted_at.is_(None)),
            owner_id,
        )
        return self.contact_count(owner_id) - int(self.session.execute(with_consent).scalar_one())
