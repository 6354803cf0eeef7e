"""The reports' working parts: one run's scope (stages, owners, the open deals read once)
and the deal reports built from it (pipeline, forecast, won/lost, forecast snapshots and
accuracy, stages and slipping deals, attention), over the aggregate queries of
`persistence.reporting`. `services.reports.ReportService` is their face."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby, pairwise
from operator import itemgetter
from typing import Any

from crm_desktop.domain.business_reports import AttentionDeal
from crm_desktop.domain.ids import forecast_line_id, forecast_snapshot_id
from crm_desktop.domain.pipeline import effective_probability, is_rotting, weighted_cents
from crm_desktop.domain.reports import (
    BEST_CASE_PROBABILITY,
    SLIP_PUSHES,
    AccuracyLine,
    AccuracyReport,
    ForecastBucket,
    ForecastReport,
    MonthOutcome,
    PipelineLine,
    PipelineReport,
    ReasonCount,
    ReportFilter,
    SlippingDeal,
    StageFlow,
    StageFlowReport,
    StageSuggestion,
    WonLostReport,
    add_months,
    julian_day,
    month_key,
    month_label,
    rate,
)
from crm_desktop.persistence.models import ForecastSnapshot, ForecastSnapshotLine
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services.settings import read_setting

NO_OWNER = "(no owner)"
TOP_CUSTOMERS = 20
ATTENTION_ROWS = 50
DUPLICATE_EXAMPLES = 3


@dataclass(frozen=True)
class StageInfo:
    id: str
    pipeline: str
    name: str
    position: int
    probability: int
    rotting_days: int
    kind: str


@dataclass(frozen=True)
class OpenDeal:
    id: str
    title: str
    stage: StageInfo
    owner_id: str | None
    owner: str
    value_cents: int
    probability: int
    expected_close: dt.date | None
    created_at: dt.datetime
    entered_at: dt.datetime
    has_next: bool
    company: str

    @property
    def weighted(self) -> int:
        return weighted_cents(self.value_cents, self.probability)


class Scope:
    """What one report run reads once: stages, owner names, the open deals."""

    def __init__(
        self,
        uow: UnitOfWork,
        filters: ReportFilter,
        now: dt.datetime,
        base: Scope | None = None,
    ) -> None:
        """`base`: a scope of the same owner and pipeline (other days) whose open deals
        and slipping deals this one shares."""
        self.q = uow.reporting
        self.base = base
        self.settings: Callable[[str, Any], Any] = lambda key, default: read_setting(
            uow, key, default
        )
        self.f = filters
        self.now = now
        self.today = now.date()
        self.period = (filters.start_at, filters.end_before)
        pipelines = uow.deals.pipelines()
        names = {p.id: p.name for p in pipelines}
        self.stages: dict[str, StageInfo] = {
            sid: StageInfo(sid, names.get(pid, ""), name, position, probability, rotting, kind)
            for sid, pid, name, position, probability, rotting, kind in self.q.stages()
        }
        # The live stages of the pipelines in scope, in board order.
        self.stage_order = [
            self.stages[s.id]
            for p in pipelines
            if not filters.pipeline_id or p.id == filters.pipeline_id
            for s in uow.deals.stages(p.id)
        ]
        self.several_pipelines = len({s.pipeline for s in self.stage_order}) > 1
        self.users = self.q.users()
        self._open: list[OpenDeal] | None = None
        self.cache: dict[str, Any] = {}  # results several reports of one run share

    def cached(self, key: str, make: Callable[[], Any]) -> Any:
        if self.base is not None and key == "slipping":
            return self.base.cached(key, make)
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    def stage_label(self, stage_id: str) -> str:
        stage = self.stages.get(stage_id)
        if stage is None:
            return "(removed stage)"
        return f"{stage.pipeline}: {stage.name}" if self.several_pipelines else stage.name

    def owner(self, owner_id: str | None) -> str:
        return self.users.get(owner_id, NO_OWNER) if owner_id else NO_OWNER

    @property
    def open_deals(self) -> list[OpenDeal]:
        if self.base is not None:
            return self.base.open_deals
        if self._open is None:
            rows = self.q.open_deals(self.f.owner_id, self.f.pipeline_id)
            deals = []
            for did, title, sid, oid, value, override, closes, created, entered, nxt, co in rows:
                stage = self.stages[sid]
                deals.append(
                    OpenDeal(
                        did,
                        title,
                        stage,
                        oid,
                        self.owner(oid),
                        value,
                        effective_probability(override, stage.probability, stage.kind),
                        closes,
                        created,
                        entered,
                        bool(nxt),
                        co,
                    )
                )
            self._open = deals
        return self._open


# ---- the reports, over one scope ------------------------------------------------------------


def pipeline_line(label: str, deals: list[OpenDeal], now: dt.datetime) -> PipelineLine:
    ages = [(now - d.created_at).days for d in deals]
    return PipelineLine(
        label,
        len(deals),
        sum(d.value_cents for d in deals),
        sum(d.weighted for d in deals),
        sum(ages) / len(ages) if ages else None,
        sum(1 for d in deals if is_rotting(d.entered_at, d.stage.rotting_days, d.stage.kind, now)),
    )


def pipeline(scope: Scope) -> PipelineReport:
    by_stage: dict[str, list[OpenDeal]] = defaultdict(list)
    by_owner: dict[str, list[OpenDeal]] = defaultdict(list)
    for deal in scope.open_deals:
        by_stage[deal.stage.id].append(deal)
        by_owner[deal.owner].append(deal)
    stages = [s for s in scope.stage_order if s.kind == "open"]
    stages += [scope.stages[sid] for sid in by_stage if sid not in {s.id for s in stages}]
    return PipelineReport(
        tuple(pipeline_line(scope.stage_label(s.id), by_stage[s.id], scope.now) for s in stages),
        tuple(
            pipeline_line(owner, by_owner[owner], scope.now)
            for owner in sorted(by_owner, key=lambda o: (o == NO_OWNER, o.casefold()))
        ),
        pipeline_line("Total", scope.open_deals, scope.now),
    )


def forecast(scope: Scope, months: int) -> ForecastReport:
    first = scope.today.replace(day=1)
    keys = [month_key(add_months(first, i)) for i in range(months)]
    won: dict[str, int] = defaultdict(int)
    horizon = (
        dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC),
        dt.datetime.combine(add_months(first, months), dt.time(), tzinfo=dt.UTC),
    )
    for month, status, _count, value, _days in scope.q.closed_by_month(
        horizon, scope.f.owner_id, scope.f.pipeline_id
    ):
        if status == "won":
            won[month] += int(value)
    buckets: dict[str, list[OpenDeal]] = defaultdict(list)
    for deal in scope.open_deals:
        if deal.expected_close is None:
            key = "none"
        elif deal.expected_close < first:
            key = "overdue"
        else:
            key = month_key(deal.expected_close)
            key = key if key in keys else "later"
        buckets[key].append(deal)

    def bucket(label: str, key: str, month: str | None) -> ForecastBucket:
        deals = buckets[key]
        won_cents = won[month] if month else 0
        return ForecastBucket(
            label,
            month,
            len(deals),
            sum(d.value_cents for d in deals),
            sum(d.weighted for d in deals),
            won_cents
            + sum(
                d.value_cents if d.probability >= BEST_CASE_PROBABILITY else d.weighted
                for d in deals
            ),
            won_cents,
        )

    return ForecastReport(
        (
            bucket(f"Overdue (before {month_label(keys[0])})", "overdue", None),
            *(bucket(month_label(k), k, k) for k in keys),
            bucket("Later", "later", None),
            bucket("No close date", "none", None),
        )
    )


def won_lost(scope: Scope) -> WonLostReport:
    cells: dict[tuple[str, str], tuple[int, int, float]] = {}
    for month, status, count, value, days in scope.q.closed_by_month(
        scope.period, scope.f.owner_id, scope.f.pipeline_id
    ):
        cells[(month, status)] = (int(count), int(value), float(days or 0))

    def outcome(label: str, months: list[str]) -> MonthOutcome:
        won = [cells.get((m, "won"), (0, 0, 0.0)) for m in months]
        lost = [cells.get((m, "lost"), (0, 0, 0.0)) for m in months]
        won_count = sum(w[0] for w in won)
        cycle = rate(sum(w[2] for w in won), won_count)
        return MonthOutcome(
            label,
            won_count,
            sum(w[1] for w in won),
            sum(x[0] for x in lost),
            sum(x[1] for x in lost),
            None if cycle is None else round(cycle, 1),
        )

    months = scope.f.months()
    reasons = tuple(
        ReasonCount(kind, label, int(count), int(value))
        for kind, label, count, value in scope.q.reasons(
            scope.period, scope.f.owner_id, scope.f.pipeline_id
        )
    )
    return WonLostReport(tuple(outcome(m, [m]) for m in months), outcome("Total", months), reasons)


def insert_snapshot(uow: UnitOfWork, scope: Scope) -> str:
    # Ids from the month (and the deal): two devices that each take the month's snapshot
    # before they meet end with one snapshot, merged field by field, not two.
    period = month_key(scope.today)
    snapshot_id = forecast_snapshot_id(period)
    uow.insert_rows(
        ForecastSnapshot,
        [{"id": snapshot_id, "period": period, "taken_at": scope.now}],
    )
    uow.insert_rows(
        ForecastSnapshotLine,
        [
            {
                "id": forecast_line_id(period, d.id),
                "snapshot_id": snapshot_id,
                "deal_id": d.id,
                "stage_id": d.stage.id,
                "owner_id": d.owner_id,
                "value_cents": d.value_cents,
                "probability": d.probability,
                "expected_close": d.expected_close,
            }
            for d in scope.open_deals
        ],
    )
    return snapshot_id


def accuracy(scope: Scope) -> AccuracyReport:
    f = scope.f
    taken = scope.q.snapshot_periods()
    periods = [m for m in f.months() if m in taken]
    forecast = scope.q.snapshot_forecast(periods, f.owner_id, f.pipeline_id)
    won = scope.q.won_by_owner_month(scope.period, f.owner_id, f.pipeline_id)
    by_stage_actual = scope.q.snapshot_actuals(periods, f.owner_id, f.pipeline_id)

    def lines(
        forecast_by: dict[str, int], actual_by: dict[str, int], order: list[str]
    ) -> tuple[AccuracyLine, ...]:
        return tuple(AccuracyLine(k, forecast_by.get(k, 0), actual_by.get(k, 0)) for k in order)

    month_f: dict[str, int] = defaultdict(int)
    owner_f: dict[str, int] = defaultdict(int)
    stage_f: dict[str, int] = defaultdict(int)
    for period, owner_id, stage_id, weighted in forecast:
        month_f[period] += int(weighted)
        owner_f[scope.owner(owner_id)] += int(weighted)
        stage_f[scope.stage_label(stage_id)] += int(weighted)
    month_a: dict[str, int] = defaultdict(int)
    owner_a: dict[str, int] = defaultdict(int)
    for month, owner_id, value in won:
        if month in periods:
            month_a[month] += int(value)
            owner_a[scope.owner(owner_id)] += int(value)
    stage_a: dict[str, int] = defaultdict(int)
    for _period, stage_id, value in by_stage_actual:
        stage_a[scope.stage_label(stage_id)] += int(value)
    by_month = tuple(
        AccuracyLine(month_label(p), month_f.get(p, 0), month_a.get(p, 0)) for p in periods
    )
    owners = sorted({*owner_f, *owner_a}, key=lambda o: (o == NO_OWNER, o.casefold()))
    stage_names = [scope.stage_label(s.id) for s in scope.stage_order if s.kind == "open"]
    stage_names += sorted({*stage_f, *stage_a} - set(stage_names))
    outcomes = {sid: (c.closed, c.closed_won) for sid, c in stage_counts(scope).items()}
    suggestions = tuple(
        StageSuggestion(scope.stage_label(s.id), s.probability, *outcomes.get(s.id, (0, 0)))
        for s in scope.stage_order
        if s.kind == "open"
    )
    return AccuracyReport(
        by_month,
        lines(owner_f, owner_a, owners),
        tuple(
            x for x in lines(stage_f, stage_a, stage_names) if x.forecast_cents or x.actual_cents
        ),
        suggestions,
    )


def slipping_deals(scope: Scope) -> list[SlippingDeal]:
    return scope.cached("slipping", lambda: find_slipping(scope))  # type: ignore[no-any-return]


def find_slipping(scope: Scope) -> list[SlippingDeal]:
    history: dict[str, list[str | None]] = defaultdict(list)
    for deal_id, field, value in scope.q.expected_close_changes(
        scope.f.owner_id, scope.f.pipeline_id
    ):
        decoded = json.loads(value) if value else None
        if field == "*":
            decoded = decoded.get("expected_close") if isinstance(decoded, dict) else None
        history[deal_id].append(decoded if isinstance(decoded, str) else None)
    deals = {d.id: d for d in scope.open_deals}
    result = []
    for deal_id, dates in history.items():
        pushes = sum(1 for before, after in pairwise(dates) if before and after and after > before)
        deal = deals.get(deal_id)
        if deal is None or pushes < SLIP_PUSHES:
            continue
        first = next((d for d in dates if d), None)
        result.append(
            SlippingDeal(
                deal.id,
                deal.title,
                deal.owner,
                deal.value_cents,
                dt.date.fromisoformat(first[:10]) if first else None,
                deal.expected_close,
                pushes,
            )
        )
    return sorted(result, key=lambda d: (-d.pushes, -d.value_cents, d.title))


@dataclass
class StageCounts:
    entered: int = 0  # deals that entered the stage in the period
    reached_next: int = 0  # ... and reached a further open stage or won
    won: int = 0  # ... and are won now
    stay_days: float = 0.0  # days of the stays begun in the period that have ended
    stays: int = 0
    closed: int = 0  # deals that ever entered the stage and have closed
    closed_won: int = 0


def stage_counts(scope: Scope) -> dict[str, StageCounts]:
    """One walk over the stage history of the deals in scope (see `stage_moves`)."""
    return scope.cached("stage_counts", lambda: _count_stages(scope))  # type: ignore[no-any-return]


def _count_stages(scope: Scope) -> dict[str, StageCounts]:
    counts: dict[str, StageCounts] = defaultdict(StageCounts)
    start, end = julian_day(scope.period[0]), julian_day(scope.period[1])
    # How far along a stage is: won beyond every open stage, lost before all of them.
    rank = {
        s.id: {"won": 1_000_000, "lost": -1}.get(s.kind, s.position) for s in scope.stages.values()
    }
    moves = scope.q.stage_moves(scope.f.owner_id, scope.f.pipeline_id)
    for _deal, group in groupby(moves, key=itemgetter(0)):
        path = list(group)
        status = path[0][3]
        best = max(rank.get(m[1], -1) for m in path)
        entered: set[str] = set()
        ever: set[str] = set()
        last = len(path) - 1
        for index, (_d, stage_id, at, _s) in enumerate(path):
            c = counts[stage_id]
            if start <= at < end:
                if stage_id not in entered:
                    entered.add(stage_id)
                    c.entered += 1
                    c.reached_next += best > rank.get(stage_id, -1)
                    c.won += status == "won"
                if index < last:
                    c.stay_days += path[index + 1][2] - at
                    c.stays += 1
            if status in ("won", "lost") and stage_id not in ever:
                ever.add(stage_id)
                c.closed += 1
                c.closed_won += status == "won"
    return counts


def stage_flow(scope: Scope) -> StageFlowReport:
    counts = stage_counts(scope)
    stages = []
    for stage in scope.stage_order:
        if stage.kind != "open":
            continue
        c = counts.get(stage.id, StageCounts())
        days = rate(c.stay_days, c.stays)
        stages.append(
            StageFlow(
                scope.stage_label(stage.id),
                c.entered,
                c.reached_next,
                c.won,
                None if days is None else round(days, 1),
            )
        )
    return StageFlowReport(tuple(stages), tuple(slipping_deals(scope)))


def attention(scope: Scope) -> list[AttentionDeal]:
    slipping = {d.deal_id for d in slipping_deals(scope)}
    result = []
    for d in scope.open_deals:
        reasons = []
        if is_rotting(d.entered_at, d.stage.rotting_days, d.stage.kind, scope.now):
            reasons.append("rotting")
        if d.expected_close is not None and d.expected_close < scope.today:
            reasons.append("close date passed")
        if not d.has_next:
            reasons.append("no next activity")
        if d.id in slipping:
            reasons.append("slipping")
        if reasons:
            result.append(
                AttentionDeal(
                    d.id,
                    d.title,
                    d.owner,
                    scope.stage_label(d.stage.id),
                    d.value_cents,
                    d.expected_close,
                    max(0, (scope.now - d.entered_at).days),
                    tuple(reasons),
                )
            )
    return sorted(result, key=lambda a: (-a.value_cents, a.title, a.deal_id))
