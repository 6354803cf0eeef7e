"""The Reports section: a dashboard of KPI tiles and charts (QtCharts), each report on
screen with the period, owner and pipeline filters, export to Excel and PDF, print preview,
and the monthly owner report.

Everything shown is a `ReportDocument` from the report service, the same document the
Excel and PDF writers draw, so the screen and the paper agree. QtCharts is imported when
the section is first shown, not at start-up."""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.reportdoc import Column, Kpi, ReportDocument, Section, Table, format_cell
from crm_desktop.domain.reports import ReportFilter, add_months
from crm_desktop.gui import icons, printing
from crm_desktop.gui.tasks import SyncRunner

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
SERIES_COLOURS = (
    "#2f63d4",
    "#1f8a5b",
    "#c27c0e",
    "#7b3fc4",
    "#dc2626",
    "#0e7490",
    "#db2777",
    "#65a30d",
)
PIE_SLICES = len(SERIES_COLOURS)  # the smallest beyond these become one "Other" slice
NUMERIC = ("int", "money", "percent", "days", "number")


def series_colour(index: int) -> QColor:
    """A colour per series or slice; never the same one twice within a chart."""
    if index < len(SERIES_COLOURS):
        return QColor(SERIES_COLOURS[index])
    return QColor.fromHsv((index * 47) % 360, 160, 200)  # only past the palette


def pie_slices(labels: list[str], values: list[float]) -> list[tuple[str, float]]:
    """The positive slices, largest first; past PIE_SLICES the rest are one "Other"."""
    slices = sorted(
        ((label, value) for label, value in zip(labels, values, strict=False) if value > 0),
        key=lambda s: -s[1],
    )
    if len(slices) <= PIE_SLICES:
        return slices
    kept = slices[: PIE_SLICES - 1]
    return [*kept, ("Other", sum(v for _l, v in slices[PIE_SLICES - 1 :]))]


def has_chart_data(table: Table) -> bool:
    """Whether a table's chart would show anything (an all-zero chart is an empty one)."""
    spec = table.chart
    if spec is None:
        return False
    return any(
        chart_value(row[c], table.columns[c].kind) != 0
        for row in table.rows
        for c in spec.value_columns
    )


def empty_chart(title: str) -> QFrame:
    """Where a chart would be when there is nothing to draw: say so, not an empty axis."""
    box = QFrame()
    box.setObjectName("emptyChart")
    box.setFrameShape(QFrame.Shape.StyledPanel)
    layout = QVBoxLayout(box)
    heading = QLabel(f"<b>{escape(title)}</b>", box)
    text = QLabel(
        "Nothing to chart for this period and these filters yet. Deals, activities and "
        "orders appear here as they are added.",
        box,
    )
    text.setWordWrap(True)
    text.setStyleSheet("color: palette(placeholder-text);")
    layout.addWidget(heading)
    layout.addWidget(text)
    layout.addStretch(1)
    box.setMinimumHeight(120)
    box.setAccessibleName(f"Chart: {title} (empty)")
    return box


def labels_need_turning(labels: list[str]) -> bool:
    """Category labels that would be cut short side by side are drawn at an angle."""
    longest = max((len(label) for label in labels), default=0)
    return len(labels) > 6 or longest > 9 or sum(len(label) for label in labels) > 36


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


def chart_value(value: Any, kind: str) -> float:
    if value is None or value == "":
        return 0.0
    if kind == "money":
        return float(value) / 100
    if kind == "percent":
        return float(value) * 100
    return float(value)


