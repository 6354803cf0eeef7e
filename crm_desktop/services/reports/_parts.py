"""The reports' working parts: one run's reads (`Run`: stages, owners, rates, the book of
deals as they stood at any instant, the orders), one period's view of them (`Scope`), and
the deal reports built from it (pipeline, forecast, won/lost, forecast accuracy, stages
and slipping deals, attention). `services.reports.ReportService` is their face.

A period describes itself as of its end (`Scope.as_of`: the first instant after the
period, or now while the period runs): its open deals, stages, owners, values and
probabilities are those of that instant, rebuilt by `_book.DealBook`. Nothing is
written. Amounts in other currencies are converted by the run's `Converter` at the
owner's rates, or kept aside in their own currency."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from crm_desktop.domain.business_reports import AttentionDeal
from crm_desktop.domain.money import RATES_SETTING, Converter, Rates
from crm_desktop.domain.pipeline import weighted_cents
from crm_desktop.domain.records import ListQuery
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
    as_of_label,
    day_of_julian,
    julian_day,
    month_key,
    month_label,
    month_start,
    months_label,
    rate,
)
from crm_desktop.domain.segments import Group
from crm_desktop.domain.vocabulary import DEFAULT_CURRENCY
from crm_desktop.persistence.reporting import ReportingQueries
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import UowFactory
from crm_desktop.services.reports._book import DealAt, DealBook, StageInfo
from crm_desktop.services.settings import read_setting

NO_OWNER = "(no owner)"
TOP_CUSTOMERS = 20
ATTENTION_ROWS = 50
DUPLICATE_EXAMPLES = 3


@dataclass(slots=True)  # not frozen: thousands per instant, made faster this way
class OpenDeal:
    """An open deal of a report, its money in the business currency."""

    state: DealAt
    owner: str
    value_cents: int
    has_next: bool

    @property
    def id(self) -> str:
        return self.state.id

    @property
    def title(self) -> str:
        return self.state.facts.title

    @property
    def stage(self) -> StageInfo:
        return self.state.stage

    @property
    def probability(self) -> int:
        return self.state.probability

    @property
    def expected_close(self) -> dt.date | None:
        return self.state.expected_close

    @property
    def weighted(self) -> int:
        return weighted_cents(self.value_cents, self.state.probability)


class Run:
    """What one report run reads once, whatever periods it shows: stages, owners, the
    settings, the book of deals and (when asked) the orders."""

    def __init__(self, uow: UnitOfWork, now: dt.datetime) -> None:
        self.uow = uow
        self.q = uow.reporting
        self.now = now
        self.today = now.date()
        self.settings: Callable[[str, Any], Any] = lambda key, default: read_setting(
            uow, key, default
        )
        self.business = str(self.settings("business_name", "") or "")
        self.currency = str(self.settings("currency", DEFAULT_CURRENCY) or DEFAULT_CURRENCY)
        self.rates = Rates.from_setting(self.currency, self.settings(RATES_SETTING, {}))
        self.convert = Converter(self.rates)
        self.pipelines = uow.deals.pipelines()
        names = {p.id: p.name for p in self.pipelines}
        self.stages: dict[str, StageInfo] = {
            sid: StageInfo(sid, pid, names.get(pid, ""), name, position, prob, rotting, kind)
            for sid, pid, name, position, prob, rotting, kind in self.q.stages()
        }
        self.live_stages = {
            p.id: [self.stages[s.id] for s in uow.deals.stages(p.id)] for p in self.pipelines
        }
        self.users = self.q.users()
        self._book: DealBook | None = None
        self._planned: dict[float, set[str]] = {}
        self.cache: dict[Any, Any] = {}

    @property
    def book(self) -> DealBook:
        if self._book is None:
            self._book = DealBook(self.q, self.stages, self.now)
        return self._book

    def prefetch(self, factory: UowFactory, owner_id: str | None) -> None:
        """Read the book of deals and the orders at once: the stage history and the
        orders on threads of their own, each in its own read transaction (SQLite runs
        readers side by side and lets go of the GIL meanwhile)."""
        from crm_desktop.services.reports._business import read_orders

        def read(work: Callable[[ReportingQueries], Any]) -> Callable[[], Any]:
            def run() -> Any:
                with factory.read() as uow:
                    return work(uow.reporting)

            return run

        with ThreadPoolExecutor(2, thread_name_prefix="report") as pool:
            moves = pool.submit(read(lambda q: q.all_stage_moves()))
            orders = pool.submit(
                read(lambda q: q.orders(self.today + dt.timedelta(days=1), owner_id))
            )
            self._book = DealBook(self.q, self.stages, self.now, moves.result())
            self.cache[("orders", owner_id, None)] = read_orders(orders.result(), self.convert)

    def planned(self, at: dt.datetime) -> set[str]:
        """Deals with an activity planned at `at`."""
        key = julian_day(min(at, self.now))
        if key not in self._planned:
            self._planned[key] = self.q.deals_with_planned_activity(None if at >= self.now else at)
        return self._planned[key]

    def cached(self, key: Any, make: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    def members(self, segment: Group | None) -> frozenset[str] | None:
        """The ids of a segment's contacts today (None: no segment, everyone)."""
        if segment is None:
            return None
        return self.cached(  # type: ignore[no-any-return]
            ("members", segment),
            lambda: frozenset(self.uow.contacts.ids(ListQuery(segment=segment, today=self.today))),
        )

    def queries(self, segment: Group | None) -> ReportingQueries:
        """The queries, for a segment's contacts only when there is one."""
        if segment is None:
            return self.q
        return self.cached(  # type: ignore[no-any-return]
            ("queries", segment),
            lambda: self.q.only_contacts(self.uow.contacts.segment_filter(segment, self.today)),
        )


