"""Reports on the business around the deals: activities, sales, customers (RFM) and the
quality of the data. Part of `services.reports`, whose `ReportService` is their face.

Sales are the value of the deals won in the period plus the orders placed in it that
belong to no deal (an order of a deal is that deal's sale: counted once, as the deal).
Deals come from the run's book (as they stood at the period's end), orders are read once
per run; both in the business currency at the owner's rates."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from crm_desktop.domain.business_reports import (
    ActivityLine,
    ActivityReport,
    CampaignReturn,
    CustomerLine,
    CustomerReport,
    DataQualityReport,
    DuplicateGroup,
    RfmClassCount,
    SalesLine,
    SalesReport,
)
from crm_desktop.domain.duplicates import DuplicateGroup as FoundGroup
from crm_desktop.domain.money import Converter
from crm_desktop.domain.reports import LAPSED_DAYS, day_label, day_of_julian, month_key, month_label
from crm_desktop.domain.rfm import RFM_CLASSES, Purchases, score_all
from crm_desktop.services.reports._book import DealAt
from crm_desktop.services.reports._parts import (
    DUPLICATE_EXAMPLES,
    NO_OWNER,
    Scope,
    closed_in_months,
)

Order = tuple[Any, ...]  # key, kind, day, amount, currency, campaign id, lead source


def activities(scope: Scope) -> ActivityReport:
    lines = sorted(
        (
            ActivityLine(scope.owner(owner_id), kind, int(done), int(overdue))
            for owner_id, kind, done, overdue in activity_rows(scope)
        ),
        key=lambda x: (x.owner == NO_OWNER, x.owner.casefold(), x.kind),
    )
    won = won_deals(scope)
    on_won = scope.q.done_activities_on([d.id for d in won])
    return ActivityReport(
        tuple(lines), len(won), on_won, scope.period_text, f"today, {day_label(scope.today)}"
    )


def won_deals(scope: Scope) -> list[DealAt]:
    return [d for deals in closed_in_months(scope).values() for d in deals if d.status == "won"]


def orders(scope: Scope) -> list[Order]:
    """The run's orders (no deal's) placed before the period's end: (customer key, kind,
    day, amount, currency, campaign id, lead source, amount in the business currency)."""
    end = scope.f.end + dt.timedelta(days=1)
    rows: list[Order] = scope.run.cached(
        ("orders", scope.f.owner_id, scope.f.segment),
        lambda: read_orders(
            scope.q.orders(scope.run.today + dt.timedelta(days=1), scope.f.owner_id),
            scope.convert,
        ),
    )
    return [r for r in rows if r[2] < end]


def read_orders(rows: list[Any], convert: Converter) -> list[Order]:
    """The orders' rows with their days read and their amounts converted, once a run."""
    base = convert.base
    result = []
    for number, (key, kind, ordered_on, amount, currency, campaign, source) in enumerate(rows):
        day = _as_date(ordered_on)
        value = int(amount)
        if currency != base:
            value = convert(value, currency, month_key(day), "Orders", f"order {number}")
        result.append((key, kind, day, int(amount), currency, campaign, source, value))
    return result


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def order_value(_scope: Scope, order: Order, _figure: str = "Orders") -> int:
    """An order's amount in the business currency (0 when it has no rate)."""
    return int(order[7])


def sales(scope: Scope) -> SalesReport:
    f = scope.f
    won_by_month = {
        key: [d for d in deals if d.status == "won"]
        for key, deals in closed_in_months(scope).items()
    }
    in_period = [o for o in orders(scope) if o[2] >= f.start]
    order_by_month: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in in_period:
        cell = order_by_month[month_key(o[2])]
        cell[0] += 1
        cell[1] += order_value(scope, o, "Orders")
    by_month = tuple(
        SalesLine(
            month_label(m),
            len(won_by_month.get(m, [])),
            sum(scope.closed_value(d, "Won value") for d in won_by_month.get(m, [])),
            *order_by_month.get(m, [0, 0]),
        )
        for m in f.months()
    )
    total = SalesLine(
        "Total",
        sum(x.deals for x in by_month),
        sum(x.deal_cents for x in by_month),
        sum(x.orders for x in by_month),
        sum(x.order_cents for x in by_month),
    )
    sources: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for deals in won_by_month.values():
        for d in deals:
            cell = sources[d.facts.lead_source or "(none)"]
            cell[0] += 1
            cell[1] += scope.closed_value(d, "Won value")
    for o in in_period:
        cell = sources[o[6] or "(none)"]
        cell[2] += 1
        cell[3] += order_value(scope, o, "Orders")
    by_source = tuple(
        sorted(
            (SalesLine(k, *v) for k, v in sources.items()), key=lambda x: (-x.total_cents, x.label)
        )
    )
    campaigns, by_channel = _campaigns(scope, won_by_month, in_period)
    return SalesReport(by_month, by_source, campaigns, by_channel, total, scope.period_text)


