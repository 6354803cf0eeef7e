"""A report is true to its month and honest about money.

A past month's figures are rebuilt from the stage history and the change log, so what is
done today (deals added, moved, won, reopened, edited, deleted) leaves them as they were;
a month before any data has an empty pipeline; reports write nothing; amounts in other
currencies are converted at the owner's rates or listed apart; an order of a deal is that
deal's sale, counted once; the PDF's first two pages hold the summary.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import event

from crm_desktop.bootstrap import AppContext
from crm_desktop.cli import main
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.money import Rates
from crm_desktop.domain.pipeline import DealDraft
from crm_desktop.domain.reportdoc import ReportDocument
from crm_desktop.domain.reports import ReportFilter
from crm_desktop.services.reports import ReportService
from tests.databases import connect, location_args

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def cells(doc: ReportDocument) -> list[Any]:
    """Every figure of a document: KPIs, and each table's title, rows and total."""
    found: list[Any] = [(k.label, k.value) for k in doc.kpis]
    for section in (*doc.summary, *doc.sections):
        found.append(section.title)
        for table in section.tables:
            found += [table.title, table.rows, table.total_row]
    if doc.raw is not None:
        found.append(doc.raw.rows)
    return found


def test_a_past_month_reads_the_same_after_todays_work(demo_app: AppContext) -> None:
    """The demo's deals (made up to 22 November) seen from 22 November; October is over.
    Whatever is done now (after October's end) leaves October as it was."""
    app = demo_app
    reports = ReportService(app.uow, lambda: NOW)
    october = ReportFilter.month("2026-10")
    before = reports.monthly("2026-10")
    pipeline_before = reports.pipeline(october)
    assert pipeline_before.total.count > 0
    pipeline = app.pipeline.pipelines()[0]
    stages = {s.kind: s for s in pipeline.stages}
    open_stage = next(s for s in pipeline.stages if s.kind == "open")
    with connect(app) as conn:
        rows = conn.execute(
            "SELECT id, status FROM deals WHERE pipeline_id = ? AND deleted_at IS NULL "
            "AND created_at < '2026-10-01' ORDER BY id",
            (pipeline.id,),
        ).fetchall()
        (contact,) = conn.execute("SELECT id FROM contacts LIMIT 1").fetchone()
    open_ids = [i for i, status in rows if status == "open"][:6]
    won_ids = [i for i, status in rows if status == "won"][:3]
    assert len(open_ids) == 6 and len(won_ids) == 3
    users = app.users.list()
    # New deals today.
    for n in range(3):
        app.deals.create(
            DealDraft(
                title=f"Today {n}",
                pipeline_id=pipeline.id,
                stage_id=open_stage.id,
                value_cents=1_000_000,
                owner_id=users[0].id,
                contact_id=contact,
            )
        )
    # Open deals won and lost, won deals reopened, edits of value, owner, close date,
    # probability and currency, a deal deleted.
    app.pipeline.move(open_ids[0], stages["won"].id, reason_id=app.pipeline.reasons("won")[0].id)
    app.pipeline.move(open_ids[1], stages["lost"].id, reason_id=app.pipeline.reasons("lost")[0].id)
    for deal_id in won_ids:
        app.pipeline.reopen(deal_id)
    for deal_id in open_ids[2:5]:
        draft = app.deals.get(deal_id).draft
        changed = {
            "value_cents": draft.value_cents * 3 + 1,
            "owner_id": users[-1].id,
            "probability": 99,
            "expected_close": dt.date(2026, 10, 15),
            "currency": "CZK",
        }
        app.deals.update(deal_id, DealDraft(**{**draft.__dict__, **changed}))
    app.deals.delete([open_ids[5]])
    after = reports.monthly("2026-10")
    assert cells(after) == cells(before)
    assert reports.pipeline(october) == pipeline_before
    # Today's figures do see today's work.
    now = {k.label: k.value for k in reports.monthly("2026-11").kpis}
    assert now["New deals"] >= 3


def test_a_month_before_any_data_has_an_empty_pipeline(
    demo_app: AppContext, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            *location_args(demo_app),
            "--json",
            "report",
            "monthly",
            "--month",
            "2019-01",
        ]
    )
    printed = json.loads(capsys.readouterr().out)
    assert code == 0
    assert printed["kpis"]["Open pipeline"] == {"amount": "0.00", "currency": "EUR"}
    assert printed["kpis"]["Weighted pipeline"] == {"amount": "0.00", "currency": "EUR"}
    assert printed["kpis"]["Deals won"] == 0


