"""Report records: what each report service returns, and how it reads as a document.

Every report is a frozen record of raw figures (money in cents, rates as fractions, None
where a rate has no denominator) with a `section()` that lays it out as the shared
`reportdoc.Section`, so the window, the Excel file and the PDF show the same numbers.
The small maths the reports share (rates, forecast accuracy, RFM scores) lives here too;
the records of the business reports (activities, sales, customers, data quality, the
monthly KPIs) are in `domain.business_reports`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.reportdoc import Cell, Chart, Column, Section, Table

if TYPE_CHECKING:
    from crm_desktop.domain.segments import Group

# A forecast's best case counts deals at least this likely in full (the rest weighted).
BEST_CASE_PROBABILITY = 50
# An open deal slips when its expected close was pushed later at least this many times.
SLIP_PUSHES = 2
# A customer is lapsed when their last purchase is older than this.
LAPSED_DAYS = 180
# The reports by name (`ReportService.document`, the window's list, `crm-desktop report`).
REPORTS = {
    "dashboard": "Dashboard",
    "pipeline": "Pipeline",
    "forecast": "Forecast",
    "won_lost": "Won and lost",
    "accuracy": "Forecast accuracy",
    "stages": "Stages",
    "activities": "Activities",
    "sales": "Sales",
    "customers": "Customers",
    "quality": "Data quality",
    "attention": "Deals that need attention",
}
# The days a report may cover (a month must have a first instant after it).
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(9998, 12, 31)


# ---- periods and filters -------------------------------------------------------------------


def parse_month(text: str) -> tuple[int, int]:
    """ "2026-11" -> (2026, 11); anything else is a ValidationError."""
    parts = text.strip().split("-")
    if len(parts) == 2 and len(parts[0]) == 4 and parts[0].isdigit() and parts[1].isdigit():
        year, month = int(parts[0]), int(parts[1])
        if 1 <= month <= 12 and FIRST_DAY.year <= year <= LAST_DAY.year:
            return year, month
        if 1 <= month <= 12:
            raise ValidationError(
                f"reports cover {FIRST_DAY.year} to {LAST_DAY.year}; {text.strip()} is out of range"
            )
    raise ValidationError(f"a month is written YYYY-MM (e.g. 2026-11), not {text!r}")


def month_key(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    """First and last day of a month."""
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def default_month(today: dt.date | None = None) -> str:
    """The month a report shows unless told: last month, as YYYY-MM."""
    return add_months(today or dt.date.today(), -1).strftime("%Y-%m")


def julian_day(moment: dt.datetime) -> float:
    """A moment as a Julian day number (days since noon UTC, 24 November 4714 BC)."""
    return moment.timestamp() / 86400 + 2440587.5


def day_of_julian(julian: float) -> dt.date:
    """The UTC day of a Julian day number."""
    return dt.datetime.fromtimestamp((julian - 2440587.5) * 86400, dt.UTC).date()


def month_label(key: str) -> str:
    year, month = parse_month(key)
    return f"{calendar.month_name[month]} {year}"


def month_start(key: str) -> dt.datetime:
    """The first instant of a month ("YYYY-MM"), UTC."""
    year, month = parse_month(key)
    return dt.datetime(year, month, 1, tzinfo=dt.UTC)


def day_label(day: dt.date) -> str:
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def months_label(start: dt.date, end: dt.date) -> str:
    """A range as a title reads it: "November 2026", "June to November 2026",
    "1 to 15 November 2026"."""
    _first, last_day = month_bounds(end.year, end.month)
    whole = start.day == 1 and end == last_day
    if not whole:
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.day} to {day_label(end)}"
        return f"{day_label(start)} to {day_label(end)}"
    if (start.year, start.month) == (end.year, end.month):
        return month_label(month_key(start))
    if start.year == end.year:
        return f"{calendar.month_name[start.month]} to {month_label(month_key(end))}"
    return f"{month_label(month_key(start))} to {month_label(month_key(end))}"


def as_of_label(moment: dt.datetime, now: dt.datetime) -> str:
    """The instant a figure describes: "at the end of 30 November 2026", or "today,
    6 December 2026" for now."""
    if moment >= now:
        return f"today, {day_label(now.date())}"
    return f"at the end of {day_label((moment - dt.timedelta(microseconds=1)).date())}"


