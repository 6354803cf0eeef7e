"""The queries of campaigns: members with their contacts, the fields a template merges,
counts by status, and revenue for the return on a campaign."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from crm_desktop.persistence.models import (
    Campaign,
    CampaignMember,
    Company,
    Contact,
    ContactAddress,
    Deal,
    Order,
    User,
)
from crm_desktop.persistence.repositories.base import Repository


class CampaignRepository(Repository[Campaign]):
    def __init__(self, session: Session) -> None:
        super().__init__(session, Campaign)

    def _converted(self, campaign_id: str) -> Any:
        """A member converted: a deal of the campaign for the contact was won."""
        return exists().where(
            Deal.campaign_id == campaign_id,
            Deal.contact_id == CampaignMember.contact_id,
            Deal.status == "won",
            Deal.deleted_at.is_(None),
        )

    def _status(self, campaign_id: str) -> Any:
        return case(
            (
                and_(CampaignMember.status != "excluded", self._converted(campaign_id)),
                "converted",
            ),
            else_=CampaignMember.status,
        )

    def member_rows(self, campaign_id: str) -> list[Any]:
        """(contact id, first, last, e-mail, status, reason, sent at) by name."""
        stmt = (
            select(
                CampaignMember.contact_id,
                Contact.first_name,
                Contact.last_name,
                Contact.email,
                self._status(campaign_id),
                CampaignMember.reason,
                CampaignMember.sent_at,
            )
            .join(Contact, Contact.id == CampaignMember.contact_id)
            .where(CampaignMember.campaign_id == campaign_id, CampaignMember.deleted_at.is_(None))
            .order_by(Contact.sort_name, Contact.id)
        )
        return list(self.session.execute(stmt))

    def members(self, campaign_id: str) -> list[CampaignMember]:
        return list(
            self.session.scalars(
                select(CampaignMember).where(
                    CampaignMember.campaign_id == campaign_id, CampaignMember.deleted_at.is_(None)
                )
            )
        )

    def member(self, campaign_id: str, contact_id: str) -> CampaignMember | None:
        return self.session.scalars(
            select(CampaignMember).where(
                CampaignMember.campaign_id == campaign_id,
                CampaignMember.contact_id == contact_id,
                CampaignMember.deleted_at.is_(None),
            )
        ).first()

    def counts(self, campaign_id: str) -> dict[str, int]:
        status = self._status(campaign_id)
        stmt = (
            select(status, func.count())
            .where(CampaignMember.campaign_id == campaign_id, CampaignMember.deleted_at.is_(None))
            .group_by(status)
        )
        return {str(s): int(n) for s, n in self.session.execute(stmt)}

    def revenue(self, campaign_id: str) -> int:
        deals = self.session.scalar(
            select(func.coalesce(func.sum(Deal.value_cents), 0)).where(
                Deal.campaign_id == campaign_id, Deal.status == "won", Deal.deleted_at.is_(None)
            )
        )
        orders = self.session.scalar(
            select(func.coalesce(func.sum(Order.amount_cents), 0)).where(
                Order.campaign_id == campaign_id, Order.deleted_at.is_(None)
            )
        )
        return int(deals or 0) + int(orders or 0)

    def merge_fields(self, contact_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Per contact, what a template can merge and a letter is addressed with."""
        company, owner = aliased(Company), aliased(User)
        found: dict[str, dict[str, Any]] = {}
        ids = list(contact_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self.session.execute(
                select(
                    Contact.id,
                    Contact.first_name,
                    Contact.last_name,
                    Contact.email,
                    Contact.title,
                    Contact.city,
                    func.coalesce(company.name, ""),
                    func.coalesce(owner.name, ""),
                    func.coalesce(owner.email, ""),
                )
                .outerjoin(company, company.id == Contact.company_id)
                .outerjoin(owner, owner.id == Contact.owner_id)
                .where(Contact.id.in_(chunk))
            )
            for cid, first, last, email, title, city, comp, own, own_email in rows:
                found[cid] = {
                    "first_name": first,
                    "last_name": last,
                    "name": f"{first} {last}".strip(),
                    "email": email,
                    "title": title,
                    "city": city,
                    "company": comp,
                    "owner": own,
                    "owner_email": own_email,
                }
            self._last_orders(chunk, found)
            self._addresses(chunk, found)
        return found

    def _last_orders(self, ids: list[str], found: dict[str, dict[str, Any]]) -> None:
        ranked = (
            select(
                Order.contact_id,
                Order.ordered_on,
                Order.amount_cents,
                Order.currency,
                Order.description,
                func.row_number()
                .over(
                    partition_by=Order.contact_id,
                    order_by=(Order.ordered_on.desc(), Order.id.desc()),
                )
                .label("n"),
            )
            .where(Order.contact_id.in_(ids), Order.deleted_at.is_(None))
            .subquery()
        )
        for cid, day, amount, currency, what, _n in self.session.execute(
            select(ranked).where(ranked.c.n == 1)
        ):
            if cid in found:
                found[cid]["last_order"] = (day, int(amount), currency, what)

    def _addresses(self, ids: list[str], found: dict[str, dict[str, Any]]) -> None:
        rows = self.session.execute(
            select(
                ContactAddress.contact_id,
                ContactAddress.street,
                ContactAddress.postcode,
                ContactAddress.city,
                ContactAddress.region,
                ContactAddress.country,
            )
            .where(ContactAddress.contact_id.in_(ids), ContactAddress.deleted_at.is_(None))
            .order_by(ContactAddress.contact_id, ContactAddress.position)
        )
        for cid, street, postcode, city, region, country in rows:
            if cid in found and "address" not in found[cid]:
                town = " ".join(p for p in (postcode, city) if p)
                found[cid]["address"] = tuple(
                    p for p in (street, town, region, country) if p and p.strip()
                )
