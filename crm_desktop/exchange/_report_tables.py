# mypy: disable-error-code="import-untyped"
# (reportlab ships no type information.)
"""Tables of the PDF report: column widths, font size, page orientation and the flowable.

Widths are measured once per table at 1 pt (a string's width grows linearly with the
font size) and cached per text, and body cells are plain strings wrapped here rather
than Paragraphs, so a table of a few thousand rows lays out in about a second.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from crm_desktop.domain.reportdoc import Cell, Column, Table, format_cell

if TYPE_CHECKING:
    from crm_desktop.exchange.report_pdf import Fonts

INK = "#1F2933"
ACCENT = "#1F4E79"
ZEBRA = "#F2F5F8"
TOTAL = "#DDEBF7"
RULE = "#C5CED8"
CELL_PAD = 4.0  # points left and right of each table cell
SIZES = (9.0, 8.0, 7.0)
SAMPLE_ROWS = 300  # rows measured to size the columns
COMFORTABLE = 0.6  # text columns get at least this share of the width they would like
NUMERIC = ("int", "money", "percent", "days", "number")
MAX_LINES = 40  # lines of one cell; 40 at 9 pt are about half a landscape page


@dataclass(frozen=True)
class Layout:
    widths: tuple[float, ...]
    font_size: float
    comfort: float
    bare_money: bool = False  # the currency goes into the header, not every cell
    wrap_all: bool = False


class Measure:
    """String widths at 1 pt, cached per text and font."""

    def __init__(self) -> None:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        self._width = stringWidth
        self._cache: dict[tuple[str, str], float] = {}

    def __call__(self, text: str, font: str) -> float:
        key = (text, font)
        width = self._cache.get(key)
        if width is None:
            width = self._cache[key] = float(self._width(text, font, 1.0))
        return width


def shown(
    value: Cell, column: Column, currency: str, bare_money: bool = False, cents: bool = False
) -> str:
    """A cell as printed: as `format_cell` shows it, except that money shows cents on every
    row when any row of its column has some (so the figures line up), and that the
    currency can move to the header."""
    if column.kind == "text" and value is not None and not isinstance(value, str):
        return format_cell(value, "number" if isinstance(value, float) else "int", currency)
    if column.kind == "money" and isinstance(value, int | float) and cents:
        whole, rest = divmod(abs(round(value)), 100)
        text = f"{'-' if value < 0 else ''}{whole:,}.{rest:02d}"
        return text if bare_money else f"{text} {currency}"
    text = format_cell(value, column.kind, currency)
    if bare_money and column.kind == "money":
        return text.removesuffix(f" {currency}")
    return text


def with_cents(table: Table) -> tuple[bool, ...]:
    """Per column: money with cents somewhere in it."""
    rows = [*table.rows, table.total_row] if table.total_row is not None else table.rows
    return tuple(
        column.kind == "money"
        and any(
            isinstance(row[index], int | float) and round(row[index]) % 100  # type: ignore[arg-type]
            for row in rows
            if index < len(row)
        )
        for index, column in enumerate(table.columns)
    )


def header_text(column: Column, currency: str, bare_money: bool) -> str:
    if bare_money and column.kind == "money":
        return f"{column.title} ({currency})"
    return column.title


@dataclass(frozen=True)
class _Metrics:
    """One column's widths at 1 pt."""

    widest: float  # widest value (the total in bold)
    header: float
    header_word: float
    longest_word: float  # text columns only


def _metrics(
    table: Table, currency: str, fonts: Fonts, measure: Measure, bare_money: bool
) -> list[_Metrics]:
    sample = table.rows[:SAMPLE_ROWS]
    cents = with_cents(table)
    result = []
    for index, column in enumerate(table.columns):
        texts = {
            shown(row[index], column, currency, bare_money, cents[index])
            for row in sample
            if index < len(row)
        }
        widest = max((measure(t, fonts.regular) for t in texts), default=0.0)
        if table.total_row is not None and index < len(table.total_row):
            total = shown(table.total_row[index], column, currency, bare_money, cents[index])
            widest = max(widest, measure(total, fonts.bold))
        title = header_text(column, currency, bare_money)
        words = title.split() or [""]
        longest = 0.0
        if column.kind == "text":
            longest = max(
                (measure(w, fonts.regular) for t in texts for w in t.split()), default=0.0
            )
        result.append(
            _Metrics(
                widest,
                measure(title, fonts.bold),
                max(measure(w, fonts.bold) for w in words),
                longest,
            )
        )
    return result


