"""Reports on a small database built through the services, every figure worked out by hand.

The day is 22 November 2026, 12:00 UTC. Times of deals, stage moves and activities are set
afterwards (the services stamp "now"), all at noon, so ages and stays are whole days.

Open deals (stage defaults: Lead 10 %, Qualified 30 %, Proposal 60 %; rotting after 14,
14 and 21 days):

    deal  stage      owner  value      prob  close       created  entered  next activity
    D1    Lead       Anna   1,000.00   10    2026-11-30  11-02    11-02    yes
    D2    Qualified  Anna   2,000.00   45*   2026-12-15  11-12    11-12    yes
    D3    Proposal   Ben    3,000.00   60    2027-01-10  10-23    11-01    yes
    D4    Proposal   Ben      500.00   60    -           11-21    11-21    no
    D5    Qualified  Ben    1,234.56   30    2026-11-10  09-22    10-01    no
    D6    Lead       Anna     800.00   10    2026-10-31  11-20    11-20    no
    D7    Lead       Anna   4,000.00   10    2027-03-01  11-20    11-20    no  (pushed twice)

Closed: W1 won 5,000 (Anna, 09-01 -> 10-11), W2 won 2,500 (Ben, 10-01 -> 10-21),
L1 lost 1,500 (Anna, 09-15 -> 10-05), W3 won 1,000 (Anna, 11-01 -> 11-10),
L2 lost 700 (Ben, 11-05 -> 11-15).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.pipeline import DealDraft
from crm_desktop.domain.records import (
    CompanyDraft,
    ContactDraft,
    EmailEntry,
    PhoneEntry,
    RoleEntry,
)
from crm_desktop.domain.reports import ReportFilter
from crm_desktop.domain.rfm import quintile_cuts, quintile_scores, rfm_class
from crm_desktop.persistence.models import Campaign, Consent, Order
from crm_desktop.services.reports import ReportService
from tests.databases import connect

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
OCT_NOV = ReportFilter(dt.date(2026, 10, 1), dt.date(2026, 11, 30))
NOVEMBER = ReportFilter.month("2026-11")


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def noon(text: str) -> str:
    """A time as SQLite stores it."""
    return f"{text} 12:00:00.000000"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Shop:
    app: AppContext
    reports: ReportService
    clock: Clock
    ids: dict[str, str]


def _sql(app: AppContext, statement: str, *params: Any) -> None:
    with connect(app) as conn:
        conn.execute(statement, params)


def _times(
    app: AppContext, deal: str, moves: list[str], closed: bool = False, created: str = ""
) -> None:
    """Backdate a deal: creation (the first move), its stage moves in order, entering
    its stage (the last move) and the close."""
    with connect(app) as conn:
        rows = conn.execute(
            "SELECT id FROM deal_stage_history WHERE deal_id = ? ORDER BY rowid", (deal,)
        ).fetchall()
        assert len(rows) == len(moves)
        for (history_id,), at in zip(rows, moves, strict=True):
            conn.execute(
                "UPDATE deal_stage_history SET moved_at = ? WHERE id = ?", (noon(at), history_id)
            )
        conn.execute(
            "UPDATE deals SET created_at = ?, stage_entered_at = ?, closed_at = ? WHERE id = ?",
            (noon(created or moves[0]), noon(moves[-1]), noon(moves[-1]) if closed else None, deal),
        )
        # The deal's change log as if its edits were made by its last move (in their order),
        # as they would be had the work been done on those days.
        last = dt.datetime.fromisoformat(f"{moves[-1]}T12:00:00+00:00")
        stamps = conn.execute(
            "SELECT device_id, seq, hlc FROM change WHERE row_id = ? ORDER BY hlc, seq", (deal,)
        ).fetchall()
        for step, (device, seq, hlc) in enumerate(stamps):
            millis = int(last.timestamp() * 1000) - len(stamps) + step
            conn.execute(
                "UPDATE change SET hlc = ? WHERE device_id = ? AND seq = ?",
                (f"{millis:013x}{hlc[13:]}", device, seq),
            )


@pytest.fixture
def shop(app: AppContext) -> Shop:
    clock = Clock()
    reports = ReportService(app.uow, clock)
    # The stages these figures were worked out by hand for (not the app's default ones).
    stages = (
        ("Lead", 10, 14, "open"),
        ("Qualified", 30, 14, "open"),
        ("Proposal", 60, 21, "open"),
        ("Won", 100, 0, "won"),
        ("Lost", 0, 0, "lost"),
    )
    pipeline_id = app.pipeline.create_pipeline("Sales", stages).id
    stage = {s.name: s.id for s in app.pipeline.pipelines()[0].stages}
    won_reason = app.pipeline.add_reason("won", "Best fit").id
    lost_reason = app.pipeline.add_reason("lost", "Too expensive").id
    anna = app.users.create("Anna Berg").id
    ben = app.users.create("Ben Ode").id
    analytical = app.companies.create(CompanyDraft(name="Analytical Ltd")).id
    old_co = app.companies.create(CompanyDraft(name="Old Co")).id
    ada = app.contacts.create(
        ContactDraft(
            first_name="Ada",
            last_name="Lovelace",
            emails=(EmailEntry("ada@example.com"),),
            roles=(RoleEntry(analytical, "CEO"),),
            lead_source="Newsletter",
            owner_id=anna,
        )
    ).id
    ada2 = app.contacts.create(
        ContactDraft(
            first_name="Ada", last_name="Lovelace", emails=(EmailEntry("ada@example.com"),)
        )
    ).id
    grace = app.contacts.create(
        ContactDraft(
            first_name="Grace",
            last_name="Hopper",
            phones=(PhoneEntry("+49 30 1234567"),),
            owner_id=ben,
        )
    ).id
    hopper = app.contacts.create(
        ContactDraft(first_name="G.", last_name="Hopper", phones=(PhoneEntry("+49 30 1234567"),))
    ).id
    for contact, created in ((ada, "2026-09-01"), (ada2, "2026-11-05"), (grace, "2026-10-01")):
        _sql(app, "UPDATE contacts SET created_at = ? WHERE id = ?", noon(created), contact)
    _sql(app, "UPDATE contacts SET created_at = ? WHERE id = ?", noon("2026-11-06"), hopper)
    with app.uow() as uow:
        uow.insert_rows(
            Campaign,
            [
                {
                    "id": "c1",
                    "name": "Autumn mailing",
                    "channel": "email",
                    "cost_cents": 1_000_00,
                    "started_on": day("2026-10-01"),
                },
                {
                    "id": "c2",
                    "name": "Trade fair",
                    "channel": "event",
                    "cost_cents": 2_000_00,
                    "started_on": day("2026-09-01"),
                },
            ],
        )
        uow.commit()

    def deal(
        name: str,
        stage_name: str,
        value: int,
        owner: str,
        close: str | None,
        contact: str = ada,
        company: str | None = analytical,
        probability: int | None = None,
        source: str = "",
        campaign: str | None = None,
    ) -> str:
        return app.deals.create(
            DealDraft(
                title=name,
                pipeline_id=pipeline_id,
                stage_id=stage[stage_name],
                value_cents=value,
                probability=probability,
                expected_close=day(close) if close else None,
                owner_id=owner,
                contact_id=contact,
                company_id=company,
                lead_source=source,
                campaign_id=campaign,
            )
        ).id

    ids: dict[str, str] = {"anna": anna, "ben": ben, "pipeline": pipeline_id}
    # The deals open on 1 October (the forecast of October as it stood on its first day).
    ids["W1"] = deal("W1", "Lead", 5_000_00, anna, "2026-10-20", source="Referral", campaign="c1")
    app.pipeline.move(ids["W1"], stage["Qualified"])
    app.pipeline.move(ids["W1"], stage["Proposal"])
    ids["W2"] = deal(
        "W2", "Lead", 2_500_00, ben, "2026-10-25", contact=grace, company=None, source="Website"
    )
    ids["L1"] = deal("L1", "Lead", 1_500_00, anna, "2026-10-05")
    app.pipeline.move(ids["L1"], stage["Qualified"])
    app.pipeline.move(ids["W1"], stage["Won"], reason_id=won_reason)
    app.pipeline.move(ids["W2"], stage["Proposal"])
    app.pipeline.move(ids["W2"], stage["Won"], reason_id=won_reason)
    app.pipeline.move(ids["L1"], stage["Lost"], reason_id=lost_reason)
    _times(app, ids["W1"], ["2026-09-01", "2026-09-10", "2026-09-20", "2026-10-11"], True)
    _times(app, ids["W2"], ["2026-10-01", "2026-10-11", "2026-10-21"], True)
    _times(app, ids["L1"], ["2026-09-15", "2026-09-25", "2026-10-05"], True)
    ids["W3"] = deal("W3", "Lead", 1_000_00, anna, "2026-11-12", source="Referral")
    app.pipeline.move(ids["W3"], stage["Won"], reason_id=won_reason)
    _times(app, ids["W3"], ["2026-11-01", "2026-11-10"], True)
    ids["L2"] = deal("L2", "Lead", 700_00, ben, None, contact=grace, company=None)
    app.pipeline.move(ids["L2"], stage["Lost"], reason_id=lost_reason)
    _times(app, ids["L2"], ["2026-11-05", "2026-11-15"], True)

    ids["D1"] = deal("D1", "Lead", 1_000_00, anna, "2026-11-30")
    _times(app, ids["D1"], ["2026-11-02"])
    ids["D2"] = deal("D2", "Qualified", 2_000_00, anna, "2026-12-01", probability=45)
    record = app.deals.get(ids["D2"]).draft
    app.deals.update(
        ids["D2"], DealDraft(**{**record.__dict__, "expected_close": day("2026-12-15")})
    )
    _times(app, ids["D2"], ["2026-11-12"])
    ids["D3"] = deal("D3", "Lead", 3_000_00, ben, "2027-01-10", contact=grace, company=None)
    app.pipeline.move(ids["D3"], stage["Proposal"])
    _times(app, ids["D3"], ["2026-10-23", "2026-11-01"])
    ids["D4"] = deal("D4", "Proposal", 500_00, ben, None, contact=grace, company=None)
    _times(app, ids["D4"], ["2026-11-21"])
    ids["D5"] = deal("D5", "Lead", 1_234_56, ben, "2026-11-10", contact=grace, company=None)
    app.pipeline.move(ids["D5"], stage["Qualified"])
    _times(app, ids["D5"], ["2026-09-22", "2026-10-01"])
    ids["D6"] = deal("D6", "Lead", 800_00, anna, "2026-10-31")
    _times(app, ids["D6"], ["2026-11-20"])
    ids["D7"] = deal("D7", "Lead", 4_000_00, anna, "2027-01-15")
    for later in ("2027-02-01", "2027-03-01"):
        record = app.deals.get(ids["D7"]).draft
        app.deals.update(ids["D7"], DealDraft(**{**record.__dict__, "expected_close": day(later)}))
    _times(app, ids["D7"], ["2026-11-20"])

    # Activities: scheduled through the calendar, then done or tied to deals by hand.
    def activity(contact: str, kind: str, at: str, done: bool, deal_id: str | None) -> None:
        when = dt.datetime.fromisoformat(f"{at}T12:00:00+00:00")
        activity_id = app.activities.schedule(contact, kind, f"{kind} {at}", when).id
        _sql(
            app,
            "UPDATE activities SET done = ?, done_at = ?, deal_id = ? WHERE id = ?",
            done,
            noon(at) if done else None,
            deal_id,
            activity_id,
        )

    activity(ada, "call", "2026-11-05", True, None)
    activity(ada, "meeting", "2026-11-10", True, ids["W3"])
    activity(ada, "task", "2026-11-25", False, ids["D1"])
    activity(ada, "task", "2026-11-20", False, ids["D2"])
    activity(grace, "call", "2026-11-21", False, ids["D3"])
    activity(grace, "call", "2026-10-15", True, ids["W2"])
    activity(grace, "email", "2026-12-05", False, None)

    with app.uow() as uow:
        orders = [
            ("o1", ada, analytical, "2026-10-15", 200_00, "c1"),
            ("o2", grace, None, "2026-11-03", 50_00, None),
            ("o3", ada, analytical, "2026-04-01", 300_00, None),
            ("o4", None, old_co, "2026-03-01", 400_00, None),
        ]
        uow.insert_rows(
            Order,
            [
                {
                    "id": oid,
                    "contact_id": contact,
                    "company_id": company,
                    "ordered_on": day(on),
                    "amount_cents": amount,
                    "campaign_id": campaign,
                }
                for oid, contact, company, on, amount, campaign in orders
            ],
        )
        uow.insert_rows(Consent, [{"contact_id": ada, "purpose": "newsletter"}])
        uow.commit()
    return Shop(app, reports, clock, ids)


def test_pipeline_by_stage_and_owner(shop: Shop) -> None:
    report = shop.reports.pipeline(OCT_NOV)
    stages = {x.label: x for x in report.by_stage}
    assert [x.label for x in report.by_stage] == ["Lead", "Qualified", "Proposal"]
    lead, qualified, proposal = stages["Lead"], stages["Qualified"], stages["Proposal"]
    assert (lead.count, lead.value_cents, lead.weighted_cents) == (3, 5_800_00, 580_00)
    assert lead.average_age_days == pytest.approx((20 + 2 + 2) / 3)
    assert lead.rotting == 1  # D1: 20 days in Lead
    # D5's 30 % of 1,234.56 is 370.368: rounded to the cent per deal, as on the board.
    assert (qualified.count, qualified.value_cents, qualified.weighted_cents) == (
        2,
        3_234_56,
        900_00 + 370_37,
    )
    assert qualified.average_age_days == 35.5 and qualified.rotting == 1
    assert (proposal.count, proposal.value_cents, proposal.weighted_cents) == (
        2,
        3_500_00,
        2_100_00,
    )
    assert proposal.rotting == 0  # D3: 21 days is not more than 21
    assert report.total.count == 7 and report.total.value_cents == 12_534_56
    assert report.total.weighted_cents == 3_950_37
    assert report.total.average_age_days == 18.0 and report.total.rotting == 2
    owners = {x.label: x for x in report.by_owner}
    assert (owners["Anna Berg"].count, owners["Anna Berg"].value_cents) == (4, 7_800_00)
    assert owners["Anna Berg"].weighted_cents == 1_480_00
    assert (owners["Ben Ode"].count, owners["Ben Ode"].weighted_cents) == (3, 2_470_37)
    only_ben = shop.reports.pipeline(ReportFilter(OCT_NOV.start, OCT_NOV.end, shop.ids["ben"]))
    assert only_ben.total.count == 3 and [x.label for x in only_ben.by_owner] == ["Ben Ode"]
    section = report.section()
    assert section.tables[0].rows[0] == ("Lead", 3, 5_800_00, 580_00, 8.0, 1)


def test_forecast_buckets(shop: Shop) -> None:
    buckets = shop.reports.forecast(OCT_NOV).buckets
    got = {
        b.label: (b.count, b.unweighted_cents, b.weighted_cents, b.best_case_cents) for b in buckets
    }
    assert [b.label for b in buckets] == [
        "Overdue (before November 2026)",
        "November 2026",
        "December 2026",
        "January 2027",
        "Later",
        "No close date",
    ]
    assert got["Overdue (before November 2026)"] == (1, 800_00, 80_00, 80_00)  # D6
    # D1 and D5, weighted; best case adds W3, won on 10 November.
    assert got["November 2026"] == (2, 2_234_56, 100_00 + 370_37, 1_000_00 + 100_00 + 370_37)
    assert buckets[1].won_cents == 1_000_00
    assert got["December 2026"] == (1, 2_000_00, 900_00, 900_00)  # 45 %: weighted
    assert got["January 2027"] == (1, 3_000_00, 1_800_00, 3_000_00)  # 60 %: in full
    assert got["Later"] == (1, 4_000_00, 400_00, 400_00)
    assert got["No close date"] == (1, 500_00, 300_00, 500_00)


def test_won_lost_by_month(shop: Shop) -> None:
    report = shop.reports.won_lost(OCT_NOV)
    october, november = report.month("2026-10"), report.month("2026-11")
    assert (october.won_count, october.won_cents, october.lost_count, october.lost_cents) == (
        2,
        7_500_00,
        1,
        1_500_00,
    )
    assert october.win_rate == pytest.approx(2 / 3)
    assert october.win_rate_value == pytest.approx(7_500 / 9_000)
    assert october.average_cycle_days == 30.0  # (40 + 20) / 2
    assert (november.won_count, november.lost_count, november.average_cycle_days) == (1, 1, 9.0)
    assert november.win_rate == 0.5
    assert report.total.win_rate == pytest.approx(3 / 5)
    assert report.total.average_cycle_days == 23.0  # (40 + 20 + 9) / 3
    assert [(r.kind, r.label, r.count, r.value_cents) for r in report.reasons] == [
        ("won", "Best fit", 3, 8_500_00),
        ("lost", "Too expensive", 2, 2_200_00),
    ]
    assert report.section().tables[0].rows[0][0] == "October 2026"


def test_forecast_accuracy_against_the_forecast_rebuilt_for_the_first(shop: Shop) -> None:
    october = ReportFilter.month("2026-10")
    report = shop.reports.forecast_accuracy(october)
    # Open on 1 October, 00:00: W1 in Proposal since 20 September (60 % of 5,000, closing
    # 20 October), L1 in Qualified (30 % of 1,500, closing 5 October), D5 in Lead (closing
    # in November). W2 was made at noon that day. Won in October: W1 and W2.
    [month] = report.by_month
    assert (month.forecast_cents, month.actual_cents) == (3_450_00, 7_500_00)
    assert month.accuracy == pytest.approx(1 - 4_050 / 7_500)
    assert month.bias == pytest.approx(-4_050 / 7_500)
    owners = {x.label: x for x in report.by_owner}
    assert (owners["Anna Berg"].forecast_cents, owners["Anna Berg"].actual_cents) == (
        3_450_00,
        5_000_00,
    )
    assert owners["Anna Berg"].accuracy == pytest.approx(0.69)
    assert owners["Ben Ode"].accuracy == 0.0
    assert owners["Ben Ode"].bias == pytest.approx(-1.0)
    stages = {x.label: (x.forecast_cents, x.actual_cents, x.accuracy) for x in report.by_stage}
    assert stages == {
        "Qualified": (450_00, 0, 0.0),
        "Proposal": (3_000_00, 5_000_00, pytest.approx(0.6)),
    }
    # Closed by 1 November, through each stage: Lead W1 W2 L1, Qualified W1 L1, Proposal
    # W1 W2 (W3 and L2 closed later: a report of October does not know them).
    suggested = {s.stage: (s.closed, s.won, s.suggested) for s in report.suggestions}
    assert suggested == {"Lead": (3, 2, 67), "Qualified": (2, 1, 50), "Proposal": (2, 2, 100)}
    # November as it stood on its first: D5 (30 % of 1,234.56) closes in it; D1 came later.
    november = shop.reports.forecast_accuracy(NOVEMBER).by_month[0]
    assert (november.forecast_cents, november.actual_cents) == (370_37, 1_000_00)
    # Each month of a longer range has its own lines per owner.
    both = shop.reports.forecast_accuracy(OCT_NOV)
    assert [x.label for x in both.by_month] == ["October 2026", "November 2026"]
    assert "November 2026 · Anna Berg" in {x.label for x in both.by_owner}


def test_reports_write_nothing(shop: Shop) -> None:
    with connect(shop.app) as conn:
        before = conn.execute("SELECT count(*), max(seq) FROM change").fetchone()
    shop.reports.monthly("2026-11")
    for key in ("accuracy", "pipeline", "dashboard"):
        shop.reports.document(NOVEMBER, key)
    with connect(shop.app) as conn:
        assert conn.execute("SELECT count(*), max(seq) FROM change").fetchone() == before
        assert conn.execute("SELECT count(*) FROM forecast_snapshots").fetchone() == (0,)


def test_stage_conversion_time_in_stage_and_slipping(shop: Shop) -> None:
    report = shop.reports.stage_flow(ReportFilter(day("2026-09-01"), day("2026-11-30")))
    flow = {s.stage: s for s in report.stages}
    lead, qualified, proposal = flow["Lead"], flow["Qualified"], flow["Proposal"]
    # Entered Lead: W1 W2 L1 W3 L2 D1 D3 D5 D6 D7; went further: W1 W2 L1 W3 D3 D5.
    assert (lead.entered, lead.reached_next, lead.won) == (10, 6, 3)
    assert lead.next_rate == 0.6 and lead.won_rate == 0.3
    assert (qualified.entered, qualified.reached_next, qualified.won) == (4, 1, 1)
    assert (proposal.entered, proposal.reached_next, proposal.won) == (4, 2, 2)
    # Ended stays: Lead 9 10 10 9 10 9 9 days, Qualified 10 10, Proposal 21 10.
    assert lead.average_days == round(66 / 7, 1)
    assert qualified.average_days == 10.0 and proposal.average_days == 15.5
    [slipping] = report.slipping
    assert (slipping.title, slipping.pushes) == ("D7", 2)
    assert (slipping.first_close, slipping.expected_close) == (day("2027-01-15"), day("2027-03-01"))


def test_activities_by_owner_and_type(shop: Shop) -> None:
    report = shop.reports.activities(NOVEMBER)
    # Done in November; overdue now (22 November, noon): D2's task of the 20th and D3's
    # call of the 21st. D1's task of the 25th is not due yet.
    lines = {(x.owner, x.kind): (x.done, x.overdue) for x in report.lines}
    assert lines == {
        ("Anna Berg", "call"): (1, 0),
        ("Anna Berg", "meeting"): (1, 0),
        ("Anna Berg", "task"): (0, 1),
        ("Ben Ode", "call"): (0, 1),
    }
    assert (report.done, report.overdue) == (2, 2)
    assert report.overdue_by_owner() == [("Anna Berg", 1), ("Ben Ode", 1)]
    # Overdue now does not depend on the period asked for.
    assert shop.reports.activities(ReportFilter.month("2026-06")).overdue == 2
    assert (report.won_deals, report.won_deal_activities, report.per_won_deal) == (1, 1, 1.0)
    october = shop.reports.activities(ReportFilter.month("2026-10"))
    assert october.per_won_deal == 0.5  # W1 and W2, one call on W2


def test_sales_by_month_source_and_campaign(shop: Shop) -> None:
    report = shop.reports.sales(OCT_NOV)
    assert [x.row() for x in report.by_month] == [
        ("October 2026", 2, 7_500_00, 1, 200_00, 7_700_00),
        ("November 2026", 1, 1_000_00, 1, 50_00, 1_050_00),
    ]
    assert report.total.total_cents == 8_750_00
    assert [(x.label, x.total_cents) for x in report.by_source] == [
        ("Referral", 6_000_00),
        ("Website", 2_500_00),
        ("Newsletter", 200_00),  # Ada's order: her lead source
        ("(none)", 50_00),
    ]
    [autumn] = report.by_campaign  # the trade fair started before and sold nothing since
    assert (autumn.cost_cents, autumn.period_cents, autumn.to_date_cents) == (
        1_000_00,
        5_200_00,
        5_200_00,
    )
    assert autumn.roi == pytest.approx(4.2)
    channels = {c.name: (c.cost_cents, c.to_date_cents, c.roi) for c in report.by_channel}
    assert channels == {
        "email": (1_000_00, 5_200_00, pytest.approx(4.2)),
        "event": (2_000_00, 0, -1.0),
    }


def test_customers_lifetime_value_and_rfm(shop: Shop) -> None:
    report = shop.reports.customers(OCT_NOV)
    assert report.customers == 3
    top = [(c.name, c.kind, c.period_cents, c.lifetime_cents, c.purchases) for c in report.top]
    assert top == [
        ("Analytical Ltd", "company", 6_200_00, 6_500_00, 4),
        ("Grace Hopper", "person", 2_550_00, 2_550_00, 2),
    ]
    assert report.top[0].last_purchase == day("2026-11-10")
    assert [c.rfm for c in report.top] == ["Champions", "Hibernating"]
    assert report.lapsed_count == 1 and report.lapsed[0].name == "Old Co"
    assert report.lapsed[0].rfm == "Lost"
    classes = {c.name: c.customers for c in report.classes}
    assert classes["Champions"] == 1 and classes["Lost"] == 1 and sum(classes.values()) == 3


def test_rfm_scores() -> None:
    assert quintile_scores([10, 20, 30, 40, 50]) == [1, 2, 3, 4, 5]
    assert quintile_scores([1, 1, 1, 5]) == [1, 1, 1, 4]  # ties share a score
    assert rfm_class(5, 5, 5) == "Champions"
    assert rfm_class(5, 1, 1) == "New"
    assert rfm_class(3, 4, 2) == "Loyal"
    assert rfm_class(2, 5, 5) == "Can't lose"
    assert rfm_class(2, 3, 2) == "At risk"
    assert rfm_class(4, 2, 1) == "Potential"
    assert rfm_class(2, 1, 5) == "Hibernating"
    assert rfm_class(1, 1, 1) == "Lost"
    assert quintile_cuts([]) == ()


def test_data_quality_counts_the_duplicates_the_scan_finds(shop: Shop) -> None:
    report = shop.reports.data_quality(OCT_NOV)
    groups = shop.app.duplicates.scan("contacts")
    assert report.contacts == 4
    assert report.duplicate_groups == len(groups) >= 1
    assert report.duplicate_contacts == sum(len(g.ids) for g in groups)
    assert report.without_consent == 3
    assert (report.open_deals, report.open_without_close, report.open_without_next) == (7, 1, 4)
    example = report.examples[0]
    assert example.names == groups[0].names[:2] and example.contacts == len(groups[0].ids)
    assert "same e-mail" in example.reasons or "same phone" in example.reasons
    assert report.section().title == "Data quality, today, 22 November 2026"


def test_deals_that_need_attention(shop: Shop) -> None:
    deals = shop.reports.attention(OCT_NOV)
    assert [(d.title, d.reasons) for d in deals] == [
        ("D7", ("no next activity", "slipping")),
        ("D5", ("rotting", "close date passed", "no next activity")),
        ("D1", ("rotting",)),
        ("D6", ("close date passed", "no next activity")),
        ("D4", ("no next activity",)),
    ]


def test_monthly_report_document(shop: Shop) -> None:
    shop.app.settings.set("business_name", "Lindenhof Trading")
    doc = shop.reports.monthly("2026-11")
    kpis = {k.label: k.value for k in doc.kpis}
    assert kpis == {
        "New contacts": 2,
        "New deals": 7,  # W3 L2 D1 D2 D4 D6 D7
        "Deals won": 1,
        "Won value": 1_000_00,
        "Deals lost": 1,
        "Lost value": 700_00,
        "Sales": 1_050_00,
        "Win rate": 0.5,
        "Open pipeline": 12_534_56,
        "Weighted pipeline": 3_950_37,
        "Activities done": 2,
    }
    assert doc.business == "Lindenhof Trading" and doc.period == "November 2026"
    assert doc.kpis[2].hint == "vs. 2 last month"
    [summary] = doc.summary
    tables = {t.title.split(",")[0]: t for t in summary.tables}
    people = tables["Won and lost per salesperson"]
    assert [r[:5] for r in people.rows] == [
        ("Anna Berg", 5, 8_800_00, 1, 1_000_00),  # new: W3 D1 D2 D6 D7
        ("Ben Ode", 2, 1_200_00, 0, 0),  # new: L2 D4
    ]
    movement = tables["Pipeline movement"]
    # Open on 1 November: D3 and D5 (W1, W2, L1 closed in October).
    assert [r[1:] for r in movement.rows] == [
        (2, 4_234_56),
        (7, 10_000_00),
        (1, 1_000_00),
        (1, 700_00),
        (0, 0),
    ]
    assert movement.total_row[1:] == (7, 12_534_56)
    titles = [s.title for s in doc.sections]
    assert titles[0] == "Pipeline today, 22 November 2026"
    assert "Won and lost, June to November 2026" in titles
    assert "Sales, November 2026" in titles and titles[-1] == "Glossary"
    assert doc.raw is not None
    assert [(r[0], r[1], r[2]) for r in doc.raw.rows] == [
        ("W3", "won", 1_000_00),
        ("L2", "lost", 700_00),
    ]
    attention = next(s for s in doc.sections if s.title.startswith("Deals that need attention"))
    assert [r[0] for r in attention.tables[0].rows] == ["D7", "D5", "D1", "D6", "D4"]
    for section in (*doc.summary, *doc.sections):  # every row fits its columns
        for table in section.tables:
            assert all(len(row) == len(table.columns) for row in table.rows), table.title
    owner_doc = shop.reports.monthly("2026-11", owner_id=shop.ids["ben"])
    assert {k.label: k.value for k in owner_doc.kpis}["Deals lost"] == 1
    assert owner_doc.filters[0] == "Owner: Ben Ode"
    with pytest.raises(ValidationError, match="YYYY-MM"):
        shop.reports.monthly("2026-13")
    with pytest.raises(ValidationError, match="out of range"):
        shop.reports.monthly("9999-12")


def test_other_currencies_are_converted_at_the_owners_rates_or_listed_apart(shop: Shop) -> None:
    record = shop.app.deals.get(shop.ids["W3"]).draft
    shop.app.deals.update(
        shop.ids["W3"],
        DealDraft(**{**record.__dict__, "currency": "CZK", "value_cents": 25_000_00}),
    )
    doc = shop.reports.monthly("2026-11")
    kpis = {k.label: k for k in doc.kpis}
    # No rate: never added to the euros, listed in its own currency.
    assert kpis["Won value"].value == 0 and kpis["Deals won"].value == 1
    assert "+ 25,000.00 CZK not converted" in kpis["Won value"].hint
    currencies = next(s for s in doc.sections if s.title.startswith("Currencies"))
    [left] = currencies.tables
    assert ("Won value", "CZK", 1, "25,000.00 CZK") in left.rows
    # A rate of October serves November too, and the report says which it used.
    shop.app.settings.set_exchange_rate("CZK", "2026-10", "0.0398")
    doc = shop.reports.monthly("2026-11")
    assert {k.label: k.value for k in doc.kpis}["Won value"] == 995_00
    currencies = next(s for s in doc.sections if s.title.startswith("Currencies"))
    assert currencies.tables[0].rows == (("CZK", "October 2026", "0.0398"),)
    assert "Amounts in other currencies" in {
        r[0] for s in doc.sections if s.title == "Glossary" for r in s.tables[0].rows
    }


def test_an_order_of_a_deal_is_counted_once(shop: Shop) -> None:
    with shop.app.uow() as uow:
        uow.insert_rows(
            Order,
            [
                {
                    "id": "o-of-w3",
                    "contact_id": None,
                    "company_id": None,
                    "ordered_on": day("2026-11-11"),
                    "amount_cents": 1_000_00,
                    "deal_id": shop.ids["W3"],
                }
            ],
        )
        uow.commit()
    november = shop.reports.sales(NOVEMBER)
    assert november.total.total_cents == 1_050_00  # W3's 1,000 once, plus o2's 50
    assert november.total.orders == 1