class Scope:
    """One period of a run: its filters, the instant it is seen from, its deals."""

    def __init__(self, run: Run, filters: ReportFilter, as_of: dt.datetime | None = None) -> None:
        """`as_of`: the instant the period is seen from, when not its end (or now)."""
        self.run = run
        self.q = run.queries(filters.segment)
        self.members = run.members(filters.segment)
        self.settings = run.settings
        self.f = filters
        self.now = run.now
        self.today = run.today
        self.period = (filters.start_at, filters.end_before)
        # The instant the period is seen from: its end, or now while it runs.
        self.as_of = min(as_of or filters.end_before, run.now)
        self.stages = run.stages
        # The live stages of the pipelines in scope, in board order.
        self.stage_order = [
            s
            for p in run.pipelines
            if not filters.pipeline_id or p.id == filters.pipeline_id
            for s in run.live_stages[p.id]
        ]
        self.several_pipelines = len({s.pipeline for s in self.stage_order}) > 1
        self.users = run.users
        self.convert = run.convert
        self._open: list[OpenDeal] | None = None

    # ---- names and labels ----------------------------------------------------------------------

    @property
    def as_of_text(self) -> str:
        """E.g. "at the end of 30 November 2026" or "today, 6 December 2026"."""
        return as_of_label(self.as_of, self.now)

    @property
    def period_text(self) -> str:
        return months_label(self.f.start, self.f.end)

    @property
    def rate_month(self) -> str:
        """The month whose rates convert what the period holds at its end."""
        return month_key((self.as_of - dt.timedelta(microseconds=1)).date())

    def _open_key(self, moment: dt.datetime) -> tuple[Any, ...]:
        return ("open", min(moment, self.now), self.f.owner_id, self.f.pipeline_id, self.f.segment)

    def stage_label(self, stage_id: str) -> str:
        stage = self.stages.get(stage_id)
        if stage is None:
            return "(removed stage)"
        return f"{stage.pipeline}: {stage.name}" if self.several_pipelines else stage.name

    def owner(self, owner_id: str | None) -> str:
        return self.users.get(owner_id, NO_OWNER) if owner_id else NO_OWNER

    # ---- deals ---------------------------------------------------------------------------------

    def mine(self, deals: Iterable[DealAt]) -> list[DealAt]:
        """The deals of the filters' owner, pipeline and segment (as they stood)."""
        owner, pipeline, members = self.f.owner_id, self.f.pipeline_id, self.members
        return [
            d
            for d in deals
            if (not owner or d.owner_id == owner)
            and (not pipeline or d.stage.pipeline_id == pipeline)
            and (members is None or d.facts.contact_id in members)
        ]

    def money(self, deal: DealAt, month: str, figure: str) -> int:
        """A deal's value in the business currency at a month's rate (0 and set aside when
        there is no rate)."""
        if deal.currency == self.convert.base:
            return deal.value_cents
        return self.convert(deal.value_cents, deal.currency, month, figure, deal.id)

    def open_at(self, moment: dt.datetime) -> list[OpenDeal]:
        """The open deals at an instant, their values at that month's rate (worked out
        once per run for every period that asks; amounts without a rate are set aside
        as "Open pipeline" of that instant)."""
        planned = moment >= self.as_of
        key = (*self._open_key(moment), planned)
        found = self.run.cache.get(key)
        if found is None:
            found = self.run.cache[key] = self._open_at(moment, "Open pipeline", planned)
        return found

    def _open_at(self, moment: dt.datetime, figure: str, with_planned: bool) -> list[OpenDeal]:
        month = month_key((min(moment, self.now) - dt.timedelta(microseconds=1)).date())
        planned = self.run.planned(moment) if with_planned else set()
        figure = f"{figure} {as_of_label(min(moment, self.now), self.now)}"
        base, users = self.convert.base, self.users
        return [
            OpenDeal(
                d,
                users.get(d.owner_id, NO_OWNER) if d.owner_id else NO_OWNER,
                d.value_cents if d.currency == base else self.money(d, month, figure),
                d.id in planned,
            )
            for d in self.mine(self.run.book.open_at(moment))
        ]

    @property
    def open_deals(self) -> list[OpenDeal]:
        """The open deals as the period ends."""
        if self._open is None:
            self._open = self.open_at(self.as_of)
        return self._open

    def closed(self, start: dt.datetime, end: dt.datetime) -> list[DealAt]:
        """The deals won or lost in [start, end) that stayed so until `end`."""
        return self.mine(self.run.book.closed_between(start, end))

    def closed_value(self, deal: DealAt, figure: str) -> int:
        """A closed deal's value at the rate of its closing month."""
        if deal.currency == self.convert.base:
            return deal.value_cents
        month = month_key(day_of_julian(deal.closed or 0.0))
        return self.money(deal, month, figure)

    def month_ranges(self) -> list[tuple[str, dt.datetime, dt.datetime]]:
        """("YYYY-MM", first instant, first instant after) of each month of the range,
        cut to the range."""
        result = []
        for key in self.f.months():
            start = max(month_start(key), self.f.start_at)
            end = min(month_start(month_key(add_months(start.date(), 1))), self.f.end_before)
            result.append((key, start, end))
        return result


