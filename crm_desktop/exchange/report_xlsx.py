# mypy: disable-error-code="import-untyped"
# (openpyxl ships no type information.)
"""A report document as an Excel workbook, with openpyxl (imported when a file is written).

Sheets: "Summary" (title, business, period, filters, when it was made, the key figures),
one sheet per section, and "Raw data" (the rows behind the figures, with a frozen header
and an autofilter).

On a section's sheet the tables stand one under the other, each an Excel table (its own
filter buttons; its column names show in place of A, B, C once its header scrolls away)
with a bold filled header, real number formats, its total row in bold under it, and a
native Excel chart beside it where it has one. A sheet with one table freezes the rows
down to its header; with several, only the section's title row stays in view.

Values stay numbers: money is written in currency units (cents / 100) with a number
format naming the document's currency, rates as fractions shown as 0.0 %, dates as real
dates. Formula-looking text (starting with = + - @) gets a leading apostrophe in the
stored value, so no spreadsheet ever runs it (see `_report_common.neutralise_text`).

The workbook is streamed (openpyxl's write-only mode) and the raw rows are written
straight into the sheet's XML, so 20,000 raw rows take well under a second; it all goes
to a temporary file that replaces `path` only when complete.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm_desktop.domain.reportdoc import (
    Cell,
    Column,
    ColumnKind,
    ReportDocument,
    Section,
    Table,
    format_cell,
)
from crm_desktop.domain.vocabulary import DEFAULT_CURRENCY
from crm_desktop.exchange._report_common import (
    local_naive,
    neutralise_text,
    write_atomically,
)

SUMMARY_SHEET = "Summary"
RAW_SHEET = "Raw data"
AT_A_GLANCE_SHEET = "At a glance"  # the summary's tables
HEADER_FILL = "1F4E79"
TOTAL_FILL = "DDEBF7"
# Excel refuses these in sheet names; "History" is reserved by Excel itself.
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_RESERVED_SHEETS = {"history"}
# Control characters an .xlsx file cannot hold (openpyxl raises on them).
_ILLEGAL_XML = re.compile(r"[\000-\010\013\014\016-\037]")
_MAX_CELL_TEXT = 32_767
_WIDTH_SAMPLE = 400  # rows looked at to size a column
_CHART_ROWS = 17  # rows a chart of the default height covers, plus a gap
_CHART_COLUMNS = 11  # columns of the default width a chart of 18 cm covers, plus a gap
_DEFAULT_WIDTH = 8.43  # Excel's width of a column nobody sized
_PORTRAIT_WIDTH = 95  # characters of column width an A4 portrait page prints at 100 %


def write_xlsx(doc: ReportDocument, path: Path) -> None:
    """Write `doc` as an .xlsx workbook at `path` (replaced atomically).

    Raises `CrmError` when the file cannot be written (missing or read-only folder)."""
    write_atomically(Path(path), lambda target: _write_workbook(doc, target), "Excel report")


def _write_workbook(doc: ReportDocument, target: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    styles = _Styles(doc.currency)
    names = SheetNames((SUMMARY_SHEET, RAW_SHEET))
    raw = None
    buffer = io.BytesIO()
    try:
        _write_summary(workbook.create_sheet(SUMMARY_SHEET), doc, styles)
        for section in doc.summary:
            _write_section(workbook.create_sheet(names.take(AT_A_GLANCE_SHEET)), section, styles)
        for section in doc.sections:
            sheet = workbook.create_sheet(names.take(section.name))
            _write_section(sheet, section, styles)
        if doc.raw is not None:
            raw = _RawRows(workbook.create_sheet(RAW_SHEET), doc.raw, styles)
        workbook.save(buffer)
    except BaseException:
        # Close the streamed sheets now: left to the garbage collector, each one would
        # try to finish its XML in a file that is gone.
        for sheet in workbook.worksheets:
            with contextlib.suppress(Exception):
                sheet.close()
        raise
    _repackage(buffer, target, raw)


def _repackage(package: io.BytesIO, target: Path, raw: _RawRows | None) -> None:
    """Copy the saved package to `target`, streaming the raw rows into their sheet and
    giving every sheet its used range (a streamed sheet has none, and programs reading
    the file in read-only mode take their row count from it)."""
    raw_part = raw.sheet.path.lstrip("/") if raw is not None else None
    with (
        zipfile.ZipFile(package) as source,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if raw is not None and info.filename == raw_part:
                head, tail = _split_sheet_data(data)
                with out.open(info.filename, "w") as stream:
                    stream.write(_with_dimension(head, raw.used_range))
                    for chunk in raw.chunks():
                        stream.write(chunk)
                    stream.write(tail)
                continue
            if info.filename.startswith("xl/worksheets/sheet"):
                data = _with_dimension(data, _used_range(data))
            out.writestr(info, data)


def _used_range(xml: bytes) -> str:
    cells = re.findall(rb'<c r="([A-Z]+)([0-9]+)"', xml)
    if not cells:
        return "A1"
    last_column = max((column for column, _ in cells), key=lambda c: (len(c), c))
    return f"A1:{last_column.decode()}{max(int(row) for _, row in cells)}"


def _with_dimension(xml: bytes, used: str) -> bytes:
    if b"<dimension" in xml:
        return xml
    for follower in (b"<sheetViews", b"<sheetFormatPr", b"<cols", b"<sheetData"):
        at = xml.find(follower)
        if at >= 0:
            return xml[:at] + f'<dimension ref="{used}"/>'.encode() + xml[at:]
    return xml


class SheetNames:
    """Valid, unique sheet names: at most 31 characters, none of []:*?/\\, no leading
    or trailing apostrophe, compared without case as Excel does."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self._used = {name.casefold() for name in reserved} | _RESERVED_SHEETS

    def take(self, wanted: str) -> str:
        base = _BAD_SHEET_CHARS.sub(" ", _ILLEGAL_XML.sub("", wanted))
        base = " ".join(base.split()).strip("'").strip() or "Sheet"
        name = base[:31].rstrip()
        number = 2
        while name.casefold() in self._used:
            suffix = f" ({number})"
            name = base[: 31 - len(suffix)].rstrip() + suffix
            number += 1
        self._used.add(name.casefold())
        return name


