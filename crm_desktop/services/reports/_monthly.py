"""The owner's monthly report: a two-page summary (the month against last month, the same
month last year and the year to date; targets; won and lost per salesperson; pipeline
movement; the stage by owner matrix; the next three months' forecast per owner; overdue
now per person), then the details, the deals won, the currencies and a glossary. Part of
`services.reports`.

Every figure of the month is the month as it stood at its end (`Scope.as_of`); only
"overdue now" and the data of today say so in their titles."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from crm_desktop.domain.business_reports import AttentionDeal
from crm_desktop.domain.formatting import pluralise
from crm_desktop.domain.glossary import REPORT_GLOSSARY
from crm_desktop.domain.money import (
    BUSINESS_TARGET as BUSINESS,
)
from crm_desktop.domain.money import (
    EVERY_MONTH,
    TARGETS_SETTING,
    cents_to_decimal,
)
from crm_desktop.domain.reportdoc import (
    Cell,
    Column,
    ColumnKind,
    Kpi,
    ReportDocument,
    Section,
    Table,
)
from crm_desktop.domain.reports import (
    ReportFilter,
    add_months,
    day_label,
    day_of_julian,
    month_key,
    month_label,
    rate,
)
from crm_desktop.services.reports import _business as business
from crm_desktop.services.reports import _parts as parts
from crm_desktop.services.reports._parts import ATTENTION_ROWS, NO_OWNER, Run, Scope


@dataclass(frozen=True)
class Figures:
    """The headline figures of one period (as it stood at its end)."""

    new_contacts: int
    new_deals: int
    new_cents: int
    won: int
    won_cents: int
    lost: int
    lost_cents: int
    orders: int
    order_cents: int
    open_deals: int
    open_cents: int
    weighted_cents: int
    activities_done: int

    @property
    def sales_cents(self) -> int:
        return self.won_cents + self.order_cents

    @property
    def win_rate(self) -> float | None:
        return rate(self.won, self.won + self.lost)

    @property
    def average_won(self) -> int | None:
        return None if not self.won else (self.won_cents + self.won // 2) // self.won


def figures(scope: Scope) -> Figures:
    won = business.won_deals(scope)
    lost = [d for ds in parts.closed_in_months(scope).values() for d in ds if d.status == "lost"]
    new = scope.mine(scope.run.book.created_between(scope.period[0], scope.period[1]))
    orders = [o for o in business.orders(scope) if o[2] >= scope.f.start]
    open_deals = scope.open_deals
    done = business.activities_done(scope)
    month = scope.rate_month
    return Figures(
        new_contacts=scope.q.new_contacts(scope.period, scope.f.owner_id),
        new_deals=len(new),
        new_cents=sum(scope.money(d, month, "New deals") for d in new),
        won=len(won),
        won_cents=sum(scope.closed_value(d, "Won value") for d in won),
        lost=len(lost),
        lost_cents=sum(scope.closed_value(d, "Lost value") for d in lost),
        orders=len(orders),
        order_cents=sum(business.order_value(scope, o, "Orders") for o in orders),
        open_deals=len(open_deals),
        open_cents=sum(d.value_cents for d in open_deals),
        weighted_cents=sum(d.weighted for d in open_deals),
        activities_done=done,
    )


_MONEY_ROWS: tuple[tuple[str, str], ...] = (
    # (the figure's one name, as in the glossary; Figures attribute)
    ("New deal value", "new_cents"),
    ("Won value", "won_cents"),
    ("Average won deal", "average_won"),
    ("Lost value", "lost_cents"),
    ("Orders", "order_cents"),
    ("Sales", "sales_cents"),
    ("Open pipeline", "open_cents"),
    ("Weighted pipeline", "weighted_cents"),
)
_COUNT_ROWS: tuple[tuple[str, str], ...] = (
    ("New contacts", "new_contacts"),
    ("New deals", "new_deals"),
    ("Deals won", "won"),
    ("Deals lost", "lost"),
    ("Orders placed", "orders"),
    ("Open deals", "open_deals"),
    ("Activities done", "activities_done"),
)


def comparison(month: str, periods: list[tuple[str, Figures]]) -> tuple[Table, Table]:
    """The month against last month, the same month a year before and the year to date:
    money, then counts."""

    def table(title: str, kind: ColumnKind, rows: tuple[tuple[str, str], ...], note: str) -> Table:
        return Table(
            title,
            (Column("Figure"), *(Column(label, kind) for label, _f in periods)),
            tuple((name, *(getattr(f, attr) for _l, f in periods)) for name, attr in rows),
            note=note,
        )

    versus = f"{month_label(month)} against last month, a year before and the year to date"
    return (
        table(
            f"Money, {versus}",
            "money",
            _MONEY_ROWS,
            "Open pipeline and weighted pipeline: at each period's end (the year to date ends "
            "with the month).",
        ),
        table(
            f"Counts, {versus}",
            "int",
            _COUNT_ROWS,
            "Every figure as it stood at the end of its period.",
        ),
    )


def targets(run: Run, month: str, owners: list[tuple[str | None, int, int]]) -> Table:
    """Targets per salesperson and for the business (Settings) against the won value of
    the month and of the year to date. `owners`: (owner id, won this month, won YTD)."""
    stored = run.settings(TARGETS_SETTING, {}) or {}
    year_months = [f"{month[:4]}-{m:02d}" for m in range(1, int(month[5:]) + 1)]

    def target(who: str, key: str) -> int | None:
        entry = stored.get(who) if isinstance(stored, dict) else None
        if not isinstance(entry, dict):
            return None
        text = entry.get(key, entry.get(EVERY_MONTH))
        try:
            return int(Decimal(str(text)) * 100) if text not in (None, "") else None
        except ArithmeticError:
            return None

    def ytd(who: str) -> int | None:
        values = [target(who, m) for m in year_months]
        return None if all(v is None for v in values) else sum(v or 0 for v in values)

    rows = []
    for owner_id, won, won_ytd in owners:
        who = owner_id or ""
        t, ty = target(who, month), ytd(who)
        rows.append(
            (
                run.users.get(who, NO_OWNER),
                t,
                won,
                rate(won, t or 0),
                ty,
                won_ytd,
                rate(won_ytd, ty or 0),
            )
        )
    won_all, won_all_ytd = sum(o[1] for o in owners), sum(o[2] for o in owners)
    t, ty = target(BUSINESS, month), ytd(BUSINESS)
    return Table(
        f"Targets against won value, {month_label(month)} and the year to date",
        (
            Column("Salesperson"),
            Column("Target", "money"),
            Column("Won value", "money"),
            Column("Reached", "percent"),
            Column("Target YTD", "money"),
            Column("Won YTD", "money"),
            Column("Reached YTD", "percent"),
        ),
        tuple(rows),
        total_row=(
            "Business",
            t,
            won_all,
            rate(won_all, t or 0),
            ty,
            won_all_ytd,
            rate(won_all_ytd, ty or 0),
        ),
        note="Targets are set in Settings › Targets (per month, or one for every month). "
        "No target: –.",
    )


def salespeople(scope: Scope) -> tuple[Table, dict[str | None, int]]:
    """Won and lost per salesperson, and the new deals they added, in the month."""
    rows: dict[str | None, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for d in business.won_deals(scope):
        rows[d.owner_id][2] += 1
        rows[d.owner_id][3] += scope.closed_value(d, "Won value")
    for ds in parts.closed_in_months(scope).values():
        for d in ds:
            if d.status == "lost":
                rows[d.owner_id][4] += 1
                rows[d.owner_id][5] += scope.closed_value(d, "Lost value")
    month = scope.rate_month
    for d in scope.mine(scope.run.book.created_between(scope.period[0], scope.period[1])):
        rows[d.owner_id][0] += 1
        rows[d.owner_id][1] += scope.money(d, month, "New deals")
    order = sorted(rows, key=lambda o: (o is None, scope.owner(o).casefold()))

    def line(label: str, v: list[int]) -> tuple[Cell, ...]:
        average = None if not v[2] else (v[3] + v[2] // 2) // v[2]
        return (label, v[0], v[1], v[2], v[3], average, v[4], v[5], rate(v[2], v[2] + v[4]))

    total = [sum(rows[o][i] for o in order) for i in range(6)]
    table = Table(
        f"Won and lost per salesperson, {scope.period_text}",
        (
            Column("Salesperson"),
            Column("New deals", "int"),
            Column("New value", "money"),
            Column("Won", "int"),
            Column("Won value", "money"),
            Column("Average won deal", "money"),
            Column("Lost", "int"),
            Column("Lost value", "money"),
            Column("Win rate", "percent"),
        ),
        tuple(line(scope.owner(o), rows[o]) for o in order),
        total_row=line("Total", total),
    )
    return table, {o: rows[o][3] for o in order}


def movement(scope: Scope, start: Scope) -> Table:
    """The open pipeline from the month's first instant to its end."""
    opened = start.open_deals
    new = scope.mine(scope.run.book.created_between(scope.period[0], scope.period[1]))
    closed = [d for ds in parts.closed_in_months(scope).values() for d in ds]
    won = [d for d in closed if d.status == "won"]
    lost = [d for d in closed if d.status == "lost"]
    end = scope.open_deals
    start_v = sum(d.value_cents for d in opened)
    month = scope.rate_month
    added_v = sum(scope.money(d, month, "New deals") for d in new)
    won_v = sum(scope.closed_value(d, "Won value") for d in won)
    lost_v = sum(scope.closed_value(d, "Lost value") for d in lost)
    end_v = sum(d.value_cents for d in end)
    other_n = len(end) - (len(opened) + len(new) - len(won) - len(lost))
    other_v = end_v - (start_v + added_v - won_v - lost_v)
    first = day_label(scope.f.start)
    return Table(
        f"Pipeline movement, {scope.period_text}",
        (Column("Movement"), Column("Deals", "int"), Column("Value", "money")),
        (
            (f"Open at the start ({first})", len(opened), start_v),
            ("+ Added (new deals)", len(new), added_v),
            ("− Won", len(won), won_v),
            ("− Lost", len(lost), lost_v),
            ("± Other (value changes, reopened, deleted)", other_n, other_v),
        ),
        total_row=(f"Open at the end ({day_label(scope.f.end)})", len(end), end_v),
        note="New deals closed in the month count as added and as won or lost.",
    )


