"""The monthly report's own pieces: its KPIs (with last month beside them), the pipeline
head read with the open deals, the attention list and the raw rows. Part of
`services.reports`."""

from __future__ import annotations

from typing import Any

from crm_desktop.domain.business_reports import AttentionDeal, MonthlyKpis
from crm_desktop.domain.formatting import pluralise
from crm_desktop.domain.reportdoc import Column, Kpi, Section, Table
from crm_desktop.domain.reports import ReportFilter, add_months, month_key, month_label, rate
from crm_desktop.domain.text import display_name
from crm_desktop.domain.vocabulary import DEFAULT_CURRENCY
from crm_desktop.services._report_business import activities_totals
from crm_desktop.services._report_parts import (
    ATTENTION_ROWS,
    Scope,
    attention,
    forecast,
    pipeline,
)


def filter_lines(scope: Scope) -> tuple[str, ...]:
    f, lines = scope.f, []
    if f.pipeline_id:
        lines.append(f"Pipeline: {next((s.pipeline for s in scope.stage_order), f.pipeline_id)}")
    if f.owner_id:
        lines.append(f"Owner: {scope.owner(f.owner_id)}")
    return tuple(lines)


def monthly_head(scope: Scope, trend: Scope) -> dict[str, Any]:
    """The monthly report's KPIs, pipeline, forecast, attention list and raw rows."""
    f = scope.f
    trends = f"Trends: {month_label(trend.f.months()[0])} to {month_label(month_key(f.start))}"
    filters = [*filter_lines(scope), trends]
    deals = scope.open_deals
    uow_settings = scope.settings
    return {
        "business": uow_settings("business_name", "") or "",
        "currency": uow_settings("currency", DEFAULT_CURRENCY) or DEFAULT_CURRENCY,
        "kpis": kpis(scope),
        "previous": previous_month(trend, month_key(add_months(f.start, -1))),
        "pipeline": pipeline(scope),
        "forecast": forecast(scope, 3),
        "attention": attention(scope),
        "raw": closed_table(scope),
        "filters": tuple(filters),
        "deal_quality": {
            "open_deals": len(deals),
            "open_without_close": sum(1 for d in deals if d.expected_close is None),
            "open_without_next": sum(1 for d in deals if not d.has_next),
        },
    }


def attention_section(deals: list[AttentionDeal]) -> Section:
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
                note=_needs_attention(len(deals))
                + (
                    f"; the {len(shown)} most valuable are listed."
                    if len(shown) < len(deals)
                    else "."
                ),
            ),
        ),
    )


def kpis(scope: Scope) -> MonthlyKpis:
    f = scope.f
    won = won_lost_totals(scope)
    orders = sum(int(v) for _m, _c, v in scope.q.orders_by_month(f.start, f.end, f.owner_id))
    activity = activities_totals(scope)
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


def won_lost_totals(scope: Scope) -> tuple[int, int, int, int]:
    totals = [0, 0, 0, 0]
    for _month, status, count, value, _days in scope.q.closed_by_month(
        scope.period, scope.f.owner_id, scope.f.pipeline_id
    ):
        at = 0 if status == "won" else 2
        totals[at] += int(count)
        totals[at + 1] += int(value)
    return totals[0], totals[1], totals[2], totals[3]


def previous_month(trend: Scope, month: str) -> dict[str, int]:
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


def kpi_cells(k: MonthlyKpis, previous: dict[str, int] | None) -> tuple[Kpi, ...]:
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


def closed_table(scope: Scope) -> Table:
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


def _needs_attention(count: int) -> str:
    return f"{pluralise(count, 'deal')} {'needs' if count == 1 else 'need'} attention"