class _Styles:
    """Font, fill and number-format objects made once per workbook and shared by every
    cell (openpyxl indexes styles by value, so fresh objects per cell are slow)."""

    def __init__(self, currency: str) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        code = re.sub(r'["\\]', "", currency).strip() or DEFAULT_CURRENCY
        self.currency = code
        self.tables = 0  # Excel tables made so far (their names are workbook-wide)
        money = f'#,##0.00 "{code}"'
        self.formats: dict[str, str] = {
            "money": f"{money};-{money}",
            "percent": "0.0%",
            "date": "yyyy-mm-dd",
            "days": "0.0",
            "int": "#,##0",
            "number": "#,##0.00",
        }
        self.datetime_format = "yyyy-mm-dd hh:mm"
        self.bold = Font(bold=True)
        self.title = Font(bold=True, size=16, color=HEADER_FILL)
        self.heading = Font(bold=True, size=13, color=HEADER_FILL)
        self.subheading = Font(bold=True, size=11)
        self.note = Font(italic=True, color="595959")
        self.header_font = Font(bold=True, color="FFFFFF")
        self.header_fill = PatternFill("solid", fgColor=HEADER_FILL)
        self.total_fill = PatternFill("solid", fgColor=TOTAL_FILL)
        self.header_align = Alignment(vertical="center", wrap_text=True)
        self.header_align_right = Alignment(horizontal="right", vertical="center", wrap_text=True)
        self.total_border = Border(top=Side(style="thin", color="1F4E79"))


def header_titles(columns: Sequence[Column]) -> list[str]:
    """Header texts as written: one line, never empty and unique without regard to case,
    as an Excel table needs its column names to be."""
    titles: list[str] = []
    seen: set[str] = set()
    for number, column in enumerate(columns, start=1):
        base = _clean_text(" ".join(column.title.split())) or f"Column {number}"
        title, copy = base, 2
        while title.casefold() in seen:
            title, copy = f"{base} ({copy})", copy + 1
        seen.add(title.casefold())
        titles.append(title)
    return titles


