# mypy: disable-error-code="import-untyped"
# (reportlab ships no type information.)
"""A report document as a printable A4 PDF, with reportlab (imported when a file is written).

A cover (title, business, period, filters and a grid of key-figure tiles), then each
section: its heading, and per table a chart drawn with reportlab.graphics and the table
itself, whose header row repeats on every page it spans. Every page has a footer with
the business, when the report was made and "Page N of M".

Text is set in DejaVu Sans (or Liberation Sans / Arial) when the system has it, so
"Müller", "Łódź" and "€" print; without any of them it falls back to Helvetica.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from crm_desktop.domain.reportdoc import (
    Kpi,
    ReportDocument,
    Section,
    Table,
    format_cell,
)
from crm_desktop.exchange._report_common import generated_label, write_atomically

INK = "#1F2933"
ACCENT = "#1F4E79"
MUTED = "#616E7C"
TILE = "#EEF3F8"
RULE = "#C5CED8"
MM = 72 / 25.4
MARGIN = 16 * MM
KPI_COLUMNS = 3

# (regular, bold, italic) candidates, first found wins; italic may be missing.
_FONT_FILES = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        "DejaVuSans-Oblique.ttf",
    ),
    (
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        "DejaVuSans-Oblique.ttf",
    ),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf"),
    (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "LiberationSans-Bold.ttf",
        "LiberationSans-Italic.ttf",
    ),
    ("C:/Windows/Fonts/arial.ttf", "arialbd.ttf", "ariali.ttf"),
    ("/System/Library/Fonts/Supplemental/Arial.ttf", "Arial Bold.ttf", "Arial Italic.ttf"),
    ("/Library/Fonts/Arial.ttf", "Arial Bold.ttf", "Arial Italic.ttf"),
)


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str
    italic: str


def write_pdf(doc: ReportDocument, path: Path) -> None:
    """Write `doc` as an A4 PDF at `path` (replaced atomically).

    Raises `CrmError` when the file cannot be written (missing or read-only folder)."""
    write_atomically(Path(path), lambda target: _build(doc, target), "PDF report")


@functools.cache
def report_fonts(candidates: tuple[tuple[str, str, str], ...] = _FONT_FILES) -> Fonts:
    """Register the first complete font family found (once per process)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    for regular, bold, italic in candidates:
        folder = os.path.dirname(regular)
        files = (regular, os.path.join(folder, bold), os.path.join(folder, italic))
        if not (os.path.isfile(files[0]) and os.path.isfile(files[1])):
            continue
        name = "CrmReport" + os.path.splitext(os.path.basename(regular))[0]
        names = (name, f"{name}-Bold", f"{name}-Italic")
        try:
            pdfmetrics.registerFont(TTFont(names[0], files[0]))
            pdfmetrics.registerFont(TTFont(names[1], files[1]))
            has_italic = os.path.isfile(files[2])
            if has_italic:
                pdfmetrics.registerFont(TTFont(names[2], files[2]))
        except (TTFError, OSError, ValueError):
            continue
        italic_name = names[2] if has_italic else names[0]
        pdfmetrics.registerFontFamily(
            name, normal=names[0], bold=names[1], italic=italic_name, boldItalic=names[1]
        )
        return Fonts(names[0], names[1], italic_name)
    return Fonts("Helvetica", "Helvetica-Bold", "Helvetica-Oblique")


def _build(doc: ReportDocument, target: Path) -> None:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    fonts = report_fonts()
    portrait_size, landscape_size = A4, landscape(A4)
    template = BaseDocTemplate(
        str(target),
        pagesize=portrait_size,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=20 * MM,
        bottomMargin=18 * MM,
        title=f"{doc.title} – {doc.period}",
        author=doc.business,
        subject=doc.period,
        creator="crm-desktop",
    )

    def frame(size: tuple[float, float], name: str) -> Any:
        return Frame(
            MARGIN,
            18 * MM,
            size[0] - 2 * MARGIN,
            size[1] - 38 * MM,
            id=name,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )

    template.addPageTemplates(
        [
            PageTemplate("portrait", [frame(portrait_size, "p")], pagesize=portrait_size),
            PageTemplate("landscape", [frame(landscape_size, "l")], pagesize=landscape_size),
        ]
    )
    story = _Story(doc, fonts, portrait_size[0] - 2 * MARGIN, landscape_size[0] - 2 * MARGIN)
    template.build(story.flowables(), canvasmaker=_canvas_class(doc, fonts))