@dataclass(frozen=True)
class ReportFilter:
    """A report's scope: the days from `start` to `end` (both included), and optionally
    one owner's records, one pipeline's deals and a segment's contacts."""

    start: dt.date
    end: dt.date
    owner_id: str | None = None
    pipeline_id: str | None = None
    # Only the records of a saved segment's contacts (their deals, orders, activities).
    segment: Group | None = None
    segment_name: str = ""

    def __post_init__(self) -> None:
        for day in (self.start, self.end):
            if not FIRST_DAY <= day <= LAST_DAY:
                raise ValidationError(
                    f"reports cover {FIRST_DAY.year} to {LAST_DAY.year}; {day} is out of range"
                )
        if self.end < self.start:
            raise ValidationError(f"the report ends ({self.end}) before it starts ({self.start})")

    @classmethod
    def month(
        cls, text: str, owner_id: str | None = None, pipeline_id: str | None = None
    ) -> ReportFilter:
        start, end = month_bounds(*parse_month(text))
        return cls(start, end, owner_id, pipeline_id)

    @property
    def start_at(self) -> dt.datetime:
        """The first moment of the range (UTC)."""
        return dt.datetime.combine(self.start, dt.time(), tzinfo=dt.UTC)

    @property
    def end_before(self) -> dt.datetime:
        """The first moment after the range (UTC): ranges are half-open in SQL."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)

    def months(self) -> list[str]:
        """The "YYYY-MM" keys of every month the range touches, in order."""
        keys, day = [], self.start.replace(day=1)
        while day <= self.end:
            keys.append(month_key(day))
            day = add_months(day, 1)
        return keys


# ---- shared maths ---------------------------------------------------------------------------


def rate(part: float, whole: float) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return None if not whole else part / whole


def forecast_accuracy(forecast: int, actual: int) -> float | None:
    """1 - |forecast - actual| / actual, not below 0; None when both are 0, 0 when only
    the actual is."""
    if actual == 0:
        return None if forecast == 0 else 0.0
    return max(0.0, 1 - abs(forecast - actual) / actual)


def forecast_bias(forecast: int, actual: int) -> float | None:
    """(forecast - actual) / actual: above 0 the forecast was too optimistic."""
    return rate(forecast - actual, actual)


# ---- pipeline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineLine:
    label: str
    count: int
    value_cents: int
    weighted_cents: int
    average_age_days: float | None  # days since the deals were created
    rotting: int

    def row(self) -> tuple[Cell, ...]:
        return (
            self.label,
            self.count,
            self.value_cents,
            self.weighted_cents,
            self.average_age_days,
            self.rotting,
        )


_PIPELINE_COLUMNS = (
    Column("Deals", "int"),
    Column("Value", "money"),
    Column("Weighted", "money"),
    Column("Average age", "days"),
    Column("Rotting", "int"),
)


@dataclass(frozen=True)
class PipelineReport:
    """The open deals at an instant, by stage and by owner, and the stage by owner matrix."""

    by_stage: tuple[PipelineLine, ...]
    by_owner: tuple[PipelineLine, ...]
    total: PipelineLine
    as_of: str = "today"  # e.g. "at the end of 30 November 2026"
    stages: tuple[tuple[str, str], ...] = ()  # the matrix's columns: (pipeline, stage)
    matrix: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = ()  # owner, (count, value)

    def matrix_tables(self, cells_as_text: bool = True) -> tuple[Table, ...]:
        """Leads per stage per account manager, one table per pipeline: in each cell the
        count and the value ("8 · 35,638"; or, not `cells_as_text`, two numeric columns
        per stage, for a sheet)."""
        pipelines = list(dict.fromkeys(p for p, _s in self.stages))
        tables = []
        for pipeline in pipelines:
            at = [i for i, (p, _s) in enumerate(self.stages) if p == pipeline]
            names = [self.stages[i][1] for i in at]
            title = "Open deals by stage and owner"
            if len(pipelines) > 1:
                title += f" ({pipeline})"
            rows: list[tuple[str, list[tuple[int, int]]]] = []
            for owner, cells in self.matrix:
                mine = [cells[i] for i in at]
                if any(n for n, _v in mine):
                    total = (sum(n for n, _v in mine), sum(v for _n, v in mine))
                    rows.append((owner, [*mine, total]))
            totals = [
                (sum(r[1][k][0] for r in rows), sum(r[1][k][1] for r in rows))
                for k in range(len(names) + 1)
            ]
            body: tuple[tuple[Cell, ...], ...]
            if cells_as_text:
                columns = (Column("Owner"), *(Column(n) for n in names), Column("Total"))
                body = tuple((owner, *(_count_value(c) for c in cs)) for owner, cs in rows)
                total_row: tuple[Cell, ...] = ("Total", *(_count_value(c) for c in totals))
            else:
                columns = (
                    Column("Owner"),
                    *(
                        c
                        for n in [*names, "Total"]
                        for c in (Column(f"{n}: deals", "int"), Column(f"{n}: value", "money"))
                    ),
                )
                body = tuple((owner, *(x for c in cs for x in c)) for owner, cs in rows)
                total_row = ("Total", *(x for c in totals for x in c))
            tables.append(
                Table(
                    f"{title}, {self.as_of}",
                    columns,
                    body,
                    total_row=total_row,
                    note="Each cell: open deals · their value." if cells_as_text else "",
                )
            )
        return tuple(tables)

    def section(self) -> Section:
        def table(title: str, first: str, lines: tuple[PipelineLine, ...]) -> Table:
            return Table(
                title,
                (Column(first), *_PIPELINE_COLUMNS),
                tuple(line.row() for line in lines),
                Chart("bar", 0, (2, 3), "Value and weighted value"),
                self.total.row(),
            )

        tables = [
            table("By stage", "Stage", self.by_stage),
            table("By owner", "Owner", self.by_owner),
        ]
        if self.stages:
            tables += self.matrix_tables(cells_as_text=False)
        return Section(
            f"Pipeline {self.as_of}",
            tuple(tables),
            "Open deals as they stood then; weighted by each deal's probability then.",
        )


def _count_value(cell: tuple[int, int]) -> str:
    count, cents = cell
    return f"{count:,} · {round(cents / 100):,}" if count else "–"


# ---- forecast ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastBucket:
    label: str
    month: str | None  # "YYYY-MM"; None for the overdue, later and no-date buckets
    count: int
    unweighted_cents: int
    weighted_cents: int
    best_case_cents: int  # won this month + likely deals in full + the rest weighted
    won_cents: int  # already won in the month


@dataclass(frozen=True)
class ForecastReport:
    buckets: tuple[ForecastBucket, ...]
    as_of: str = "today"
    months: tuple[str, ...] = ()  # "YYYY-MM" of the months forecast
    by_owner: tuple[tuple[str, tuple[int, ...]], ...] = ()  # owner, weighted per month

    def bucket(self, label: str) -> ForecastBucket:
        return next(b for b in self.buckets if label in (b.label, b.month))

    @property
    def title(self) -> str:
        span = (
            f"{month_label(self.months[0])} to {month_label(self.months[-1])}"
            if self.months
            else ""
        )
        return f"Forecast for {span}, {self.as_of}" if span else f"Forecast, {self.as_of}"

    def owner_table(self) -> Table:
        """The weighted forecast of each month per owner."""
        return Table(
            f"Weighted forecast per owner, {self.as_of}",
            (
                Column("Owner"),
                *(Column(month_label(m), "money") for m in self.months),
                Column("Total", "money"),
            ),
            tuple((o, *values, sum(values)) for o, values in self.by_owner),
            total_row=(
                "Total",
                *(sum(v[i] for _o, v in self.by_owner) for i in range(len(self.months))),
                sum(sum(v) for _o, v in self.by_owner),
            ),
        )

    def section(self) -> Section:
        rows = tuple(
            (
                b.label,
                b.count,
                b.won_cents,
                b.weighted_cents,
                b.best_case_cents,
                b.unweighted_cents,
            )
            for b in self.buckets
        )
        tables = [
            Table(
                "By expected close",
                (
                    Column("Month"),
                    Column("Open deals", "int"),
                    Column("Won", "money"),
                    Column("Weighted", "money"),
                    Column("Best case", "money"),
                    Column("Unweighted", "money"),
                ),
                rows,
                Chart("bar", 0, (3, 4, 5), "Forecast"),
                note=f"Best case: won so far, deals of {BEST_CASE_PROBABILITY} % or more "
                "in full, the rest weighted.",
            )
        ]
        if self.months:
            tables.append(self.owner_table())
        return Section(self.title, tuple(tables))


# ---- won and lost -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthOutcome:
    month: str  # "YYYY-MM", or "Total"
    won_count: int
    won_cents: int
    lost_count: int
    lost_cents: int
    average_cycle_days: float | None  # created -> won

    @property
    def win_rate(self) -> float | None:
        """Won / closed, by count."""
        return rate(self.won_count, self.won_count + self.lost_count)

    @property
    def win_rate_value(self) -> float | None:
        return rate(self.won_cents, self.won_cents + self.lost_cents)

    def row(self) -> tuple[Cell, ...]:
        return (
            month_label(self.month) if self.month[:4].isdigit() else self.month,
            self.won_count,
            self.won_cents,
            self.lost_count,
            self.lost_cents,
            self.win_rate,
            self.win_rate_value,
            self.average_cycle_days,
        )


@dataclass(frozen=True)
class ReasonCount:
    kind: str  # won | lost
    label: str
    count: int
    value_cents: int


@dataclass(frozen=True)
class WonLostReport:
    months: tuple[MonthOutcome, ...]
    total: MonthOutcome
    reasons: tuple[ReasonCount, ...]
    period: str = ""  # e.g. "June to November 2026"
    reasons_period: str = ""  # the reasons' own period, when it is not `period`

    def month(self, key: str) -> MonthOutcome:
        return next(m for m in self.months if m.month == key)

    def section(self) -> Section:
        outcomes = Table(
            "By month",
            (
                Column("Month"),
                Column("Won", "int"),
                Column("Won value", "money"),
                Column("Lost", "int"),
                Column("Lost value", "money"),
                Column("Win rate", "percent"),
                Column("Win rate by value", "percent"),
                Column("Sales cycle", "days"),
            ),
            tuple(m.row() for m in self.months),
            Chart("stacked_bar", 0, (2, 4), "Won and lost value"),
            self.total.row(),
            "Sales cycle: average days from a won deal's creation to its close.",
        )
        reasons = Table(
            f"Reasons, {self.reasons_period or self.period}" if self.period else "Reasons",
            (Column("Outcome"), Column("Reason"), Column("Deals", "int"), Column("Value", "money")),
            tuple((r.kind, r.label, r.count, r.value_cents) for r in self.reasons),
        )
        title = f"Won and lost, {self.period}" if self.period else "Won and lost"
        return Section(title, (outcomes, reasons))


# ---- forecast accuracy --------------------------------------------------------------------------


@dataclass(frozen=True)
class AccuracyLine:
    label: str
    forecast_cents: int  # weighted value the snapshot expected to close in the month
    actual_cents: int  # value won in the month

    @property
    def accuracy(self) -> float | None:
        return forecast_accuracy(self.forecast_cents, self.actual_cents)

    @property
    def bias(self) -> float | None:
        return forecast_bias(self.forecast_cents, self.actual_cents)

    def row(self) -> tuple[Cell, ...]:
        return (self.label, self.forecast_cents, self.actual_cents, self.accuracy, self.bias)


@dataclass(frozen=True)
class StageSuggestion:
    stage: str
    probability: int  # the stage's default now
    closed: int  # deals that entered the stage and have closed since
    won: int

    @property
    def win_rate(self) -> float | None:
        return rate(self.won, self.closed)

    @property
    def suggested(self) -> int | None:
        """The stage probability the deals' real outcomes suggest (None: no closed deals)."""
        win = self.win_rate
        return None if win is None else round(win * 100)


