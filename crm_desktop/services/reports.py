"""Reports: pipeline, forecast, won/lost, forecast accuracy, stages, activities, sales,
customers, data quality, and the owner's monthly report built from them all.

Each report takes a `ReportFilter` (days, owner, pipeline) and returns a frozen record of
`domain.reports` that turns into a `reportdoc.Section`. Counts and sums are GROUP BYs in
the database (`persistence.reporting`). Three things come back as plain rows (never ORM
objects) and are walked once: the open deals (a few thousand; every weighted value goes
through the same `weighted_cents` as the board), the stage history (one ordered read
instead of window queries) and each customer's totals (for the RFM fifths).

Sales are the value of deals won plus orders placed (an order is a purchase outside the
pipeline: a shop order, a repeat order), in the currency of the business.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from crm_desktop.domain.business_reports import (
    ActivityReport,
    AttentionDeal,
    CustomerReport,
    DataQualityReport,
    DuplicateGroup,
    MonthlyKpis,
    SalesReport,
)
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.records import ContactDraft, EmailEntry, Saved
from crm_desktop.domain.reportdoc import Kpi, ReportDocument, Section
from crm_desktop.domain.reports import (
    AccuracyReport,
    ForecastReport,
    PipelineReport,
    ReportFilter,
    StageFlowReport,
    WonLostReport,
    add_months,
    month_key,
    month_label,
)
from crm_desktop.domain.text import display_name
from crm_desktop.domain.vocabulary import DEFAULT_CURRENCY
from crm_desktop.services import _report_business as business
from crm_desktop.services import _report_monthly as monthly_parts
from crm_desktop.services import _report_parts as parts
from crm_desktop.services._common import UowFactory
from crm_desktop.services.duplicates import DuplicateService
from crm_desktop.services.settings import read_setting


class ReportService:
    def __init__(
        self, uow_factory: UowFactory, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self._uow = uow_factory
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def _read(self, filters: ReportFilter, work: Callable[[parts.Scope], Any]) -> Any:
        with self._uow.read() as uow:
            return work(parts.Scope(uow, filters, self._clock()))

    # ---- pipeline and forecast --------------------------------------------------------------

    def pipeline(self, filters: ReportFilter) -> PipelineReport:
        """The open deals now (the range is not used), by stage and by owner: count,
        value, weighted value, average age in days since creation, rotting deals."""
        return self._read(filters, parts.pipeline)  # type: ignore[no-any-return]

    def forecast(self, filters: ReportFilter, months: int = 3) -> ForecastReport:
        """Open deals by expected-close month for this month and the next ones, with
        overdue, later and no-close-date buckets. Best case: won so far in the month,
        deals of at least 50 % in full, the rest weighted."""
        return self._read(filters, lambda s: parts.forecast(s, months))  # type: ignore[no-any-return]

    def won_lost(self, filters: ReportFilter) -> WonLostReport:
        """Deals won and lost per month of the range: counts, values, win rates by count
        and by value, average sales cycle (creation to winning), reasons."""
        return self._read(filters, parts.won_lost)  # type: ignore[no-any-return]

    # ---- forecast snapshots and accuracy ------------------------------------------------------

    def take_snapshot(self) -> Saved:
        """Store today's forecast: every open deal with its stage, owner, value,
        probability and expected close, under this month."""
        now = self._clock()
        with self._uow() as uow:
            scope = parts.Scope(uow, ReportFilter(now.date(), now.date()), now)
            snapshot_id = parts.insert_snapshot(uow, scope)
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
        return self._read(filters, parts.accuracy)  # type: ignore[no-any-return]

    # ---- stages, activities, sales, customers, quality ----------------------------------------

    def stage_flow(self, filters: ReportFilter) -> StageFlowReport:
        """Per open stage, of the deals that entered it in the range: how many reached a
        further stage, how many are won, and the average days a stay there lasted; and
        the slipping deals.

        Slipping is derived from the change log (`change` rows of `deals.expected_close`,
        and the insert that set the first date), which already records every edit with
        its order; nothing new is stored. Open deals whose expected close was moved later
        at least `SLIP_PUSHES` times slip."""
        return self._read(filters, parts.stage_flow)  # type: ignore[no-any-return]

    def activities(self, filters: ReportFilter) -> ActivityReport:
        """Activities by owner and type: done in the range, planned and overdue (not done,
        due in the range, after and before now); done activities per deal won in it."""
        return self._read(filters, business.activities)  # type: ignore[no-any-return]

    def sales(self, filters: ReportFilter) -> SalesReport:
        """Sales (won deal value plus orders) by month and lead source (an order's is its
        contact's), and per campaign and channel: cost, sales in the range and to its end,
        ROI = (sales to date - cost) / cost."""
        return self._read(filters, business.sales)  # type: ignore[no-any-return]

    def customers(self, filters: ReportFilter, top: int = parts.TOP_CUSTOMERS) -> CustomerReport:
        """Customers (companies, and people without one) by won deals plus orders: the top
        ones of the range, lifetime value, RFM classes, lapsed customers."""
        return self._read(filters, lambda s: business.customers(s, top))  # type: ignore[no-any-return]

    def data_quality(self, filters: ReportFilter) -> DataQualityReport:
        """Contacts with exactly the same (first) e-mail, or sharing exactly the same phone
        number (GROUP BY in SQL, cheap at 100,000 contacts; the examples are checked again by
        the contact editor's duplicate finder, which also folds case and compares names),
        contacts without consent, open deals without a close date or a next activity."""
        return self._read(filters, lambda s: business.data_quality(s, self._explain))  # type: ignore[no-any-return]

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
        return self._read(filters, parts.attention)  # type: ignore[no-any-return]

    def kpis(self, filters: ReportFilter) -> MonthlyKpis:
        """The headline figures of a period (pipeline figures are today's)."""
        return self._read(filters, monthly_parts.kpis)  # type: ignore[no-any-return]

    # ---- the monthly report -------------------------------------------------------------------

    def monthly(
        self, month: str, owner_id: str | None = None, pipeline_id: str | None = None
    ) -> ReportDocument:
        """The owner's monthly report of a month ("YYYY-MM"): KPIs, the reports above
        condensed (trends over the six months to its end), the deals that need attention
        and the deals closed in the month as raw data.

        Its four parts are read at once on threads of their own, each in its own read
        transaction (SQLite runs readers side by side and lets go of the GIL meanwhile)."""
        filters = ReportFilter.month(month, owner_id, pipeline_id)
        trend = ReportFilter(add_months(filters.start, -5), filters.end, owner_id, pipeline_id)
        self.ensure_snapshot()
        now = self._clock()

        def part(work: Callable[[parts.Scope, parts.Scope], Any]) -> Callable[[], Any]:
            def run() -> Any:
                with self._uow.read() as uow:
                    scope = parts.Scope(uow, filters, now)
                    return work(scope, parts.Scope(uow, trend, now, base=scope))

            return run

        jobs = (
            part(monthly_parts.monthly_head),
            part(
                lambda s, t: (
                    business.contact_quality(s, self._explain),
                    business.customers(s, parts.TOP_CUSTOMERS),
                )
            ),
            part(lambda s, t: (parts.won_lost(t), parts.accuracy(t), parts.stage_flow(t))),
            part(lambda s, t: (business.activities(s), business.sales(t))),
        )
        with ThreadPoolExecutor(len(jobs), thread_name_prefix="report") as pool:
            futures = [pool.submit(job) for job in jobs]
            head, (quality, customers), (won_lost, accuracy, flow), (activities, sales) = (
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
            monthly_parts.attention_section(head["attention"]),
        )
        return ReportDocument(
            title="Monthly report",
            business=str(head["business"]),
            period=month_label(month_key(filters.start)),
            generated_at=now,
            currency=str(head["currency"]),
            kpis=monthly_parts.kpi_cells(head["kpis"], head["previous"]),
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
            "attention": lambda f: monthly_parts.attention_section(self.attention(f)),
        }
        kpis: tuple[Kpi, ...] = ()
        if key == "dashboard":
            keys = ["pipeline", "forecast", "won_lost", "sales"]
            kpis = tuple(
                Kpi(k.label, k.value, k.kind, k.hint if k.hint == "today" else "")
                for k in monthly_parts.kpi_cells(self.kpis(filters), {})
            )
        elif key in builders:
            keys = [key]
        else:
            raise ValidationError(f"no report called {key!r}")
        sections = tuple(builders[k](filters) for k in keys)
        with self._uow.read() as uow:
            business = read_setting(uow, "business_name", "") or ""
            currency = read_setting(uow, "currency", DEFAULT_CURRENCY) or DEFAULT_CURRENCY
            owner = parts.Scope(uow, filters, self._clock()).owner(filters.owner_id)
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
