"""Reports: pipeline, forecast, won/lost, forecast accuracy, stages, activities, sales,
customers, data quality, and the owner's monthly report built from them all.

Each report takes a `ReportFilter` (days, owner, pipeline) and returns a frozen record of
`domain.reports` that turns into a `reportdoc.Section`. A report describes its period as
it stood at the period's end (or now, while the period runs): the deals are rebuilt from
the stage history and the change log (`_book`), so a past month reads the same
whenever it is printed. Reports never write to the database.

Sales are the value of deals won plus the orders placed that belong to no deal (a shop
order, a repeat order); an order of a deal is that deal's sale and counts once. Amounts
in other currencies are converted at the rates the owner keeps (Settings), or listed in
their own currency.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crm_desktop.domain.business_reports import (
    ActivityReport,
    AttentionDeal,
    CustomerReport,
    DataQualityReport,
    SalesReport,
)
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.reportdoc import Kpi, ReportDocument, Section
from crm_desktop.domain.reports import (
    AccuracyReport,
    ForecastReport,
    PipelineReport,
    ReportFilter,
    StageFlowReport,
    WonLostReport,
    months_label,
)
from crm_desktop.services._common import UowFactory
from crm_desktop.services.duplicates import DuplicateService
from crm_desktop.services.reports import _business as business
from crm_desktop.services.reports import _monthly as monthly_parts
from crm_desktop.services.reports import _parts as parts


class ReportService:
    def __init__(
        self,
        uow_factory: UowFactory,
        clock: Callable[[], dt.datetime] | None = None,
        duplicates: DuplicateService | None = None,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._duplicates = duplicates or DuplicateService(uow_factory)

    def _read(self, filters: ReportFilter, work: Callable[[parts.Scope], Any]) -> Any:
        with self._uow.read() as uow:
            return work(parts.Scope(parts.Run(uow, self._clock()), filters))

    # ---- pipeline and forecast --------------------------------------------------------------

    def pipeline(self, filters: ReportFilter) -> PipelineReport:
        """The open deals as the range ends (now, for a range that has not), by stage and
        by owner: count, value, weighted value, average age in days since creation,
        rotting deals; and the stage by owner matrix."""
        return self._read(filters, parts.pipeline)  # type: ignore[no-any-return]

    def forecast(self, filters: ReportFilter, months: int = 3) -> ForecastReport:
        """Open deals as the range ends, by expected-close month (the current month and
        the next ones, or for a past range the months after it), with overdue, later and
        no-close-date buckets and the weighted forecast per owner. Best case: won so far
        in the month, deals of at least 50 % in full, the rest weighted."""
        return self._read(filters, lambda s: parts.forecast(s, months))  # type: ignore[no-any-return]

    def won_lost(self, filters: ReportFilter) -> WonLostReport:
        """Deals won and lost per month of the range (those still won or lost at the
        month's end): counts, values, win rates by count and by value, average sales
        cycle (creation to winning), reasons."""
        return self._read(filters, parts.won_lost)  # type: ignore[no-any-return]

    def forecast_accuracy(self, filters: ReportFilter) -> AccuracyReport:
        """Per month of the range, the forecast as it stood on its first day (the weighted
        value of the open deals expected to close in it, rebuilt from the history) against
        what was won in it: accuracy and bias per month, per owner and month, and per
        stage on the first; and stage probabilities suggested by the real win rates."""
        return self._read(filters, parts.accuracy)  # type: ignore[no-any-return]

    # ---- stages, activities, sales, customers, quality ----------------------------------------

    def stage_flow(self, filters: ReportFilter) -> StageFlowReport:
        """Per open stage, of the deals that entered it in the range: how many reached a
        further stage, how many were won by the range's end, and the average days a stay
        there lasted; and the slipping deals (open deals whose expected close was pushed
        later at least `SLIP_PUSHES` times, read from the change log)."""
        return self._read(filters, parts.stage_flow)  # type: ignore[no-any-return]

    def activities(self, filters: ReportFilter) -> ActivityReport:
        """Activities by owner and type: done in the range, and overdue now (not done, due
        before now, however long ago); done activities per deal won in the range."""
        return self._read(filters, business.activities)  # type: ignore[no-any-return]

    def sales(self, filters: ReportFilter) -> SalesReport:
        """Sales (won deal value plus orders of no deal) by month and lead source (an
        order's is its contact's), and per campaign and channel: cost, sales in the range
        and to its end, ROI = (sales to date - cost) / cost."""
        return self._read(filters, business.sales)  # type: ignore[no-any-return]

    def customers(self, filters: ReportFilter, top: int = parts.TOP_CUSTOMERS) -> CustomerReport:
        """Customers (companies, and people without one) by won deals plus orders: the top
        ones of the range, lifetime value, RFM classes, lapsed customers, at its end."""
        return self._read(filters, lambda s: business.customers(s, top))  # type: ignore[no-any-return]

    def data_quality(self, filters: ReportFilter) -> DataQualityReport:
        """The data today: the likely duplicate contacts (the same scan as
        `DuplicateService.scan`), contacts without consent, open deals without a close
        date or a next activity."""
        groups = self._duplicates.scan("contacts")
        with self._uow.read() as uow:
            run = parts.Run(uow, self._clock())
            return business.data_quality(parts.Scope(run, filters, run.now), groups)

    def attention(self, filters: ReportFilter) -> list[AttentionDeal]:
        """Open deals that needed attention as the range ended (rotting, close date
        passed, no next activity, slipping), the most valuable first."""
        return self._read(filters, parts.attention)  # type: ignore[no-any-return]

    def kpis(self, filters: ReportFilter) -> tuple[Kpi, ...]:
        """The headline figures of a range, as it stood at its end."""
        return self._read(filters, _kpis)  # type: ignore[no-any-return]

    # ---- the monthly report -------------------------------------------------------------------

    def monthly(
        self, month: str, owner_id: str | None = None, pipeline_id: str | None = None
    ) -> ReportDocument:
        """The owner's monthly report of a month ("YYYY-MM"), every figure as it stood at
        the month's end: a two-page summary (against last month, the same month last year
        and the year to date; targets; won and lost per salesperson; pipeline movement;
        the stage by owner matrix; the next three months' forecast per owner; overdue
        now), then the details, the deals won, the currencies and the glossary."""
        ReportFilter.month(month)  # a month out of range: one clear error before any read
        with self._uow.read() as uow:
            run = parts.Run(uow, self._clock())
            run.prefetch(self._uow, owner_id)
            return monthly_parts.monthly(run, month, owner_id, pipeline_id)

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
        builders: dict[str, Callable[[parts.Scope], Section]] = {
            "pipeline": lambda s: parts.pipeline(s).section(),
            "forecast": lambda s: parts.forecast(s, 3).section(),
            "won_lost": lambda s: parts.won_lost(s).section(),
            "accuracy": lambda s: parts.accuracy(s).section(),
            "stages": lambda s: parts.stage_flow(s).section(),
            "activities": lambda s: business.activities(s).section(),
            "sales": lambda s: business.sales(s).section(),
            "customers": lambda s: business.customers(s, parts.TOP_CUSTOMERS).section(),
            "attention": lambda s: monthly_parts.attention_section(
                parts.attention(s), s.as_of_text
            ),
        }
        dashboard = key == "dashboard"
        if dashboard:
            keys = ["pipeline", "forecast", "won_lost", "sales"]
        elif key in builders or key == "quality":
            keys = [key]
        else:
            raise ValidationError(f"no report called {key!r}")
        if key == "quality" and filters.segment is not None:
            raise ValidationError("the data quality report covers every contact: no segment")
        kpis: tuple[Kpi, ...] = ()
        if key == "quality":
            sections: tuple[Section, ...] = (self.data_quality(filters).section(),)
        else:  # one run: the tiles and the sections read the deals once
            kpis, sections = self._read(
                filters,
                lambda s: (_kpis(s) if dashboard else (), tuple(builders[k](s) for k in keys)),
            )
        with self._uow.read() as uow:
            run = parts.Run(uow, self._clock())
            owner = run.users.get(filters.owner_id or "", parts.NO_OWNER)
            business_name, currency = run.business, run.currency
            members = run.members(filters.segment)
        period = months_label(filters.start, filters.end)
        lines = [f"Owner: {owner}"] if filters.owner_id else []
        if members is not None:
            lines.append(segment_line(filters.segment_name, len(members)))
        return ReportDocument(
            title="Dashboard" if key == "dashboard" else sections[0].title,
            business=business_name,
            period=period,
            generated_at=self._clock(),
            currency=currency,
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


def segment_line(name: str, count: int) -> str:
    """How a report says it covers a segment only."""
    people = f"{count:,} contact" + ("" if count == 1 else "s")
    return f"Segment: {name or 'unnamed'} ({people} today; their deals, orders, activities)"


def _kpis(scope: parts.Scope) -> tuple[Kpi, ...]:
    """The dashboard's tiles: a range's headline figures as it stood at its end."""
    figures = monthly_parts.figures(scope)
    end = scope.as_of_text
    return (
        Kpi("New contacts", figures.new_contacts, "int"),
        Kpi("Deals won", figures.won, "int"),
        Kpi("Won value", figures.won_cents, "money"),
        Kpi("Sales", figures.sales_cents, "money"),
        Kpi("Win rate", figures.win_rate, "percent"),
        Kpi("Open pipeline", figures.open_cents, "money", end),
        Kpi("Weighted pipeline", figures.weighted_cents, "money", end),
        Kpi("Activities done", figures.activities_done, "int"),
    )