def _days(later: float, earlier: float) -> int:
    return max(0, int(later - earlier))


# ---- the reports, over one scope ------------------------------------------------------------


def rotting(deal: OpenDeal, at: float) -> bool:
    stage = deal.stage
    return (
        stage.kind == "open"
        and stage.rotting_days > 0
        and _days(at, deal.state.entered) > stage.rotting_days
    )


def pipeline_line(label: str, deals: list[OpenDeal], at: float) -> PipelineLine:
    ages = [_days(at, d.state.facts.created) for d in deals]
    return PipelineLine(
        label,
        len(deals),
        sum(d.value_cents for d in deals),
        sum(d.weighted for d in deals),
        sum(ages) / len(ages) if ages else None,
        sum(1 for d in deals if rotting(d, at)),
    )


def owner_order(owners: Iterable[str]) -> list[str]:
    return sorted(set(owners), key=lambda o: (o == NO_OWNER, o.casefold()))


def pipeline(scope: Scope) -> PipelineReport:
    at = julian_day(scope.as_of)
    by_stage: dict[str, list[OpenDeal]] = defaultdict(list)
    by_owner: dict[str, list[OpenDeal]] = defaultdict(list)
    for deal in scope.open_deals:
        by_stage[deal.stage.id].append(deal)
        by_owner[deal.owner].append(deal)
    stages = [s for s in scope.stage_order if s.kind == "open"]
    stages += [scope.stages[sid] for sid in by_stage if sid not in {s.id for s in stages}]
    return PipelineReport(
        tuple(pipeline_line(scope.stage_label(s.id), by_stage[s.id], at) for s in stages),
        tuple(pipeline_line(o, by_owner[o], at) for o in owner_order(by_owner)),
        pipeline_line("Total", scope.open_deals, at),
        scope.as_of_text,
        tuple((s.pipeline, s.name) for s in stages),
        tuple(
            (
                owner,
                tuple(
                    (
                        sum(1 for d in by_owner[owner] if d.stage.id == s.id),
                        sum(d.value_cents for d in by_owner[owner] if d.stage.id == s.id),
                    )
                    for s in stages
                ),
            )
            for owner in owner_order(by_owner)
        ),
    )


