"""The reads of a record's timeline."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_desktop.persistence.models import (
    Activity,
    Change,
    Consent,
    ContactAddress,
    ContactEmail,
    ContactPhone,
    ContactRole,
    Deal,
    Order,
    Stage,
    Tagging,
)


class TimelineRepository:
    """Everything that happened to a record, for its timeline (newest first)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def activities(self, target: str, target_id: str, limit: int) -> list[Activity]:
        column = {
            "contacts": Activity.contact_id,
            "companies": Activity.company_id,
            "deals": Activity.deal_id,
        }[target]
        when = func.coalesce(Activity.done_at, Activity.starts_at, Activity.created_at)
        return list(
            self.session.scalars(
                select(Activity)
                .where(column == target_id, Activity.deleted_at.is_(None))
                .order_by(when.desc())
                .limit(limit)
            )
        )

    def open_activities(self, target: str, target_id: str, limit: int) -> list[Activity]:
        """Activities not done yet (with a start), earliest first: the record's next one."""
        column = {"contacts": Activity.contact_id, "companies": Activity.company_id}[target]
        return list(
            self.session.scalars(
                select(Activity)
                .where(
                    column == target_id,
                    Activity.deleted_at.is_(None),
                    Activity.done.is_(False),
                    Activity.starts_at.is_not(None),
                )
                .order_by(Activity.starts_at)
                .limit(limit)
            )
        )

    def deals(self, target: str, target_id: str, limit: int) -> list[tuple[Deal, str, str]]:
        column = {"contacts": Deal.contact_id, "companies": Deal.company_id}[target]
        stmt = (
            select(Deal, Stage.name, Stage.kind)
            .join(Stage, Stage.id == Deal.stage_id)
            .where(column == target_id, Deal.deleted_at.is_(None))
            .order_by(Deal.created_at.desc())
            .limit(limit)
        )
        return [(d, n, k) for d, n, k in self.session.execute(stmt)]

    def orders(self, target: str, target_id: str, limit: int) -> list[Order]:
        column = {"contacts": Order.contact_id, "companies": Order.company_id}[target]
        return list(
            self.session.scalars(
                select(Order)
                .where(column == target_id, Order.deleted_at.is_(None))
                .order_by(Order.ordered_on.desc())
                .limit(limit)
            )
        )

    def consents(self, contact_id: str, limit: int) -> list[Consent]:
        return list(
            self.session.scalars(
                select(Consent)
                .where(Consent.contact_id == contact_id)
                .order_by(Consent.recorded_at.desc())
                .limit(limit)
            )
        )

    def changes(self, row_ids: Sequence[str], limit: int) -> list[Change]:
        """Field changes of these rows (a record and its child rows), newest first."""
        if not row_ids:
            return []
        return list(
            self.session.scalars(
                select(Change)
                .where(Change.row_id.in_(list(row_ids)))
                .order_by(Change.hlc.desc(), Change.seq.desc())
                .limit(limit)
            )
        )

    def child_ids(self, contact_id: str) -> list[str]:
        ids: list[str] = [contact_id]
        for model in (ContactEmail, ContactPhone, ContactAddress, ContactRole):
            ids.extend(self.session.scalars(select(model.id).where(model.contact_id == contact_id)))
        ids.extend(self.session.scalars(select(Tagging.id).where(Tagging.target_id == contact_id)))
        return ids
