"""The queries of deals, their items, stages and pipelines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Date, Select, func, literal, select
from sqlalchemy.orm import Session, aliased

from crm_desktop.domain.records import ListQuery
from crm_desktop.persistence.models import (
    Company,
    Contact,
    Deal,
    DealItem,
    DealStageHistory,
    Pipeline,
    Stage,
    User,
)
from crm_desktop.persistence.repositories.base import (
    Repository,
    fetch_ids,
    search_filter,
    trash_filter,
)


class DealRepository(Repository[Deal]):
    def __init__(self, session: Session) -> None:
        super().__init__(session, Deal)

    def stage(self, stage_id: str) -> Stage | None:
        return self.session.get(Stage, stage_id)

    SORTS = ("title", "stage", "value", "close", "owner", "company", "updated", "status")

    def _filtered(self, query: ListQuery, *columns: Any) -> Select[Any]:
        stmt = select(*columns).select_from(Deal).where(trash_filter(Deal, query.trash))
        if query.owner_id:
            stmt = stmt.where(Deal.owner_id == query.owner_id)
        if query.company_id:
            stmt = stmt.where(Deal.company_id == query.company_id)
        if query.search.strip():
            stmt = stmt.where(
                search_filter(self.session, "deals", Deal.id, Deal.title, query.search)
            )
        return stmt

    def _sorted(self, stmt: Select[Any], query: ListQuery) -> Select[Any]:
        key = query.sort if query.sort in self.SORTS else "close"
        column: Any
        if key in ("stage", "owner", "company"):
            target: Any = {
                "stage": aliased(Stage),
                "owner": aliased(User),
                "company": aliased(Company),
            }[key]
            link = {"stage": Deal.stage_id, "owner": Deal.owner_id, "company": Deal.company_id}
            stmt = stmt.outerjoin(target, target.id == link[key])
            column = target.position if key == "stage" else func.coalesce(target.name, "")
        else:
            column = {
                "title": func.lower(Deal.title),
                "value": Deal.value_cents,
                "close": func.coalesce(Deal.expected_close, literal(dt.date(9999, 12, 31), Date)),
                "updated": Deal.updated_at,
                "status": Deal.status,
            }[key]
        if query.descending:
            return stmt.order_by(column.desc(), Deal.id.desc())
        return stmt.order_by(column, Deal.id)

    def ids(self, query: ListQuery) -> list[str]:
        return fetch_ids(self.session, self._sorted(self._filtered(query, Deal.id), query))

    def rows(self, ids: Sequence[str]) -> list[Any]:
        """(deal id, title, stage name, stage kind, stage probability, status, value,
        currency, probability override, expected close, owner, company, contact first,
        contact last) for these ids."""
        if not ids:
            return []
        stage, owner, company, contact = (
            aliased(Stage),
            aliased(User),
            aliased(Company),
            aliased(Contact),
        )
        stmt = (
            select(
                Deal.id,
                Deal.title,
                stage.name,
                stage.kind,
                stage.probability,
                Deal.status,
                Deal.value_cents,
                Deal.currency,
                Deal.probability,
                Deal.expected_close,
                func.coalesce(owner.name, ""),
                func.coalesce(company.name, ""),
                func.coalesce(contact.first_name, ""),
                func.coalesce(contact.last_name, ""),
            )
            .join(stage, stage.id == Deal.stage_id)
            .outerjoin(owner, owner.id == Deal.owner_id)
            .outerjoin(company, company.id == Deal.company_id)
            .outerjoin(contact, contact.id == Deal.contact_id)
            .where(Deal.id.in_(list(ids)))
        )
        return list(self.session.execute(stmt))

    def lines(self, deal_id: str) -> list[DealItem]:
        return self.children(DealItem, "deal_id", deal_id)

    def history(self, deal_id: str) -> list[tuple[Any, str, str]]:
        """(moved at, from stage name, to stage name), oldest first."""
        before, after = aliased(Stage), aliased(Stage)
        stmt = (
            select(DealStageHistory.moved_at, func.coalesce(before.name, ""), after.name)
            .outerjoin(before, before.id == DealStageHistory.from_stage_id)
            .join(after, after.id == DealStageHistory.to_stage_id)
            .where(DealStageHistory.deal_id == deal_id)
            .order_by(DealStageHistory.moved_at)
        )
        return [(m, f, t) for m, f, t in self.session.execute(stmt)]

    def stages_visited(self, deal_id: str) -> list[str]:
        """The stages a deal was moved to (their ids), newest move first."""
        stmt = (
            select(DealStageHistory.to_stage_id)
            .where(DealStageHistory.deal_id == deal_id)
            .order_by(DealStageHistory.moved_at.desc())
        )
        return list(self.session.scalars(stmt))

    def board_rows(
        self, pipeline_id: str, owner_id: str | None, close_before: Any, include_closed: bool
    ) -> list[Any]:
        """Plain rows (no ORM objects: a board has thousands) of live deals: id, title,
        stage id, position, value, currency, probability, expected close, stage entered,
        company name, contact first and last name, owner name."""
        company, contact, owner = aliased(Company), aliased(Contact), aliased(User)
        stmt = (
            select(
                Deal.id,
                Deal.title,
                Deal.stage_id,
                Deal.position,
                Deal.value_cents,
                Deal.currency,
                Deal.probability,
                Deal.expected_close,
                Deal.stage_entered_at,
                func.coalesce(company.name, ""),
                func.coalesce(contact.first_name, ""),
                func.coalesce(contact.last_name, ""),
                func.coalesce(owner.name, ""),
            )
            .outerjoin(company, company.id == Deal.company_id)
            .outerjoin(contact, contact.id == Deal.contact_id)
            .outerjoin(owner, owner.id == Deal.owner_id)
            .where(Deal.pipeline_id == pipeline_id, Deal.deleted_at.is_(None))
            .order_by(Deal.stage_id, Deal.position, Deal.created_at)
        )
        if owner_id:
            stmt = stmt.where(Deal.owner_id == owner_id)
        if close_before is not None:
            stmt = stmt.where(Deal.expected_close <= close_before)
        if not include_closed:
            stmt = stmt.where(Deal.status == "open")
        return list(self.session.execute(stmt))

    def stages(self, pipeline_id: str) -> list[Stage]:
        return list(
            self.session.scalars(
                select(Stage)
                .where(Stage.pipeline_id == pipeline_id, Stage.deleted_at.is_(None))
                .order_by(Stage.position)
            )
        )

    def pipelines(self) -> list[Pipeline]:
        return list(
            self.session.scalars(
                select(Pipeline).where(Pipeline.deleted_at.is_(None)).order_by(Pipeline.position)
            )
        )

    def in_stage(self, stage_id: str) -> list[Deal]:
        return list(
            self.session.scalars(
                select(Deal)
                .where(Deal.stage_id == stage_id, Deal.deleted_at.is_(None))
                .order_by(Deal.position, Deal.created_at)
            )
        )

    def first_open_stage(self) -> Stage | None:
        """The first open stage of the first pipeline (where new deals start)."""
        stmt = (
            select(Stage)
            .join(Pipeline, Pipeline.id == Stage.pipeline_id)
            .where(Stage.kind == "open", Stage.deleted_at.is_(None), Pipeline.deleted_at.is_(None))
            .order_by(Pipeline.position, Stage.position)
            .limit(1)
        )
        return self.session.scalars(stmt).first()
