"""The Reports section: a dashboard of KPI tiles and charts (QtCharts), each report on
screen with the period, owner, pipeline and segment filters, export to Excel and PDF, print preview,
and the monthly owner report.

Everything shown is a `ReportDocument` from the report service, the same document the
Excel and PDF writers draw, so the screen and the paper agree. QtCharts is imported when
the section is first shown, not at start-up."""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.reportdoc import ReportDocument, Section, format_cell
from crm_desktop.domain.reports import ReportFilter, add_months
from crm_desktop.gui import icons, printing
from crm_desktop.gui.tasks import SyncRunner
from crm_desktop.gui.views.report_charts import (
    NUMERIC,
    PIE_SLICES,
    SERIES_COLOURS,
    KpiTile,
    chart_value,
    empty_chart,
    has_chart_data,
    labels_need_turning,
    make_chart,
    make_table,
    pie_slices,
    series_colour,
)

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext
    from crm_desktop.gui.tasks import TaskRunner

# The tiles, charts and tables are drawn in report_charts; their names stay importable here.
__all__ = [
    "NUMERIC",
    "PERIODS",
    "PIE_SLICES",
    "REPORTS",
    "SERIES_COLOURS",
    "KpiTile",
    "ReportsView",
    "chart_value",
    "empty_chart",
    "has_chart_data",
    "labels_need_turning",
    "make_chart",
    "make_table",
    "period_range",
    "pie_slices",
    "series_colour",
]

REPORTS = (
    ("dashboard", "Dashboard"),
    ("pipeline", "Pipeline"),
    ("forecast", "Forecast"),
    ("won_lost", "Won and lost"),
    ("accuracy", "Forecast accuracy"),
    ("stages", "Stages"),
    ("activities", "Activities"),
    ("sales", "Sales"),
    ("customers", "Customers"),
    ("quality", "Data quality"),
    ("attention", "Needs attention"),
)
PERIODS = (
    "This month",
    "Last month",
    "This quarter",
    "Last quarter",
    "This year",
    "Last 12 months",
    "Custom",
)


