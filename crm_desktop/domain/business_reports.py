"""Report records of the business around the deals: activities, sales, customers (RFM),
data quality, the deals that need attention and the monthly KPIs; each with a `section()`
like the deal reports of `domain.reports`, whose periods and maths they share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crm_desktop.domain.reportdoc import Cell, Chart, Column, Section, Table
from crm_desktop.domain.reports import LAPSED_DAYS, rate

# ---- activities -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityLine:
    owner: str
    kind: str
    done: int  # done in the period
    overdue: int  # not done and due before now ("overdue now")


@dataclass(frozen=True)
class ActivityReport:
    lines: tuple[ActivityLine, ...]
    won_deals: int  # deals won in the period
    won_deal_activities: int  # done activities on those deals (any time)
    period: str = ""
    now: str = "today"

    @property
    def done(self) -> int:
        return sum(x.done for x in self.lines)

    @property
    def overdue(self) -> int:
        return sum(x.overdue for x in self.lines)

    @property
    def per_won_deal(self) -> float | None:
        return rate(self.won_deal_activities, self.won_deals)

    def overdue_by_owner(self) -> list[tuple[str, int]]:
        owners: dict[str, int] = {}
        for x in self.lines:
            if x.overdue:
                owners[x.owner] = owners.get(x.owner, 0) + x.overdue
        return list(owners.items())

    def overdue_table(self) -> Table:
        rows = self.overdue_by_owner()
        return Table(
            f"Overdue now ({self.now}), per person",
            (Column("Owner"), Column("Overdue now", "int")),
            tuple(rows),
            total_row=("Total", sum(n for _o, n in rows)),
            note="Activities not done whose time has passed, however long ago.",
        )

    def section(self) -> Section:
        done = tuple((x.owner, x.kind, x.done) for x in self.lines if x.done)
        table = Table(
            f"Done in {self.period}, by owner and type"
            if self.period
            else "Done, by owner and type",
            (Column("Owner"), Column("Type"), Column("Done", "int")),
            done,
            total_row=("Total", "", self.done),
        )
        per_deal = Table(
            "Activities per won deal",
            (
                Column("Deals won", "int"),
                Column("Their done activities", "int"),
                Column("Per won deal", "number"),
            ),
            ((self.won_deals, self.won_deal_activities, self.per_won_deal),),
        )
        title = f"Activities, {self.period}" if self.period else "Activities"
        return Section(title, (table, self.overdue_table(), per_deal))


# ---- sales -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SalesLine:
    label: str
    deals: int
    deal_cents: int
    orders: int
    order_cents: int

    @property
    def total_cents(self) -> int:
        return self.deal_cents + self.order_cents

    def row(self) -> tuple[Cell, ...]:
        return (
            self.label,
            self.deals,
            self.deal_cents,
            self.orders,
            self.order_cents,
            self.total_cents,
        )


@dataclass(frozen=True)
class CampaignReturn:
    name: str
    channel: str
    started_on: dt.date | None
    cost_cents: int
    period_cents: int  # sales attributed to it in the period
    to_date_cents: int  # ... from its start to the period's end

    @property
    def roi(self) -> float | None:
        """(sales to date - cost) / cost."""
        return rate(self.to_date_cents - self.cost_cents, self.cost_cents)

    def row(self) -> tuple[Cell, ...]:
        return (
            self.name,
            self.channel,
            self.started_on,
            self.cost_cents,
            self.period_cents,
            self.to_date_cents,
            self.roi,
        )


@dataclass(frozen=True)
class SalesReport:
    """Sales are the value of deals won plus orders placed."""

    by_month: tuple[SalesLine, ...]
    by_source: tuple[SalesLine, ...]
    by_campaign: tuple[CampaignReturn, ...]
    by_channel: tuple[CampaignReturn, ...]  # one line per channel, `name` is the channel
    total: SalesLine
    period: str = ""

    def section(self) -> Section:
        columns = (
            Column("Deals won", "int"),
            Column("Deal value", "money"),
            Column("Orders", "int"),
            Column("Order value", "money"),
            Column("Sales", "money"),
        )
        span = f", {self.period}" if self.period else ""
        campaign_columns = (
            Column("Campaign"),
            Column("Channel"),
            Column("Started", "date"),
            Column("Cost", "money"),
            Column("Sales in period", "money"),
            Column("Sales to date", "money"),
            Column("ROI", "percent"),
        )
        return Section(
            f"Sales{span}",
            (
                Table(
                    "By month",
                    (Column("Month"), *columns),
                    tuple(x.row() for x in self.by_month),
                    Chart("stacked_bar", 0, (2, 4), "Sales"),
                    self.total.row(),
                ),
                Table(
                    f"By lead source{span}",
                    (Column("Lead source"), *columns),
                    tuple(x.row() for x in self.by_source),
                    Chart("pie", 0, (5,), "Sales by lead source"),
                ),
                Table(
                    f"Campaigns{span}",
                    campaign_columns,
                    tuple(x.row() for x in self.by_campaign),
                    note="Campaigns started in the period or with sales in it. Sales to "
                    "date: from the campaign's start to the period's end. ROI: (sales to "
                    "date - cost) / cost.",
                ),
                Table(
                    f"Channel spend and return{span}",
                    (
                        Column("Channel"),
                        Column("Cost", "money"),
                        Column("Sales in period", "money"),
                        Column("Sales to date", "money"),
                        Column("ROI", "percent"),
                    ),
                    tuple(
                        (c.name, c.cost_cents, c.period_cents, c.to_date_cents, c.roi)
                        for c in self.by_channel
                    ),
                ),
            ),
            "Sales: the value of deals won plus orders placed that belong to no deal.",
        )


# ---- customers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerLine:
    customer_id: str
    name: str
    kind: str  # company | person
    period_cents: int
    lifetime_cents: int
    purchases: int
    last_purchase: dt.date
    rfm: str

    def row(self) -> tuple[Cell, ...]:
        return (
            self.name,
            self.kind,
            self.period_cents,
            self.lifetime_cents,
            self.purchases,
            self.last_purchase,
            self.rfm,
        )


@dataclass(frozen=True)
class RfmClassCount:
    name: str
    customers: int
    lifetime_cents: int


@dataclass(frozen=True)
class CustomerReport:
    customers: int  # with a purchase up to the period's end
    top: tuple[CustomerLine, ...]  # by sales in the period
    classes: tuple[RfmClassCount, ...]
    lapsed_count: int
    lapsed: tuple[CustomerLine, ...]  # the most valuable lapsed customers
    period: str = ""
    as_of: str = "today"

    def section(self) -> Section:
        columns = (
            Column("Customer"),
            Column("Kind"),
            Column("Sales in period", "money"),
            Column("Lifetime value", "money"),
            Column("Purchases", "int"),
            Column("Last purchase", "date"),
            Column("RFM class"),
        )
        span = f", {self.period}" if self.period else ""
        return Section(
            f"Customers{span}",
            (
                Table(f"Top customers{span}", columns, tuple(x.row() for x in self.top)),
                Table(
                    f"RFM classes, {self.as_of}",
                    (
                        Column("Class"),
                        Column("Customers", "int"),
                        Column("Lifetime value", "money"),
                    ),
                    tuple((c.name, c.customers, c.lifetime_cents) for c in self.classes),
                    Chart("pie", 0, (1,), "Customers by RFM class"),
                    note="Recency, frequency and monetary value scored in fifths of all "
                    f"{self.customers:,} customers.",
                ),
                Table(
                    f"Lapsed customers, {self.as_of}",
                    columns,
                    tuple(x.row() for x in self.lapsed),
                    note=f"{self.lapsed_count:,} customers bought nothing in the last "
                    f"{LAPSED_DAYS} days; the most valuable are listed.",
                ),
            ),
            "Customers: companies, and people without a company; sales are won deals plus "
            "orders that belong to no deal. Lifetime value: every sale up to the period's end.",
        )


# ---- data quality ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateGroup:
    key: str  # two of the names
    contacts: int
    names: tuple[str, ...]
    reasons: str


@dataclass(frozen=True)
class DataQualityReport:
    contacts: int
    duplicate_groups: int  # the groups `crm-desktop duplicates` finds
    duplicate_contacts: int
    without_consent: int
    open_deals: int
    open_without_close: int
    open_without_next: int
    examples: tuple[DuplicateGroup, ...] = ()
    as_of: str = "today"

    def section(self) -> Section:
        checks = Table(
            "Checks",
            (Column("Check"), Column("Records", "int"), Column("Of", "int")),
            (
                ("Contacts in likely duplicate groups", self.duplicate_contacts, self.contacts),
                ("Contacts without a consent record", self.without_consent, self.contacts),
                ("Open deals without an expected close", self.open_without_close, self.open_deals),
                ("Open deals without a next activity", self.open_without_next, self.open_deals),
            ),
            note=f"{self.duplicate_groups:,} groups of likely duplicate contacts (the same "
            "scan as Find duplicates and `crm-desktop duplicates`).",
        )
        examples = Table(
            "Likely duplicates (examples)",
            (Column("Names"), Column("Contacts", "int"), Column("Why")),
            tuple((" / ".join(g.names), g.contacts, g.reasons) for g in self.examples),
        )
        return Section(f"Data quality, {self.as_of}", (checks, examples))


# ---- the monthly report -------------------------------------------------------------------------


@dataclass(frozen=True)
class AttentionDeal:
    deal_id: str
    title: str
    owner: str
    stage: str
    value_cents: int
    expected_close: dt.date | None
    days_in_stage: int
    reasons: tuple[str, ...]  # rotting, close date passed, no next activity, slipping