def make_chart(table: Table, currency: str) -> Any:
    """A QtCharts view of a table's chart: bars (grouped or stacked), lines or a pie."""
    from PySide6.QtCharts import (
        QBarCategoryAxis,
        QBarSeries,
        QBarSet,
        QChart,
        QChartView,
        QLineSeries,
        QPieSeries,
        QStackedBarSeries,
        QValueAxis,
    )

    spec = table.chart
    assert spec is not None
    chart = QChart()
    chart.setTitle(f"{table.title}: {spec.title}" if spec.title else table.title)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    chart.setBackgroundRoundness(4)
    labels = [format_cell(row[spec.label_column], "text") or "–" for row in table.rows]
    # Large money axes read in thousands ("1,200 k EUR" instead of "1200000").
    top_value = max(
        (
            abs(chart_value(row[c], table.columns[c].kind))
            for row in table.rows
            for c in spec.value_columns
        ),
        default=0.0,
    )
    scale = 1000.0 if top_value >= 100_000 else 1.0

    def value_of(row: Any, column: int) -> float:
        kind = table.columns[column].kind
        return chart_value(row[column], kind) / (scale if kind in ("money", "int") else 1.0)

    if len(labels) > 4:  # "Sales: Proposal" -> "Proposal": the axis has little room
        labels = [label.split(": ")[-1].split(" › ")[-1] for label in labels]
    columns: list[Column] = [table.columns[i] for i in spec.value_columns]
    kind_of_values = columns[0].kind if columns else "number"
    if spec.kind == "pie":
        pie = QPieSeries()
        column = spec.value_columns[0]
        values = [value_of(row, column) for row in table.rows]
        for label, value in pie_slices(labels, values):
            pie.append(label, value)
        for index, slice_ in enumerate(pie.slices()):
            slice_.setColor(series_colour(index))
        chart.addSeries(pie)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignRight)
    elif spec.kind == "line":
        axis_x = QBarCategoryAxis()
        axis_x.append(labels)
        axis_y = QValueAxis()
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        top = 0.0
        for index, column in enumerate(spec.value_columns):
            line = QLineSeries()
            line.setName(table.columns[column].title)
            for x, row in enumerate(table.rows):
                value = value_of(row, column)
                top = max(top, value)
                line.append(x, value)
            line.setColor(series_colour(index))
            chart.addSeries(line)
            line.attachAxis(axis_y)
            # Lines over categories: the x axis of a line is numeric, so align it by hand.
            value_x = QValueAxis()
            value_x.setRange(0, max(len(table.rows) - 1, 1))
            value_x.setVisible(False)
            chart.addAxis(value_x, Qt.AlignmentFlag.AlignBottom)
            line.attachAxis(value_x)
        axis_y.setRange(0, top * 1.1 or 1)
        axis_y.setLabelFormat("%.0f")
        axis_x.setTruncateLabels(False)
        if labels_need_turning(labels):
            axis_x.setLabelsAngle(-35)
    else:
        series = QStackedBarSeries() if spec.kind == "stacked_bar" else QBarSeries()
        for index, column in enumerate(spec.value_columns):
            bar_set = QBarSet(table.columns[column].title)
            bar_set.setColor(series_colour(index))
            for row in table.rows:
                bar_set.append(value_of(row, column))
            series.append(bar_set)
        chart.addSeries(series)
        axis_x = QBarCategoryAxis()
        axis_x.append(labels)
        axis_x.setTruncateLabels(False)  # turned when long rather than cut to "Qua…"
        if labels_need_turning(labels):
            axis_x.setLabelsAngle(-35)
        axis_y = QValueAxis()
        axis_y.setLabelFormat("%.0f")
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(axis_x)
        series.attachAxis(axis_y)
        if top_value > 0:
            axis_y.applyNiceNumbers()
        else:  # all zero: a fixed range, not a "nan" one
            axis_y.setRange(0, 1)
    if spec.kind != "pie":
        unit = {"money": currency, "percent": "%", "days": "days"}.get(kind_of_values, "")
        if scale != 1.0 and kind_of_values in ("money", "int"):
            unit = f"thousand {unit}".strip()
        for axis in chart.axes(Qt.Orientation.Vertical):
            axis.setTitleText(unit)
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(280)
    view.setAccessibleName(f"Chart: {spec.title or table.title}")
    return view


def make_table(table: Table, currency: str) -> QTableWidget:
    widget = QTableWidget(len(table.rows) + (1 if table.total_row else 0), len(table.columns))
    widget.setAccessibleName(table.title)
    widget.setHorizontalHeaderLabels([c.title for c in table.columns])
    widget.verticalHeader().setVisible(False)
    widget.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    widget.setAlternatingRowColors(True)
    widget.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    bold = QFont(widget.font())
    bold.setBold(True)
    rows = list(table.rows) + ([table.total_row] if table.total_row else [])
    for r, row in enumerate(rows):
        for c, column in enumerate(table.columns):
            value = row[c] if c < len(row) else None
            item = QTableWidgetItem(format_cell(value, column.kind, currency))
            if column.kind in NUMERIC:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if table.total_row and r == len(rows) - 1:
                item.setFont(bold)
            widget.setItem(r, c, item)
    header = widget.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(False)
    height = header.sizeHint().height() + 4
    height += sum(widget.rowHeight(r) for r in range(min(widget.rowCount(), 25)))
    widget.setFixedHeight(min(height, 640))
    return widget


class KpiTile(QFrame):
    def __init__(self, kpi: Kpi, currency: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kpiTile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#kpiTile { border: 1px solid palette(mid); border-radius: 6px; "
            "background: palette(base); }"
        )
        label = QLabel(kpi.label, self)
        label.setStyleSheet("color: palette(placeholder-text);")
        self.value = QLabel(format_cell(kpi.value, kpi.kind, currency), self)
        self.value.setStyleSheet("font-size: 17pt; font-weight: 600;")
        self.value.setAccessibleName(kpi.label)
        hint = QLabel(kpi.hint, self)
        hint.setStyleSheet("color: palette(placeholder-text); font-size: 8pt;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        layout.addWidget(label)
        layout.addWidget(self.value)
        layout.addWidget(hint)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)


class ReportsView(QWidget):
    def __init__(self, context: Any, parent: QWidget | None = None, runner: Any = None) -> None:
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
        for widget in (self.period, self.start, self.end, self.owner, self.pipeline):
            self.bar.addWidget(widget)
        for combo in (self.owner, self.pipeline):
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
        start, end = self.start.date(), self.end.date()
        return ReportFilter(
            dt.date(start.year(), start.month(), start.day()),
            dt.date(end.year(), end.month(), end.day()),
            self.owner.currentData(),
            self.pipeline.currentData(),
        )

    def current_key(self) -> str:
        return REPORTS[max(self.list.currentRow(), 0)][0]

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._built:
            self._built = True
            self.fill_choices()
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
            self.title.setText(f"{dict(REPORTS)[key]} · {document.period}")
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
