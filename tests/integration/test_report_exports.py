"""The owner's report as Excel and PDF, read back the way a user's program would."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import openpyxl
import pytest
from openpyxl.chart import BarChart, LineChart, PieChart
from openpyxl.worksheet.worksheet import Worksheet
from pypdf import PdfReader

from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.reportdoc import (
    Cell,
    Chart,
    Column,
    Kpi,
    ReportDocument,
    Section,
    Table,
    format_cell,
)
from crm_desktop.exchange import report_pdf, report_xlsx
from crm_desktop.exchange._report_common import neutralise_text
from crm_desktop.exchange.report_pdf import write_pdf
from crm_desktop.exchange.report_xlsx import SheetNames, header_titles, write_xlsx

Writer = Callable[[ReportDocument, Path], None]
OWNERS = ("Anna Berg", "Jürgen Müller", "Łucja Wójcik", "Zoë O'Brien")
STAGES = ("Lead", "Qualified", "Proposal", "Negotiation", "Won")
FORMULA = "=SUM(A1:A9)"
LONG_ROWS = 150

KPIS = (
    Kpi("Won revenue", 1_234_567_89, "money", "vs. 1,100,000 EUR last month"),
    Kpi("Deals won", 42, "int", "vs. 38"),
    Kpi("Win rate", 0.375, "percent"),
    Kpi("Average cycle", 23.5, "days", "median 19 d"),
    Kpi("First close", dt.date(2026, 11, 2), "date"),
    Kpi("Score", 3.25, "number", "=1+1"),
    Kpi("Top owner", "Jürgen Müller", "text"),
)


def _deal_row(i: int) -> tuple[Cell, ...]:
    name = FORMULA if i == 3 else f"Deal {i}: renewal of the Łódź warehouse contract"
    return (
        name,
        f"Müller & Söhne GmbH {i % 7}",
        OWNERS[i % len(OWNERS)],
        dt.date(2026, 11, 1) + dt.timedelta(days=i % 28),
        (i * 1_234_567) % 10_000_000,
        (i % 10) / 10,
        (i % 50) * 1.25,
    )


DEALS = Table(
    "Deals closed this month",
    (
        Column("Deal"),
        Column("Company"),
        Column("Owner"),
        Column("Closed", "date"),
        Column("Value", "money"),
        Column("Probability", "percent"),
        Column("Days open", "days"),
    ),
    tuple(_deal_row(i) for i in range(LONG_ROWS)),
    total_row=("Total", None, None, None, 5_000_000_00, None, None),
    note="Values in €, before tax.",
)
MONTHS = Table(
    "Won and lost by month",
    (Column("Month"), Column("Won", "money"), Column("Lost", "money"), Column("Deals", "int")),
    tuple((f"2026-{m:02d}", 1_000_00 * m + 55, 500_00 * (12 - m), m * 3) for m in range(1, 12)),
    chart=Chart("stacked_bar", 0, (1, 2), "Won and lost"),
    total_row=("Total", 6_600_605, 3_850_000, 198),
)
TREND = Table(
    "Win rate trend",
    (Column("Month"), Column("Win rate", "percent"), Column("Cycle", "days")),
    tuple((f"2026-{m:02d}", 0.1 + m / 40, 20 + m * 1.5) for m in range(1, 12)),
    chart=Chart("line", 0, (1,)),
)
OWNER_TABLE = Table(
    "Won by owner",
    (Column("Owner"), Column("Won", "money"), Column("Deals", "int")),
    tuple((owner, 50_000_00 + i * 7_000_00, 4 + i) for i, owner in enumerate(OWNERS)),
    chart=Chart("bar", 0, (1,)),
)
STAGE_TABLE = Table(
    "Pipeline by stage",
    (Column("Stage"), Column("Deals", "int"), Column("Value", "money")),
    tuple((stage, 10 + i, 12_345_00 * (i + 1)) for i, stage in enumerate(STAGES)),
    chart=Chart("pie", 0, (2,), "Value by stage"),
)
RAW_FORMULA = '=HYPERLINK("http://evil.example","Click")'
RAW = Table(
    "Raw data",
    (Column("Id"), Column("Name"), Column("Value", "money"), Column("Created", "date")),
    tuple(
        (
            f"id-{i:05d}",
            RAW_FORMULA if i == 7 else f"Kontakt Łódź {i} <&>",
            i * 137,
            dt.date(2025, 1, 1) + dt.timedelta(days=i),
        )
        for i in range(500)
    ),
)


def _document(raw: Table = RAW) -> ReportDocument:
    return ReportDocument(
        title="Monthly report",
        business="Müller & Söhne, Łódź",
        period="November 2026",
        generated_at=dt.datetime(2026, 11, 30, 18, 5),
        kpis=KPIS,
        sections=(
            Section("Sales: [won]/lost?", (MONTHS, TREND, OWNER_TABLE), note="By close date."),
            Section("Pipeline", (STAGE_TABLE, DEALS)),
        ),
        raw=raw,
        filters=("Owner: all", "Pipeline: Sales"),
    )


@pytest.fixture(scope="module")
def xlsx_book(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    write_xlsx(_document(), path)
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def pdf_pages(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    write_pdf(_document(), path)
    return [page.extract_text() for page in PdfReader(path).pages]


def _find_row(sheet: Worksheet, text: str) -> int:
    for (cell,) in sheet.iter_rows(min_col=1, max_col=1):
        if cell.value == text:
            return int(cell.row)
    raise AssertionError(f"{text!r} not in column A of {sheet}")


def test_workbook_has_summary_section_and_raw_sheets(xlsx_book: openpyxl.Workbook) -> None:
    # "Sales: [won]/lost?" is not a valid sheet name as it stands.
    assert xlsx_book.sheetnames == ["Summary", "Sales won lost", "Pipeline", "Raw data"]


def test_summary_holds_key_figures_as_numbers_with_formats(
    xlsx_book: openpyxl.Workbook,
) -> None:
    sheet = xlsx_book["Summary"]
    assert sheet["A1"].value == "Monthly report"
    assert sheet["A2"].value == "Müller & Söhne, Łódź"
    values = {row[0].value: row[1] for row in sheet.iter_rows(min_row=3) if row[0].value}
    assert values["Period"].value == "November 2026"
    assert values["Filters"].value == "Owner: all; Pipeline: Sales"
    assert values["Generated on"].value == dt.datetime(2026, 11, 30, 18, 5)
    money = values["Won revenue"]
    assert money.value == pytest.approx(1_234_567.89)
    assert "EUR" in money.number_format and "0.00" in money.number_format
    assert values["Deals won"].value == 42 and values["Deals won"].number_format == "#,##0"
    assert values["Win rate"].value == 0.375 and values["Win rate"].number_format == "0.0%"
    assert values["Average cycle"].value == 23.5
    assert values["Average cycle"].number_format == "0.0"
    assert values["First close"].value == dt.datetime(2026, 11, 2)
    assert values["First close"].number_format == "yyyy-mm-dd"
    assert values["Top owner"].value == "Jürgen Müller"


def test_section_sheet_tables_keep_values_formats_and_charts(
    xlsx_book: openpyxl.Workbook,
) -> None:
    sheet = xlsx_book["Pipeline"]
    header = _find_row(sheet, "Deal")
    assert [c.value for c in sheet[header]][:7] == [c.title for c in DEALS.columns]
    assert sheet.cell(header, 1).font.bold
    assert sheet.cell(header, 1).fill.fgColor.rgb.endswith("1F4E79")
    first = sheet[header + 1]
    assert first[0].value == "Deal 0: renewal of the Łódź warehouse contract"
    assert first[3].value == dt.datetime(2026, 11, 1) and first[3].number_format == "yyyy-mm-dd"
    second = sheet[header + 2]
    assert second[4].value == pytest.approx(12_345.67)
    assert "EUR" in second[4].number_format
    assert second[5].value == pytest.approx(0.1) and second[5].number_format == "0.0%"
    assert second[6].value == 1.25 and second[6].number_format == "0.0"
    total = sheet[header + 1 + LONG_ROWS]
    assert total[0].value == "Total" and total[0].font.bold
    assert total[4].value == 5_000_000 and total[4].font.bold
    assert sheet.cell(header + 1 + LONG_ROWS + 1, 1).value == "Values in €, before tax."
    assert [type(chart) for chart in sheet._charts] == [PieChart]
    # Each table is an Excel table with its own filter; the total row stays outside it.
    stage_header = _find_row(sheet, "Stage")
    tables = {table.ref: table for table in sheet.tables.values()}
    assert set(tables) == {
        f"A{stage_header}:C{stage_header + len(STAGES)}",
        f"A{header}:G{header + LONG_ROWS}",
    }
    for ref, table in tables.items():
        assert table.autoFilter.ref == ref
    deals = tables[f"A{header}:G{header + LONG_ROWS}"]
    assert [c.name for c in deals.tableColumns] == [c.title for c in DEALS.columns]
    widths = {key: dim.width for key, dim in sheet.column_dimensions.items()}
    assert widths["A"] >= 30 and 10 <= widths["D"] <= 20


def test_charts_of_every_kind_and_frozen_header(xlsx_book: openpyxl.Workbook) -> None:
    sales = xlsx_book["Sales won lost"]
    kinds = sorted(type(chart).__name__ for chart in sales._charts)
    assert kinds == sorted([BarChart.__name__, LineChart.__name__, BarChart.__name__])
    stacked = next(c for c in sales._charts if isinstance(c, BarChart) and len(c.series) == 2)
    assert stacked.grouping == "stacked"
    assert sales.freeze_panes == "A2"  # several tables: the section title stays in view
    assert len(sales.tables) == 3
    raw = xlsx_book["Raw data"]
    assert raw.freeze_panes == "A2"
    assert raw.auto_filter.ref == f"A1:D{1 + len(RAW.rows)}"


def test_a_single_table_sheet_freezes_its_header(tmp_path: Path) -> None:
    doc = ReportDocument(
        "Owners",
        "Tiny Ltd",
        "2026",
        dt.datetime(2026, 1, 1),
        sections=(Section("Owners", (OWNER_TABLE,)),),
    )
    write_xlsx(doc, tmp_path / "owners.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "owners.xlsx")["Owners"]
    header = _find_row(sheet, "Owner")
    assert sheet.freeze_panes == f"A{header + 1}"
    assert [table.ref for table in sheet.tables.values()] == [f"A{header}:C{header + 4}"]


def test_raw_sheet_rows_match_the_document(xlsx_book: openpyxl.Workbook) -> None:
    raw = xlsx_book["Raw data"]
    assert [c.value for c in raw[1]] == ["Id", "Name", "Value", "Created"]
    assert raw[1][0].font.bold
    assert raw.max_row == 1 + len(RAW.rows)
    for index in (0, 1, 250, len(RAW.rows) - 1):
        ident, name, cents, created = RAW.rows[index]
        cells = raw[index + 2]
        assert [c.value for c in cells[:2]] == [ident, name]
        assert isinstance(cents, int)
        assert cells[2].value == pytest.approx(cents / 100)
        assert "EUR" in cells[2].number_format
        assert cells[3].value.date() == created and cells[3].number_format == "yyyy-mm-dd"


def test_formula_looking_text_is_never_a_formula(xlsx_book: openpyxl.Workbook) -> None:
    sheet = xlsx_book["Pipeline"]
    cell = sheet.cell(_find_row(sheet, "Deal") + 4, 1)
    assert cell.data_type == "s"
    assert cell.value == "'" + FORMULA
    raw = xlsx_book["Raw data"]["B9"]  # the raw sheet is written by another path
    assert raw.data_type == "s"
    assert raw.value == "'" + RAW_FORMULA
    summary = xlsx_book["Summary"]
    hint = next(row[2] for row in summary.iter_rows() if row[0].value == "Score")
    assert hint.data_type == "s" and hint.value == "'=1+1"


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+HYPERLINK(x)", "'-2+3+HYPERLINK(x)"),
        ("\t=1", "'\t=1"),
        ("+49 30 1234567", "+49 30 1234567"),
        ("-12.5", "-12.5"),
        ("Müller", "Müller"),
    ],
)
def test_neutralised_text(text: str, stored: str) -> None:
    assert neutralise_text(text) == stored


def test_sheet_names_are_valid_and_unique() -> None:
    names = SheetNames(("Summary", "Raw data"))
    taken = [
        names.take("Summary"),
        names.take("A very long section title that goes on and on"),
        names.take("A very long section title that goes on and on"),
        names.take("What? *Now*: [1/2]"),
        names.take("'quoted'"),
        names.take("history"),
        names.take(""),
    ]
    assert taken == [
        "Summary (2)",
        "A very long section title that",
        "A very long section title t (2)",
        "What Now 1 2",
        "quoted",
        "history (2)",
        "Sheet",
    ]
    assert all(len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name) for name in taken)


def test_header_titles_suit_excel_tables() -> None:
    columns = (Column("Value"), Column("value"), Column(""), Column("=x"), Column("Two\nlines"))
    assert header_titles(columns) == ["Value", "value (2)", "Column 3", "'=x", "Two lines"]


def test_pdf_has_cover_kpis_and_numbered_footers(pdf_pages: list[str]) -> None:
    total = len(pdf_pages)
    assert 5 <= total <= 20
    cover = pdf_pages[0]
    for text in ("Monthly report", "Müller & Söhne, Łódź", "November 2026", "Owner: all"):
        assert text in cover
    for kpi in KPIS:
        assert kpi.label in cover
        assert format_cell(kpi.value, kpi.kind, "EUR") in cover
    assert "vs. 38" in cover
    for number, text in enumerate(pdf_pages, start=1):
        assert f"Page {number} of {total}" in text
        assert "generated on 2026-11-30 18:05" in text
        assert "Müller & Söhne, Łódź" in text


def test_pdf_long_table_repeats_its_header_on_every_page(pdf_pages: list[str]) -> None:
    pages = [text for text in pdf_pages if re.search(r"Deal \d+: renewal", text)]
    assert len(pages) >= 3
    for text in pages:
        for title in ("Deal", "Company", "Owner", "Closed", "Value", "Probability"):
            assert title in text
    body = "\n".join(pages)
    assert "12,345.67 EUR" in body and "2026-11-02" in body and "10.0 %" in body
    assert FORMULA in body  # on paper the text is shown as written
    # The total row; whole amounts keep their cents in a column that has some.
    assert "5,000,000.00 EUR" in body
    assert re.search(r"(?<![\d,.])0\.00 EUR", body)


def test_pdf_sections_and_charts(pdf_pages: list[str]) -> None:
    text = "\n".join(pdf_pages)
    for title in ("Sales: [won]/lost?", "Pipeline", "Win rate trend", "Value by stage"):
        assert title in text
    assert "Jürgen Müller" in text and "Łucja Wójcik" in text
    # The pie's legend names each stage with its value.
    assert "Negotiation" in text and "49,380 EUR" in text


def test_pdf_cell_taller_than_a_page_is_cut(tmp_path: Path) -> None:
    notes = Table(
        "Notes",
        (Column("Who"), Column("Note"), Column("Value", "money")),
        (("Anna", "word " * 4000 + "x" * 3000, 500), ("Ben", "line\n" * 300, 700)),
    )
    doc = ReportDocument(
        "Notes", "Tiny Ltd", "2026", dt.datetime(2026, 1, 1), sections=(Section("S", (notes,)),)
    )
    write_pdf(doc, tmp_path / "notes.pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(tmp_path / "notes.pdf").pages)
    assert "Anna" in text and "Ben" in text and "…" in text and "7 EUR" in text


def test_pdf_without_unicode_font_still_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fonts = report_pdf.report_fonts((("/nonexistent/Nothing.ttf", "b.ttf", "i.ttf"),))
    assert fonts.regular == "Helvetica"
    monkeypatch.setattr(report_pdf, "report_fonts", lambda: fonts)
    path = tmp_path / "plain.pdf"
    write_pdf(_document(), path)
    assert "Monthly report" in PdfReader(path).pages[0].extract_text()


@pytest.mark.parametrize("writer", [write_xlsx, write_pdf])
def test_unwritable_path_raises_crm_error_and_leaves_nothing(
    writer: Writer, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "report.out"
    with pytest.raises(CrmError, match="missing"):
        writer(_document(), target)
    assert not target.parent.exists()
    with pytest.raises(CrmError, match="folder"):
        writer(_document(), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_file_held_open_elsewhere_gives_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"open in Excel")

    def refuse(source: object, destination: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("crm_desktop.exchange._report_common.os.replace", refuse)
    with pytest.raises(CrmError, match="open in another program"):
        write_xlsx(_document(), target)
    assert target.read_bytes() == b"open in Excel"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


@pytest.mark.parametrize(
    ("writer", "module", "step"),
    [(write_xlsx, report_xlsx, "_write_section"), (write_pdf, report_pdf, "_kpi_grid")],
)
def test_failure_mid_write_keeps_the_old_file_and_no_temp_file(
    writer: Writer,
    module: ModuleType,
    step: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "report.out"
    target.write_bytes(b"last month's report")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(module, step, broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        writer(_document(), target)
    assert target.read_bytes() == b"last month's report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.out"]


def test_importing_the_writers_does_not_import_the_libraries() -> None:
    code = (
        "import json, sys\n"
        "import crm_desktop.exchange.report_xlsx, crm_desktop.exchange.report_pdf\n"
        "print(json.dumps(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('openpyxl', 'reportlab'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(done.stdout) == []


def test_big_raw_sheet_is_written_quickly(tmp_path: Path) -> None:
    rows = tuple(
        (f"id-{i:05d}", f"Kontakt {i}", i * 137, dt.date(2025, 1, 1) + dt.timedelta(days=i % 700))
        for i in range(20_000)
    )
    doc = _document(Table("Raw data", RAW.columns, rows))
    started = time.perf_counter()
    write_xlsx(doc, tmp_path / "big.xlsx")
    write_pdf(doc, tmp_path / "big.pdf")
    elapsed = time.perf_counter() - started
    assert elapsed < 10, f"{elapsed:.1f} s for a 20,000-row report"
    book = openpyxl.load_workbook(tmp_path / "big.xlsx", read_only=True)
    try:
        # Read-only mode takes the row count from the sheet's recorded used range.
        assert book["Raw data"].max_row == 20_001
        rows_read = book["Raw data"].iter_rows(min_row=20_001, max_row=20_001, values_only=True)
        last = next(iter(rows_read))
    finally:
        book.close()
    assert last[:3] == ("id-19999", "Kontakt 19999", pytest.approx(19_999 * 1.37))