@dataclass(frozen=True)
class AccuracyReport:
    by_month: tuple[AccuracyLine, ...]
    by_owner: tuple[AccuracyLine, ...]
    by_stage: tuple[AccuracyLine, ...]
    suggestions: tuple[StageSuggestion, ...]
    period: str = ""

    def section(self) -> Section:
        columns = (
            Column("Forecast", "money"),
            Column("Actual", "money"),
            Column("Accuracy", "percent"),
            Column("Bias", "percent"),
        )

        def table(title: str, first: str, lines: tuple[AccuracyLine, ...], note: str) -> Table:
            return Table(title, (Column(first), *columns), tuple(x.row() for x in lines), note=note)

        suggestions = Table(
            "Stage probabilities from real win rates",
            (
                Column("Stage"),
                Column("Probability now", "int"),
                Column("Closed since", "int"),
                Column("Won", "int"),
                Column("Win rate", "percent"),
                Column("Suggested", "int"),
            ),
            tuple(
                (s.stage, s.probability, s.closed, s.won, s.win_rate, s.suggested)
                for s in self.suggestions
            ),
        )
        return Section(
            f"Forecast accuracy, {self.period}" if self.period else "Forecast accuracy",
            (
                table(
                    "By month",
                    "Month",
                    self.by_month,
                    "Forecast: the weighted value of the open deals expected to close in "
                    "the month, as they stood on its first day. Bias above 0: too "
                    "optimistic.",
                ),
                table("By owner", "Owner", self.by_owner, ""),
                table(
                    "By stage on the first of the month",
                    "Stage",
                    self.by_stage,
                    "Actual: what the deals of that stage won in the month.",
                ),
                suggestions,
            ),
        )