def period_range(name: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of a named period around `today`."""
    month = today.replace(day=1)
    quarter = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    if name == "Last month":
        start = add_months(month, -1)
        return start, month - dt.timedelta(days=1)
    if name == "This quarter":
        return quarter, add_months(quarter, 3) - dt.timedelta(days=1)
    if name == "Last quarter":
        start = add_months(quarter, -3)
        return start, quarter - dt.timedelta(days=1)
    if name == "This year":
        return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    if name == "Last 12 months":
        return add_months(month, -11), add_months(month, 1) - dt.timedelta(days=1)
    return month, add_months(month, 1) - dt.timedelta(days=1)


class ReportsView(QWidget):
    def __init__(
        self, context: AppContext, parent: QWidget | None = None, runner: TaskRunner | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        # Reports are computed in the background; without the window's runner, at once.
        self.runner = runner or SyncRunner()
        self._generation = 0
        self.document: ReportDocument | None = None
        self._rendered_per_row: int | None = None
        self._built = False
        self._stale = True
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 6)
        self.bar = QHBoxLayout()  # the filters
        self.actions_bar = QHBoxLayout()  # the title, then export, print, monthly report
        self.title = QLabel(self)
        self.title.setStyleSheet("font-size: 14pt; font-weight: 600;")
        # A long title must not widen the window past a small screen: it gives way.
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.actions_bar.addWidget(self.title, 1)
        layout.addLayout(self.actions_bar)
        layout.addLayout(self.bar)
        body = QHBoxLayout()
        self.list = QListWidget(self)
        self.list.setAccessibleName("Reports")
        self.list.setFixedWidth(150)
        for _key, title in REPORTS:
            self.list.addItem(title)
        self.scroller = QScrollArea(self)
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        body.addWidget(self.list)
        body.addWidget(self.scroller, 1)
        layout.addLayout(body, 1)
        self._toolbar()
        self.list.setCurrentRow(0)
        self.list.currentRowChanged.connect(lambda _r: self.reload())

    def _toolbar(self) -> None:
        self.period = QComboBox(self)
        self.period.setAccessibleName("Report period")
        self.period.addItems(list(PERIODS))
        self.start = QDateEdit(self)
        self.end = QDateEdit(self)
        for edit, name in ((self.start, "From"), (self.end, "To")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(f"Report period {name.lower()}")
            edit.setEnabled(False)
        self.owner = QComboBox(self)
        self.owner.setAccessibleName("Report owner")
        self.pipeline = QComboBox(self)
        self.pipeline.setAccessibleName("Report pipeline")
        self.segment = QComboBox(self)
        self.segment.setAccessibleName("Report segment")
        self.segment.setToolTip(
            "Only a saved segment's contacts: their deals, orders and activities"
        )
        buttons = []
        for text, icon, slot in (
            ("Excel…", "reports", self.export_xlsx),
            ("PDF…", "note", self.export_pdf),
            ("Print…", "print", self.preview),
            ("Monthly report…", "calendar", self.monthly_report),
        ):
            button = QToolButton(self)
            button.setText(text)
            button.setIcon(icons.get(icon))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setAccessibleName(text.rstrip("…"))
            button.clicked.connect(lambda _checked=False, s=slot: s())  # not clicked(bool)
            buttons.append(button)
        for widget in (self.period, self.start, self.end, self.owner, self.pipeline, self.segment):
            self.bar.addWidget(widget)
        for combo in (self.owner, self.pipeline, self.segment):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.bar.addStretch(1)
        for button in buttons:
            self.actions_bar.addWidget(button)
        self._set_period_dates()
        self.period.activated.connect(lambda _i: self._period_changed())
        # Typing a date changes it digit by digit: recompute once the typing pauses.
        self._dates_timer = QTimer(self)
        self._dates_timer.setSingleShot(True)
        self._dates_timer.setInterval(500)
        self._dates_timer.timeout.connect(self._custom_changed)
        self.start.dateChanged.connect(lambda _d: self._dates_timer.start())
        self.end.dateChanged.connect(lambda _d: self._dates_timer.start())
        self.owner.activated.connect(lambda _i: self.reload())
        self.pipeline.activated.connect(lambda _i: self.reload())
        self.segment.activated.connect(lambda _i: self.reload())

    def fill_choices(self) -> None:
        owner, pipeline = self.owner.currentData(), self.pipeline.currentData()
        self.owner.clear()
        self.owner.addItem("All owners", None)
        for user in self.context.users.list():
            self.owner.addItem(user.name, user.id)
        self.pipeline.clear()
        self.pipeline.addItem("All pipelines", None)
        for p in self.context.pipeline.pipelines():
            self.pipeline.addItem(p.name, p.id)
        self.owner.setCurrentIndex(max(self.owner.findData(owner), 0))
        self.pipeline.setCurrentIndex(max(self.pipeline.findData(pipeline), 0))
        self.fill_segments()

    def fill_segments(self) -> None:
        """The saved segments (they may have changed since the view was last shown)."""
        chosen = self.segment.currentData()
        self.segment.clear()
        self.segment.addItem("All contacts", None)
        for record in self.context.segments.list():
            self.segment.addItem(record.name, record.id)
        self.segment.setCurrentIndex(max(self.segment.findData(chosen), 0))

    def _set_period_dates(self) -> None:
        start, end = period_range(self.period.currentText(), dt.date.today())
        for edit, day in ((self.start, start), (self.end, end)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    def _period_changed(self) -> None:
        custom = self.period.currentText() == "Custom"
        self.start.setEnabled(custom)
        self.end.setEnabled(custom)
        if not custom:
            self._set_period_dates()
        self.reload()

    def _custom_changed(self) -> None:
        if self.period.currentText() == "Custom":
            self.reload()

    def filters(self) -> ReportFilter:
        """The bar's filters; the segment's for every report but data quality (which is
        about every contact)."""
        start, end = self.start.date(), self.end.date()
        chosen = self.segment.currentData()
        segment = None
        if chosen and self.current_key() != "quality":
            segment = self.context.segments.find(chosen)
        return ReportFilter(
            dt.date(start.year(), start.month(), start.day()),
            dt.date(end.year(), end.month(), end.day()),
            self.owner.currentData(),
            self.pipeline.currentData(),
            segment.filter if segment else None,
            segment.name if segment else "",
        )

    def current_key(self) -> str:
        return REPORTS[max(self.list.currentRow(), 0)][0]

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._built:
            self._built = True
            self.fill_choices()
        else:
            self.fill_segments()
        if self._stale:
            self.reload()

    def reload(self) -> None:
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        key = self.current_key()
        try:
            filters = self.filters()
        except CrmError as exc:
            self._show_message(str(exc))
            return
        # A newer request wins: a result that comes back after the filters changed again
        # is dropped, so a slow report never overwrites a newer one.
        self._generation += 1
        generation = self._generation
        reports = self.context.reports

        def show(document: ReportDocument) -> None:
            if generation != self._generation:
                return
            self.document = document
            segment = [f"segment {filters.segment_name}"] if filters.segment else []
            self.title.setText(" · ".join([dict(REPORTS)[key], document.period, *segment]))
            self.title.setToolTip("\n".join(document.filters))
            self._render(document, dashboard=key == "dashboard")

        def failed(error: str) -> None:
            if generation == self._generation:
                self._show_message(error)

        self.title.setText(f"{dict(REPORTS)[key]} · computing…")
        self.runner.submit(
            f"Report: {dict(REPORTS)[key]}", lambda _p: reports.document(filters, key), show, failed
        )

    def _show_message(self, text: str) -> None:
        label = QLabel(text, self)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroller.setWidget(label)

    def _render(self, doc: ReportDocument, dashboard: bool) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 12, 12)
        layout.setSpacing(10)
        if doc.kpis:
            tiles = QGridLayout()
            tiles.setSpacing(8)
            per_row = self._tiles_per_row(dashboard)
            self._rendered_per_row = per_row
            for index, kpi in enumerate(doc.kpis):
                tiles.addWidget(KpiTile(kpi, doc.currency, page), *divmod(index, per_row))
            layout.addLayout(tiles)
        charts = QGridLayout()
        charts.setSpacing(8)
        chart_count = 0
        for section in doc.sections:
            if dashboard:
                for table in section.tables:
                    if table.chart is not None:
                        # Wide charts with many categories get a row of their own.
                        chart = (
                            make_chart(table, doc.currency)
                            if has_chart_data(table)
                            else empty_chart(
                                f"{table.title}: {table.chart.title}"
                                if table.chart.title
                                else table.title
                            )
                        )
                        wide = len(table.rows) > 5
                        if wide and chart_count % 2:
                            chart_count += 1
                        row, column = divmod(chart_count, 2)
                        charts.addWidget(chart, row, column, 1, 2 if wide else 1)
                        chart_count += 2 if wide else 1
                continue
            layout.addWidget(self._section(section, doc.currency, page))
        if dashboard:
            layout.addLayout(charts)
        layout.addStretch(1)
        self.scroller.setWidget(page)

    def _tiles_per_row(self, dashboard: bool) -> int:
        """As many KPI tiles side by side as the width holds (a tile is about 220 px)."""
        room = max(self.scroller.viewport().width(), 1) // 220
        return max(2, min(room, 4 if dashboard else 6))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        doc = self.document
        dashboard = self.current_key() == "dashboard"
        if (
            doc is not None
            and doc.kpis
            and self._tiles_per_row(dashboard) != self._rendered_per_row
        ):
            self._render(doc, dashboard)

    def _section(self, section: Section, currency: str, parent: QWidget) -> QWidget:
        box = QWidget(parent)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        heading = QLabel(f"<h2>{escape(section.title)}</h2>", box)
        layout.addWidget(heading)
        if section.note:
            note = QLabel(section.note, box)
            note.setWordWrap(True)
            layout.addWidget(note)
        for table in section.tables:
            title = QLabel(f"<b>{escape(table.title)}</b>", box)
            layout.addWidget(title)
            if not table.rows:
                layout.addWidget(QLabel("Nothing in this period.", box))
                continue
            if table.chart is not None and has_chart_data(table):
                layout.addWidget(make_chart(table, currency))
            layout.addWidget(make_table(table, currency))
            if table.note:
                note = QLabel(table.note, box)
                note.setWordWrap(True)
                layout.addWidget(note)
        return box

    # ---- exports and printing ------------------------------------------------------------

    def _save_path(self, title: str, suffix: str, pattern: str) -> str:
        name = f"{self.current_key()}-{dt.date.today():%Y-%m-%d}.{suffix}"
        path, _f = QFileDialog.getSaveFileName(self, title, str(Path.home() / name), pattern)
        if path and not path.endswith(f".{suffix}"):
            path = f"{path}.{suffix}"
        return path

    def export_xlsx(self, path: str | None = None) -> None:
        path = path or self._save_path("Export to Excel", "xlsx", "Excel (*.xlsx)")
        if path and self.document is not None:
            self._export(lambda: self.context.reports.export(self.document, xlsx_path=Path(path)))

    def export_pdf(self, path: str | None = None) -> None:
        path = path or self._save_path("Export to PDF", "pdf", "PDF (*.pdf)")
        if path and self.document is not None:
            self._export(lambda: self.context.reports.export(self.document, pdf_path=Path(path)))

    def _export(self, work: Any) -> None:
        try:
            work()
        except CrmError as exc:
            QMessageBox.warning(self, "Export", str(exc))

    def monthly_report(self, month: str | None = None, folder: str | None = None) -> None:
        """The owner's monthly report of a month as PDF and Excel, side by side."""
        if month is None:
            last = add_months(dt.date.today().replace(day=1), -1)
            month, ok = QInputDialog.getText(
                self, "Monthly report", "Month (YYYY-MM):", text=f"{last:%Y-%m}"
            )
            if not ok:
                return
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "Save the monthly report in")
            if not folder:
                return
        base = Path(folder) / f"monthly-report-{month.strip()}"
        reports, chosen = self.context.reports, month.strip()
        owner, pipeline = self.owner.currentData(), self.pipeline.currentData()

        def work(_progress: Any) -> Any:
            return reports.export_monthly(
                chosen, base.with_suffix(".pdf"), base.with_suffix(".xlsx"), owner, pipeline
            )

        def done(_document: Any) -> None:
            QMessageBox.information(
                self, "Monthly report", f"Written {base.with_suffix('.pdf')} and .xlsx beside it."
            )

        def failed(error: str) -> None:
            QMessageBox.warning(self, "Monthly report", error)

        self.runner.submit(f"Monthly report {chosen}", work, done, failed)

    def html(self) -> str:
        """The report on screen as HTML for printing (tables; figures as on screen)."""
        doc = self.document
        if doc is None:
            return ""
        parts = [
            f"<h1>{escape(doc.title)}</h1><p>{escape(doc.business)} · {escape(doc.period)}"
            f" · printed {dt.datetime.now():%Y-%m-%d %H:%M}</p>"
        ]
        if doc.kpis:
            cells = "".join(
                f"<td style='padding:6px;border:1px solid #ccc'><small>{escape(k.label)}</small>"
                f"<br><b>{escape(format_cell(k.value, k.kind, doc.currency))}</b></td>"
                for k in doc.kpis
            )
            parts.append(f"<table cellspacing='0'><tr>{cells}</tr></table>")
        for section in doc.sections:
            parts.append(f"<h2>{escape(section.title)}</h2>")
            for table in section.tables:
                parts.append(f"<h3>{escape(table.title)}</h3>")
                head = "".join(
                    f"<th align='{'right' if c.kind in NUMERIC else 'left'}'>{escape(c.title)}</th>"
                    for c in table.columns
                )
                body = []
                for row in (*table.rows, *([table.total_row] if table.total_row else [])):
                    body.append(
                        "<tr>"
                        + "".join(
                            f"<td align='{'right' if c.kind in NUMERIC else 'left'}'>"
                            f"{escape(format_cell(v, c.kind, doc.currency))}</td>"
                            for v, c in zip(row, table.columns, strict=False)
                        )
                        + "</tr>"
                    )
                parts.append(
                    f"<table width='100%' cellspacing='0' cellpadding='3' border='1'>"
                    f"<thead><tr>{head}</tr></thead>{''.join(body)}</table>"
                )
        return "".join(parts)

    def print_to(self, printer: Any) -> None:
        printing.print_html(printer, self.html())

    def preview(self) -> None:
        printing.preview(self, "Print the report", self.print_to)
