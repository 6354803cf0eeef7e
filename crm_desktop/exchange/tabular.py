# mypy: disable-error-code="import-untyped"
# (openpyxl ships no type information.)
"""Spreadsheets in and out: CSV in any encoding and delimiter people meet, and .xlsx.

Reading never stops at a stray byte or a broken quote: what could not be read cleanly is
reported as a problem with its line number, and the rest is returned. Each row carries
the physical line of the file where its record starts (a quoted field may span lines),
so a person can find it in a text editor.

Writing neutralises formulas (CSV injection): a text cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so no spreadsheet runs
it as a formula or a link to another program. Signed numbers and phone numbers
(``+49 30 1234567``, ``-12.5``) call nothing and keep their look. Reading removes such an
apostrophe again, so an exported sheet re-imports with the values it was made from.
CSV is written as UTF-8 with a byte order mark, which Excel needs to see the accents.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import re
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

DELIMITERS = (",", ";", "\t", "|")
XLSX_MAGIC = b"PK\x03\x04"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Left as they are: a signed figure ("-12.5") and a phone number ("+49 30 1234567",
# "+1-555-0100": a plus, then at least six digits with spaces, brackets, dots, slashes or
# dashes, and no second plus). Anything else after a sign is arithmetic to a spreadsheet:
# "-2+3" is a formula.
_FIGURE = r"[0-9]+(?:[.,][0-9]+)?"  # after its sign
_PHONE_DIGITS = r"[ ()./-]*(?:[0-9][ ()./-]*){6,}"  # after its plus
_HARMLESS_SIGNED = re.compile(rf"[+-]?{_FIGURE}|\+{_PHONE_DIGITS}")
_NEUTRALISED = re.compile("'+[=+\\-@\t\r]")
_STRAY = re.compile("[\udc80-\udcff]")
_SNIFF_CHARS = 65_536
_MAX_XLSX_TEXT = 32_767
MAX_COLUMNS = 16_384  # Excel's limit; a header wider than this is no table of records
MAX_HEADER_CHARS = 1 << 20  # a line of column names longer than 1 MiB is no header
# Fields of any size that fit in memory: a note of a pasted mail thread is often more
# than the csv module's default 128 KiB. (The C long is 32 bits on Windows.)
_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)
_XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


class Row(NamedTuple):
    line: int  # the physical line (CSV) or sheet row (xlsx) where the record starts
    cells: list[str]


@dataclass(frozen=True)
class Sheet:
    """A table read from a file: its header, its rows and what could not be read."""

    format: str  # "csv" | "xlsx"
    encoding: str  # as detected ("utf-8", "utf-8-sig", "cp1252", "utf-16-le", ...); xlsx: ""
    delimiter: str  # xlsx: ""
    headers: tuple[str, ...]
    header_line: int
    rows: list[Row] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, what) repaired
    unreadable: list[tuple[int, str]] = field(default_factory=list)  # (line, what) lost


class UnreadableFileError(ValueError):
    """The bytes are not a table at all (an empty file, a broken workbook)."""


# ---- formulas --------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """Text a spreadsheet will never run: formula-looking text gets a leading apostrophe.
    (So does text that already starts with apostrophes before such a character, so that
    `restore_neutralised` gives every value back exactly.)"""
    if text.startswith(_FORMULA_STARTS) and not _HARMLESS_SIGNED.fullmatch(text):
        return "'" + text
    if text.startswith("'") and text.lstrip("'").startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def restore_neutralised(text: str) -> str:
    """The value `neutralise` was given (its apostrophe removed)."""
    if text.startswith("'") and text.lstrip("'").startswith(_FORMULA_STARTS):
        return text[1:]
    return text


# ---- decoding ----------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str, list[tuple[int, str]]]:
    """Text of a file in whichever encoding it came in: (text, encoding, problems).

    A byte order mark decides (UTF-8, UTF-16 LE/BE); then UTF-16 without one is recognised
    by its zero bytes; then UTF-8. A file of UTF-8 with a few stray bytes (one cell pasted
    from a cp1252 program) stays UTF-8: the stray bytes are read as cp1252 and reported
    by line. Anything else is cp1252 (Windows, Excel "CSV" in Western Europe)."""
    if data.startswith(codecs.BOM_UTF8):
        return _decode_utf8(data[3:], "utf-8-sig")
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return _decode_utf16(data[2:], name)
    sample = data[:4096]
    if len(sample) >= 4 and sample.count(0) * 4 >= len(sample):
        # ASCII text in UTF-16 has a zero byte beside every letter.
        even_zeros = sample[0::2].count(0)
        odd_zeros = sample[1::2].count(0)
        return _decode_utf16(data, "utf-16-be" if even_zeros > odd_zeros else "utf-16-le")
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="surrogateescape")
    stray = len(_STRAY.findall(text))
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F) - stray
    if multibyte > stray:
        return _decode_utf8(data, "utf-8")
    return _decode_cp1252(data)


def _decode_utf8(data: bytes, name: str) -> tuple[str, str, list[tuple[int, str]]]:
    try:
        return data.decode("utf-8"), name, []
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="surrogateescape")
    problems: list[tuple[int, str]] = []
    line, last = 1, 0
    for match in _STRAY.finditer(text):
        line += text.count("\n", last, match.start())
        last = match.start()
        byte = ord(match.group()) - 0xDC00
        as_cp1252 = bytes([byte]).decode("cp1252", errors="replace")
        problems.append(
            (line, f"byte 0x{byte:02X} is not UTF-8; read as {as_cp1252!r} (Windows-1252)")
        )

    def repair(match: re.Match[str]) -> str:
        return bytes([ord(match.group()) - 0xDC00]).decode("cp1252", errors="replace")

    return _STRAY.sub(repair, text), name, problems


def _decode_utf16(data: bytes, name: str) -> tuple[str, str, list[tuple[int, str]]]:
    if len(data) % 2:
        data = data[:-1]
    text = data.decode(name, errors="replace")
    problems = [
        (text.count("\n", 0, m.start()) + 1, "broken UTF-16 character replaced by \ufffd")
        for m in re.finditer("\ufffd", text)
    ]
    return text, name, problems


def _decode_cp1252(data: bytes) -> tuple[str, str, list[tuple[int, str]]]:
    text = data.decode("cp1252", errors="replace")
    problems = [
        (text.count("\n", 0, m.start()) + 1, "a byte with no character in Windows-1252")
        for m in re.finditer("\ufffd", text)
    ]
    return text, "cp1252", problems


# ---- CSV -----------------------------------------------------------------------------------


def detect_delimiter(text: str) -> str:
    """The delimiter among , ; TAB | that splits the first records into the most columns,
    consistently (csv.Sniffer first; its guess is checked, since it is easily fooled by
    commas inside quoted names)."""
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        sniffed: str | None = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    scores = {d: _consistency(sample, d) for d in DELIMITERS}
    if sniffed in scores and scores[sniffed] >= max(scores.values()) and scores[sniffed] > 1:
        return sniffed
    best = max(DELIMITERS, key=lambda d: scores[d])
    return best if scores[best] > 1 else ","


def _consistency(sample: str, delimiter: str) -> int:
    """The header's column count if most of the first records have it; else 0 or 1."""
    try:
        reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
        records = [r for _, r in zip(range(20), reader, strict=False) if r]
    except csv.Error:
        return 0
    if not records:
        return 0
    width = len(records[0])
    agreeing = sum(1 for r in records if len(r) == width)
    return width if agreeing * 2 > len(records) else 1