# ---- stage flow -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageFlow:
    stage: str
    entered: int  # deals that entered the stage in the period
    reached_next: int  # ... and later reached a further stage (or won)
    won: int  # ... and are won now
    average_days: float | None  # time in the stage, of stays that have ended

    @property
    def next_rate(self) -> float | None:
        return rate(self.reached_next, self.entered)

    @property
    def won_rate(self) -> float | None:
        return rate(self.won, self.entered)


@dataclass(frozen=True)
class SlippingDeal:
    deal_id: str
    title: str
    owner: str
    value_cents: int
    first_close: dt.date | None
    expected_close: dt.date | None
    pushes: int  # times the expected close moved later


@dataclass(frozen=True)
class StageFlowReport:
    stages: tuple[StageFlow, ...]
    slipping: tuple[SlippingDeal, ...]
    period: str = ""
    as_of: str = "today"

    def section(self) -> Section:
        flow = Table(
            "Conversion and time in stage",
            (
                Column("Stage"),
                Column("Entered", "int"),
                Column("Reached next", "int"),
                Column("To next", "percent"),
                Column("Won", "int"),
                Column("To won", "percent"),
                Column("Average time in stage", "days"),
            ),
            tuple(
                (s.stage, s.entered, s.reached_next, s.next_rate, s.won, s.won_rate, s.average_days)
                for s in self.stages
            ),
            Chart("bar", 0, (1, 2, 4), "Deals through the stages"),
        )
        slipping = Table(
            "Slipping deals",
            (
                Column("Deal"),
                Column("Owner"),
                Column("Value", "money"),
                Column("First expected close", "date"),
                Column("Expected close", "date"),
                Column("Pushed later", "int"),
            ),
            tuple(
                (d.title, d.owner, d.value_cents, d.first_close, d.expected_close, d.pushes)
                for d in self.slipping
            ),
            note=f"Open deals whose expected close was pushed later {SLIP_PUSHES} times or more.",
        )
        slipping = replace(slipping, title=f"Slipping deals, {self.as_of}")
        return Section(f"Stages, {self.period}" if self.period else "Stages", (flow, slipping))