def _layouts(
    metrics: Sequence[_Metrics], columns: Sequence[Column], width: float, bare_money: bool
) -> dict[float, Layout]:
    """Column widths filling `width`, per font size at which numbers keep one line and
    every text column keeps at least its longest word. Under the key 0 when nothing
    fits: the 7 pt widths squeezed to `width`, every cell wrapping."""
    found: dict[float, Layout] = {}
    least: list[float] = []
    for size in SIZES:
        natural: list[float] = []
        least = []
        for m, column in zip(metrics, columns, strict=True):
            header_word = m.header_word * size
            natural.append(
                max(m.widest * size, min(m.header * size, 80.0), header_word) + 2 * CELL_PAD + 1
            )
            if column.kind == "text":
                floor = max(header_word, min(m.longest_word * size, 90.0), 40.0) + 2 * CELL_PAD
                least.append(min(natural[-1], floor))
            else:
                # A figure keeps one line; its header may wrap between words.
                least.append(max(m.widest * size, header_word) + 2 * CELL_PAD + 1)
        if sum(least) <= width:
            widths = _spread(natural, least, width, columns)
            found[size] = Layout(widths, size, _comfort(widths, natural, columns), bare_money)
    if not found and least:
        scale = width / sum(least)
        found[0.0] = Layout(tuple(w * scale for w in least), 7.0, 0.0, bare_money, True)
    return found


def _comfort(widths: Sequence[float], natural: Sequence[float], columns: Sequence[Column]) -> float:
    """How little the text is squeezed: the smallest share a text column gets of what it
    would like (capped at 220 pt, past which wrapping reads fine)."""
    shares = [
        w / min(n, 220.0)
        for w, n, c in zip(widths, natural, columns, strict=True)
        if c.kind == "text"
    ]
    return min(shares, default=1.0)


def choose_layout(
    table: Table, currency: str, fonts: Fonts, portrait: float, wide: float
) -> tuple[Layout, bool]:
    """The layout of a table and whether it goes on a landscape page: the first of
    portrait 9 pt, 8 pt, landscape 9 pt, 8 pt, portrait 7 pt, landscape 7 pt that leaves
    text columns room; failing that the same with the currency moved into the headers;
    failing that the roomiest."""
    measure = Measure()
    options: list[tuple[Layout, bool]] = []
    squeezed: dict[float, Layout] = {}
    for bare in (False, True):
        metrics = _metrics(table, currency, fonts, measure, bare)
        upright = _layouts(metrics, table.columns, portrait, bare)
        turned = _layouts(metrics, table.columns, wide, bare)
        squeezed = turned
        order = [
            (upright, 9.0, False),
            (upright, 8.0, False),
            (turned, 9.0, True),
            (turned, 8.0, True),
            (upright, 7.0, False),
            (turned, 7.0, True),
        ]
        tried = [(found[size], is_wide) for found, size, is_wide in order if size in found]
        for layout, is_wide in tried:
            if layout.comfort >= COMFORTABLE:
                return layout, is_wide
        options += tried
    if not options:
        # Far too many columns even for landscape: every cell wraps, at 7 pt.
        return squeezed[0.0], True
    return max(options, key=lambda option: option[0].comfort)


def _spread(
    natural: list[float], least: list[float], width: float, columns: Sequence[Column]
) -> tuple[float, ...]:
    total = sum(natural)
    if total <= width:
        # Room to spare: text columns take it (all columns when there is no text).
        grow = [i for i, c in enumerate(columns) if c.kind == "text"] or list(range(len(natural)))
        extra = (width - total) / len(grow)
        return tuple(w + extra if i in grow else w for i, w in enumerate(natural))
    # Too wide: cap the widest columns at one level (never under their floor), so short
    # columns keep one line and the long text wraps.
    low, high = 0.0, max(natural)
    for _ in range(40):
        level = (low + high) / 2
        if sum(min(n, max(m, level)) for n, m in zip(natural, least, strict=True)) > width:
            high = level
        else:
            low = level
    widths = [min(n, max(m, low)) for n, m in zip(natural, least, strict=True)]
    capped = [i for i, (w, n) in enumerate(zip(widths, natural, strict=True)) if w < n]
    spare = (width - sum(widths)) / max(len(capped), 1)
    return tuple(w + spare if i in capped else w for i, w in enumerate(widths))