def _clean_text(text: str) -> str:
    if _ILLEGAL_XML.search(text):
        text = _ILLEGAL_XML.sub("", text)
    return neutralise_text(text[:_MAX_CELL_TEXT])


def excel_value(value: Cell, kind: ColumnKind) -> Any:
    """The value a cell holds: currency units for money, naive dates, inert text."""
    if isinstance(value, str):
        return _clean_text(value)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None  # a spreadsheet has no NaN or infinity
    if kind == "money" and isinstance(value, int | float):
        return value / 100
    if isinstance(value, dt.datetime):
        return local_naive(value)
    return value


class _CellMaker:
    """Cells of one sheet: a plain value where no style is needed (fast), otherwise a
    write-only cell carrying the shared style objects."""

    def __init__(self, sheet: Any, styles: _Styles) -> None:
        from openpyxl.cell import WriteOnlyCell

        self._new = WriteOnlyCell
        self.sheet = sheet
        self.styles = styles

    def value(self, value: Cell, kind: ColumnKind) -> Any:
        plain = excel_value(value, kind)
        number_format = self._format(plain, kind)
        if number_format is None:
            return plain
        cell = self._new(self.sheet, plain)
        cell.number_format = number_format
        return cell

    def _format(self, plain: Any, kind: ColumnKind) -> str | None:
        if isinstance(plain, dt.datetime):
            return self.styles.datetime_format
        if isinstance(plain, dt.date):
            return self.styles.formats["date"]
        if isinstance(plain, int | float) and kind != "text":
            return self.styles.formats.get(kind)
        return None

    def header(self, columns: Sequence[Column]) -> list[Any]:
        cells = []
        for column, title in zip(columns, header_titles(columns), strict=True):
            cell = self._new(self.sheet, title)
            cell.font = self.styles.header_font
            cell.fill = self.styles.header_fill
            cell.alignment = (
                self.styles.header_align
                if column.kind in ("text", "date")
                else self.styles.header_align_right
            )
            cells.append(cell)
        return cells

    def total(self, columns: Sequence[Column], row: Sequence[Cell]) -> list[Any]:
        cells = []
        for column, value in zip(columns, row, strict=False):
            cell = self._new(self.sheet, excel_value(value, column.kind))
            number_format = self._format(cell.value, column.kind)
            if number_format is not None:
                cell.number_format = number_format
            cell.font = self.styles.bold
            cell.fill = self.styles.total_fill
            cell.border = self.styles.total_border
            cells.append(cell)
        return cells

    def styled(self, text: str, font: Any) -> Any:
        cell = self._new(self.sheet, _clean_text(text))
        cell.font = font
        return cell


def _write_summary(sheet: Any, doc: ReportDocument, styles: _Styles) -> None:
    make = _CellMaker(sheet, styles)
    _set_widths(sheet, [26, 24, 44])
    _print_setup(sheet, [26, 24, 44], 9 + len(doc.kpis), 3, None)
    sheet.append([make.styled(doc.title, styles.title)])
    sheet.append([_clean_text(doc.business)])
    sheet.append([])
    sheet.append([make.styled("Period", styles.bold), _clean_text(doc.period)])
    filters = "; ".join(doc.filters) if doc.filters else "none"
    sheet.append([make.styled("Filters", styles.bold), _clean_text(filters)])
    generated = make.value(local_naive(doc.generated_at), "date")
    sheet.append([make.styled("Generated on", styles.bold), generated])
    sheet.append([make.styled("Currency", styles.bold), _clean_text(doc.currency)])
    if not doc.kpis:
        return
    sheet.append([])
    sheet.append(make.header((Column("Key figure"), Column("Value", "number"), Column("Note"))))
    for kpi in doc.kpis:
        hint = _clean_text(kpi.hint)
        sheet.append([_clean_text(kpi.label), make.value(kpi.value, kpi.kind), hint])


@dataclass
class _Placed:
    """Where a table landed on its sheet (1-based rows)."""

    table: Table
    title_row: int
    header_row: int
    last_row: int  # last data row (the header row when there are none)