def attention_section(deals: list[AttentionDeal], when: str) -> Section:
    shown = deals[:ATTENTION_ROWS]
    return Section(
        f"Deals that need attention, {when}",
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


def closed_table(scope: Scope, status: str | None = None) -> Table:
    """The deals won (and lost) in the period, as they stood at its end."""
    deals = [
        d
        for ds in parts.closed_in_months(scope).values()
        for d in ds
        if status is None or d.status == status
    ]
    names = scope.run.cached(("closed names", scope.f), lambda: _customer_names(scope))
    rows = []
    for d in sorted(deals, key=lambda d: (d.closed or 0.0, d.id)):
        rows.append(
            (
                d.facts.title,
                d.status,
                scope.closed_value(d, f"{d.status.title()} value"),
                scope.owner(d.owner_id),
                names.get(d.facts.company_id or "", ""),
                names.get(d.facts.contact_id or "", ""),
                d.facts.reason,
                d.facts.lead_source,
                day_of_julian(d.facts.created),
                day_of_julian(d.closed or 0.0),
                round((d.closed or 0.0) - d.facts.created, 1),
            )
        )
    if status == "won":
        rows.sort(key=lambda r: (-int(r[2]), str(r[0])))
    what = "won" if status == "won" else "closed"
    return Table(
        f"Deals {what} in {scope.period_text}",
        (
            Column("Deal"),
            Column("Status"),
            Column("Value", "money"),
            Column("Owner"),
            Column("Company"),
            Column("Contact"),
            Column("Reason"),
            Column("Lead source"),
            Column("Created", "date"),
            Column("Closed", "date"),
            Column("Sales cycle", "days"),
        ),
        tuple(rows),
        total_row=("Total", f"{len(rows):,} deals", sum(int(r[2]) for r in rows), *([None] * 8)),
    )


def _customer_names(scope: Scope) -> dict[str, str]:
    """The companies' and people's names of the deals closed in the period."""
    closed = [d for ds in parts.closed_in_months(scope).values() for d in ds]
    return scope.q.customer_names(
        [x for d in closed for x in (d.facts.company_id, d.facts.contact_id) if x]
    )


def currency_section(run: Run, when: str) -> Section | None:
    """The rates the report used and the amounts it could not convert."""
    used = sorted(run.convert.left.used, key=lambda u: (u.currency, u.month))
    left = run.convert.left.rows()
    if not used and not left:
        return None
    tables = []
    if used:
        tables.append(
            Table(
                "Rates used",
                (Column("Currency"), Column("Rate of"), Column(f"1 unit in {run.currency}")),
                tuple((u.currency, month_label(u.month), str(u.rate)) for u in used),
                note="Each amount is converted at the rate of its month (the closing month of "
                "a deal, the month of an order, the month a pipeline figure is as of), or of "
                "the latest earlier month with a rate; rounded to the cent per amount.",
            )
        )
    if left:
        tables.append(
            Table(
                "Not converted: no rate",
                (Column("Figure"), Column("Currency"), Column("Items", "int"), Column("Amount")),
                tuple((f, c, n, f"{cents_to_decimal(v):,} {c}") for f, c, n, v in left),
                note="These amounts are left out of every figure in "
                f"{run.currency} above; add a rate in Settings › Exchange rates to count them.",
            )
        )
    return Section(f"Currencies, {when}", tuple(tables))


def glossary_section() -> Section:
    return Section(
        "Glossary",
        (
            Table(
                "What each figure means",
                (Column("Figure"), Column("Meaning")),
                tuple(REPORT_GLOSSARY.items()),
            ),
        ),
    )


def kpis(month: Figures, previous: Figures, left: dict[str, dict[str, int]]) -> tuple[Kpi, ...]:
    def vs(value: int, money: bool = False) -> str:
        return f"vs. {value / 100:,.0f} last month" if money else f"vs. {value:,} last month"

    def extra(figure: str) -> str:
        amounts = left.get(figure) or {}
        return "; ".join(f"+ {cents_to_decimal(v):,} {c} not converted" for c, v in amounts.items())

    def hint(*parts_: str) -> str:
        return "; ".join(p for p in parts_ if p)

    return (
        Kpi("New contacts", month.new_contacts, "int", vs(previous.new_contacts)),
        Kpi("New deals", month.new_deals, "int", vs(previous.new_deals)),
        Kpi("Deals won", month.won, "int", vs(previous.won)),
        Kpi(
            "Won value",
            month.won_cents,
            "money",
            hint(vs(previous.won_cents, True), extra("Won value")),
        ),
        Kpi("Deals lost", month.lost, "int", vs(previous.lost)),
        Kpi("Lost value", month.lost_cents, "money", extra("Lost value")),
        Kpi("Sales", month.sales_cents, "money", vs(previous.sales_cents, True)),
        Kpi("Win rate", month.win_rate, "percent"),
        Kpi(
            "Open pipeline",
            month.open_cents,
            "money",
            hint("at the month's end", extra("Open pipeline")),
        ),
        Kpi("Weighted pipeline", month.weighted_cents, "money", "at the month's end"),
        Kpi("Activities done", month.activities_done, "int"),
    )


def previous_scopes(run: Run, f: ReportFilter) -> dict[str, Scope]:
    month = month_key(f.start)
    prev = month_key(add_months(f.start, -1))
    year_ago = month_key(add_months(f.start, -12))
    ytd = ReportFilter(dt.date(f.start.year, 1, 1), f.end, f.owner_id, f.pipeline_id)
    return {
        month_label(month): Scope(run, f),
        month_label(prev): Scope(run, ReportFilter.month(prev, f.owner_id, f.pipeline_id)),
        month_label(year_ago): Scope(run, ReportFilter.month(year_ago, f.owner_id, f.pipeline_id)),
        f"{f.start.year} to date": Scope(run, ytd),
    }


def _needs_attention(count: int) -> str:
    return f"{pluralise(count, 'deal')} {'needs' if count == 1 else 'need'} attention"


def filter_lines(scope: Scope) -> tuple[str, ...]:
    f, lines = scope.f, []
    if f.pipeline_id:
        lines.append(f"Pipeline: {next((s.pipeline for s in scope.stage_order), f.pipeline_id)}")
    if f.owner_id:
        lines.append(f"Owner: {scope.owner(f.owner_id)}")
    return tuple(lines)


def monthly(
    run: Run, month: str, owner_id: str | None, pipeline_id: str | None, quality: Any = None
) -> ReportDocument:
    """The monthly report of `month` ("YYYY-MM") over one run."""
    f = ReportFilter.month(month, owner_id, pipeline_id)
    trend_f = ReportFilter(add_months(f.start, -5), f.end, owner_id, pipeline_id)
    scopes = previous_scopes(run, f)
    scope = next(iter(scopes.values()))
    trend = Scope(run, trend_f)
    first = Scope(run, ReportFilter(f.start, f.start, owner_id, pipeline_id), f.start_at)
    all_figures = [(label, figures(s)) for label, s in scopes.items()]
    ytd_scope = list(scopes.values())[3]
    people, won_by_owner = salespeople(scope)
    ytd_won: dict[str | None, int] = defaultdict(int)
    for d in business.won_deals(ytd_scope):
        ytd_won[d.owner_id] += ytd_scope.closed_value(d, "Won value")
    owners = sorted(
        {*won_by_owner, *ytd_won, *(u for u in run.users if not owner_id or u == owner_id)},
        key=lambda o: (o is None, run.users.get(o or "", NO_OWNER).casefold()),
    )
    pipeline = parts.pipeline(scope)
    forecast = parts.forecast(scope, 3)
    activities = business.activities(scope)
    month_wl = parts.won_lost(scope)
    trend_wl = replace(
        parts.won_lost(trend), reasons=month_wl.reasons, reasons_period=scope.period_text
    )
    end_text = scope.as_of_text
    summary = Section(
        f"Summary, {scope.period_text}",
        (
            *comparison(month, all_figures),
            targets(run, month, [(o, won_by_owner.get(o, 0), ytd_won.get(o, 0)) for o in owners]),
            people,
            movement(scope, first),
            *pipeline.matrix_tables(),
            forecast.owner_table(),
            activities.overdue_table(),
        ),
    )
    flow = parts.stage_flow(scope).section()  # before accuracy: it shares the walk
    details = [
        replace(pipeline, stages=()).section(),
        forecast.section(),
        trend_wl.section(),
        parts.accuracy(trend).section(),
        flow,
        activities.section(),
        business.sales(scope).section(),
        business.customers(scope, parts.TOP_CUSTOMERS).section(),
        attention_section(parts.attention(scope), end_text),
        Section(f"Deals won in {scope.period_text}", (closed_table(scope, "won"),)),
    ]
    if quality is not None:
        details.append(quality)
    money = currency_section(run, scope.period_text)
    if money is not None:
        details.append(money)
    details.append(glossary_section())
    month_figures, previous_figures = all_figures[0][1], all_figures[1][1]
    return ReportDocument(
        title="Monthly report",
        business=run.business,
        period=month_label(month),
        generated_at=run.now,
        currency=run.currency,
        kpis=kpis(
            month_figures,
            previous_figures,
            {
                "Won value": run.convert.left.of("Won value"),
                "Lost value": run.convert.left.of("Lost value"),
                "Open pipeline": run.convert.left.of(f"Open pipeline {end_text}"),
            },
        ),
        summary=(summary,),
        sections=tuple(details),
        raw=closed_table(scope),
        filters=(*filter_lines(scope), f"Figures as they stood {end_text}"),
    )