def read_csv(data: bytes, delimiter: str | None = None) -> Sheet:
    """The table in CSV bytes: encoding and delimiter detected (an Excel ``sep=;`` first
    line is honoured), the first non-empty record as the header."""
    text, encoding, problems = decode(data)
    if "\x00" in text:  # NUL is no character of any text a person wrote
        line = text.count("\n", 0, text.index("\x00")) + 1
        problems.append((line, "NUL characters were removed"))
        text = text.replace("\x00", "")
    first_line_end = text.find("\n")
    first = text[: first_line_end if first_line_end >= 0 else len(text)].strip()
    skipped_lines = 0
    if first.lower().startswith("sep=") and len(first) == 5:
        delimiter = delimiter or first[4]
        text = text[first_line_end + 1 :] if first_line_end >= 0 else ""
        skipped_lines = 1
    if not text.strip():
        raise UnreadableFileError("the file is empty")
    _check_first_line(text)
    csv.field_size_limit(_FIELD_LIMIT)
    delimiter = delimiter or detect_delimiter(text)
    unreadable: list[tuple[int, str]] = []
    records = _records(text, delimiter, unreadable)
    escaped = _NEUTRALISED.search(text) is not None  # else no cell needs restoring
    headers: tuple[str, ...] = ()
    header_line = 0
    rows: list[Row] = []
    for physical, cells in records:
        line = physical + skipped_lines
        if not any(c.strip() for c in cells):
            continue
        if not headers:
            if len(cells) > MAX_COLUMNS:
                raise UnreadableFileError(
                    f"the first line has {len(cells):,} columns; a table of records has at "
                    f"most {MAX_COLUMNS:,}"
                )
            headers = tuple(_clean_header(c) for c in cells)
            header_line = line
            continue
        rows.append(Row(line, [restore_neutralised(c) for c in cells] if escaped else cells))
    if not headers:
        raise UnreadableFileError("the file has no header row")
    return Sheet(
        "csv", encoding, delimiter, headers, header_line, rows, sorted(problems), unreadable
    )


