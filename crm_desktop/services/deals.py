"""Deals: a new deal for a contact in the first pipeline's first stage (the board and the
rest of the pipeline arrive with their own issue)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import NotFoundError, ValidationError
from crm_desktop.domain.pipeline import (
    DealDraft,
    DealLine,
    DealRecord,
    DealRow,
    StageMove,
    effective_probability,
)
from crm_desktop.domain.records import ListQuery, Saved
from crm_desktop.domain.text import display_name
from crm_desktop.domain.vocabulary import DEFAULT_CURRENCY
from crm_desktop.persistence.models import Deal, DealItem, DealStageHistory, Reason, Stage
from crm_desktop.persistence.records_map import replace_children
from crm_desktop.services._common import (
    UowFactory,
    assign,
    now,
    require,
    set_deleted,
)
from crm_desktop.services.bulk import BulkService
from crm_desktop.services.changelog import Revertible
from crm_desktop.services.settings import read_setting
from crm_desktop.services.users import UserService


def _fields(draft: DealDraft) -> dict[str, Any]:
    return {
        "title": draft.title.strip(),
        "value_cents": draft.effective_value_cents,
        "currency": draft.currency,
        "probability": draft.probability,
        "expected_close": draft.expected_close,
        "owner_id": draft.owner_id,
        "contact_id": draft.contact_id,
        "company_id": draft.company_id,
        "lead_source": draft.lead_source,
        "campaign_id": draft.campaign_id,
    }


def _line_rows(draft: DealDraft) -> list[dict[str, Any]]:
    return [
        {
            "description": line.description,
            "quantity": line.quantity,
            "unit_price_cents": line.unit_price_cents,
            "discount_pct": line.discount_pct,
            "product_id": line.product_id,
        }
        for line in draft.lines
    ]


class DealService(Revertible):
    def __init__(self, uow_factory: UowFactory, users: UserService | None = None) -> None:
        self._uow = uow_factory
        self._users = users  # who works on this device: the owner of a new deal

    def new_draft(
        self,
        pipeline_id: str | None = None,
        contact_id: str | None = None,
        owner_id: str | None = None,
    ) -> DealDraft:
        """A new deal's defaults: in the pipeline asked for (else the first) at its first
        open stage, in the business currency, for the contact and the company of their
        first role, owned by `owner_id` or else the user of this device. Its title is
        left to the user."""
        if owner_id is None and self._users is not None:
            owner_id = self._users.default_owner_id()
        with self._uow.read() as uow:
            pipelines = uow.deals.pipelines()
            pipeline = next((p for p in pipelines if p.id == pipeline_id), None)
            if pipeline is None and pipeline_id:
                raise NotFoundError(f"no pipeline with id {pipeline_id}")
            pipeline = pipeline or (pipelines[0] if pipelines else None)
            if pipeline is None:
                raise ValidationError("there is no pipeline yet: add one in Settings")
            stage = next((s for s in uow.deals.stages(pipeline.id) if s.kind == "open"), None)
            if stage is None:
                raise ValidationError(f"the pipeline {pipeline.name} has no open stage")
            company_id = None
            if contact_id:
                roles = uow.contacts.roles(require(uow.contacts, contact_id, "contact").id)
                company_id = roles[0][0].company_id if roles else None
            return DealDraft(
                title="",
                pipeline_id=pipeline.id,
                stage_id=stage.id,
                currency=read_setting(uow, "currency", None) or DEFAULT_CURRENCY,
                owner_id=owner_id,
                contact_id=contact_id,
                company_id=company_id,
            )

    # ---- the deal editor ------------------------------------------------------------------

    def create(self, draft: DealDraft) -> Saved:
        """A new deal in the draft's stage, with its line items and first history entry."""
        draft = draft.validated()
        with self._uow() as uow:
            stage = require(uow.repository(Stage), draft.stage_id, "stage")
            if stage.pipeline_id != draft.pipeline_id:
                raise ValidationError("the stage belongs to another pipeline")
            stamp = now()
            closed = stage.kind in ("won", "lost")
            deal = uow.deals.add(
                Deal(
                    pipeline_id=draft.pipeline_id,
                    stage_id=stage.id,
                    status=stage.kind,
                    stage_entered_at=stamp,
                    closed_at=stamp if closed else None,
                    position=len(uow.deals.in_stage(stage.id)),
                    **_fields(draft),
                )
            )
            uow.flush()
            uow.add(
                DealStageHistory(
                    deal_id=deal.id,
                    from_stage_id=None,
                    to_stage_id=stage.id,
                    moved_at=stamp,
                    user_id=draft.owner_id,
                )
            )
            replace_children(uow, DealItem, "deal_id", deal.id, [], _line_rows(draft))
            return Saved(deal.id, uow.commit())

    def update(self, deal_id: str, draft: DealDraft) -> Saved:
        """Change a deal's fields and lines (moves between stages go through the board)."""
        draft = draft.validated()
        with self._uow() as uow:
            deal = require(uow.deals, deal_id, "deal")
            assign(deal, _fields(draft))
            replace_children(
                uow, DealItem, "deal_id", deal_id, uow.deals.lines(deal_id), _line_rows(draft)
            )
            return Saved(deal_id, uow.commit())

    def draft_of(self, deal_id: str) -> Any:
        """The record as an editor would open it now (to find what others changed)."""
        return self.get(deal_id).draft

    def get(self, deal_id: str) -> DealRecord:
        """A deal with its lines and stage history."""
        with self._uow.read() as uow:
            d = require(uow.deals, deal_id, "deal", include_deleted=True)
            stage = require(uow.repository(Stage), d.stage_id, "stage", include_deleted=True)
            lines = tuple(
                DealLine(
                    i.description, i.quantity, i.unit_price_cents, i.discount_pct, i.product_id
                )
                for i in uow.deals.lines(d.id)
            )
            row = uow.deals.rows([d.id])[0]
            reason = uow.repository(Reason).get(d.reason_id) if d.reason_id else None
            draft = DealDraft(
                title=d.title,
                pipeline_id=d.pipeline_id,
                stage_id=d.stage_id,
                value_cents=d.value_cents,
                currency=d.currency,
                probability=d.probability,
                expected_close=d.expected_close,
                owner_id=d.owner_id,
                contact_id=d.contact_id,
                company_id=d.company_id,
                lead_source=d.lead_source,
                campaign_id=d.campaign_id,
                lines=lines,
                value_from_lines=bool(lines) and sum(x.total_cents for x in lines) == d.value_cents,
            )
            return DealRecord(
                id=d.id,
                draft=draft,
                stage_name=stage.name,
                stage_kind=stage.kind,
                status=d.status,
                reason=reason.label if reason else "",
                close_note=d.close_note,
                closed_at=d.closed_at,
                contact_name=display_name(row[12], row[13]) if (row[12] or row[13]) else "",
                company_name=row[11],
                owner_name=row[10],
                history=tuple(StageMove(m, f, t) for m, f, t in uow.deals.history(d.id)),
                deleted=d.deleted_at is not None,
            )

    # ---- the deals list ---------------------------------------------------------------------

    def ids(self, query: ListQuery) -> list[str]:
        """Ids of the deals matching the query, in list order (sorted in SQL)."""
        with self._uow.read() as uow:
            return uow.deals.ids(query)

    def rows(self, ids: Sequence[str]) -> list[DealRow]:
        with self._uow.read() as uow:
            found = {r[0]: r for r in uow.deals.rows(ids)}
        result = []
        for deal_id in ids:
            r = found.get(deal_id)
            if r is None:
                continue
            (
                rid,
                title,
                stage,
                kind,
                stage_probability,
                status,
                value,
                currency,
                override,
                closes,
                owner,
                company,
                first,
                last,
            ) = r
            result.append(
                DealRow(
                    rid,
                    title,
                    stage,
                    status,
                    value,
                    currency,
                    effective_probability(override, stage_probability, kind),
                    closes,
                    owner,
                    company,
                    display_name(first, last) if (first or last) else "",
                )
            )
        return result

    def set_owner(self, ids: Iterable[str], owner_id: str | None) -> ChangeSet:
        """Bulk edit: give the selected deals to one owner (`BulkService.set_owner`, which
        also says how to undo it)."""
        return BulkService(self._uow).set_owner("deals", ids, owner_id).changes

    def delete(self, ids: list[str]) -> ChangeSet:
        """Move deals to the Trash."""
        return self._set_deleted(ids, deleted=True)

    def restore(self, ids: list[str]) -> ChangeSet:
        return self._set_deleted(ids, deleted=False)

    def _set_deleted(self, ids: Iterable[str], deleted: bool) -> ChangeSet:
        return set_deleted(self._uow, lambda uow: uow.deals, "deal", ids, deleted)

    def create_for_contact(
        self,
        contact_id: str,
        title: str,
        value_cents: int,
        currency: str | None = None,
        expected_close: dt.date | None = None,
    ) -> Saved:
        """Open a deal for a contact (and their company) in the first open stage, in the
        business currency unless another is given."""
        with self._uow.read() as uow:
            currency = currency or read_setting(uow, "currency", None) or DEFAULT_CURRENCY
            contact = require(uow.contacts, contact_id, "contact")
            stage = uow.deals.first_open_stage()
            if stage is None:
                raise ValidationError("there is no pipeline yet: add one in Settings")
            draft = DealDraft(
                title=title,
                pipeline_id=stage.pipeline_id,
                stage_id=stage.id,
                value_cents=value_cents,
                currency=currency,
                expected_close=expected_close,
                owner_id=contact.owner_id,
                contact_id=contact.id,
                company_id=contact.company_id,
                lead_source=contact.lead_source,
            )
        return self.create(draft)
