"""Deals: a new deal for a contact in the first pipeline's first stage (the board and the
rest of the pipeline arrive with their own issue)."""

from __future__ import annotations

import datetime as dt

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.records import Saved
from crm_desktop.persistence.models import Deal, DealStageHistory
from crm_desktop.services._common import UowFactory, assign, now, require


class DealService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def delete(self, ids: list[str]) -> ChangeSet:
        """Move deals to the Trash."""
        return self._set_deleted(ids, now())

    def restore(self, ids: list[str]) -> ChangeSet:
        return self._set_deleted(ids, None)

    def _set_deleted(self, ids: list[str], stamp: dt.datetime | None) -> ChangeSet:
        with self._uow() as uow:
            for deal_id in ids:
                assign(
                    require(uow.deals, deal_id, "deal", include_deleted=True), {"deleted_at": stamp}
                )
            return uow.commit()

    def create_for_contact(
        self,
        contact_id: str,
        title: str,
        value_cents: int,
        currency: str = "EUR",
        expected_close: dt.date | None = None,
    ) -> Saved:
        """Open a deal for a contact (and their company) in the first open stage."""
        if not title.strip():
            raise ValidationError("a deal needs a title")
        if value_cents < 0:
            raise ValidationError("a deal's value cannot be negative")
        with self._uow() as uow:
            contact = require(uow.contacts, contact_id, "contact")
            stage = uow.deals.first_open_stage()
            if stage is None:
                raise ValidationError("there is no pipeline yet: add one in Settings")
            stamp = now()
            deal = uow.deals.add(
                Deal(
                    title=title.strip(),
                    pipeline_id=stage.pipeline_id,
                    stage_id=stage.id,
                    value_cents=value_cents,
                    currency=currency,
                    expected_close=expected_close,
                    owner_id=contact.owner_id,
                    contact_id=contact.id,
                    company_id=contact.company_id,
                    lead_source=contact.lead_source,
                    stage_entered_at=stamp,
                )
            )
            uow.session.flush()
            uow.session.add(
                DealStageHistory(
                    deal_id=deal.id,
                    from_stage_id=None,
                    to_stage_id=stage.id,
                    moved_at=stamp,
                    user_id=contact.owner_id,
                )
            )
            return Saved(deal.id, uow.commit())