def _canvas_class(doc: ReportDocument, fonts: Fonts) -> Any:
    """A canvas that holds pages back until the end, so each footer can say "of M"."""
    from reportlab.lib.colors import HexColor
    from reportlab.pdfgen.canvas import Canvas

    footer_left = doc.business
    footer_middle = f"generated on {generated_label(doc.generated_at)}"
    header_text = f"{doc.title} · {doc.period}"

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held)
            for state in self._held:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = self._pagesize
            number = self._pageNumber
            self.saveState()
            self.setStrokeColor(HexColor(RULE))
            self.setLineWidth(0.5)
            self.line(MARGIN, 13 * MM, width - MARGIN, 13 * MM)
            self.setFillColor(HexColor(MUTED))
            self.setFont(fonts.regular, 8)
            middle = self.stringWidth(footer_middle, fonts.regular, 8)
            room = width / 2 - middle / 2 - MARGIN - 12
            self.drawString(MARGIN, 9 * MM, _fit(footer_left, fonts.regular, 8, room))
            self.drawCentredString(width / 2, 9 * MM, footer_middle)
            self.drawRightString(width - MARGIN, 9 * MM, f"Page {number} of {total}")
            if number > 1:
                self.drawString(
                    MARGIN, height - 12 * MM, _fit(header_text, fonts.regular, 8, width / 2)
                )
                self.line(MARGIN, height - 14 * MM, width - MARGIN, height - 14 * MM)
            self.restoreState()

    return NumberedCanvas


def _fit(text: str, font: str, size: float, width: float) -> str:
    """`text` cut with an ellipsis so it is at most `width` points wide."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


class _Story:
    """The flowables of the document, built from its parts."""

    def __init__(
        self, doc: ReportDocument, fonts: Fonts, width: float, landscape_width: float
    ) -> None:
        from reportlab.lib.colors import HexColor
        from reportlab.lib.enums import TA_LEFT
        from reportlab.lib.styles import ParagraphStyle

        self.doc = doc
        self.wide = False  # the last section ended on a landscape page
        self.fonts = fonts
        self.width = width
        self.landscape_width = landscape_width
        ink = HexColor(INK)

        def style(name: str, size: float, font: str = fonts.regular, **extra: Any) -> Any:
            extra.setdefault("textColor", ink)
            return ParagraphStyle(
                name,
                fontName=font,
                fontSize=size,
                leading=size * 1.25,
                alignment=TA_LEFT,
                **extra,
            )

        self.title = style("title", 26, fonts.bold, textColor=HexColor(ACCENT), spaceAfter=10)
        self.subtitle = style("subtitle", 14, spaceAfter=3)
        self.period = style("period", 14, fonts.bold, textColor=HexColor(MUTED), spaceAfter=6)
        self.small = style("small", 9, textColor=HexColor(MUTED), spaceAfter=2)
        self.heading = style(
            "heading", 16, fonts.bold, textColor=HexColor(ACCENT), spaceBefore=6, spaceAfter=6
        )
        self.table_title = style("table_title", 11, fonts.bold, spaceBefore=8, spaceAfter=4)
        self.summary_title = style("summary_title", 10, fonts.bold, spaceBefore=6, spaceAfter=3)
        self.note = style("note", 8.5, fonts.italic, textColor=HexColor(MUTED), spaceBefore=3)
        self.body = style("body", 10)
        self.kpi_label = style("kpi_label", 8.5, textColor=HexColor(MUTED))
        self.kpi_hint = style("kpi_hint", 8, textColor=HexColor(MUTED))

    def para(self, text: str, style: Any) -> Any:
        from reportlab.platypus import Paragraph

        return Paragraph(escape(text), style)

    def flowables(self) -> list[Any]:
        if self.doc.summary:
            story = self.summary()
            fresh = False
        else:
            story = self.cover()
            fresh = True
        for section in self.doc.sections:
            story.extend(self.section(section, new_page=fresh))
            fresh = False
        return story

    def summary(self) -> list[Any]:
        """A short head (title, business, period, filters) and the summary sections, their
        tables one after the other: what an owner reads first, on the first pages."""
        from reportlab.platypus import CondPageBreak, KeepTogether

        doc = self.doc
        story: list[Any] = [
            self.para(f"{doc.title} · {doc.period}", self.title),
            self.para(doc.business, self.subtitle),
        ]
        lines = [*doc.filters, f"Generated on {generated_label(doc.generated_at)}"]
        story.append(self.para(" · ".join(lines), self.small))
        for section in doc.summary:
            if section.note:
                story.append(self.para(section.note, self.small))
            for table in section.tables:
                body, _wide = self.table(table, compact=True)
                head = [self.para(table.title, self.summary_title)]
                story.append(CondPageBreak(30 * MM))
                story.append(KeepTogether(head + body))
                if table.note:
                    story.append(self.para(table.note, self.note))
        return story

    def cover(self) -> list[Any]:
        from reportlab.platypus import Spacer

        doc = self.doc
        story: list[Any] = [
            Spacer(1, 18 * MM),
            self.para(doc.title, self.title),
            self.para(doc.business, self.subtitle),
            self.para(doc.period, self.period),
        ]
        if doc.filters:
            story.append(self.para("Filters: " + " · ".join(doc.filters), self.small))
        story.append(self.para(f"Generated on {generated_label(doc.generated_at)}", self.small))
        if doc.kpis:
            story.append(Spacer(1, 10 * MM))
            story.append(self.para("Key figures", self.heading))
            story.append(_kpi_grid(doc.kpis, self, doc.currency))
        if doc.sections:
            story.append(Spacer(1, 8 * MM))
            contents = " · ".join(section.title for section in doc.sections)
            story.append(self.para(f"In this report: {contents}", self.small))
        return story

    def section(self, section: Section, new_page: bool = True) -> list[Any]:
        """The section from a new page (or, not `new_page`, below the last one when a
        good part of the page is left); a table too wide for portrait gets landscape
        pages (the section starts on one when its first table needs it)."""
        from reportlab.platypus import (
            CondPageBreak,
            KeepTogether,
            NextPageTemplate,
            PageBreak,
            Spacer,
        )

        parts = [(table, *self.table(table)) for table in section.tables]
        wide_page = bool(parts) and parts[0][2]
        story: list[Any] = [NextPageTemplate("landscape" if wide_page else "portrait")]
        if new_page or wide_page or self.wide:
            story.append(PageBreak())
        else:
            story.append(CondPageBreak(110 * MM))
        story.append(self.para(section.title, self.heading))
        if section.note:
            story.append(self.para(section.note, self.small))
        for index, (table, body, needs_wide) in enumerate(parts):
            head: list[Any] = [self.para(table.title, self.table_title)]
            drawing = self.chart(table)
            if drawing is not None:
                head += [drawing, Spacer(1, 6)]
            if needs_wide != wide_page:
                story += [NextPageTemplate("landscape" if needs_wide else "portrait"), PageBreak()]
                wide_page = needs_wide
            elif index:
                story.append(CondPageBreak(60 * MM))
            if len(table.rows) <= 25:
                story.append(KeepTogether(head + body))
            else:
                story += [KeepTogether(head), *body]
            if table.note:
                story.append(self.para(table.note, self.note))
        self.wide = wide_page
        return story

    def chart(self, table: Table) -> Any | None:
        if table.chart is None or not table.rows:
            return None
        from crm_desktop.exchange._report_charts import chart_drawing

        return chart_drawing(table, self.width, self.fonts, self.doc.currency)

    def table(self, table: Table, compact: bool = False) -> tuple[list[Any], bool]:
        """The table's flowables and whether it needs a landscape page."""
        if not table.columns or (not table.rows and table.total_row is None):
            return [self.para("No data for this period.", self.body)], False
        from crm_desktop.exchange._report_tables import choose_layout, table_flowable

        currency = self.doc.currency
        layout, wide = choose_layout(table, currency, self.fonts, self.width, self.landscape_width)
        return [table_flowable(table, layout, self.fonts, currency, compact)], wide