def forecast(scope: Scope, months: int) -> ForecastReport:
    """The open deals as the period ends, by expected close: the month the instant falls
    in (for a past month: the next one) and the months after it."""
    first = (scope.as_of - dt.timedelta(microseconds=1)).date().replace(day=1)
    if scope.as_of < scope.now:  # a period that has ended: the months after it
        first = add_months(first, 1)
    keys = [month_key(add_months(first, i)) for i in range(months)]
    won: dict[str, int] = defaultdict(int)
    start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    if start < scope.as_of:
        for d in scope.closed(start, scope.as_of):
            if d.status == "won":
                won[month_key(day_of_julian(d.closed or 0.0))] += scope.closed_value(d, "Won value")
    buckets: dict[str, list[OpenDeal]] = defaultdict(list)
    per_owner: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for deal in scope.open_deals:
        if deal.expected_close is None:
            key = "none"
        elif deal.expected_close < first:
            key = "overdue"
        else:
            key = month_key(deal.expected_close)
            key = key if key in keys else "later"
        buckets[key].append(deal)
        if key in keys:
            per_owner[deal.owner][key] += deal.weighted

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
        ),
        scope.as_of_text,
        tuple(keys),
        tuple((o, tuple(per_owner[o][k] for k in keys)) for o in owner_order(per_owner)),
    )


def closed_in_months(scope: Scope) -> dict[str, list[DealAt]]:
    """The deals won or lost in each month of the range (as each month ended); each
    month worked out once per run, whichever periods share it."""
    f = scope.f
    return {
        key: scope.run.cached(
            ("closed", start, end, f.owner_id, f.pipeline_id),
            lambda start=start, end=end: scope.closed(start, end),  # type: ignore[misc]
        )
        for key, start, end in scope.month_ranges()
    }


def won_lost(scope: Scope) -> WonLostReport:
    by_month = closed_in_months(scope)
    reasons: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])

    def outcome(label: str, keys: list[str]) -> MonthOutcome:
        won = [d for k in keys for d in by_month[k] if d.status == "won"]
        lost = [d for k in keys for d in by_month[k] if d.status == "lost"]
        cycle = rate(sum((d.closed or 0.0) - d.facts.created for d in won), len(won))
        return MonthOutcome(
            label,
            len(won),
            sum(scope.closed_value(d, "Won value") for d in won),
            len(lost),
            sum(scope.closed_value(d, "Lost value") for d in lost),
            None if cycle is None else round(cycle, 1),
        )

    months = list(by_month)
    for key in months:
        for d in by_month[key]:
            cell = reasons[(d.status, d.facts.reason or "(no reason)")]
            cell[0] += 1
            cell[1] += scope.closed_value(d, f"{d.status.title()} value")
    ordered = sorted(reasons.items(), key=lambda kv: (kv[0][0] != "won", -kv[1][0], kv[0][1]))
    return WonLostReport(
        tuple(outcome(m, [m]) for m in months),
        outcome("Total", months),
        tuple(ReasonCount(kind, label, c, v) for (kind, label), (c, v) in ordered),
        scope.period_text,
    )


