"""The Reports section: the dashboard's KPI tiles and charts, each report's tables with
the figures of the report service, filters, exports read back, print, the monthly report."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtWidgets import QTableWidget

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.reportdoc import format_cell
from crm_desktop.domain.reports import ReportFilter
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.tasks import SyncRunner
from crm_desktop.gui.views.reports import (
    PIE_SLICES,
    REPORTS,
    KpiTile,
    labels_need_turning,
    period_range,
    pie_slices,
    series_colour,
)


@pytest.fixture
def window_app(demo_app: AppContext) -> AppContext:
    return demo_app


@pytest.fixture
def window(window: MainWindow) -> MainWindow:
    window.resize(1360, 820)
    window.show()
    window.sidebar.setCurrentRow(4)
    return window


def this_month() -> ReportFilter:
    start, end = period_range("This month", dt.date.today())
    return ReportFilter(start, end)


def test_dashboard_tiles_equal_the_service_figures(
    demo_app: AppContext, window: MainWindow
) -> None:
    view = window.reports_view
    assert view.current_key() == "dashboard"
    tiles = {t.value.accessibleName(): t.value.text() for t in view.findChildren(KpiTile)}
    kpis = {k.label: k.value for k in demo_app.reports.kpis(this_month())}
    assert tiles["Deals won"] == format_cell(kpis["Deals won"], "int")
    assert tiles["Sales"] == format_cell(kpis["Sales"], "money", "EUR")
    assert tiles["Weighted pipeline"] == format_cell(kpis["Weighted pipeline"], "money", "EUR")
    from PySide6.QtCharts import QChartView
    from PySide6.QtWidgets import QFrame

    # A chart with nothing above zero in the period says so instead of drawing axes.
    charts = view.findChildren(QChartView)
    assert charts
    assert len(charts) + len(view.findChildren(QFrame, "emptyChart")) >= 4


def test_every_report_shows_its_tables(demo_app: AppContext, window: MainWindow) -> None:
    view = window.reports_view
    for row, (key, _title) in enumerate(REPORTS[1:], start=1):
        view.list.setCurrentRow(row)
        assert view.current_key() == key
        document = view.document
        assert document is not None
        tables = view.scroller.widget().findChildren(QTableWidget)
        expected = [t for s in document.sections for t in s.tables if t.rows]
        assert len(tables) == len(expected), key
        for widget, table in zip(tables, expected, strict=True):
            first = table.rows[0]
            for column, spec in enumerate(table.columns):
                assert widget.item(0, column).text() == format_cell(
                    first[column], spec.kind, document.currency
                )


def test_filters_change_the_figures(demo_app: AppContext, window: MainWindow) -> None:
    view = window.reports_view
    view.list.setCurrentRow(1)  # pipeline
    owner = demo_app.users.list()[0]
    view.owner.setCurrentIndex(view.owner.findData(owner.id))
    view.reload()
    document = view.document
    assert document is not None and document.filters == (f"Owner: {owner.name}",)
    mine = demo_app.reports.pipeline(
        ReportFilter(*period_range("This month", dt.date.today()), owner.id)
    )
    assert document.sections[0].tables[0].total_row is not None
    assert mine.total.count <= demo_app.reports.pipeline(this_month()).total.count
    view.period.setCurrentIndex(view.period.findText("Last 12 months"))
    view._period_changed()
    assert view.filters().start == period_range("Last 12 months", dt.date.today())[0]


def test_exports_print_and_monthly_report(
    demo_app: AppContext, window: MainWindow, tmp_path: Path, monkeypatch: Any
) -> None:
    view = window.reports_view
    view.list.setCurrentRow(3)  # won and lost
    document = view.document
    assert document is not None
    view.export_xlsx(str(tmp_path / "won.xlsx"))
    book = openpyxl.load_workbook(tmp_path / "won.xlsx")
    assert len(book.sheetnames) >= 2
    view.export_pdf(str(tmp_path / "won.pdf"))
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "won.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Won and lost" in text
    from PySide6.QtPrintSupport import QPrinter

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    view.print_to(printer)
    printed = subprocess.run(
        ["pdftotext", str(tmp_path / "printed.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    total = document.sections[0].tables[0].total_row
    assert total is not None
    assert format_cell(total[2], "money", document.currency) in printed
    shown: list[str] = []
    monkeypatch.setattr(
        "crm_desktop.gui.views.reports.QMessageBox.information",
        lambda *a: shown.append(a[2]),
    )
    month = f"{dt.date.today():%Y-%m}"
    view.monthly_report(month, str(tmp_path))
    assert (tmp_path / f"monthly-report-{month}.pdf").exists()
    assert (tmp_path / f"monthly-report-{month}.xlsx").exists()
    assert shown
    warnings: list[str] = []
    monkeypatch.setattr(
        "crm_desktop.gui.views.reports.QMessageBox.warning", lambda *a: warnings.append(a[2])
    )
    view.monthly_report("2026-13", str(tmp_path))
    assert warnings and "YYYY-MM" in warnings[0]


def test_period_ranges() -> None:
    day = dt.date(2026, 11, 22)
    assert period_range("This month", day) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert period_range("Last month", day) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert period_range("This quarter", day) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert period_range("Last quarter", day) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    assert period_range("Last 12 months", day) == (dt.date(2025, 12, 1), dt.date(2026, 11, 30))


def test_the_monthly_report_button_asks_month_and_folder(
    demo_app: AppContext, window: MainWindow, tmp_path: Path, monkeypatch: Any
) -> None:
    from PySide6.QtWidgets import QToolButton

    view = window.reports_view
    monkeypatch.setattr(
        "crm_desktop.gui.views.reports.QInputDialog.getText", lambda *a, **k: ("2026-10", True)
    )
    monkeypatch.setattr(
        "crm_desktop.gui.views.reports.QFileDialog.getExistingDirectory", lambda *a: str(tmp_path)
    )
    monkeypatch.setattr("crm_desktop.gui.views.reports.QMessageBox.information", lambda *a: None)
    button = next(b for b in view.findChildren(QToolButton) if b.text() == "Monthly report…")
    button.click()
    assert (tmp_path / "monthly-report-2026-10.pdf").exists()


def test_an_empty_database_shows_readable_empty_charts(
    app: AppContext, qtbot: Any, qtlog: Any
) -> None:
    from PySide6.QtCharts import QChartView
    from PySide6.QtWidgets import QFrame

    window = MainWindow(app, SyncRunner())
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    window.sidebar.setCurrentRow(4)
    page = window.reports_view.scroller.widget()
    empty = page.findChildren(QFrame, "emptyChart")
    assert empty, "the dashboard says there is nothing to chart yet"
    assert not page.findChildren(QChartView)
    for key in range(1, len(REPORTS)):
        window.reports_view.list.setCurrentRow(key)
    assert not [r.message for r in qtlog.records if "nan" in r.message.lower()]


def test_pie_slices_have_their_own_colours() -> None:
    labels = [f"Source {n}" for n in range(12)]
    values = [float(n + 1) for n in range(12)]
    slices = pie_slices(labels, values)
    assert len(slices) == PIE_SLICES
    assert slices[-1][0] == "Other"
    assert sum(v for _l, v in slices) == sum(values)
    colours = {series_colour(i).name() for i in range(len(slices))}
    assert len(colours) == len(slices)
    assert len({series_colour(i).name() for i in range(20)}) == 20
    assert pie_slices(["a", "b", "c"], [0.0, 2.0, 1.0]) == [("b", 2.0), ("c", 1.0)]


def test_long_category_labels_are_turned_not_cut(window: MainWindow) -> None:
    from PySide6.QtCharts import QBarCategoryAxis, QChartView

    assert labels_need_turning(["Elena Rossi", "Jonas Weber", "Maria Keller"])
    assert not labels_need_turning(["Jan", "Feb", "Mar"])
    page = window.reports_view.scroller.widget()
    axes = [
        axis
        for view in page.findChildren(QChartView)
        for axis in view.chart().axes()
        if isinstance(axis, QBarCategoryAxis)
    ]
    assert axes
    for axis in axes:
        assert not axis.truncateLabels()
        if labels_need_turning(axis.categories()):
            assert axis.labelsAngle() != 0