def _check_first_line(text: str) -> None:
    """Refuse a file whose first line cannot be a header of column names before reading
    it (a 50 MB single line would otherwise be split into millions of columns)."""
    start = len(text) - len(text.lstrip())
    end = text.find("\n", start, start + MAX_HEADER_CHARS + 1)
    if end < 0 and len(text) - start > MAX_HEADER_CHARS:
        line_end = text.find("\n", start)
        size = (line_end if line_end >= 0 else len(text)) - start
        raise UnreadableFileError(
            f"the first line is {size / 1_000_000:.1f} million characters long; a table starts "
            "with a line of column names"
        )


def _records(text: str, delimiter: str, problems: list[tuple[int, str]]) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    consumed = 0  # physical lines read so far
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(
                (consumed + 1, f"unreadable from here on ({exc}); the rest was not imported")
            )
            return
        yield Row(consumed + 1, cells)
        consumed = reader.line_num


def _clean_header(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").split())


def write_csv(
    stream: IO[bytes], headers: Sequence[str], rows: Iterable[Sequence[Any]], delimiter: str = ","
) -> int:
    """CSV as Excel opens it: UTF-8 with a byte order mark, CRLF, formulas neutralised.
    Returns the number of rows written."""
    with _CsvOut(stream, headers, delimiter) as out:
        remaining = iter(rows)
        while batch := list(itertools.islice(remaining, _BATCH)):
            out.rows(batch)
    return out.count


def write_csv_columns(
    stream: IO[bytes],
    headers: Sequence[str],
    batches: Iterable[Sequence[Sequence[Any]]],
    delimiter: str = ",",
) -> int:
    """CSV as `write_csv` writes it, given as batches of rows a column at a time (each
    batch a list of columns of one length): for a maker of many rows that works a column
    at a time, which saves turning its rows into columns to check them for formulas."""
    with _CsvOut(stream, headers, delimiter) as out:
        for columns in batches:
            out.columns(columns)
    return out.count


class _CsvOut:
    def __init__(self, stream: IO[bytes], headers: Sequence[str], delimiter: str) -> None:
        self._text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._text, delimiter=delimiter, lineterminator="\r\n")
        self._writer.writerow([neutralise(h) for h in headers])
        self.count = 0

    def __enter__(self) -> _CsvOut:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._text.flush()
        self._text.detach()

    def rows(self, batch: list[Sequence[Any]]) -> None:
        if len(set(map(len, batch))) > 1:  # rows of their own lengths
            self._writer.writerows([neutralise(cell_text(v)) for v in row] for row in batch)
        else:
            columns = list(zip(*batch, strict=True))
            written = _neutralised(columns)
            self._writer.writerows(batch if written is columns else zip(*written, strict=True))
        self.count += len(batch)

    def columns(self, columns: Sequence[Sequence[Any]]) -> None:
        self._writer.writerows(zip(*_neutralised(columns), strict=True))
        self.count += len(columns[0]) if columns else 0


