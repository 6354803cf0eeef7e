# mypy: disable-error-code="import-untyped"
# (reportlab ships no type information.)
"""Letters (one PDF, a page per member: a mail merge) and address labels on the common
A4 and Letter label sheets, with reportlab (imported when a file is written)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from crm_desktop.domain.campaigns import Message
from crm_desktop.domain.errors import ValidationError

MM = 72 / 25.4  # points per millimetre
INCH = 72.0


@dataclass(frozen=True)
class LabelSheet:
    """A sheet of labels: page size and the grid, in points."""

    name: str
    title: str
    page: tuple[float, float]
    columns: int
    rows: int
    width: float
    height: float
    left: float
    top: float
    gap_x: float
    gap_y: float


A4 = (210 * MM, 297 * MM)
LETTER = (8.5 * INCH, 11 * INCH)
SHEETS = {
    s.name: s
    for s in (
        LabelSheet("L7160", "A4, 21 labels 63.5 × 38.1 mm (Avery L7160)", A4, 3, 7,
                   63.5 * MM, 38.1 * MM, 7.2 * MM, 15.15 * MM, 2.5 * MM, 0),
        LabelSheet("L7163", "A4, 14 labels 99.1 × 38.1 mm (Avery L7163)", A4, 2, 7,
                   99.1 * MM, 38.1 * MM, 4.65 * MM, 15.15 * MM, 2.5 * MM, 0),
        LabelSheet("L7161", "A4, 18 labels 63.5 × 46.6 mm (Avery L7161)", A4, 3, 6,
                   63.5 * MM, 46.6 * MM, 7.2 * MM, 8.7 * MM, 2.5 * MM, 0),
        LabelSheet("5160", "Letter, 30 labels 2 5/8 × 1 in (Avery 5160)", LETTER, 3, 10,
                   2.625 * INCH, 1.0 * INCH, 0.1875 * INCH, 0.5 * INCH, 0.125 * INCH, 0),
        LabelSheet("5163", "Letter, 10 labels 4 × 2 in (Avery 5163)", LETTER, 2, 5,
                   4.0 * INCH, 2.0 * INCH, 0.15625 * INCH, 0.5 * INCH, 0.1875 * INCH, 0),
    )
}  # fmt: skip
PAGES = {"A4": A4, "Letter": LETTER}


def sheet_named(name: str) -> LabelSheet:
    if name not in SHEETS:
        raise ValidationError(f"unknown label sheet {name!r} (sheets: {', '.join(SHEETS)})")
    return SHEETS[name]


def _fonts() -> tuple[str, str]:
    from crm_desktop.exchange.report_pdf import report_fonts

    fonts = report_fonts()
    return fonts.regular, fonts.bold


def write_letters(
    stream: IO[bytes],
    letters: Sequence[Message],
    sender: Sequence[str],
    page: str = "A4",
    when: dt.date | None = None,
) -> int:
    """One page per letter: the sender's line, the address in the window of a DL
    envelope, the date, the subject in bold and the body. Returns the pages written."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Frame, Paragraph

    if page not in PAGES:
        raise ValidationError(f"a letter is on A4 or Letter paper, not {page!r}")
    width, height = PAGES[page]
    regular, bold = _fonts()
    body_style = ParagraphStyle("body", fontName=regular, fontSize=11, leading=15, spaceAfter=8)
    canvas = Canvas(stream, pagesize=(width, height))
    canvas.setTitle("Letters")
    day = (when or dt.date.today()).strftime("%d %B %Y").lstrip("0")
    for letter in letters:
        canvas.setFont(regular, 8)
        canvas.drawString(25 * MM, height - 45 * MM, " · ".join(sender)[:120])
        canvas.setFont(regular, 11)
        lines = [letter.to_name, *letter.address]
        for i, line in enumerate(lines[:6]):
            canvas.drawString(25 * MM, height - (52 + i * 5) * MM, line)
        canvas.drawRightString(width - 20 * MM, height - 95 * MM, day)
        canvas.setFont(bold, 12)
        canvas.drawString(25 * MM, height - 105 * MM, letter.subject[:90])
        paragraphs = [
            Paragraph(_escape(p).replace("\n", "<br/>"), body_style)
            for p in letter.body.split("\n\n")
        ]
        frame = Frame(25 * MM, 20 * MM, width - 45 * MM, height - 130 * MM, showBoundary=0)
        frame.addFromList(paragraphs, canvas)
        canvas.showPage()
    canvas.save()
    return len(letters)


def write_labels(stream: IO[bytes], addresses: Sequence[Sequence[str]], sheet: LabelSheet) -> int:
    """Address labels, left to right and top to bottom, as many sheets as needed.
    Returns the labels written."""
    from reportlab.pdfgen.canvas import Canvas

    regular, bold = _fonts()
    canvas = Canvas(stream, pagesize=sheet.page)
    canvas.setTitle(f"Labels {sheet.name}")
    per_page = sheet.columns * sheet.rows
    size = 10 if sheet.height >= 45 else 9
    for n, lines in enumerate(addresses):
        if n and n % per_page == 0:
            canvas.showPage()
        row, column = divmod(n % per_page, sheet.columns)
        x = sheet.left + column * (sheet.width + sheet.gap_x) + 4 * MM
        top = sheet.page[1] - sheet.top - row * (sheet.height + sheet.gap_y)
        y = top - 4 * MM - size
        for i, line in enumerate(list(lines)[:5]):
            canvas.setFont(bold if i == 0 else regular, size)
            canvas.drawString(x, y - i * (size + 2), _fit(line, sheet.width - 8 * MM, size))
    canvas.showPage()
    canvas.save()
    return len(addresses)


def _fit(text: str, width: float, size: float) -> str:
    # about half an em per character: cut long lines rather than run into the next label
    most = max(8, int(width / (size * 0.5)))
    return text if len(text) <= most else text[: most - 1] + "…"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def describe_sheets() -> list[tuple[str, Any]]:
    return [(s.name, s.title) for s in SHEETS.values()]
