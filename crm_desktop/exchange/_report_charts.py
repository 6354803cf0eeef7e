# mypy: disable-error-code="import-untyped"
# (reportlab ships no type information.)
"""Charts of the PDF report, drawn with reportlab.graphics (imported when used).

A bar, stacked-bar or line chart over a table has one category per row and one series per
value column; a pie shows the first value column, its smallest slices gathered into
"Other". Money is charted in currency units, rates as percentages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from crm_desktop.domain.reportdoc import Cell, ColumnKind, Table, format_cell

if TYPE_CHECKING:
    from crm_desktop.exchange.report_pdf import Fonts

PALETTE = (
    "#1F4E79",
    "#F28E2B",
    "#59A14F",
    "#E15759",
    "#76B7B2",
    "#EDC948",
    "#B07AA1",
    "#FF9DA7",
    "#9C755F",
    "#BAB0AC",
)
MAX_BARS = 40
MAX_SLICES = 8
HEIGHT = 190.0
PIE_HEIGHT = 170.0
LABEL_SIZE = 7.5


def chart_drawing(table: Table, width: float, fonts: Fonts, currency: str) -> Any | None:
    """A Drawing of the table's chart, `width` points wide; None when there is nothing
    to draw (no rows, no numbers, or a pie without positive values)."""
    chart = table.chart
    if chart is None or not table.rows:
        return None
    columns = table.columns
    values = [c for c in chart.value_columns if 0 <= c < len(columns)]
    if not values or not 0 <= chart.label_column < len(columns):
        return None
    label_kind = columns[chart.label_column].kind
    longest = 30 if chart.kind == "pie" else 40
    labels = [_label(row, chart.label_column, label_kind, currency, longest) for row in table.rows]
    series = [[_number(row, c, columns[c].kind) for row in table.rows] for c in values]
    names = [columns[c].title for c in values]
    # The table's title is printed above the chart already.
    title = chart.title if chart.title != table.title else ""
    kind = columns[values[0]].kind
    if chart.kind == "pie":
        return _pie(title, labels, series[0], kind, width, fonts, currency)
    if chart.kind != "line" and len(labels) > MAX_BARS:
        labels, series = labels[:MAX_BARS], [s[:MAX_BARS] for s in series]
        title = f"{title} (first {MAX_BARS} rows)".strip()
    if not any(v for s in series for v in s if v is not None):
        return None
    return _xy_chart(chart.kind, title, labels, series, names, kind, width, fonts, currency)


def _label(
    row: Sequence[Cell], index: int, kind: ColumnKind, currency: str, longest: int = 16
) -> str:
    value = row[index] if index < len(row) else None
    text = format_cell(value, kind, currency) if kind != "text" else str(value or "")
    return text if len(text) <= longest else text[: longest - 1] + "…"


def _two_lines(text: str, width: float, font: str) -> list[str] | None:
    """`text` in at most two lines of `width` points (the second cut with an ellipsis),
    or None when even its first word does not fit."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def fits(line: str) -> bool:
        return bool(stringWidth(line, font, LABEL_SIZE) <= width)

    words = text.split()
    if not words:
        return [""]
    lines = [words[0]]
    for word in words[1:]:
        if fits(f"{lines[-1]} {word}"):
            lines[-1] += f" {word}"
        elif len(lines) == 2:
            lines[-1] += f" {word}"  # cut below
            break
        else:
            lines.append(word)
    if not fits(lines[0]):
        return None
    if len(lines) == 2 and not fits(lines[1]):
        last = lines[1]
        while last and not fits(last + "…"):
            last = last[:-1]
        lines[1] = last.rstrip() + "…"
    return lines


def _number(row: Sequence[Cell], index: int, kind: ColumnKind) -> float | None:
    value = row[index] if index < len(row) else None
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return value / 100 if kind == "money" else float(value)


def _tick_format(kind: ColumnKind, high: float) -> Any:
    """Axis labels in one scale for the whole axis (10 k, 20 k; not 5,000 next to 10 k)."""
    scale, suffix = (1e6, " M") if high >= 2e6 else (1e3, " k") if high >= 2e4 else (1.0, "")

    def tick(value: float) -> str:
        if kind == "percent":
            return f"{value * 100:.0f} %"
        if value == 0:
            return "0"
        scaled = value / scale
        if scaled == int(scaled):
            return f"{scaled:,.0f}{suffix}"
        return f"{scaled:,.1f}{suffix}"

    return tick


def _unit(kind: ColumnKind, currency: str) -> str:
    return {"money": currency, "days": "days", "percent": ""}.get(kind, "")