def _write_section(sheet: Any, section: Section, styles: _Styles) -> None:
    make = _CellMaker(sheet, styles)
    rows: list[list[Any]] = [[make.styled(section.title, styles.heading)]]
    if section.note:
        rows.append([make.styled(section.note, styles.note)])
    placed: list[_Placed] = []
    for table in section.tables:
        rows.append([])
        title_row = len(rows) + 1
        rows.append([make.styled(table.title, styles.subheading)])
        rows.append(make.header(table.columns))
        header_row = len(rows)
        kinds = [column.kind for column in table.columns]
        for row in table.rows:
            rows.append([make.value(v, k) for v, k in zip(row, kinds, strict=False)])
        placed.append(_Placed(table, title_row, header_row, len(rows)))
        if table.total_row is not None:
            rows.append(make.total(table.columns, table.total_row))
        if table.note:
            rows.append([make.styled(table.note, styles.note)])
        if table.chart is not None:
            while len(rows) < title_row + _CHART_ROWS:
                rows.append([])

    # Sheet views, column widths and the page setup go before the first row in a
    # streamed sheet.
    title_rows = None
    if len(placed) == 1:
        sheet.freeze_panes = f"A{placed[0].header_row + 1}"
        title_rows = f"1:{placed[0].header_row}"
    elif placed:
        sheet.freeze_panes = "A2"  # several tables: keep the section's title in view
        title_rows = "1:1"
    widths = _section_widths(section, styles.currency)
    _set_widths(sheet, widths)
    columns = max((len(p.table.columns) for p in placed), default=1)
    charted = [p for p in placed if p.table.chart is not None and p.table.rows]
    last_column = max([columns, *(len(p.table.columns) + 1 + _CHART_COLUMNS for p in charted)])
    _print_setup(sheet, widths, len(rows), last_column, title_rows)
    for cells in rows:
        sheet.append(cells)
    for spot in placed:
        if spot.table.rows and spot.table.columns:
            _add_excel_table(sheet, spot, styles)
        if spot.table.chart is not None and spot.table.rows:
            _add_chart(sheet, spot, styles)