def test_report_on_a_folder_without_a_database_is_an_error_and_makes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "mistyped"
    for args in (["report", "monthly"], ["report", "pipeline"], ["search", "x"], ["doctor"]):
        assert main(["--data-dir", str(folder), *args]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "no database in" in err
        assert not folder.exists()


@pytest.mark.parametrize("month", ["9999-12", "0999-01", "1899-12"])
def test_a_month_out_of_range_is_one_clear_line(
    demo_app: AppContext, capsys: pytest.CaptureFixture[str], month: str
) -> None:
    code = main([*location_args(demo_app), "report", "monthly", "--month", month])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "out of range" in err and "unexpected" not in err


def test_reports_never_write(demo_app: AppContext, tmp_path: Path) -> None:
    """No statement of a report run changes anything (the forecast of a month's first day
    is rebuilt, not stored), so reports run on a database nobody may write to."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.upper().split()
        statements.append(" ".join(words[:2]) if words[0] == "BEGIN" else words[0])

    engine = demo_app.database.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        demo_app.reports.export_monthly("2026-10", tmp_path / "m.pdf", tmp_path / "m.xlsx")
        for key in ("dashboard", "accuracy", "quality"):
            demo_app.reports.document(ReportFilter.month("2026-10"), key)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements and set(statements) <= {"BEGIN", "SELECT", "WITH", "PRAGMA"}  # no IMMEDIATE


# ---- money ----------------------------------------------------------------------------------


def test_rates_convert_at_the_month_or_the_latest_earlier_one() -> None:
    rates = Rates.from_setting("EUR", {"CZK": {"2026-09": "0.04", "2026-11": "0.0398"}})
    assert rates.convert(100_000_00, "CZK", "2026-11") == 3_980_00
    assert rates.convert(100_000_00, "CZK", "2026-10") == 4_000_00  # September's rate
    assert rates.convert(100_000_00, "CZK", "2026-08") is None  # none yet
    assert rates.convert(1, "CZK", "2026-11") == 0  # 0.0398 cent, half up
    assert rates.convert(13, "CZK", "2026-11") == 1  # 0.5174 cent
    assert rates.convert(12_34, "EUR", "2026-11") == 12_34


def test_settings_keep_rates_and_targets(app: AppContext) -> None:
    app.settings.set_exchange_rate("czk", "2026-11", "0,0398")
    app.settings.set_exchange_rate("USD", "2026-11", "0.92")
    assert [(r.currency, r.month, r.rate) for r in app.settings.exchange_rates()] == [
        ("CZK", "2026-11", Decimal("0.0398")),
        ("USD", "2026-11", Decimal("0.92")),
    ]
    app.settings.set_exchange_rate("USD", "2026-11", None)
    assert [r.currency for r in app.settings.exchange_rates()] == ["CZK"]
    for bad, message in (
        (("EUR", "2026-11", "1"), "business currency"),
        (("CZK", "2026-11", "-1"), "above 0"),
    ):
        with pytest.raises(ValidationError, match=message):
            app.settings.set_exchange_rates([bad])
    anna = app.users.create("Anna Berg").id
    app.settings.set_targets([("business", None, "50,000"), (anna, "2026-11", "20000.50")])
    assert {(t.who, t.month, t.cents) for t in app.settings.targets()} == {
        ("business", "*", 50_000_00),
        (anna, "2026-11", 20_000_50),
    }
    with pytest.raises(ValidationError, match="no salesperson"):
        app.settings.set_targets([("nobody", None, "1")])


def _pdf_pages(path: Path) -> list[str]:
    pages = int(
        next(
            line.split()[-1]
            for line in subprocess.run(
                ["pdfinfo", str(path)], capture_output=True, text=True, check=True
            ).stdout.splitlines()
            if line.startswith("Pages:")
        )
    )
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, pages + 1)
    ]


def test_the_first_two_pages_hold_the_summary(demo_app: AppContext, tmp_path: Path) -> None:
    reports = ReportService(demo_app.uow, lambda: NOW)
    pdf, xlsx = tmp_path / "m.pdf", tmp_path / "m.xlsx"
    doc = reports.export_monthly("2026-10", pdf, xlsx)
    pages = _pdf_pages(pdf)
    first_two = "\n".join(pages[:2])
    [summary] = doc.summary
    people = next(t for t in summary.tables if t.title.startswith("Won and lost per salesperson"))
    assert people.rows
    for row in people.rows:  # each salesperson's won value, on pages 1-2
        name, won_value = row[0], row[4]
        line = next(
            line
            for line in first_two.splitlines()
            if line.strip().startswith(str(name)) and "EUR" in line
        )
        assert f"{won_value // 100:,}" in line, name  # type: ignore[operator]
    assert "Open deals by stage and owner" in first_two
    matrix = next(t for t in summary.tables if t.title.startswith("Open deals by stage and owner"))
    for column in matrix.columns[1:]:
        assert column.title in first_two
    assert "Pipeline movement" in first_two and "Overdue now" in first_two
    assert "Weighted forecast per owner" in first_two
    rest = "\n".join(pages[2:])
    assert "Deals won in October 2026" in rest and "Glossary" in rest
    # The workbook prints: every sheet fits its width, wide ones lie on their side,
    # headers repeat and only the used cells print.
    book = openpyxl.load_workbook(xlsx)
    for sheet in book.worksheets:
        assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_area
    assert book["Raw data"].print_title_rows == "$1:$1"
    assert book["Raw data"].page_setup.orientation == "landscape"
    assert book["Glossary"].page_setup.orientation == "portrait"
    won = book["Deals won"]
    assert won.print_title_rows and won.freeze_panes