# Rows are made safe a batch at a time, a column at a time: a column's cells joined into
# one string, each led by the separator, are searched for a cell that starts with a
# character `neutralise` looks at (C speed), and only a column with such a cell (a column
# of phone numbers) is looked at again, with patterns that know which ones are harmless;
# a column with a cell that needs its apostrophe is done cell by cell.
_BATCH = 4096
_SEPARATOR = "\x1f"
_RISKY_START = re.compile(f"{_SEPARATOR}[=+\\-@\t\r']")
_END = f"(?:{_SEPARATOR}|\\Z)"
# Every cell empty, harmless from its first character, or a plus and phone characters...
_SAFE_OR_PLUS = re.compile(
    f"(?:{_SEPARATOR}(?:[^=+\\-@\t\r'{_SEPARATOR}][^{_SEPARATOR}]*+|\\+[0-9 ()./-]*+)?)*+"
)
# ... of which one with fewer than six digits (which may need its apostrophe).
_FEW_DIGITS = re.compile(f"{_SEPARATOR}\\+[ ()./-]*+(?:[0-9][ ()./-]*+){{0,5}}+{_END}")
# A cell that `neutralise` changes (the general case: slower).
_NEEDS_APOSTROPHE = re.compile(
    f"{_SEPARATOR}[=+\\-@\t\r'](?:(?<=[=@\t\r'])|(?<=-)(?!{_FIGURE}{_END})"
    f"|(?<=\\+)(?!{_FIGURE}{_END})(?!{_PHONE_DIGITS}{_END}))"
)


