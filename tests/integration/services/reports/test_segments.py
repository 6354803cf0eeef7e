"""Reports of a saved segment's contacts only (their deals, orders and activities), on the
hand-worked shop of test_reports: Grace's and G. Hopper's ("Hoppers") and the two Adas'
("Adas"), which between them hold every deal and every order of a contact; the report
says which segment it covers, on screen, in the files and on the command line."""

from __future__ import annotations

import dataclasses
import json

import pytest

from crm_desktop.cli import main
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.reports import ReportFilter
from crm_desktop.domain.segments import parse_filter
from tests.databases import location_args
from tests.integration.services.reports.test_service import OCT_NOV, Shop, shop  # noqa: F401

NOVEMBER = ReportFilter.month("2026-11")


def _of(shop: Shop, name: str, filters: ReportFilter = OCT_NOV) -> ReportFilter:  # noqa: F811
    segment = shop.app.segments.find(name)
    return dataclasses.replace(filters, segment=segment.filter, segment_name=segment.name)


@pytest.fixture
def segments(shop: Shop) -> Shop:  # noqa: F811
    shop.app.segments.save(
        "Hoppers", parse_filter({"field": "last_name", "op": "is", "value": "Hopper"})
    )
    shop.app.segments.save(
        "Adas", parse_filter({"field": "first_name", "op": "is", "value": "Ada"})
    )
    return shop


def test_sales_of_a_segment_count_only_its_contacts_deals_and_orders(segments: Shop) -> None:
    report = segments.reports.sales(_of(segments, "Hoppers"))
    assert [x.row() for x in report.by_month] == [
        ("October 2026", 1, 2_500_00, 0, 0, 2_500_00),  # W2, Grace's
        ("November 2026", 0, 0, 1, 50_00, 50_00),  # her order o2
    ]
    [autumn] = report.by_campaign  # W1 and o1 of the autumn mailing are Ada's
    assert (autumn.cost_cents, autumn.period_cents, autumn.to_date_cents) == (1_000_00, 0, 0)
    adas = segments.reports.sales(_of(segments, "Adas"))
    assert adas.total.total_cents == 6_200_00
    everyone = segments.reports.sales(OCT_NOV)
    # Every deal and order of a contact is in one of the two segments.
    assert adas.total.total_cents + report.total.total_cents == everyone.total.total_cents


def test_customers_and_rfm_of_a_segment(segments: Shop) -> None:
    report = segments.reports.customers(_of(segments, "Hoppers"))
    assert report.customers == 1
    top = [(c.name, c.kind, c.period_cents, c.lifetime_cents, c.purchases) for c in report.top]
    assert top == [("Grace Hopper", "person", 2_550_00, 2_550_00, 2)]
    assert sum(c.customers for c in report.classes) == 1


def test_activities_of_a_segment(segments: Shop) -> None:
    report = segments.reports.activities(_of(segments, "Hoppers", NOVEMBER))
    lines = {(x.owner, x.kind): (x.done, x.overdue) for x in report.lines}
    assert lines == {("Ben Ode", "call"): (0, 1)}  # D3's call of the 21st, Grace's
    assert report.won_deals == 0  # W3, won in November, is Ada's
    adas = segments.reports.activities(_of(segments, "Adas", NOVEMBER))
    assert (adas.done, adas.overdue, adas.won_deals) == (2, 1, 1)


def test_the_report_says_which_segment_it_covers(segments: Shop) -> None:
    document = segments.reports.document(_of(segments, "Hoppers"), "sales")
    assert document.filters == (
        "Segment: Hoppers (2 contacts today; their deals, orders, activities)",
    )
    assert segments.reports.document(OCT_NOV, "sales").filters == ()
    dashboard = segments.reports.document(_of(segments, "Adas"), "dashboard")
    kpis = {k.label: k.value for k in dashboard.kpis}
    assert kpis["Deals won"] == 2 and kpis["Sales"] == 6_200_00
    with pytest.raises(ValidationError, match="every contact"):
        segments.reports.document(_of(segments, "Adas"), "quality")


def test_report_segment_on_the_command_line(
    segments: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    where = location_args(segments.app)
    period = ["--from", "2026-10-01", "--to", "2026-11-30"]
    assert main([*where, "--json", "report", "sales", *period, "--segment", "hoppers"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["filters"] == [
        "Segment: Hoppers (2 contacts today; their deals, orders, activities)"
    ]
    assert payload["report"] == "sales" and payload["tables"]
    assert main([*where, "report", "sales", *period, "--segment", "Hoppers"]) == 0
    assert "Segment: Hoppers" in capsys.readouterr().out
    assert main([*where, "report", "sales", *period, "--segment", "nobody"]) == 1
    assert "no segment named 'nobody'" in capsys.readouterr().err
    assert main([*where, "report", "monthly", "--month", "2026-11", "--segment", "Adas"]) == 1
    assert "no --segment" in capsys.readouterr().err