def wrap(text: str, room: float, font: str, measure: Callable[[str, str], float]) -> str:
    """`text` broken into lines of at most `room` (in 1 pt units) at spaces, a word
    longer than a line broken between characters."""
    space = measure(" ", font)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in paragraph.split():
            size = measure(word, font)
            if size > room:  # a word wider than the column
                if line:
                    lines.append(line)
                line, used = "", 0.0
                for char in word:
                    step = measure(char, font)
                    if line and used + step > room:
                        lines.append(line)
                        line, used = "", 0.0
                    line, used = line + char, used + step
            elif line and used + space + size > room:
                lines.append(line)
                line, used = word, size
            elif line:
                line, used = f"{line} {word}", used + space + size
            else:
                line, used = word, size
        lines.append(line)
    if len(lines) > MAX_LINES:
        # A row must fit on a page: the rest of a very long text is left to the workbook.
        lines = [*lines[: MAX_LINES - 1], "…"]
    return "\n".join(lines)


def table_flowable(
    table: Table, layout: Layout, fonts: Fonts, currency: str, compact: bool = False
) -> Any:
    """A LongTable whose header row repeats on every page it runs over: zebra rows,
    figures right-aligned, the total row bold on a tint (`compact`: tighter rows)."""
    from reportlab.lib.colors import HexColor, white
    from reportlab.lib.enums import TA_LEFT, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import LongTable, Paragraph

    size = layout.font_size
    columns = table.columns
    numeric = [c.kind in NUMERIC for c in columns]
    cents = with_cents(table)
    measure = Measure()
    # Any glyph is narrower than 1.1 em, so a text this short fits without measuring.
    rooms = [(w - 2 * CELL_PAD) / size for w in layout.widths]
    sure = [int(room / 1.1) for room in rooms]

    header_styles = {
        align: ParagraphStyle(
            f"head{align}",
            fontName=fonts.bold,
            fontSize=size,
            leading=size * 1.2,
            alignment=align,
            textColor=white,
        )
        for align in (TA_LEFT, TA_RIGHT)
    }
    data: list[list[Any]] = [
        [
            Paragraph(
                escape(header_text(c, currency, layout.bare_money)),
                header_styles[TA_RIGHT if n else TA_LEFT],
            )
            for c, n in zip(columns, numeric, strict=True)
        ]
    ]

    def row_cells(row: Sequence[Cell], bold: bool) -> list[str]:
        cells: list[str] = []
        font = fonts.bold if bold else fonts.regular
        for index, column in enumerate(columns):
            value = row[index] if index < len(row) else None
            if value is None and bold:
                cells.append("")  # a total row leaves the columns it does not sum empty
                continue
            text = shown(value, column, currency, layout.bare_money, cents[index])
            # A short text fits for sure; a longer one is measured (and wrapped if need be).
            if "\n" in text or (
                len(text) > sure[index] and (layout.wrap_all or measure(text, font) > rooms[index])
            ):
                text = wrap(text, rooms[index], font, measure)
            cells.append(text)
        return cells

    data.extend(row_cells(row, False) for row in table.rows)
    if table.total_row is not None:
        data.append(row_cells(table.total_row, True))
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), fonts.regular, size, size * 1.2),
        ("TEXTCOLOR", (0, 0), (-1, -1), HexColor(INK)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5 if compact else 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5 if compact else 2.5),
        ("BACKGROUND", (0, 0), (-1, 0), HexColor(ACCENT)),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, HexColor(RULE)),
    ]
    for index, is_number in enumerate(numeric):
        if is_number:
            commands.append(("ALIGN", (index, 1), (index, -1), "RIGHT"))
    if table.rows:
        commands.append(("ROWBACKGROUNDS", (0, 1), (-1, len(table.rows)), [white, HexColor(ZEBRA)]))
    if table.total_row is not None:
        commands += [
            ("FONT", (0, -1), (-1, -1), fonts.bold, size, size * 1.2),
            ("BACKGROUND", (0, -1), (-1, -1), HexColor(TOTAL)),
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, HexColor(ACCENT)),
        ]
    return LongTable(
        data, colWidths=list(layout.widths), repeatRows=1, style=commands, hAlign="LEFT"
    )