def _neutralised(columns: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    """The columns as written (`neutralise(cell_text(value))` of each value): the same
    sequence when every cell stays as it is."""
    written = None
    for index, column in enumerate(columns):
        cells = _column(column)
        if cells is not column:
            written = list(columns) if written is None else written
            written[index] = cells
    return columns if written is None else written


def _column(cells: Sequence[Any]) -> Sequence[Any]:
    """The cells as written: the same sequence when every one stays as it is."""
    if cells.count("") == len(cells):  # blanks
        return cells
    try:
        joined = _SEPARATOR + _SEPARATOR.join(cells)
    except TypeError:  # a value that is not text
        return [neutralise(cell_text(v)) for v in cells]
    if _RISKY_START.search(joined) is None:
        return cells
    # Exact only when no cell holds the separator (it would look like a cell start).
    if joined.count(_SEPARATOR) == len(cells):
        if _SAFE_OR_PLUS.fullmatch(joined) and _FEW_DIGITS.search(joined) is None:
            return cells  # text and phone numbers
        if _NEEDS_APOSTROPHE.search(joined) is None:
            return cells
    return [neutralise(v) for v in cells]


def cell_text(value: Any) -> str:
    """How a value reads in a cell: dates in ISO 8601, whole floats without ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time() and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(" ", "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---- xlsx ----------------------------------------------------------------------------------


def read_xlsx(data: bytes) -> Sheet:
    """The first sheet of a workbook (values, not formulas), read in streaming mode."""
    with warnings.catch_warnings():
        # Sheets from Google, LibreOffice and others make openpyxl warn about their
        # styles and extensions; the values are read all the same.
        warnings.simplefilter("ignore")
        return _read_xlsx(data)


def _read_xlsx(data: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken zip or XML
        raise UnreadableFileError(f"not a readable Excel workbook ({exc})") from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise UnreadableFileError("the workbook has no sheets")
        # Some programs write a wrong size into the sheet; read every row there is.
        reset = getattr(sheet, "reset_dimensions", None)
        if reset is not None:
            reset()
        headers: tuple[str, ...] = ()
        header_line = 0
        rows: list[Row] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [cell_text(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            if not headers:
                headers = tuple(_clean_header(c) for c in cells)
                header_line = number
                continue
            rows.append(Row(number, [restore_neutralised(c) for c in cells]))
    finally:
        book.close()
    if not headers:
        raise UnreadableFileError("the first sheet has no header row")
    return Sheet("xlsx", "", "", headers, header_line, rows, [])


def write_xlsx(
    stream: IO[bytes],
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    title: str = "Export",
) -> int:
    """A workbook of one sheet with a bold, frozen header and a filter; every cell is text
    or a date, formulas neutralised. Returns the number of rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    widths = [min(max(len(h) + 2, 10), 40) for h in headers]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header_cells = []
    for name in headers:
        cell = WriteOnlyCell(sheet, value=_xlsx_text(name))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    remaining = iter(rows)
    while batch := list(itertools.islice(remaining, _BATCH)):
        for row in _xlsx_rows(batch):
            sheet.append(row)
        count += len(batch)
    if headers:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    book.save(stream)
    return count


def write_workbook(
    stream: IO[bytes], sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]]
) -> int:
    """A workbook of several sheets (title, headers, rows), each with a bold, frozen
    header; cells as text, formulas neutralised. Returns the number of rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    count = 0
    for title, headers, rows in sheets:
        sheet = book.create_sheet(_xlsx_text(title)[:31] or "Sheet")
        sheet.freeze_panes = "A2"
        head = []
        for name in headers:
            cell = WriteOnlyCell(sheet, value=_xlsx_text(name))
            cell.font = bold
            head.append(cell)
        sheet.append(head)
        for row in rows:
            sheet.append([_xlsx_text(cell_text(v)) for v in row])
            count += 1
    book.save(stream)
    return count


def _xlsx_rows(batch: list[Sequence[Any]]) -> Iterable[Sequence[Any]]:
    """The rows as a sheet gets them (`_xlsx_text(cell_text(value))` of each value),
    checked a column at a time as for CSV: a column of text without characters a
    workbook cannot hold, none too long, and none to neutralise, is given as it is."""
    if len(set(map(len, batch))) > 1:  # rows of their own lengths
        return [[_xlsx_text(cell_text(v)) for v in row] for row in batch]
    columns: list[Sequence[Any]] = list(zip(*batch, strict=True))
    changed = False
    for index, cells in enumerate(columns):
        if _column(cells) is cells:  # text, nothing to neutralise
            text = "".join(cells)
            if _XLSX_ILLEGAL.search(text) is None and max(map(len, cells)) <= _MAX_XLSX_TEXT:
                continue
        columns[index], changed = [_xlsx_text(cell_text(v)) for v in cells], True
    return zip(*columns, strict=True) if changed else batch


def _xlsx_text(text: str) -> str:
    return neutralise(_XLSX_ILLEGAL.sub("", text)[:_MAX_XLSX_TEXT])


# ---- either --------------------------------------------------------------------------------


def read_table(data: bytes, format: str | None = None) -> Sheet:
    """A CSV or xlsx table; without `format`, a workbook is recognised by its zip header."""
    if format == "xlsx" or (format is None and data.startswith(XLSX_MAGIC)):
        return read_xlsx(data)
    return read_csv(data)