def _campaigns(
    scope: Scope, won_by_month: dict[str, list[DealAt]], in_period: list[Order]
) -> tuple[tuple[CampaignReturn, ...], tuple[CampaignReturn, ...]]:
    """Per campaign started by the period's end: cost, sales in the period and from its
    start to the period's end (deals won by then, orders placed by then)."""
    f = scope.f
    period: dict[str, int] = defaultdict(int)
    to_date: dict[str, int] = defaultdict(int)
    for deals in won_by_month.values():
        for d in deals:
            if d.facts.campaign_id:
                period[d.facts.campaign_id] += scope.closed_value(d, "Won value")
    for d in scope.mine(scope.run.book.at(scope.as_of)):
        if d.status == "won" and d.facts.campaign_id:
            to_date[d.facts.campaign_id] += scope.closed_value(d, "Won value")
    for o in orders(scope):
        if o[5]:
            value = order_value(scope, o, "Orders")
            to_date[o[5]] += value
            if o[2] >= f.start:
                period[o[5]] += value
    campaigns = []
    channels: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for cid, name, channel, started, cost in scope.q.campaigns():
        if started is not None and _as_date(started) > f.end:
            continue
        line = CampaignReturn(name, channel, started, int(cost), period[cid], to_date[cid])
        if (started is not None and _as_date(started) >= f.start) or line.period_cents:
            campaigns.append(line)
        spend = channels[channel]
        spend[0] += line.cost_cents
        spend[1] += line.period_cents
        spend[2] += line.to_date_cents
    by_channel = tuple(
        CampaignReturn(channel, channel, None, *channels[channel]) for channel in sorted(channels)
    )
    return tuple(campaigns), by_channel


def customers(scope: Scope, top: int) -> CustomerReport:
    """Customers as of the period's end: every purchase (a deal won by then, an order of
    no deal placed by then) per company, or per person without one."""
    f = scope.f
    start = f.start
    purchases: dict[str, list[Any]] = {}  # key -> [kind, last day, count, lifetime, period]
    sales: list[tuple[str | None, str, dt.date, int]] = [
        (
            d.facts.company_id or d.facts.contact_id,
            "company" if d.facts.company_id else "person",
            day_of_julian(d.closed or 0.0),
            scope.closed_value(d, "Won value"),
        )
        for d in scope.mine(scope.run.book.at(scope.as_of))
        if d.status == "won"
    ]
    sales += [(o[0], o[1], o[2], o[7]) for o in orders(scope)]
    for key, kind, day, value in sales:
        if not key:
            continue
        entry = purchases.get(key)
        if entry is None:
            entry = purchases[key] = [kind, day, 0, 0, 0]
        elif day > entry[1]:
            entry[1] = day
        entry[2] += 1
        entry[3] += value
        if day >= start:
            entry[4] += value
    rows = list(purchases.items())
    scores = score_all([Purchases(key, entry[1], entry[2], entry[3]) for key, entry in rows])
    lines = [
        CustomerLine(key, "", entry[0], entry[4], entry[3], entry[2], entry[1], scores[key].name)
        for key, entry in rows
    ]
    best = sorted(
        (c for c in lines if c.period_cents > 0), key=lambda c: (-c.period_cents, c.customer_id)
    )[:top]
    lapsed_all = [c for c in lines if (f.end - c.last_purchase).days > LAPSED_DAYS]
    lapsed = sorted(lapsed_all, key=lambda c: (-c.lifetime_cents, c.customer_id))[:top]
    names = scope.q.customer_names([c.customer_id for c in (*best, *lapsed)])

    def named(c: CustomerLine) -> CustomerLine:
        return CustomerLine(**{**c.__dict__, "name": names.get(c.customer_id, "")})

    classes = []
    for name in RFM_CLASSES:
        members = [c for c in lines if c.rfm == name]
        classes.append(RfmClassCount(name, len(members), sum(c.lifetime_cents for c in members)))
    return CustomerReport(
        len(lines),
        tuple(named(c) for c in best),
        tuple(classes),
        len(lapsed_all),
        tuple(named(c) for c in lapsed),
        scope.period_text,
        scope.as_of_text,
    )


def data_quality(scope: Scope, groups: list[FoundGroup]) -> DataQualityReport:
    """The data as it is today: likely duplicates (the groups `crm-desktop duplicates`
    finds), contacts without consent, open deals without a close date or a next activity."""
    owner = scope.f.owner_id
    deals = scope.open_deals
    examples = tuple(
        DuplicateGroup(", ".join(g.ids[:2]), len(g.ids), g.names[:2], "; ".join(g.reasons[:2]))
        for g in groups[:DUPLICATE_EXAMPLES]
    )
    return DataQualityReport(
        contacts=scope.q.contact_count(owner),
        duplicate_groups=len(groups),
        duplicate_contacts=sum(len(g.ids) for g in groups),
        without_consent=scope.q.without_consent(owner),
        open_deals=len(deals),
        open_without_close=sum(1 for d in deals if d.expected_close is None),
        open_without_next=sum(1 for d in deals if not d.has_next),
        examples=examples,
        as_of=f"today, {day_label(scope.today)}",
    )


def activity_rows(scope: Scope) -> list[tuple[str | None, str, int, int]]:
    return scope.run.cached(  # type: ignore[no-any-return]
        ("activities", scope.f),
        lambda: scope.q.activities(scope.period, scope.now, scope.f.owner_id),
    )


def activities_totals(scope: Scope) -> tuple[int, int]:
    """(done in the period, overdue now)."""
    rows = activity_rows(scope)
    return sum(int(r[2]) for r in rows), sum(int(r[3]) for r in rows)


def activities_done(scope: Scope) -> int:
    """Activities done in the period (whole months: from one count per month of the run)."""
    f = scope.f
    if f.start.day != 1 or (f.end + dt.timedelta(days=1)).day != 1:
        return activities_totals(scope)[0]
    by_month: dict[str, int] = scope.run.cached(
        ("done by month", f.owner_id, f.segment), lambda: scope.q.done_by_month(f.owner_id)
    )
    return sum(by_month.get(m, 0) for m in f.months())