def _xy_chart(
    kind: str,
    title: str,
    labels: list[str],
    series: list[list[float | None]],
    names: list[str],
    value_kind: ColumnKind,
    width: float,
    fonts: Fonts,
    currency: str,
) -> Any:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib.colors import HexColor
    from reportlab.pdfbase.pdfmetrics import stringWidth

    drawing = Drawing(width, HEIGHT)
    top = HEIGHT
    if title:
        drawing.add(
            String(
                0,
                HEIGHT - 10,
                title,
                fontName=fonts.bold,
                fontSize=10,
                fillColor=HexColor("#1F2933"),
            )
        )
    if title or len(series) > 1:
        top -= 18
    if len(series) > 1:
        # Beside the title when there is room, else in rows under it.
        room = width - stringWidth(title, fonts.bold, 10) - 24
        beside = not title or _legend(names, math.inf, 0, fonts)[2] <= room
        legend, depth, _ = _legend(names, width, HEIGHT - 10 if beside else HEIGHT - 26, fonts)
        drawing.add(legend)
        top -= depth + (0 if beside else 16)
    stacked = kind == "stacked_bar"
    if stacked:
        sums = [sum(v or 0 for v in column) for column in zip(*series, strict=True)]
        high, low = max(sums, default=0), min(min(v or 0 for v in s) for s in series)
    else:
        numbers = [v for s in series for v in s if v is not None]
        high, low = max(numbers, default=0), min(numbers, default=0)
    tick = _tick_format(value_kind, max(abs(high), abs(low)))
    left = max(stringWidth(tick(v), fonts.regular, LABEL_SIZE) for v in (high, low, 0)) + 12
    unit = _unit(value_kind, currency)
    if unit:
        drawing.add(
            String(
                0,
                top - 8,
                unit,
                fontName=fonts.regular,
                fontSize=LABEL_SIZE,
                fillColor=HexColor("#616E7C"),
            )
        )
        top -= 12
    slot = (width - left - 10) / max(len(labels), 1)
    wrapped = [_two_lines(t, slot - 6, fonts.regular) for t in labels]
    rotate = any(lines is None for lines in wrapped)
    if rotate:
        short = [t if len(t) <= 16 else t[:15] + "…" for t in labels]
        widest = max((stringWidth(t, fonts.regular, LABEL_SIZE) for t in short), default=0)
        bottom = widest * 0.71 + 12
        # Labels at 45 degrees need about 14 pt between them not to touch; 18 reads easily.
        step = max(1, math.ceil(18 / slot))
        shown = [t if i % step == 0 else "" for i, t in enumerate(short)]
    else:
        shown = ["\n".join(lines or ()) for lines in wrapped]
        bottom = 25 if any(len(lines or ()) > 1 for lines in wrapped) else 16

    plot: Any
    if kind == "line":
        plot = HorizontalLineChart()
        plot.data = [tuple(s) for s in series]
        plot.joinedLines = 1
        for index in range(len(series)):
            line = plot.lines[index]
            line.strokeColor = HexColor(PALETTE[index % len(PALETTE)])
            line.strokeWidth = 2
            from reportlab.graphics.widgets.markers import makeMarker

            if len(labels) <= 31:  # dots on a dense line are only noise
                line.symbol = makeMarker("FilledCircle", size=3.5)
                line.symbol.fillColor = HexColor(PALETTE[index % len(PALETTE)])
                line.symbol.strokeColor = None
    else:
        plot = VerticalBarChart()
        plot.data = [tuple(v or 0 for v in s) for s in series]
        plot.bars.strokeColor = None
        plot.barSpacing = 1
        plot.groupSpacing = max(2.0, slot * 0.25)
        for index in range(len(series)):
            plot.bars[index].fillColor = HexColor(PALETTE[index % len(PALETTE)])
        if stacked:
            plot.categoryAxis.style = "stacked"
    plot.x, plot.y = left, bottom
    plot.width, plot.height = width - left - 10, max(top - bottom - 6, 40)
    axis = plot.valueAxis
    axis.valueMin = min(0.0, low)
    if high <= axis.valueMin:
        axis.valueMax = axis.valueMin + 1
    axis.rangeRound = "ceiling"  # the top gridline sits above the tallest bar
    axis.labelTextFormat = tick
    axis.labels.fontName, axis.labels.fontSize = fonts.regular, LABEL_SIZE
    axis.visibleGrid = 1
    axis.gridStrokeColor = HexColor("#E4E7EB")
    axis.gridStrokeWidth = 0.5
    axis.strokeColor = HexColor("#9AA5B1")
    axis.visibleTicks = 0
    axis.maximumTicks = 6
    categories = plot.categoryAxis
    categories.categoryNames = shown
    categories.labels.fontName, categories.labels.fontSize = fonts.regular, LABEL_SIZE
    categories.strokeColor = HexColor("#9AA5B1")
    categories.visibleTicks = 0
    categories.labelAxisMode = "low"  # under the plot, also when values go negative
    if rotate:
        categories.labels.angle = 45
        categories.labels.boxAnchor = "ne"
        categories.labels.dx, categories.labels.dy = 2, -3
    else:
        categories.labels.dy = -3
        categories.labels.textAnchor = "middle"  # two-line labels centred under their bars
        categories.labels.leading = LABEL_SIZE * 1.15
    drawing.add(plot)
    return drawing


