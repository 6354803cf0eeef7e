"""What the Reports section draws of a `ReportDocument`: KPI tiles, charts (QtCharts: bars,
lines and pies, their colours, the "Other" slice, turned labels, an empty chart that says so)
and tables."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.domain.reportdoc import Column, Kpi, Table, format_cell

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