def _kpi_grid(kpis: Sequence[Kpi], story: _Story, currency: str) -> Any:
    from reportlab.lib.colors import HexColor, white
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph, Table

    tile_width = story.width / KPI_COLUMNS
    inner = tile_width - 2 * 10
    cells: list[list[Any]] = []
    for kpi in kpis:
        shown = format_cell(kpi.value, kpi.kind, currency)
        size = 20.0
        while size > 10 and stringWidth(shown, story.fonts.bold, size) > inner:
            size -= 1
        value_style = ParagraphStyle(
            "kpi_value",
            fontName=story.fonts.bold,
            fontSize=size,
            leading=24,
            textColor=HexColor(ACCENT),
            spaceBefore=2,
            spaceAfter=2,
        )
        tile = [story.para(kpi.label, story.kpi_label), Paragraph(escape(shown), value_style)]
        tile.append(story.para(kpi.hint or " ", story.kpi_hint))
        cells.append(tile)
    while len(cells) % KPI_COLUMNS:
        cells.append([])
    rows = [cells[i : i + KPI_COLUMNS] for i in range(0, len(cells), KPI_COLUMNS)]
    grid = Table(rows, colWidths=[tile_width] * KPI_COLUMNS, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 10),
        ("RIGHTPADDING", (0, 0), (-1, -1), 10),
        ("TOPPADDING", (0, 0), (-1, -1), 8),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
    ]
    for index in range(len(kpis)):
        row, column = divmod(index, KPI_COLUMNS)
        commands.append(("BACKGROUND", (column, row), (column, row), HexColor(TILE)))
        commands.append(("LINEBEFORE", (column, row), (column, row), 3, HexColor(ACCENT)))
    # White rules between tiles read as gaps.
    commands.append(("GRID", (0, 0), (-1, -1), 4, white))
    grid.setStyle(commands)
    return grid
