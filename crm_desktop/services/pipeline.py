"""Pipelines, their stages, the won/lost reasons, the board and moving deals on it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import NotFoundError, ValidationError
from crm_desktop.domain.pipeline import (
    BoardColumn,
    BoardFilter,
    DealCard,
    PipelineRecord,
    ReasonRecord,
    StageKind,
    StageRecord,
    days_in_stage,
    effective_probability,
    is_rotting,
    rank_between,
    spaced_ranks,
)
from crm_desktop.domain.records import Saved
from crm_desktop.domain.text import display_name, fold, initials
from crm_desktop.persistence.models import Deal, DealStageHistory, Pipeline, Reason, Stage
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import UowFactory, assign, now, require
from crm_desktop.services.followups import apply_for_stage

DEFAULT_PIPELINE = "Sales"
# (name, default probability %, rotting limit in days, kind)
DEFAULT_STAGES: tuple[tuple[str, int, int, str], ...] = (
    ("Lead", 10, 14, "open"),
    ("Qualified", 25, 14, "open"),
    ("Proposal", 50, 21, "open"),
    ("Negotiation", 75, 14, "open"),
    ("Won", 100, 0, "won"),
    ("Lost", 0, 0, "lost"),
)
DEFAULT_REASONS: dict[str, tuple[str, ...]] = {
    "won": ("Best offer", "Relationship", "Product fit"),
    "lost": ("Price", "Went with a competitor", "No budget", "No decision", "Bad timing"),
}
# The default pipeline's rows have the same ids on every device: two people who start
# their CRM on their own and then share a team folder get one "Sales" pipeline, not two.
_DEFAULT_IDS = uuid.UUID("6f1d6a52-3c0e-4b59-9a35-0c3f6a3e21d7")
_DEFAULT_TIME = dt.datetime(
    2026, 1, 1, tzinfo=dt.UTC
)  # when every device's default rows "were made"


def _default_id(name: str) -> str:
    return str(uuid.uuid5(_DEFAULT_IDS, name))


def _add_stages(
    uow: UnitOfWork,
    pipeline_id: str,
    spec: Sequence[tuple[str, int, int, str]],
    extra: Callable[[str], dict[str, Any]] = lambda _name: {},
) -> None:
    """A new pipeline's stages in the order given; `extra` adds columns per stage (the
    default pipeline's fixed ids and times)."""
    for index, (name, probability, rotting, kind) in enumerate(spec):
        uow.add(
            Stage(
                pipeline_id=pipeline_id,
                name=name,
                position=index,
                probability=probability,
                rotting_days=rotting,
                kind=kind,
                **extra(name),
            )
        )


def _stage_record(s: Stage) -> StageRecord:
    return StageRecord(
        s.id, s.pipeline_id, s.name, s.position, s.probability, s.rotting_days, s.kind
    )