def accuracy(scope: Scope) -> AccuracyReport:
    """Per month: the forecast as it stood on its first day (the weighted value of the
    open deals expected to close in it, rebuilt from the history) against what was won
    in it, overall, per owner and per stage on the first."""
    by_month: list[AccuracyLine] = []
    by_owner: list[AccuracyLine] = []
    by_stage_f: dict[str, int] = defaultdict(int)
    by_stage_a: dict[str, int] = defaultdict(int)
    several = len(scope.f.months()) > 1
    for key, _start, end in scope.month_ranges():
        first = month_start(key)
        if first > scope.now:
            continue
        forecast_at = scope.open_at(first)
        expected = [
            d for d in forecast_at if d.expected_close and month_key(d.expected_close) == key
        ]
        won = [d for d in scope.closed(first, end) if d.status == "won"]
        won_value = {d.id: scope.closed_value(d, "Won value") for d in won}
        by_month.append(
            AccuracyLine(
                month_label(key), sum(d.weighted for d in expected), sum(won_value.values())
            )
        )
        owner_f: dict[str, int] = defaultdict(int)
        owner_a: dict[str, int] = defaultdict(int)
        for deal in expected:
            owner_f[deal.owner] += deal.weighted
            by_stage_f[scope.stage_label(deal.stage.id)] += deal.weighted
        stage_then = {deal.id: deal.stage.id for deal in forecast_at}
        for sale in won:
            owner_a[scope.owner(sale.owner_id)] += won_value[sale.id]
            if sale.id in stage_then:
                by_stage_a[scope.stage_label(stage_then[sale.id])] += won_value[sale.id]
        prefix = f"{month_label(key)} · " if several else ""
        by_owner += [
            AccuracyLine(prefix + o, owner_f.get(o, 0), owner_a.get(o, 0))
            for o in owner_order({*owner_f, *owner_a})
        ]
    stage_names = [scope.stage_label(s.id) for s in scope.stage_order if s.kind == "open"]
    stage_names += sorted({*by_stage_f, *by_stage_a} - set(stage_names))
    outcomes = stage_outcomes(scope)
    suggestions = tuple(
        StageSuggestion(scope.stage_label(s.id), s.probability, *outcomes.get(s.id, (0, 0)))
        for s in scope.stage_order
        if s.kind == "open"
    )
    return AccuracyReport(
        tuple(by_month),
        tuple(by_owner),
        tuple(
            AccuracyLine(n, by_stage_f.get(n, 0), by_stage_a.get(n, 0))
            for n in stage_names
            if by_stage_f.get(n) or by_stage_a.get(n)
        ),
        suggestions,
        scope.period_text,
    )


def slipping_deals(scope: Scope) -> list[SlippingDeal]:
    return scope.run.cached(("slipping", scope.as_of, scope.f), lambda: find_slipping(scope))  # type: ignore[no-any-return]


