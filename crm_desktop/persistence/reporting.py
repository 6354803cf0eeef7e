"""Aggregate queries behind the reports: GROUP BY in the database, plain rows out.

Nothing here builds ORM objects: a report over 100,000 contacts and 20,000 deals reads a
few thousand summary rows at most. Times are compared as stored (UTC), months and day
spans are worked out by the database (SQLite text dates, or PostgreSQL's functions).
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
    union_all,
)
from sqlalchemy.orm import Session, aliased

from crm_desktop.persistence.dialect import (
    SQLITE,
    day_of,
    days_between,
    julian_day,
    name_of,
    year_month,
)
from crm_desktop.persistence.models import (
    Activity,
    Campaign,
    Change,
    Company,
    Consent,
    Contact,
    ContactPhone,
    Deal,
    DealStageHistory,
    ForecastSnapshot,
    ForecastSnapshotLine,
    Order,
    Reason,
    Stage,
    User,
)

Range = tuple[dt.datetime, dt.datetime]  # [start, end) in UTC


class ReportingQueries:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._dialect = name_of(session)

    # ---- dialect helpers ------------------------------------------------------------------

    def _month(self, column: Any) -> ColumnElement[str]:
        """ "YYYY-MM" of a date or time column."""
        return year_month(self._dialect, column)

    def _day(self, column: Any) -> ColumnElement[Any]:
        """The date of a time column (SQLite: its "YYYY-MM-DD" text)."""
        return day_of(self._dialect, column)

    def _days(self, later: Any, earlier: Any) -> ColumnElement[Any]:
        """Days (fractional) between two time columns."""
        return days_between(self._dialect, later, earlier)

    @staticmethod
    def _deals(stmt: Any, owner_id: str | None, pipeline_id: str | None) -> Any:
        stmt = stmt.where(Deal.deleted_at.is_(None))
        if owner_id:
            stmt = stmt.where(Deal.owner_id == owner_id)
        if pipeline_id:
            stmt = stmt.where(Deal.pipeline_id == pipeline_id)
        return stmt

    @staticmethod
    def _in(column: Any, period: Range) -> ColumnElement[bool]:
        return and_(column >= period[0], column < period[1])

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

    # ---- deals --------------------------------------------------------------------------------

    def open_deals(self, owner_id: str | None, pipeline_id: str | None) -> list[tuple[Any, ...]]:
        """Open live deals: id, title, stage id, owner id, value, probability override,
        expected close, created at, stage entered at, has a planned activity, company."""
        planned = exists().where(
            Activity.deal_id == Deal.id,
            Activity.done.is_(False),
            Activity.deleted_at.is_(None),
        )
        stmt = (
            select(
                Deal.id,
                Deal.title,
                Deal.stage_id,
                Deal.owner_id,
                Deal.value_cents,
                Deal.probability,
                Deal.expected_close,
                Deal.created_at,
                Deal.stage_entered_at,
                planned,
                func.coalesce(Company.name, ""),
            )
            .outerjoin(Company, Company.id == Deal.company_id)
            .where(Deal.status == "open")
        )
        return self._rows(self._deals(stmt, owner_id, pipeline_id))

    def closed_by_month(
        self, period: Range, owner_id: str | None, pipeline_id: str | None
    ) -> list[tuple[str, str, int, int, float]]:
        """(month, won|lost, deals, value, sum of days from creation to close)."""
        month = self._month(Deal.closed_at)
        stmt = (
            select(
                month,
                Deal.status,
                func.count(),
                func.coalesce(func.sum(Deal.value_cents), 0),
                func.coalesce(func.sum(self._days(Deal.closed_at, Deal.created_at)), 0.0),
            )
            .where(Deal.status.in_(("won", "lost")), self._in(Deal.closed_at, period))
            .group_by(month, Deal.status)
        )
        return self._rows(self._deals(stmt, owner_id, pipeline_id))

    def reasons(
        self, period: Range, owner_id: str | None, pipeline_id: str | None
    ) -> list[tuple[str, str, int, int]]:
        """(won|lost, reason label, deals, value) of deals closed in the period."""
        label = func.coalesce(Reason.label, "(no reason)")
        stmt = (
            select(Deal.status, label, func.count(), func.coalesce(func.sum(Deal.value_cents), 0))
            .outerjoin(Reason, Reason.id == Deal.reason_id)
            .where(Deal.status.in_(("won", "lost")), self._in(Deal.closed_at, period))
            .group_by(Deal.status, label)
            .order_by(Deal.status.desc(), func.count().desc(), label)
        )
        return self._rows(self._deals(stmt, owner_id, pipeline_id))

    def closed_deals(
        self, period: Range, owner_id: str | None, pipeline_id: str | None
    ) -> list[tuple[Any, ...]]:
        """The deals closed in the period: title, status, value, owner, company, contact
        first and last name, stage, reason, lead source, created at, closed at."""
        owner, company, contact = aliased(User), aliased(Company), aliased(Contact)
        stmt = (
            select(
                Deal.title,
                Deal.status,
                Deal.value_cents,
                func.coalesce(owner.name, ""),
                func.coalesce(company.name, ""),
                func.coalesce(contact.first_name, ""),
                func.coalesce(contact.last_name, ""),
                func.coalesce(Stage.name, ""),
                func.coalesce(Reason.label, ""),
                Deal.lead_source,
                Deal.created_at,
                Deal.closed_at,
            )
            .outerjoin(owner, owner.id == Deal.owner_id)
            .outerjoin(company, company.id == Deal.company_id)
            .outerjoin(contact, contact.id == Deal.contact_id)
            .outerjoin(Stage, Stage.id == Deal.stage_id)
            .outerjoin(Reason, Reason.id == Deal.reason_id)
            .where(Deal.status.in_(("won", "lost")), self._in(Deal.closed_at, period))
            .order_by(Deal.closed_at, Deal.id)
        )
        return self._rows(self._deals(stmt, owner_id, pipeline_id))

    def expected_close_changes(
        self, owner_id: str | None, pipeline_id: str | None
    ) -> list[tuple[str, str, str | None]]:
        """(deal id, field, JSON value) of the change log rows that set the expected close
        of open deals whose close date was ever edited (their insert, field "*", and their
        edits), in the order made. Both reads go through the change log's row index."""
        edited = self._deals(
            select(Change.row_id)
            .join(Deal, Deal.id == Change.row_id)
            .where(
                Deal.status == "open",
                Change.field == "expected_close",
                Change.entity == "deals",
            )
            .distinct(),
            owner_id,
            pipeline_id,
        )
        ids = list(self.session.scalars(edited))
        if not ids:
            return []
        stmt = (
            select(Change.row_id, Change.field, Change.value)
            .where(
                Change.row_id.in_(ids),
                Change.field.in_(("*", "expected_close")),
                Change.entity == "deals",
            )
            .order_by(Change.row_id, Change.hlc, Change.seq)
        )
        return self._rows(stmt)

    # ---- stage history ------------------------------------------------------------------------

    def stage_moves(
        self, owner_id: str | None, pipeline_id: str | None
    ) -> list[tuple[str, str, float, str]]:
        """Every stage move of the live deals in scope, each deal's in the order made:
        (deal id, stage id, day number of the move (Julian day, UTC), the deal's status).
        One ordered read; the stage reports walk it once (SQLite's window functions over
        the same rows cost several times more)."""
        h = DealStageHistory
        stmt = (
            select(h.deal_id, h.to_stage_id, self.day_number(h.moved_at), Deal.status)
            .join(Deal, Deal.id == h.deal_id)
            .order_by(h.deal_id, h.moved_at, h.id)
        )
        return self._rows(self._deals(stmt, owner_id, pipeline_id))

    def day_number(self, column: Any) -> ColumnElement[Any]:
        """A time column as a Julian day number (days, fractional, UTC)."""
        return julian_day(self._dialect, column)

    # ---- forecast snapshots -------------------------------------------------------------------

    def snapshot_periods(self) -> set[str]:
        stmt = select(ForecastSnapshot.period).where(ForecastSnapshot.deleted_at.is_(None))
        return set(self.session.scalars(stmt))

    def _first_snapshots(self, periods: Sequence[str]) -> Any:
        """The first snapshot taken for each of these months (id, period)."""
        first = (
            select(
                ForecastSnapshot.period.label("period"),
                func.min(ForecastSnapshot.taken_at).label("taken_at"),
            )
            .where(
                ForecastSnapshot.period.in_(list(periods)), ForecastSnapshot.deleted_at.is_(None)
            )
            .group_by(ForecastSnapshot.period)
            .subquery()
        )
        return (
            select(ForecastSnapshot.id.label("id"), ForecastSnapshot.period.label("period"))
            .join(
                first,
                and_(
                    first.c.period == ForecastSnapshot.period,
                    first.c.taken_at == ForecastSnapshot.taken_at,
                ),
            )
            .where(ForecastSnapshot.deleted_at.is_(None))
            .subquery()
        )

    def snapshot_forecast(
        self, periods: Sequence[str], owner_id: str | None, pipeline_id: str | None
    ) -> list[tuple[str, str | None, str, int]]:
        """(period, owner id, stage id, weighted value) of the lines of each month's first
        snapshot whose expected close falls in that month."""
        snap = self._first_snapshots(periods)
        line = ForecastSnapshotLine
        weighted = func.sum((line.value_cents * line.probability + 50) / 100)
        stmt = (
            select(snap.c.period, line.owner_id, line.stage_id, weighted)
            .join(line, line.snapshot_id == snap.c.id)
            .join(Deal, Deal.id == line.deal_id)
            .where(self._month(line.expected_close) == snap.c.period, line.deleted_at.is_(None))
            .group_by(snap.c.period, line.owner_id, line.stage_id)
        )
        if owner_id:
            stmt = stmt.where(line.owner_id == owner_id)
        if pipeline_id:
            stmt = stmt.where(Deal.pipeline_id == pipeline_id)
        return self._rows(stmt)

    def snapshot_actuals(
        self, periods: Sequence[str], owner_id: str | None, pipeline_id: str | None
    ) -> list[tuple[str, str, int]]:
        """(period, stage id at the snapshot, value won in the period) of the deals in each
        month's first snapshot."""
        snap = self._first_snapshots(periods)
        line = ForecastSnapshotLine
        stmt = (
            select(snap.c.period, line.stage_id, func.sum(Deal.value_cents))
            .join(line, line.snapshot_id == snap.c.id)
            .join(Deal, Deal.id == line.deal_id)
            .where(
                Deal.status == "won",
                Deal.deleted_at.is_(None),
                self._month(Deal.closed_at) == snap.c.period,
                line.deleted_at.is_(None),
            )
            .group_by(snap.c.period, line.stage_id)
        )
        if owner_id:
            stmt = stmt.where(line.owner_id == owner_id)
        if pipeline_id:
            stmt = stmt.where(Deal.pipeline_id == pipeline_id)
        return self._rows(stmt)

    def won_by_owner_month(
        self, period: Range, owner_id: str | None, pipeline_id: str | None
    ) -> list[tuple[str, str | None, int]]:
        """(month, owner id, value won)."""
        month = self._month(Deal.closed_at)
        stmt = (
            select(month, Deal.owner_id, func.sum(Deal.value_cents))
            .where(Deal.status == "won", self._in(Deal.closed_at, period))
            .group_by(month, Deal.owner_id)
        )
        return self._rows(self._deals(stmt, owner_id, pipeline_id))

    # ---- activities ---------------------------------------------------------------------------

    def activities(
        self, period: Range, now: dt.datetime, owner_id: str | None
    ) -> list[tuple[str | None, str, int, int, int]]:
        """(owner id, kind, done in the period, planned (not done, due in the period from
        now on), overdue (not done, due in the period before now))."""
        done = and_(Activity.done.is_(True), self._in(Activity.done_at, period))
        due = and_(Activity.done.is_(False), self._in(Activity.starts_at, period))
        stmt = (
            select(
                Activity.owner_id,
                Activity.kind,
                func.sum(case((done, 1), else_=0)),
                func.sum(case((and_(due, Activity.starts_at >= now), 1), else_=0)),
                func.sum(case((and_(due, Activity.starts_at < now), 1), else_=0)),
            )
            .where(Activity.deleted_at.is_(None), or_(done, due))
            .group_by(Activity.owner_id, Activity.kind)
        )
        if owner_id:
            stmt = stmt.where(Activity.owner_id == owner_id)
        return self._rows(stmt)

    def won_deal_activities(
        self, period: Range, owner_id: str | None, pipeline_id: str | None
    ) -> tuple[int, int]:
        """(deals won in the period, done activities on them)."""
        won = self._deals(
            select(Deal.id).where(Deal.status == "won", self._in(Deal.closed_at, period)),
            owner_id,
            pipeline_id,
        ).subquery()
        deals = self.session.execute(select(func.count()).select_from(won)).scalar_one()
        activities = self.session.execute(
            select(func.count())
            .select_from(Activity)
            .join(won, won.c.id == Activity.deal_id)
            .where(Activity.done.is_(True), Activity.deleted_at.is_(None))
        ).scalar_one()
        return int(deals), int(activities)

    # ---- sales --------------------------------------------------------------------------------

    def _orders(self, stmt: Any, owner_id: str | None) -> Any:
        stmt = stmt.where(Order.deleted_at.is_(None))
        if owner_id:
            stmt = stmt.where(
                Order.contact_id.in_(select(Contact.id).where(Contact.owner_id == owner_id))
            )
        return stmt

    def orders_by_month(
        self, start: dt.date, end: dt.date, owner_id: str | None
    ) -> list[tuple[str, int, int]]:
        """(month, orders, value) of orders placed between two days (both included)."""
        month = self._month(Order.ordered_on)
        stmt = (
            select(month, func.count(), func.sum(Order.amount_cents))
            .where(Order.ordered_on >= start, Order.ordered_on <= end)
            .group_by(month)
        )
        return self._rows(self._orders(stmt, owner_id))

    def sales_by_source(
        self, period: Range, owner_id: str | None, pipeline_id: str | None
    ) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
        """(lead source, count, value) of deals won and of orders in the period; an
        order's source is its contact's."""
        deals = self._rows(
            self._deals(
                select(Deal.lead_source, func.count(), func.sum(Deal.value_cents))
                .where(Deal.status == "won", self._in(Deal.closed_at, period))
                .group_by(Deal.lead_source),
                owner_id,
                pipeline_id,
            )
        )
        source = func.coalesce(Contact.lead_source, "")
        orders = self._rows(
            self._orders(
                select(source, func.count(), func.sum(Order.amount_cents))
                .outerjoin(Contact, Contact.id == Order.contact_id)
                .where(
                    Order.ordered_on >= period[0].date(),
                    Order.ordered_on < period[1].date(),
                )
                .group_by(source),
                owner_id,
            )
        )
        return deals, orders

    def campaigns(
        self, period: Range, owner_id: str | None, pipeline_id: str | None
    ) -> list[tuple[str, str, str, dt.date | None, int, int, int, int, int]]:
        """Campaigns started by the period's end: (id, name, channel, started on, cost,
        deal sales in the period, deal sales to its end, order sales in the period, order
        sales to its end)."""
        start, end = period
        deals = self._deals(
            select(
                Deal.campaign_id.label("campaign_id"),
                func.sum(case((Deal.closed_at >= start, Deal.value_cents), else_=0)).label(
                    "period"
                ),
                func.sum(Deal.value_cents).label("to_date"),
            )
            .where(Deal.status == "won", Deal.closed_at < end, Deal.campaign_id.is_not(None))
            .group_by(Deal.campaign_id),
            owner_id,
            pipeline_id,
        ).subquery()
        orders = self._orders(
            select(
                Order.campaign_id.label("campaign_id"),
                func.sum(
                    case((Order.ordered_on >= start.date(), Order.amount_cents), else_=0)
                ).label("period"),
                func.sum(Order.amount_cents).label("to_date"),
            )
            .where(Order.ordered_on < end.date(), Order.campaign_id.is_not(None))
            .group_by(Order.campaign_id),
            owner_id,
        ).subquery()
        stmt = (
            select(
                Campaign.id,
                Campaign.name,
                Campaign.channel,
                Campaign.started_on,
                Campaign.cost_cents,
                func.coalesce(deals.c.period, 0),
                func.coalesce(deals.c.to_date, 0),
                func.coalesce(orders.c.period, 0),
                func.coalesce(orders.c.to_date, 0),
            )
            .outerjoin(deals, deals.c.campaign_id == Campaign.id)
            .outerjoin(orders, orders.c.campaign_id == Campaign.id)
            .where(
                Campaign.deleted_at.is_(None),
                or_(Campaign.started_on.is_(None), Campaign.started_on < end.date()),
            )
            .order_by(Campaign.started_on, Campaign.name)
        )
        return self._rows(stmt)

    # ---- customers ----------------------------------------------------------------------------

    def customers(
        self, period: Range, owner_id: str | None, pipeline_id: str | None
    ) -> list[tuple[str, str, Any, int, int, int]]:
        """Per customer (a company, or a person without one) with a purchase (a won deal or
        an order) before the period's end: (id, company|person, last purchase day,
        purchases, lifetime value, value in the period)."""
        start, end = period
        deal_day = self._day(Deal.closed_at)
        deals = self._deals(
            select(
                func.coalesce(Deal.company_id, Deal.contact_id).label("key"),
                case((Deal.company_id.is_(None), "person"), else_="company").label("kind"),
                deal_day.label("day"),
                Deal.value_cents.label("amount"),
            ).where(
                Deal.status == "won",
                Deal.closed_at < end,
                or_(Deal.company_id.is_not(None), Deal.contact_id.is_not(None)),
            ),
            owner_id,
            pipeline_id,
        )
        orders = self._orders(
            select(
                func.coalesce(Order.company_id, Order.contact_id).label("key"),
                case((Order.company_id.is_(None), "person"), else_="company").label("kind"),
                Order.ordered_on.label("day"),
                Order.amount_cents.label("amount"),
            ).where(
                Order.ordered_on < end.date(),
                or_(Order.company_id.is_not(None), Order.contact_id.is_not(None)),
            ),
            owner_id,
        )
        purchases = union_all(deals, orders).subquery()
        first_day = start.date().isoformat() if self._dialect == SQLITE else start.date()
        stmt = select(
            purchases.c.key,
            func.min(purchases.c.kind),
            func.max(purchases.c.day),
            func.count(),
            func.sum(purchases.c.amount),
            func.sum(case((purchases.c.day >= first_day, purchases.c.amount), else_=0)),
        ).group_by(purchases.c.key)
        return self._rows(stmt)

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
        stmt = stmt.where(Contact.deleted_at.is_(None))
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

    def email_duplicates(self, owner_id: str | None) -> list[tuple[str, int, str, str]]:
        """Live contacts whose (first) e-mail is exactly the same: (e-mail, contacts, the
        first and last of their ids) per group. Both passes run on the e-mail index."""
        shared = (
            select(Contact.email)
            .where(Contact.email != "")
            .group_by(Contact.email)
            .having(func.count() > 1)
        )
        stmt = (
            select(Contact.email, func.count(), func.min(Contact.id), func.max(Contact.id))
            .where(Contact.email.in_(shared))
            .group_by(Contact.email)
            .having(func.count() > 1)
            .order_by(Contact.email)
        )
        return self._rows(self._contacts(stmt, owner_id))

    def _duplicates(self, key: Any, model: Any, owner_id: str | None) -> list[Any]:
        """Groups of live contacts sharing a key: (key, contacts, two of their ids).
        A cheap first pass finds the keys on more than one row (no join, no DISTINCT);
        only those rows are then checked against live contacts."""
        candidates = (
            select(key)
            .where(model.deleted_at.is_(None), key != "")
            .group_by(key)
            .having(func.count() > 1)
        )
        stmt = (
            select(
                key,
                func.count(distinct(model.contact_id)),
                func.min(model.contact_id),
                func.max(model.contact_id),
            )
            .join(Contact, Contact.id == model.contact_id)
            .where(model.deleted_at.is_(None), key.in_(candidates))
            .group_by(key)
            .having(func.count(distinct(model.contact_id)) > 1)
            .order_by(key)
        )
        return self._rows(self._contacts(stmt, owner_id))

    def phone_duplicates(self, owner_id: str | None) -> list[tuple[str, int, str, str]]:
        """Live contacts sharing exactly the same phone number, any of theirs (the editor
        stores numbers in E.164): (number, contacts, first and last id)."""
        return self._duplicates(ContactPhone.number, ContactPhone, owner_id)

    def contact_drafts(self, ids: Sequence[str]) -> list[tuple[str, str, str]]:
        """(id, first name, last name) of contacts."""
        stmt = select(Contact.id, Contact.first_name, Contact.last_name).where(
            Contact.id.in_(list(ids))
        )
        return self._rows(stmt)


def integer(value: Any) -> int:
    """A SUM that may come back as None, Decimal or float, as an int."""
    return int(value or 0)