class PipelineService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    # ---- pipelines and stages --------------------------------------------------------------

    def pipelines(self) -> list[PipelineRecord]:
        """Every pipeline with its stages in order."""
        with self._uow.read() as uow:
            return [
                PipelineRecord(
                    p.id, p.name, tuple(_stage_record(s) for s in uow.deals.stages(p.id))
                )
                for p in uow.deals.pipelines()
            ]

    def create_pipeline(self, name: str, stages: Sequence[tuple[str, int, int, str]] = ()) -> Saved:
        """A new pipeline with (name, probability, rotting days, kind) stages; by default
        the usual Lead .. Won / Lost."""
        if not name.strip():
            raise ValidationError("a pipeline needs a name")
        spec = stages or DEFAULT_STAGES
        with self._uow() as uow:
            position = len(uow.deals.pipelines())
            for stage, probability, rotting, kind in spec:
                self._check_stage(stage, probability, rotting, kind)
            pipeline = uow.repository(Pipeline).add(Pipeline(name=name.strip(), position=position))
            uow.flush()
            _add_stages(uow, pipeline.id, spec)
            return Saved(pipeline.id, uow.commit())

    def ensure_default(self) -> ChangeSet:
        """Make sure there is a pipeline to put deals in: with none, add "Sales" (Lead,
        Qualified, Proposal, Negotiation, Won, Lost) and, with no won or lost reasons, the
        usual ones. Does nothing when a pipeline exists. Used by the first run, and
        wherever a deal is about to be made."""
        with self._uow() as uow:
            if uow.deals.pipelines():
                return ChangeSet()
            reuse = uow.repository(Pipeline).get(_default_id("pipeline"), include_deleted=True)

            def ids(name: str) -> dict[str, Any]:
                # Fresh ids if the default pipeline once existed and was removed. Otherwise
                # the same ids and the same times on every device: two people who started
                # apart make identical rows, so joining a team shows no conflicts for them.
                if reuse is not None:
                    return {}
                return {
                    "id": _default_id(name),
                    "created_at": _DEFAULT_TIME,
                    "updated_at": _DEFAULT_TIME,
                }

            pipeline = Pipeline(name=DEFAULT_PIPELINE, position=0, **ids("pipeline"))
            uow.repository(Pipeline).add(pipeline)
            uow.flush()
            _add_stages(uow, pipeline.id, DEFAULT_STAGES, lambda name: ids(f"stage:{name}"))
            existing = {r.kind for r in uow.repository(Reason).all()}
            for kind, labels in DEFAULT_REASONS.items():
                if kind in existing:
                    continue
                for position, label in enumerate(labels):
                    uow.add(
                        Reason(kind=kind, label=label, position=position, **ids(f"{kind}:{label}"))
                    )
            return uow.commit()

    def first_open_stage(self, pipeline_id: str | None = None) -> StageRecord:
        """Where a new deal starts: the first open stage of this pipeline (of the first
        pipeline by default; the default pipeline is made if there is none)."""
        self.ensure_default()
        pipelines = self.pipelines()
        pipeline = next((p for p in pipelines if p.id == pipeline_id), pipelines[0])
        stage = next((s for s in pipeline.stages if s.kind == "open"), None)
        if stage is None:
            raise ValidationError(f"the pipeline {pipeline.name} has no open stage")
        return stage

    @staticmethod
    def _check_stage(name: str, probability: int, rotting: int, kind: str) -> None:
        if not name.strip():
            raise ValidationError("a stage needs a name")
        if not 0 <= probability <= 100:
            raise ValidationError(f"probability must be 0..100, not {probability}")
        if rotting < 0:
            raise ValidationError("rotting days cannot be negative")
        if kind not in StageKind.__members__.values():
            raise ValidationError(f"a stage is open, won or lost, not {kind!r}")

    def add_stage(
        self,
        pipeline_id: str,
        name: str,
        probability: int,
        rotting_days: int = 0,
        kind: str = "open",
        position: int | None = None,
    ) -> Saved:
        """Insert a stage (at the end of the open stages by default)."""
        self._check_stage(name, probability, rotting_days, kind)
        with self._uow() as uow:
            require(uow.repository(Pipeline), pipeline_id, "pipeline")
            stages = uow.deals.stages(pipeline_id)
            if position is None:
                position = (
                    sum(1 for s in stages if s.kind == "open") if kind == "open" else len(stages)
                )
            stage = Stage(
                pipeline_id=pipeline_id,
                name=name.strip(),
                probability=probability,
                rotting_days=rotting_days,
                kind=kind,
            )
            uow.add(stage)
            ordered = list(stages)
            ordered.insert(max(0, min(position, len(ordered))), stage)
            for index, s in enumerate(ordered):
                assign(s, {"position": index})
            uow.flush()
            return Saved(stage.id, uow.commit())

    def update_stage(
        self, stage_id: str, name: str, probability: int, rotting_days: int
    ) -> ChangeSet:
        """Rename a stage or change its default probability and rotting limit."""
        with self._uow() as uow:
            stage = require(uow.repository(Stage), stage_id, "stage")
            self._check_stage(name, probability, rotting_days, stage.kind)
            assign(
                stage,
                {"name": name.strip(), "probability": probability, "rotting_days": rotting_days},
            )
            return uow.commit()

    def reorder_stages(self, pipeline_id: str, stage_ids: Sequence[str]) -> ChangeSet:
        """Put the stages of a pipeline in this order (every stage, once)."""
        with self._uow() as uow:
            stages = {s.id: s for s in uow.deals.stages(pipeline_id)}
            if sorted(stages) != sorted(stage_ids):
                raise ValidationError("reordering must list every stage of the pipeline once")
            for index, stage_id in enumerate(stage_ids):
                assign(stages[stage_id], {"position": index})
            return uow.commit()

    def remove_stage(self, stage_id: str, move_deals_to: str) -> ChangeSet:
        """Remove a stage; its deals move to another stage of the same pipeline (recorded
        in their stage history)."""
        with self._uow() as uow:
            stage = require(uow.repository(Stage), stage_id, "stage")
            target = require(uow.repository(Stage), move_deals_to, "stage")
            if target.pipeline_id != stage.pipeline_id or target.id == stage.id:
                raise ValidationError("move the deals to another stage of the same pipeline")
            stamp = now()
            for deal in uow.deals.in_stage(stage_id):
                _move(uow, deal, target, stamp)
            stage.deleted_at = stamp
            for index, s in enumerate(
                x for x in uow.deals.stages(stage.pipeline_id) if x.id != stage_id
            ):
                assign(s, {"position": index})
            return uow.commit()

    # ---- reasons ---------------------------------------------------------------------------

    def reasons(self, kind: str) -> list[ReasonRecord]:
        """The configurable won or lost reasons, in order."""
        with self._uow.read() as uow:
            rows = [r for r in uow.repository(Reason).all() if r.kind == kind]
            return [
                ReasonRecord(r.id, r.kind, r.label) for r in sorted(rows, key=lambda r: r.position)
            ]

    def add_reason(self, kind: str, label: str) -> Saved:
        if kind not in ("won", "lost") or not label.strip():
            raise ValidationError("a reason is won or lost and needs a label")
        position = len(self.reasons(kind))
        with self._uow() as uow:
            reason = uow.repository(Reason).add(
                Reason(kind=kind, label=label.strip(), position=position)
            )
            uow.flush()
            return Saved(reason.id, uow.commit())

    def rename_reason(self, reason_id: str, label: str) -> ChangeSet:
        if not label.strip():
            raise ValidationError("a reason needs a label")
        with self._uow() as uow:
            assign(require(uow.repository(Reason), reason_id, "reason"), {"label": label.strip()})
            return uow.commit()

    def remove_reason(self, reason_id: str) -> ChangeSet:
        """Take a reason off the list; deals that carry it keep it in their history."""
        with self._uow() as uow:
            assign(require(uow.repository(Reason), reason_id, "reason"), {"deleted_at": now()})
            return uow.commit()

    # ---- the board --------------------------------------------------------------------------

    def board(
        self,
        pipeline_id: str,
        filters: BoardFilter | None = None,
        today: dt.datetime | None = None,
    ) -> list[BoardColumn]:
        """One column per stage with its cards in order; totals are the cards shown."""
        moment = today or now()
        filters = filters or BoardFilter()
        text = fold(filters.text)
        with self._uow.read() as uow:
            stages = uow.deals.stages(pipeline_id)
            if not stages:
                raise NotFoundError(f"no pipeline with id {pipeline_id}")
            by_stage: dict[str, list[DealCard]] = {s.id: [] for s in stages}
            kinds = {s.id: s for s in stages}
            rows = uow.deals.board_rows(
                pipeline_id, filters.owner_id, filters.close_before, filters.include_closed
            )
            for (
                deal_id,
                title,
                stage_id,
                position,
                value,
                currency,
                probability,
                closes,
                entered,
                company,
                first,
                last,
                owner,
            ) in rows:
                stage = kinds.get(stage_id)
                if stage is None:
                    continue
                contact = display_name(first, last) if (first or last) else ""
                if text and text not in fold(f"{title} {company} {contact} {owner}"):
                    continue
                by_stage[stage.id].append(
                    DealCard(
                        id=deal_id,
                        title=title,
                        company_name=company,
                        contact_name=contact,
                        value_cents=value,
                        currency=currency,
                        probability=effective_probability(
                            probability, stage.probability, stage.kind
                        ),
                        expected_close=closes,
                        owner_name=owner,
                        owner_initials=initials(owner),
                        days_in_stage=days_in_stage(entered, moment),
                        rotting=is_rotting(entered, stage.rotting_days, stage.kind, moment),
                        stage_id=stage.id,
                        position=position,
                    )
                )
            return [BoardColumn(_stage_record(s), tuple(by_stage[s.id])) for s in stages]

    def move(
        self,
        deal_id: str,
        stage_id: str,
        index: int | None = None,
        reason_id: str | None = None,
        note: str = "",
    ) -> ChangeSet:
        """Move a deal to a stage (and to a place in its column). Won and lost stages need a
        reason; every change of stage is recorded in the stage history."""
        with self._uow() as uow:
            deal = require(uow.deals, deal_id, "deal")
            target = require(uow.repository(Stage), stage_id, "stage")
            if target.pipeline_id != deal.pipeline_id:
                raise ValidationError("a deal moves within its pipeline")
            if target.kind in ("won", "lost"):
                reasons = {r.id for r in self.reasons(target.kind)}
                if reason_id not in reasons:
                    raise ValidationError(
                        f"marking a deal {target.kind} needs a {target.kind} reason from the list"
                    )
            stamp = now()
            if deal.stage_id != target.id:
                _move(uow, deal, target, stamp)
                apply_for_stage(uow, deal, target.id)
                assign(
                    deal,
                    {
                        "reason_id": reason_id if target.kind != "open" else None,
                        "close_note": note if target.kind != "open" else "",
                    },
                )
            column = [d for d in uow.deals.in_stage(target.id) if d.id != deal.id]
            place = len(column) if index is None else max(0, min(index, len(column)))
            before = column[place - 1].position if place > 0 else None
            after = column[place].position if place < len(column) else None
            rank = rank_between(before, after)
            if rank is None:  # no room between the neighbours: renumber the column once
                column.insert(place, deal)
                for d, position in zip(column, spaced_ranks(len(column)), strict=True):
                    assign(d, {"position": position})
            else:
                assign(deal, {"position": rank})
            return uow.commit()

    def reason_of(self, deal_id: str) -> str | None:
        """The won/lost reason a deal carries (None while it is open)."""
        with self._uow.read() as uow:
            return require(uow.deals, deal_id, "deal").reason_id

    def reopen(self, deal_id: str, stage_id: str | None = None) -> ChangeSet:
        """Bring a lost (or won) deal back to an open stage (its last open one by default)."""
        with self._uow() as uow:
            deal = require(uow.deals, deal_id, "deal")
            stages = uow.deals.stages(deal.pipeline_id)
            open_stages = [s for s in stages if s.kind == "open"]
            target = next((s for s in open_stages if s.id == stage_id), None)
            if target is None:
                open_ids = {s.id for s in open_stages}
                visited = uow.deals.stages_visited(deal_id)
                last = next((stage for stage in visited if stage in open_ids), None)
                target = next((s for s in open_stages if s.id == last), open_stages[0])
            _move(uow, deal, target, now())
            assign(deal, {"reason_id": None, "close_note": ""})
            return uow.commit()


def _move(uow: UnitOfWork, deal: Deal, target: Stage, stamp: dt.datetime) -> None:
    """Change a deal's stage: history, status, closing time and the time it entered."""
    uow.add(
        DealStageHistory(
            deal_id=deal.id,
            from_stage_id=deal.stage_id,
            to_stage_id=target.id,
            moved_at=stamp,
            user_id=deal.owner_id,
        )
    )
    closed = target.kind in ("won", "lost")
    assign(
        deal,
        {
            "stage_id": target.id,
            "status": target.kind,
            "stage_entered_at": stamp,
            "closed_at": stamp if closed else None,
        },
    )