def find_slipping(scope: Scope) -> list[SlippingDeal]:
    """Open deals (as the period ends) whose expected close was pushed later at least
    `SLIP_PUSHES` times by then, read from the change log."""
    book = scope.run.book
    at = julian_day(scope.as_of)
    result = []
    for deal in scope.open_deals:
        dates = book.close_dates(deal.id, at)
        pushes = sum(1 for before, after in pairwise(dates) if before and after and after > before)
        if pushes < SLIP_PUSHES:
            continue
        result.append(
            SlippingDeal(
                deal.id,
                deal.title,
                deal.owner,
                deal.value_cents,
                next((d for d in dates if d), None),
                deal.expected_close,
                pushes,
            )
        )
    return sorted(result, key=lambda d: (-d.pushes, -d.value_cents, d.title))


@dataclass
class StageCounts:
    entered: int = 0  # deals that entered the stage in the period
    reached_next: int = 0  # ... and reached a further open stage or won by its end
    won: int = 0  # ... and were won at its end
    stay_days: float = 0.0  # days of the stays begun in the period that ended by its end
    stays: int = 0
    closed: int = 0  # deals that ever entered the stage and were closed at its end
    closed_won: int = 0


def stage_counts(scope: Scope) -> dict[str, StageCounts]:
    """One walk over the stage history up to the period's end."""
    counts: dict[str, StageCounts] = scope.run.cached(
        ("stage_counts", scope.f), lambda: _count_stages(scope)
    )
    scope.run.cache.setdefault(
        _outcomes_key(scope), {sid: (c.closed, c.closed_won) for sid, c in counts.items()}
    )
    return counts


def _outcomes_key(scope: Scope) -> tuple[Any, ...]:
    return ("stage_outcomes", scope.as_of, scope.f.owner_id, scope.f.pipeline_id)


def stage_outcomes(scope: Scope) -> dict[str, tuple[int, int]]:
    """Per stage: (deals that ever entered it and were closed, of them won) as the
    period ends; periods of one run that end together share it."""
    found = scope.run.cache.get(_outcomes_key(scope))
    if found is None:
        stage_counts(scope)
        found = scope.run.cache[_outcomes_key(scope)]
    return found  # type: ignore[no-any-return]


def _count_stages(scope: Scope) -> dict[str, StageCounts]:
    counts: dict[str, StageCounts] = defaultdict(StageCounts)
    start, end = julian_day(scope.period[0]), julian_day(scope.as_of)
    # How far along a stage is: won beyond every open stage, lost before all of them.
    rank = {
        s.id: {"won": 1_000_000, "lost": -1}.get(s.kind, s.position) for s in scope.stages.values()
    }
    book = scope.run.book
    states = {d.id: d for d in scope.mine(book.at(scope.as_of))}
    for deal_id, times, tos in book.moves():
        state = states.get(deal_id)
        if state is None:
            continue
        status = state.status
        cut = [(t, s) for t, s in zip(times, tos, strict=True) if t < end]
        if not cut:
            continue
        best = max(rank.get(s, -1) for _t, s in cut)
        entered: set[str] = set()
        ever: set[str] = set()
        last = len(cut) - 1
        for index, (at, stage_id) in enumerate(cut):
            c = counts[stage_id]
            if start <= at < end:
                if stage_id not in entered:
                    entered.add(stage_id)
                    c.entered += 1
                    c.reached_next += best > rank.get(stage_id, -1)
                    c.won += status == "won"
                if index < last:
                    c.stay_days += cut[index + 1][0] - at
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
    return StageFlowReport(
        tuple(stages), tuple(slipping_deals(scope)), scope.period_text, scope.as_of_text
    )


def attention(scope: Scope) -> list[AttentionDeal]:
    """Open deals that needed attention as the period ended."""
    slipping = {d.deal_id for d in slipping_deals(scope)}
    at = julian_day(scope.as_of)
    day = (scope.as_of - dt.timedelta(microseconds=1)).date()
    result = []
    for d in scope.open_deals:
        reasons = []
        if rotting(d, at):
            reasons.append("rotting")
        if d.expected_close is not None and d.expected_close < day:
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
                    _days(at, d.state.entered),
                    tuple(reasons),
                )
            )
    return sorted(result, key=lambda a: (-a.value_cents, a.title, a.deal_id))