def _legend(names: list[str], right: float, y: float, fonts: Fonts) -> tuple[Any, float, float]:
    """Swatches and series names in rows ending at `right`, the first row's baseline at
    `y`; also how far below `y` the last row is and how wide the widest row is."""
    from reportlab.graphics.shapes import Group, Rect, String
    from reportlab.lib.colors import HexColor
    from reportlab.pdfbase.pdfmetrics import stringWidth

    size, swatch, gap = 8.0, 7.0, 12.0
    entries = []
    for name in names:
        short = name if len(name) <= 24 else name[:23] + "…"
        entries.append((short, swatch + 4 + stringWidth(short, fonts.regular, size)))
    rows: list[list[tuple[int, str, float]]] = [[]]
    used = 0.0
    for index, (name, width) in enumerate(entries):
        if rows[-1] and used + gap + width > right:
            rows.append([])
            used = 0.0
        used += (gap if rows[-1] else 0.0) + width
        rows[-1].append((index, name, width))
    group = Group()
    widest = 0.0
    for line, row in enumerate(rows):
        row_width = sum(w for _, _, w in row) + gap * (len(row) - 1)
        widest = max(widest, row_width)
        if math.isinf(right):
            continue
        x = right - row_width
        base = y - line * 12
        for index, name, width in row:
            color = HexColor(PALETTE[index % len(PALETTE)])
            group.add(Rect(x, base - 0.5, swatch, swatch, fillColor=color, strokeColor=None))
            group.add(
                String(
                    x + swatch + 4,
                    base,
                    name,
                    fontName=fonts.regular,
                    fontSize=size,
                    fillColor=HexColor("#1F2933"),
                )
            )
            x += width + gap
    return group, (len(rows) - 1) * 12.0, widest


def _pie(
    title: str,
    labels: list[str],
    values: list[float | None],
    kind: ColumnKind,
    width: float,
    fonts: Fonts,
    currency: str,
) -> Any | None:
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.piecharts import Pie
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib.colors import HexColor, white

    slices = [(label, v) for label, v in zip(labels, values, strict=True) if v and v > 0]
    if not slices:
        return None
    slices.sort(key=lambda item: item[1], reverse=True)
    if len(slices) > MAX_SLICES:
        rest = sum(v for _, v in slices[MAX_SLICES - 1 :])
        slices = [*slices[: MAX_SLICES - 1], ("Other", rest)]
    total = sum(v for _, v in slices)
    drawing = Drawing(width, PIE_HEIGHT)
    if title:
        drawing.add(String(0, PIE_HEIGHT - 11, title, fontName=fonts.bold, fontSize=10))
    size = PIE_HEIGHT - 34
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 10, 8, size, size
    pie.data = [v for _, v in slices]
    pie.labels = None
    pie.startAngle = 90
    pie.direction = "clockwise"
    pie.slices.strokeColor = white
    pie.slices.strokeWidth = 1
    for index in range(len(slices)):
        pie.slices[index].fillColor = HexColor(PALETTE[index % len(PALETTE)])
    drawing.add(pie)

    def shown(value: float) -> str:
        raw = round(value * 100) if kind == "money" else value
        return format_cell(raw, kind if kind != "percent" else "percent", currency)

    legend = Legend()
    legend.x, legend.y = size + 40, 8 + size / 2
    legend.boxAnchor = "w"
    legend.alignment = "right"
    legend.columnMaximum = MAX_SLICES
    legend.fontName, legend.fontSize = fonts.regular, 8.5
    legend.dx = legend.dy = 8
    legend.deltay = 14
    legend.strokeColor = None
    legend.colorNamePairs = [
        (HexColor(PALETTE[i % len(PALETTE)]), f"{label}   {shown(v)}   ({v / total:.0%})")
        for i, (label, v) in enumerate(slices)
    ]
    drawing.add(legend)
    return drawing
