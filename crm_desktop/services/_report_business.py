"""Reports on the business around the deals: activities, sales, customers (RFM) and the
quality of the data. Part of `services.reports`, whose `ReportService` is their face."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
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
from crm_desktop.domain.reports import LAPSED_DAYS, month_label
from crm_desktop.domain.rfm import RFM_CLASSES, Purchases, score_all
from crm_desktop.services._report_parts import (
    DUPLICATE_EXAMPLES,
    NO_OWNER,
    Scope,
)


def activities(scope: Scope) -> ActivityReport:
    f = scope.f
    lines = sorted(
        (
            ActivityLine(scope.owner(owner_id), kind, int(done), int(planned), int(overdue))
            for owner_id, kind, done, planned, overdue in activity_rows(scope)
        ),
        key=lambda x: (x.owner == NO_OWNER, x.owner.casefold(), x.kind),
    )
    won, on_won = scope.q.won_deal_activities(scope.period, f.owner_id, f.pipeline_id)
    return ActivityReport(tuple(lines), won, on_won)


def sales(scope: Scope) -> SalesReport:
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


def customers(scope: Scope, top: int) -> CustomerReport:
    f = scope.f
    rows = scope.q.customers(scope.period, f.owner_id, f.pipeline_id)
    purchases = [
        Purchases(
            str(key),
            day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10]),
            int(count),
            int(lifetime),
        )
        for key, _kind, day, count, lifetime, _period in rows
    ]
    scores = score_all(purchases)
    customers = [
        CustomerLine(
            p.key,
            "",
            kind,
            int(period),
            p.total_cents,
            p.count,
            p.last_day,
            scores[p.key].name,
        )
        for p, (_key, kind, _day, _count, _lifetime, period) in zip(purchases, rows, strict=True)
    ]
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


def data_quality(
    scope: Scope, explain: Callable[[list[Any]], tuple[DuplicateGroup, ...]]
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


def contact_quality(
    scope: Scope, explain: Callable[[list[Any]], tuple[DuplicateGroup, ...]]
) -> DataQualityReport:
    """The contacts' side of the data quality report (the open deals' counts are left at
    0 for the part of the monthly report that reads the open deals)."""
    scope._open = []
    return data_quality(scope, explain)


def activity_rows(scope: Scope) -> list[tuple[str | None, str, int, int, int]]:
    return scope.cached(  # type: ignore[no-any-return]
        "activities", lambda: scope.q.activities(scope.period, scope.now, scope.f.owner_id)
    )


def activities_totals(scope: Scope) -> tuple[int, int]:
    rows = activity_rows(scope)
    return sum(int(r[2]) for r in rows), sum(int(r[4]) for r in rows)
