"""Reports: pipeline, forecast, won/lost, forecast accuracy, stages, activities, sales,
customers, data quality, and the owner's monthly report built from them all.

Each report takes a `ReportFilter` (days, owner, pipeline) and returns a frozen record of
`domain.reports` that turns into a `reportdoc.Section`. The figures are summed by the
database (`persistence.reporting`); only the open deals (a few thousand rows) come back
one by one, so every weighted value goes through the same `weighted_cents` as the board.

Sales are the value of deals won plus orders placed (an order is a purchase outside the
pipeline: a shop order, a repeat order), in the currency of the business.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.pipeline import effective_probability, is_rotting, weighted_cents
from crm_desktop.domain.records import ContactDraft, EmailEntry, Saved
from crm_desktop.domain.reportdoc import Column, Kpi, ReportDocument, Section, Table
from crm_desktop.domain.reports import (
    BEST_CASE_PROBABILITY,
    LAPSED_DAYS,
    RFM_CLASSES,
    SLIP_PUSHES,
    AccuracyLine,
    AccuracyReport,
    ActivityLine,
    ActivityReport,
    AttentionDeal,
    CampaignReturn,
    CustomerLine,
    CustomerReport,
    DataQualityReport,
    DuplicateGroup,
    ForecastBucket,
    ForecastReport,
    MonthlyKpis,
    MonthOutcome,
    PipelineLine,
    PipelineReport,
    ReasonCount,
    ReportFilter,
    RfmClassCount,
    SalesLine,
    SalesReport,
    SlippingDeal,
    StageFlow,
    StageFlowReport,
    StageSuggestion,
    WonLostReport,
    add_months,
    month_key,
    month_label,
    quintile_scores,
    rate,
    rfm_class,
)
from crm_desktop.domain.text import display_name
from crm_desktop.persistence.models import ForecastSnapshot, ForecastSnapshotLine, new_id
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import UowFactory
from crm_desktop.services.duplicates import DuplicateService
from crm_desktop.services.settings import read_setting

NO_OWNER = "(no owner)"
TOP_CUSTOMERS = 20
ATTENTION_ROWS = 50
DUPLICATE_EXAMPLES = 3


@dataclass(frozen=True)
class _Stage:
    id: str
    pipeline: str
    name: str
    position: int
    probability: int
    rotting_days: int
    kind: str


@dataclass(frozen=True)
class _OpenDeal:
    id: str
    title: str
    stage: _Stage
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


class _Scope:
    """What one report run reads once: stages, owner names, the open deals."""

    def __init__(
        self,
        uow: UnitOfWork,
        filters: ReportFilter,
        now: dt.datetime,
        base: _Scope | None = None,
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
        self.stages: dict[str, _Stage] = {
            sid: _Stage(sid, names.get(pid, ""), name, position, probability, rotting, kind)
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
        self._open: list[_OpenDeal] | None = None
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
    def open_deals(self) -> list[_OpenDeal]:
        if self.base is not None:
            return self.base.open_deals
        if self._open is None:
            rows = self.q.open_deals(self.f.owner_id, self.f.pipeline_id)
            deals = []
            for did, title, sid, oid, value, override, closes, created, entered, nxt, co in rows:
                stage = self.stages[sid]
                deals.append(
                    _OpenDeal(
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


class ReportService:
    def __init__(
        self, uow_factory: UowFactory, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self._uow = uow_factory
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def _read(self, filters: ReportFilter, work: Callable[[_Scope], Any]) -> Any:
        with self._uow.read() as uow:
            return work(_Scope(uow, filters, self._clock()))

    # ---- pipeline and forecast --------------------------------------------------------------

    def pipeline(self, filters: ReportFilter) -> PipelineReport:
        """The open deals now (the range is not used), by stage and by owner: count,
        value, weighted value, average age in days since creation, rotting deals."""
        return self._read(filters, _pipeline)  # type: ignore[no-any-return]

    def forecast(self, filters: ReportFilter, months: int = 3) -> ForecastReport:
        """Open deals by expected-close month for this month and the next ones, with
        overdue, later and no-close-date buckets. Best case: won so far in the month,
        deals of at least 50 % in full, the rest weighted."""
        return self._read(filters, lambda s: _forecast(s, months))  # type: ignore[no-any-return]

    def won_lost(self, filters: ReportFilter) -> WonLostReport:
        """Deals won and lost per month of the range: counts, values, win rates by count
        and by value, average sales cycle (creation to winning), reasons."""
        return self._read(filters, _won_lost)  # type: ignore[no-any-return]

    # ---- forecast snapshots and accuracy ------------------------------------------------------

    def take_snapshot(self) -> Saved:
        """Store today's forecast: every open deal with its stage, owner, value,
        probability and expected close, under this month."""
        now = self._clock()
        with self._uow() as uow:
            scope = _Scope(uow, ReportFilter(now.date(), now.date()), now)
            snapshot_id = _insert_snapshot(uow, scope)
            return Saved(snapshot_id, uow.commit())

    def ensure_snapshot(self) -> bool:
        """Take this month's snapshot if it has none yet (the first report or start of the
        month takes it); True if one was taken."""
        with self._uow.read() as uow:
            if month_key(self._clock().date()) in uow.reporting.snapshot_periods():
                return False
        self.take_snapshot()
        return True

    def forecast_accuracy(self, filters: ReportFilter) -> AccuracyReport:
        """Each month's first snapshot against what was won in that month: forecast (the
        weighted value of its deals expected to close in the month), actual, accuracy and
        bias, per month, owner and stage; and stage probabilities suggested by the win
        rates of the deals that went through each stage."""
        self.ensure_snapshot()
        return self._read(filters, _accuracy)  # type: ignore[no-any-return]

    # ---- stages, activities, sales, customers, quality ----------------------------------------

    def stage_flow(self, filters: ReportFilter) -> StageFlowReport:
        """Per open stage, of the deals that entered it in the range: how many reached a
        further stage, how many are won, and the average days a stay there lasted; and
        the slipping deals.

        Slipping is derived from the change log (`change` rows of `deals.expected_close`,
        and the insert that set the first date), which already records every edit with
        its order; nothing new is stored. Open deals whose expected close was moved later
        at least `SLIP_PUSHES` times slip."""
        return self._read(filters, _stage_flow)  # type: ignore[no-any-return]

    def activities(self, filters: ReportFilter) -> ActivityReport:
        """Activities by owner and type: done in the range, planned and overdue (not done,
        due in the range, after and before now); done activities per deal won in it."""
        return self._read(filters, _activities)  # type: ignore[no-any-return]

    def sales(self, filters: ReportFilter) -> SalesReport:
        """Sales (won deal value plus orders) by month and lead source (an order's is its
        contact's), and per campaign and channel: cost, sales in the range and to its end,
        ROI = (sales to date - cost) / cost."""
        return self._read(filters, _sales)  # type: ignore[no-any-return]

    def customers(self, filters: ReportFilter, top: int = TOP_CUSTOMERS) -> CustomerReport:
        """Customers (companies, and people without one) by won deals plus orders: the top
        ones of the range, lifetime value, RFM classes, lapsed customers."""
        return self._read(filters, lambda s: _customers(s, top))  # type: ignore[no-any-return]

    def data_quality(self, filters: ReportFilter) -> DataQualityReport:
        """Contacts with exactly the same (first) e-mail, or sharing exactly the same phone
        number (GROUP BY in SQL, cheap at 100,000 contacts; the examples are checked again by
        the contact editor's duplicate finder, which also folds case and compares names),
        contacts without consent, open deals without a close date or a next activity."""
        return self._read(filters, lambda s: _data_quality(s, self._explain))  # type: ignore[no-any-return]

    def _explain(self, groups: list[tuple[str, int, list[tuple[str, str, str]]]]) -> Any:
        """Duplicate groups (key, contacts, [(id, first, last)...]) as examples, with the
        reasons the duplicate finder of the contact editor gives for them."""
        finder = DuplicateService(self._uow)
        result = []
        for key, count, people in groups:
            (first_id, first, last), *others = people
            draft = ContactDraft(first, last, emails=(EmailEntry(key),) if "@" in key else ())
            others_ids = {o[0] for o in others}
            hits = finder.similar_contacts(draft, exclude_id=first_id)
            reasons = sorted({h.reason for h in hits if h.contact_id in others_ids})
            names = tuple(display_name(f, la) for _i, f, la in people)
            result.append(DuplicateGroup(key, count, names, "; ".join(reasons)))
        return tuple(result)

    def attention(self, filters: ReportFilter) -> list[AttentionDeal]:
        """Open deals that need attention (rotting, close date passed, no next activity,
        slipping), the most valuable first."""
        return self._read(filters, _attention)  # type: ignore[no-any-return]

    def kpis(self, filters: ReportFilter) -> MonthlyKpis:
        """The headline figures of a period (pipeline figures are today's)."""
        return self._read(filters, _kpis)  # type: ignore[no-any-return]

    # ---- the monthly report -------------------------------------------------------------------

    def monthly(
        self, month: str, owner_id: str | None = None, pipeline_id: str | None = None
    ) -> ReportDocument:
        """The owner's monthly report of a month ("YYYY-MM"): KPIs, the reports above
        condensed (trends over the six months to its end), the deals that need attention
        and the deals closed in the month as raw data.

        Its five parts are read at once on threads of their own, each in its own read
        transaction (SQLite runs readers side by side and lets go of the GIL meanwhile)."""
        filters = ReportFilter.month(month, owner_id, pipeline_id)
        trend = ReportFilter(add_months(filters.start, -5), filters.end, owner_id, pipeline_id)
        self.ensure_snapshot()
        now = self._clock()

        def part(work: Callable[[_Scope, _Scope], Any]) -> Callable[[], Any]:
            def run() -> Any:
                with self._uow.read() as uow:
                    scope = _Scope(uow, filters, now)
                    return work(scope, _Scope(uow, trend, now, base=scope))

            return run

        parts = (
            part(_monthly_head),
            part(lambda s, t: (_contact_quality(s, self._explain), _customers(s, TOP_CUSTOMERS))),
            part(lambda s, t: (_won_lost(t), _accuracy(t))),
            part(lambda s, t: _stage_flow(t)),
            part(lambda s, t: (_activities(s), _sales(t))),
        )
        with ThreadPoolExecutor(len(parts), thread_name_prefix="report") as pool:
            futures = [pool.submit(p) for p in parts]
            head, (quality, customers), (won_lost, accuracy), flow, (activities, sales) = (
                f.result() for f in futures
            )
        quality = replace(quality, **head["deal_quality"])
        sections = (
            head["pipeline"].section(),
            head["forecast"].section(),
            won_lost.section(),
            accuracy.section(),
            flow.section(),
            activities.section(),
            sales.section(),
            customers.section(),
            quality.section(),
            _attention_section(head["attention"]),
        )
        return ReportDocument(
            title="Monthly report",
            business=str(head["business"]),
            period=month_label(month_key(filters.start)),
            generated_at=now,
            currency=str(head["currency"]),
            kpis=_kpi_cells(head["kpis"], head["previous"]),
            sections=sections,
            raw=head["raw"],
            filters=head["filters"],
        )

    def export_monthly(
        self,
        month: str,
        pdf_path: Path | None = None,
        xlsx_path: Path | None = None,
        owner_id: str | None = None,
        pipeline_id: str | None = None,
    ) -> ReportDocument:
        """Build the monthly report and write it as PDF and/or Excel; returns it."""
        document = self.monthly(month, owner_id, pipeline_id)
        self.export(document, pdf_path, xlsx_path)
        return document

    # ---- one report as a document (the window shows it, and exports what it shows) ----------

    def document(self, filters: ReportFilter, key: str) -> ReportDocument:
        """One report of the Reports section as a document: "dashboard" (KPI tiles and the
        pipeline, forecast, won/lost and sales sections, for their charts) or one of
        pipeline, forecast, won_lost, accuracy, stages, activities, sales, customers,
        quality, attention."""
        builders: dict[str, Callable[[ReportFilter], Section]] = {
            "pipeline": lambda f: self.pipeline(f).section(),
            "forecast": lambda f: self.forecast(f).section(),
            "won_lost": lambda f: self.won_lost(f).section(),
            "accuracy": lambda f: self.forecast_accuracy(f).section(),
            "stages": lambda f: self.stage_flow(f).section(),
            "activities": lambda f: self.activities(f).section(),
            "sales": lambda f: self.sales(f).section(),
            "customers": lambda f: self.customers(f).section(),
            "quality": lambda f: self.data_quality(f).section(),
            "attention": lambda f: _attention_section(self.attention(f)),
        }
        kpis: tuple[Kpi, ...] = ()
        if key == "dashboard":
            keys = ["pipeline", "forecast", "won_lost", "sales"]
            kpis = tuple(
                Kpi(k.label, k.value, k.kind, k.hint if k.hint == "today" else "")
                for k in _kpi_cells(self.kpis(filters), {})
            )
        elif key in builders:
            keys = [key]
        else:
            raise ValidationError(f"no report called {key!r}")
        sections = tuple(builders[k](filters) for k in keys)
        with self._uow.read() as uow:
            business = read_setting(uow, "business_name", "") or ""
            currency = read_setting(uow, "currency", "EUR") or "EUR"
            owner = _Scope(uow, filters, self._clock()).owner(filters.owner_id)
        first, last = filters.start, filters.end
        whole_month = first.day == 1 and add_months(first, 1) - dt.timedelta(days=1) == last
        period = month_label(month_key(first)) if whole_month else f"{first} to {last}"
        lines = [f"Owner: {owner}"] if filters.owner_id else []
        return ReportDocument(
            title="Dashboard" if key == "dashboard" else sections[0].title,
            business=str(business),
            period=period,
            generated_at=self._clock(),
            currency=str(currency),
            kpis=kpis,
            sections=sections,
            filters=tuple(lines),
        )

    def export(
        self, document: ReportDocument, pdf_path: Path | None = None, xlsx_path: Path | None = None
    ) -> None:
        """Write a document (e.g. the report on screen) as PDF and/or Excel."""
        if xlsx_path is not None:
            from crm_desktop.exchange.report_xlsx import write_xlsx

            write_xlsx(document, Path(xlsx_path))
        if pdf_path is not None:
            from crm_desktop.exchange.report_pdf import write_pdf

            write_pdf(document, Path(pdf_path))


# ---- the reports, over one scope ------------------------------------------------------------


def _pipeline_line(label: str, deals: list[_OpenDeal], now: dt.datetime) -> PipelineLine:
    ages = [(now - d.created_at).days for d in deals]
    return PipelineLine(
        label,
        len(deals),
        sum(d.value_cents for d in deals),
        sum(d.weighted for d in deals),
        sum(ages) / len(ages) if ages else None,
        sum(1 for d in deals if is_rotting(d.entered_at, d.stage.rotting_days, d.stage.kind, now)),
    )


def _pipeline(scope: _Scope) -> PipelineReport:
    by_stage: dict[str, list[_OpenDeal]] = defaultdict(list)
    by_owner: dict[str, list[_OpenDeal]] = defaultdict(list)
    for deal in scope.open_deals:
        by_stage[deal.stage.id].append(deal)
        by_owner[deal.owner].append(deal)
    stages = [s for s in scope.stage_order if s.kind == "open"]
    stages += [scope.stages[sid] for sid in by_stage if sid not in {s.id for s in stages}]
    return PipelineReport(
        tuple(_pipeline_line(scope.stage_label(s.id), by_stage[s.id], scope.now) for s in stages),
        tuple(
            _pipeline_line(owner, by_owner[owner], scope.now)
            for owner in sorted(by_owner, key=lambda o: (o == NO_OWNER, o.casefold()))
        ),
        _pipeline_line("Total", scope.open_deals, scope.now),
    )


def _forecast(scope: _Scope, months: int) -> ForecastReport:
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
    buckets: dict[str, list[_OpenDeal]] = defaultdict(list)
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


def _won_lost(scope: _Scope) -> WonLostReport:
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


def _insert_snapshot(uow: UnitOfWork, scope: _Scope) -> str:
    snapshot_id = new_id()
    uow.insert_rows(
        ForecastSnapshot,
        [{"id": snapshot_id, "period": month_key(scope.today), "taken_at": scope.now}],
    )
    uow.insert_rows(
        ForecastSnapshotLine,
        [
            {
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


def _accuracy(scope: _Scope) -> AccuracyReport:
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
    outcomes = {
        sid: (int(closed), int(won_count))
        for sid, closed, won_count in scope.q.stage_outcomes(f.owner_id, f.pipeline_id)
    }
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


def _slipping(scope: _Scope) -> list[SlippingDeal]:
    return scope.cached("slipping", lambda: _find_slipping(scope))  # type: ignore[no-any-return]


def _find_slipping(scope: _Scope) -> list[SlippingDeal]:
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


def _stage_flow(scope: _Scope) -> StageFlowReport:
    f = scope.f
    flow = {
        sid: (int(entered), int(nxt or 0), int(won or 0))
        for sid, entered, nxt, won in scope.q.stage_flow(scope.period, f.owner_id, f.pipeline_id)
    }
    stays = {
        sid: rate(float(days or 0), int(count))
        for sid, days, count in scope.q.time_in_stage(scope.period, f.owner_id, f.pipeline_id)
    }
    stages = []
    for stage in scope.stage_order:
        if stage.kind != "open":
            continue
        entered, nxt, won = flow.get(stage.id, (0, 0, 0))
        days = stays.get(stage.id)
        stages.append(
            StageFlow(
                scope.stage_label(stage.id),
                entered,
                nxt,
                won,
                None if days is None else round(days, 1),
            )
        )
    return StageFlowReport(tuple(stages), tuple(_slipping(scope)))


def _activities(scope: _Scope) -> ActivityReport:
    f = scope.f
    lines = sorted(
        (
            ActivityLine(scope.owner(owner_id), kind, int(done), int(planned), int(overdue))
            for owner_id, kind, done, planned, overdue in _activity_rows(scope)
        ),
        key=lambda x: (x.owner == NO_OWNER, x.owner.casefold(), x.kind),
    )
    won, on_won = scope.q.won_deal_activities(scope.period, f.owner_id, f.pipeline_id)
    return ActivityReport(tuple(lines), won, on_won)


def _sales(scope: _Scope) -> SalesReport:
    f = scope.f
    deals: dict[str, tuple[int, int]] = {}
    for month, status, count, value, _days in scope.q.closed_by_month(
        scope.period, f.owner_id, f.pipeline_id
    ):
        if status == "won":
            deals[month] = (int(count), int(value))
    orders = {
        month: (int(count), int(value))
        for month, count, value in scope.q.orders_by_month(f.start, f.end, f.owner_id)
    }
    by_month = tuple(
        SalesLine(month_label(m), *deals.get(m, (0, 0)), *orders.get(m, (0, 0))) for m in f.months()
    )
    total = SalesLine(
        "Total",
        sum(x.deals for x in by_month),
        sum(x.deal_cents for x in by_month),
        sum(x.orders for x in by_month),
        sum(x.order_cents for x in by_month),
    )
    deal_sources, order_sources = scope.q.sales_by_source(scope.period, f.owner_id, f.pipeline_id)
    sources: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for source, count, value in deal_sources:
        sources[source or "(none)"][0:2] = [int(count), int(value)]
    for source, count, value in order_sources:
        sources[source or "(none)"][2:4] = [int(count), int(value)]
    by_source = tuple(
        sorted(
            (SalesLine(k, *v) for k, v in sources.items()),
            key=lambda x: (-x.total_cents, x.label),
        )
    )
    campaigns = []
    channels: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for _cid, name, channel, started, cost, dp, dd, op, od in scope.q.campaigns(
        scope.period, f.owner_id, f.pipeline_id
    ):
        line = CampaignReturn(
            name, channel, started, int(cost), int(dp) + int(op), int(dd) + int(od)
        )
        if (started is not None and started >= f.start) or line.period_cents:
            campaigns.append(line)
        spend = channels[channel]
        spend[0] += line.cost_cents
        spend[1] += line.period_cents
        spend[2] += line.to_date_cents
    by_channel = tuple(
        CampaignReturn(channel, channel, None, *channels[channel]) for channel in sorted(channels)
    )
    return SalesReport(by_month, by_source, tuple(campaigns), by_channel, total)


def _customers(scope: _Scope, top: int) -> CustomerReport:
    f = scope.f
    rows = scope.q.customers(scope.period, f.owner_id, f.pipeline_id)
    days = [
        (f.end - (d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)[:10]))).days
        for _k, _kind, d, _n, _v, _p in rows
    ]
    recency = quintile_scores([-x for x in days])
    frequency = quintile_scores([int(r[3]) for r in rows])
    monetary = quintile_scores([int(r[4]) for r in rows])
    customers = []
    for i, (key, kind, _day, count, lifetime, period) in enumerate(rows):
        customers.append(
            CustomerLine(
                key,
                "",
                kind,
                int(period),
                int(lifetime),
                int(count),
                f.end - dt.timedelta(days=days[i]),
                rfm_class(recency[i], frequency[i], monetary[i]),
            )
        )
    best = sorted(
        (c for c in customers if c.period_cents > 0),
        key=lambda c: (-c.period_cents, c.customer_id),
    )[:top]
    lapsed_all = [c for c in customers if (f.end - c.last_purchase).days > LAPSED_DAYS]
    lapsed = sorted(lapsed_all, key=lambda c: (-c.lifetime_cents, c.customer_id))[:top]
    names = scope.q.customer_names([c.customer_id for c in (*best, *lapsed)])

    def named(c: CustomerLine) -> CustomerLine:
        return CustomerLine(**{**c.__dict__, "name": names.get(c.customer_id, "")})

    classes = []
    for name in RFM_CLASSES:
        members = [c for c in customers if c.rfm == name]
        classes.append(RfmClassCount(name, len(members), sum(c.lifetime_cents for c in members)))
    return CustomerReport(
        len(customers),
        tuple(named(c) for c in best),
        tuple(classes),
        len(lapsed_all),
        tuple(named(c) for c in lapsed),
    )


def _data_quality(
    scope: _Scope, explain: Callable[[list[Any]], tuple[DuplicateGroup, ...]]
) -> DataQualityReport:
    owner = scope.f.owner_id
    emails, phones = scope.q.email_duplicates(owner), scope.q.phone_duplicates(owner)
    shown = emails[:DUPLICATE_EXAMPLES]
    names = {
        cid: (cid, first, last)
        for cid, first, last in scope.q.contact_drafts([i for g in shown for i in g[2:]])
    }
    deals = scope.open_deals
    return DataQualityReport(
        contacts=scope.q.contact_count(owner),
        email_duplicate_groups=len(emails),
        email_duplicate_contacts=sum(int(g[1]) for g in emails),
        phone_duplicate_groups=len(phones),
        phone_duplicate_contacts=sum(int(g[1]) for g in phones),
        without_consent=scope.q.without_consent(owner),
        open_deals=len(deals),
        open_without_close=sum(1 for d in deals if d.expected_close is None),
        open_without_next=sum(1 for d in deals if not d.has_next),
        examples=explain(
            [
                (key, int(count), [names[i] for i in dict.fromkeys((a, b)) if i in names])
                for key, count, a, b in shown
            ]
        ),
    )


def _contact_quality(
    scope: _Scope, explain: Callable[[list[Any]], tuple[DuplicateGroup, ...]]
) -> DataQualityReport:
    """The contacts' side of the data quality report (the open deals' counts are left at
    0 for the part of the monthly report that reads the open deals)."""
    scope._open = []
    return _data_quality(scope, explain)


def _attention(scope: _Scope) -> list[AttentionDeal]:
    slipping = {d.deal_id for d in _slipping(scope)}
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


def _filter_lines(scope: _Scope) -> tuple[str, ...]:
    f, lines = scope.f, []
    if f.pipeline_id:
        lines.append(f"Pipeline: {next((s.pipeline for s in scope.stage_order), f.pipeline_id)}")
    if f.owner_id:
        lines.append(f"Owner: {scope.owner(f.owner_id)}")
    return tuple(lines)


def _monthly_head(scope: _Scope, trend: _Scope) -> dict[str, Any]:
    """The monthly report's KPIs, pipeline, forecast, attention list and raw rows."""
    f = scope.f
    trends = f"Trends: {month_label(trend.f.months()[0])} to {month_label(month_key(f.start))}"
    filters = [*_filter_lines(scope), trends]
    deals = scope.open_deals
    uow_settings = scope.settings
    return {
        "business": uow_settings("business_name", "") or "",
        "currency": uow_settings("currency", "EUR") or "EUR",
        "kpis": _kpis(scope),
        "previous": _previous_month(trend, month_key(add_months(f.start, -1))),
        "pipeline": _pipeline(scope),
        "forecast": _forecast(scope, 3),
        "attention": _attention(scope),
        "raw": _closed_table(scope),
        "filters": tuple(filters),
        "deal_quality": {
            "open_deals": len(deals),
            "open_without_close": sum(1 for d in deals if d.expected_close is None),
            "open_without_next": sum(1 for d in deals if not d.has_next),
        },
    }


def _attention_section(deals: list[AttentionDeal]) -> Section:
    shown = deals[:ATTENTION_ROWS]
    return Section(
        "Deals that need attention",
        (
            Table(
                "Open deals",
                (
                    Column("Deal"),
                    Column("Owner"),
                    Column("Stage"),
                    Column("Value", "money"),
                    Column("Expected close", "date"),
                    Column("Days in stage", "int"),
                    Column("Why"),
                ),
                tuple(
                    (
                        a.title,
                        a.owner,
                        a.stage,
                        a.value_cents,
                        a.expected_close,
                        a.days_in_stage,
                        ", ".join(a.reasons),
                    )
                    for a in shown
                ),
                note=f"{len(deals):,} deals need attention"
                + (
                    f"; the {len(shown)} most valuable are listed."
                    if len(shown) < len(deals)
                    else "."
                ),
            ),
        ),
    )


def _kpis(scope: _Scope) -> MonthlyKpis:
    f = scope.f
    won = _won_lost_totals(scope)
    orders = sum(int(v) for _m, _c, v in scope.q.orders_by_month(f.start, f.end, f.owner_id))
    activity = _activities_totals(scope)
    deals = scope.open_deals
    return MonthlyKpis(
        new_contacts=scope.q.new_contacts(scope.period, f.owner_id),
        won_count=won[0],
        won_cents=won[1],
        lost_count=won[2],
        lost_cents=won[3],
        revenue_cents=won[1] + orders,
        win_rate=rate(won[0], won[0] + won[2]),
        open_cents=sum(d.value_cents for d in deals),
        weighted_cents=sum(d.weighted for d in deals),
        activities_done=activity[0],
        activities_overdue=activity[1],
    )


def _won_lost_totals(scope: _Scope) -> tuple[int, int, int, int]:
    totals = [0, 0, 0, 0]
    for _month, status, count, value, _days in scope.q.closed_by_month(
        scope.period, scope.f.owner_id, scope.f.pipeline_id
    ):
        at = 0 if status == "won" else 2
        totals[at] += int(count)
        totals[at + 1] += int(value)
    return totals[0], totals[1], totals[2], totals[3]


def _activity_rows(scope: _Scope) -> list[tuple[str | None, str, int, int, int]]:
    return scope.cached(  # type: ignore[no-any-return]
        "activities", lambda: scope.q.activities(scope.period, scope.now, scope.f.owner_id)
    )


def _activities_totals(scope: _Scope) -> tuple[int, int]:
    rows = _activity_rows(scope)
    return sum(int(r[2]) for r in rows), sum(int(r[4]) for r in rows)


def _previous_month(trend: _Scope, month: str) -> dict[str, int]:
    """The previous month's comparable KPIs (won, lost, revenue, new contacts)."""
    f = trend.f
    year, number = int(month[:4]), int(month[5:])
    previous = ReportFilter.month(f"{year:04d}-{number:02d}", f.owner_id, f.pipeline_id)
    period = (previous.start_at, previous.end_before)
    result = {"won": 0, "won_cents": 0, "lost": 0}
    for m, status, count, value, _days in trend.q.closed_by_month(
        period, f.owner_id, f.pipeline_id
    ):
        del m
        if status == "won":
            result["won"] += int(count)
            result["won_cents"] += int(value)
        else:
            result["lost"] += int(count)
    orders = trend.q.orders_by_month(previous.start, previous.end, f.owner_id)
    result["revenue"] = result["won_cents"] + sum(int(v) for _m, _c, v in orders)
    result["new_contacts"] = trend.q.new_contacts(period, f.owner_id)
    return result


def _kpi_cells(k: MonthlyKpis, previous: dict[str, int] | None) -> tuple[Kpi, ...]:
    def vs(key: str, money: bool = False) -> str:
        if previous is None:
            return ""
        value = previous.get(key, 0)
        return f"vs. {value / 100:,.0f} last month" if money else f"vs. {value:,} last month"

    return (
        Kpi("New contacts", k.new_contacts, "int", vs("new_contacts")),
        Kpi("Deals won", k.won_count, "int", vs("won")),
        Kpi("Won value", k.won_cents, "money", vs("won_cents", money=True)),
        Kpi("Deals lost", k.lost_count, "int", vs("lost")),
        Kpi("Lost value", k.lost_cents, "money"),
        Kpi("Revenue", k.revenue_cents, "money", vs("revenue", money=True)),
        Kpi("Win rate", k.win_rate, "percent"),
        Kpi("Open pipeline", k.open_cents, "money", "today"),
        Kpi("Weighted forecast", k.weighted_cents, "money", "today"),
        Kpi("Activities done", k.activities_done, "int"),
        Kpi("Activities overdue", k.activities_overdue, "int"),
    )


def _closed_table(scope: _Scope) -> Table:
    rows = []
    for (
        title,
        status,
        value,
        owner,
        company,
        first,
        last,
        stage,
        reason,
        source,
        created,
        closed,
    ) in scope.q.closed_deals(scope.period, scope.f.owner_id, scope.f.pipeline_id):
        rows.append(
            (
                title,
                status,
                int(value),
                owner,
                company,
                display_name(first, last) if (first or last) else "",
                stage,
                reason,
                source,
                created.date(),
                closed.date(),
                round((closed - created).total_seconds() / 86400, 1),
            )
        )
    return Table(
        "Deals closed in the month",
        (
            Column("Deal"),
            Column("Status"),
            Column("Value", "money"),
            Column("Owner"),
            Column("Company"),
            Column("Contact"),
            Column("Stage"),
            Column("Reason"),
            Column("Lead source"),
            Column("Created", "date"),
            Column("Closed", "date"),
            Column("Sales cycle", "days"),
        ),
        tuple(rows),
    )