def _add_excel_table(sheet: Any, spot: _Placed, styles: _Styles) -> None:
    """Make the header and rows an Excel table: each table on the sheet gets its own
    filter buttons, and its column names replace the letters A, B, C when scrolled past
    its header. The total row stays outside, so sorting never moves it."""
    from openpyxl.worksheet.filters import AutoFilter
    from openpyxl.worksheet.table import Table as ExcelTable
    from openpyxl.worksheet.table import TableColumn, TableStyleInfo

    styles.tables += 1
    ref = _range(spot.header_row, spot.last_row, len(spot.table.columns))
    table = ExcelTable(displayName=f"Report_table_{styles.tables}", ref=ref)
    table.tableColumns = [
        TableColumn(id=number, name=title)
        for number, title in enumerate(header_titles(spot.table.columns), start=1)
    ]
    table.autoFilter = AutoFilter(ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
    with warnings.catch_warnings():
        # openpyxl reminds write-only users to name the columns, which is done above.
        warnings.simplefilter("ignore", UserWarning)
        sheet.add_table(table)


class _RawRows:
    """The raw-data sheet. openpyxl writes its frame (widths, frozen header, autofilter,
    header row); the rows are then streamed straight into the sheet's XML inside the
    saved package, about twenty times faster than openpyxl's cell-by-cell writer."""

    def __init__(self, sheet: Any, table: Table, styles: _Styles) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.utils import get_column_letter

        self.sheet = sheet
        self.table = table
        make = _CellMaker(sheet, styles)
        sheet.freeze_panes = "A2"
        widths = _widths(table.columns, [table.rows[:_WIDTH_SAMPLE]], styles.currency)
        _set_widths(sheet, widths)
        total_rows = 1 + len(table.rows) + (table.total_row is not None)
        _print_setup(sheet, widths, total_rows, len(table.columns), "1:1")
        sheet.append(make.header(table.columns))
        sheet.auto_filter.ref = _range(1, 1 + len(table.rows), len(table.columns))
        self.letters = [get_column_letter(i + 1) for i in range(len(table.columns))]
        last_row = 1 + len(table.rows) + (table.total_row is not None)
        self.used_range = f"A1:{get_column_letter(max(len(table.columns), 1))}{last_row}"
        self.kinds = [column.kind for column in table.columns]

        def style_id(number_format: str | None, total: bool) -> int:
            cell = WriteOnlyCell(sheet, None)
            if number_format is not None:
                cell.number_format = number_format
            if total:
                cell.font, cell.fill = styles.bold, styles.total_fill
                cell.border = styles.total_border
            return int(cell.style_id)

        # Style ids per column for numbers, dates and date-times; row ones and total ones.
        self.styles: dict[bool, list[tuple[int, int, int]]] = {
            total: [
                (
                    style_id(styles.formats.get(kind), total),
                    style_id(styles.formats["date"], total),
                    style_id(styles.datetime_format, total),
                )
                for kind in self.kinds
            ]
            for total in (False, True)
        }

    def chunks(self, size: int = 2000) -> Iterable[bytes]:
        rows = self.table.rows
        for start in range(0, len(rows), size):
            parts = [
                self._row_xml(number, row, False)
                for number, row in enumerate(rows[start : start + size], start=start + 2)
            ]
            yield "".join(parts).encode("utf-8", "replace")
        if self.table.total_row is not None:
            number = len(rows) + 2
            yield self._row_xml(number, self.table.total_row, True).encode("utf-8", "replace")

    def _row_xml(self, number: int, row: Sequence[Cell], total: bool) -> str:
        from openpyxl.utils.datetime import to_excel

        parts = [f'<row r="{number}">']
        styles = self.styles[total]
        for index, value in enumerate(row[: len(self.letters)]):
            ref = f"{self.letters[index]}{number}"
            number_style, date_style, datetime_style = styles[index]
            style = f' s="{number_style}"' if number_style or total else ""
            if value is None or value == "":
                if total:
                    parts.append(f'<c r="{ref}"{style}/>')
                continue
            if isinstance(value, int | float):
                figure = value / 100 if self.kinds[index] == "money" else value
                if isinstance(figure, float) and not math.isfinite(figure):
                    continue
                parts.append(f'<c r="{ref}"{style}><v>{figure!r}</v></c>')
            elif isinstance(value, dt.datetime):
                serial = to_excel(local_naive(value))
                parts.append(f'<c r="{ref}" s="{datetime_style}"><v>{serial!r}</v></c>')
            elif isinstance(value, dt.date):
                parts.append(f'<c r="{ref}" s="{date_style}"><v>{to_excel(value)!r}</v></c>')
            else:
                text = _clean_text(str(value))
                text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
                text_style = style if total else ""
                parts.append(
                    f'<c r="{ref}"{text_style} t="inlineStr"><is><t{space}>{text}</t></is></c>'
                )
        parts.append("</row>")
        return "".join(parts)


def _split_sheet_data(xml: bytes) -> tuple[bytes, bytes]:
    """The sheet's XML before and after the point where rows are appended."""
    match = re.search(rb"<sheetData\s*/>", xml)
    if match is not None:  # no rows at all: open the element
        return xml[: match.start()] + b"<sheetData>", b"</sheetData>" + xml[match.end() :]
    cut = xml.rindex(b"</sheetData>")
    return xml[:cut], xml[cut:]


def _range(first_row: int, last_row: int, columns: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"A{first_row}:{get_column_letter(max(columns, 1))}{last_row}"


def _section_widths(section: Section, currency: str) -> list[float]:
    widths: list[float] = []
    for table in section.tables:
        rows = [table.rows[:_WIDTH_SAMPLE]]
        if table.total_row is not None:
            rows.append((table.total_row,))
        for index, width in enumerate(_widths(table.columns, rows, currency)):
            if index < len(widths):
                widths[index] = max(widths[index], width)
            else:
                widths.append(width)
    return widths


def _widths(
    columns: Sequence[Column], groups: Sequence[Sequence[Sequence[Cell]]], currency: str
) -> list[float]:
    """Column widths in characters from the header and the values as they will show."""
    result = []
    for index, column in enumerate(columns):
        longest_word = max((len(word) for word in column.title.split()), default=4)
        width = max(len(column.title) * 0.8, longest_word + 1)
        for rows in groups:
            for row in rows:
                if index < len(row) and row[index] is not None:
                    shown = format_cell(row[index], column.kind, currency)
                    width = max(width, len(shown) * 1.1)
        result.append(min(max(width + 2, 8), 60))
    return result


def _print_setup(
    sheet: Any, widths: Sequence[float], last_row: int, last_column: int, title_rows: str | None
) -> None:
    """How the sheet prints: landscape when its columns (and charts) are wider than a
    portrait page, every column on one page's width (as many pages down as it needs),
    `title_rows` repeated on each page, only the used cells, numbered pages."""
    from openpyxl.utils import get_column_letter

    width = sum(widths) + max(0, last_column - len(widths)) * _DEFAULT_WIDTH
    setup = sheet.page_setup
    setup.orientation = "landscape" if width > _PORTRAIT_WIDTH else "portrait"
    setup.paperSize = 9  # A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = False
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    if title_rows:
        sheet.print_title_rows = title_rows
    sheet.print_area = f"A1:{get_column_letter(max(last_column, 1))}{max(last_row, 1)}"
    sheet.oddFooter.center.text = "&A · page &P of &N"
    sheet.oddFooter.center.size = 8


def _set_widths(sheet: Any, widths: Sequence[float]) -> None:
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = round(width, 1)


def _add_chart(sheet: Any, spot: _Placed, styles: _Styles) -> None:
    from openpyxl.chart import BarChart, LineChart, PieChart, Reference
    from openpyxl.chart.label import DataLabelList
    from openpyxl.utils import get_column_letter

    table, chart = spot.table, spot.table.chart
    assert chart is not None
    values = [c for c in chart.value_columns if 0 <= c < len(table.columns)]
    if not values or not 0 <= chart.label_column < len(table.columns):
        return
    excel_chart: Any
    if chart.kind == "pie":
        excel_chart = PieChart()
        values = values[:1]
        # Percentages only, placed by the program: names and values on every slice
        # pile up; the legend beside the pie names the slices.
        excel_chart.dataLabels = DataLabelList()
        excel_chart.dataLabels.showPercent = True
        for attribute in ("showVal", "showCatName", "showSerName", "showLegendKey"):
            setattr(excel_chart.dataLabels, attribute, False)
        excel_chart.dataLabels.showLeaderLines = True
        excel_chart.dataLabels.position = "bestFit"
        excel_chart.legend.position = "r"
    else:
        excel_chart = LineChart() if chart.kind == "line" else BarChart()
        if chart.kind in ("bar", "stacked_bar"):
            excel_chart.type = "col"
            if chart.kind == "stacked_bar":
                excel_chart.grouping = "stacked"
                excel_chart.overlap = 100
        # openpyxl 3.1 leaves `delete` unset, which recent Excel reads as "hide the axis".
        excel_chart.x_axis.delete = False
        excel_chart.y_axis.delete = False
        excel_chart.y_axis.number_format = _axis_format(table.columns[values[0]], styles)
        if len(values) == 1:
            excel_chart.legend = None
        else:
            excel_chart.legend.position = "b"  # leaves the plot its width
    for column in values:
        data = Reference(sheet, min_col=column + 1, min_row=spot.header_row, max_row=spot.last_row)
        excel_chart.add_data(data, titles_from_data=True)
    excel_chart.set_categories(
        Reference(
            sheet,
            min_col=chart.label_column + 1,
            min_row=spot.header_row + 1,
            max_row=spot.last_row,
        )
    )
    excel_chart.title = chart.title or table.title
    excel_chart.width = 18
    excel_chart.height = 8
    anchor_column = get_column_letter(len(table.columns) + 2)
    sheet.add_chart(excel_chart, f"{anchor_column}{spot.title_row}")


def _axis_format(column: Column, styles: _Styles) -> str:
    if column.kind == "money":
        return "#,##0"
    return styles.formats.get(column.kind, "General")


__all__ = ["SheetNames", "write_xlsx"]
