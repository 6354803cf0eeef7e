"""A report as a document: the shape report services produce and every face renders.

The Excel writer, the PDF writer and the window all draw the same `ReportDocument`, so
the figures on paper, in the spreadsheet and on screen are the same numbers. Values are
kept raw (money in cents, rates as fractions, dates as `datetime.date`); a `Column.kind`
says how to show them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from crm_desktop.domain.formatting import format_money
from crm_desktop.domain.vocabulary import DEFAULT_CURRENCY

# text: str · int: whole number · money: int cents · percent: float fraction (0.25 = 25 %)
# date: datetime.date · days: float number of days · number: float
ColumnKind = Literal["text", "int", "money", "percent", "date", "days", "number"]
ChartKind = Literal["bar", "stacked_bar", "line", "pie"]
Cell = str | int | float | dt.date | None


@dataclass(frozen=True)
class Column:
    title: str
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Chart:
    """A chart over a table: one category per row (`label_column`), one series per
    entry of `value_columns`."""

    kind: ChartKind
    label_column: int
    value_columns: tuple[int, ...]
    title: str = ""


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    chart: Chart | None = None
    total_row: tuple[Cell, ...] | None = None  # shown bold under the rows
    note: str = ""


@dataclass(frozen=True)
class Kpi:
    label: str
    value: Cell
    kind: ColumnKind = "int"
    hint: str = ""  # e.g. "vs. 12 last month"


@dataclass(frozen=True)
class Section:
    title: str  # states its own period, e.g. "Sales, November 2026"
    tables: tuple[Table, ...]
    note: str = ""

    @property
    def name(self) -> str:
        """The title without its period ("Sales"), for a sheet's tab."""
        name = self.title.split(", ")[0]
        for cut in (" at the end of ", " today", " for ", " in "):
            name = name.split(cut)[0]
        return name


@dataclass(frozen=True)
class ReportDocument:
    title: str
    business: str
    period: str  # human label of the period, e.g. "November 2026"
    generated_at: dt.datetime
    currency: str = DEFAULT_CURRENCY
    kpis: tuple[Kpi, ...] = ()
    sections: tuple[Section, ...] = ()  # the details
    summary: tuple[Section, ...] = ()  # what an owner reads first (two printed pages)
    raw: Table | None = None  # the rows behind the figures (Excel's raw-data sheet)
    filters: tuple[str, ...] = field(default_factory=tuple)  # e.g. ("Owner: Anna Berg",)


def format_cell(value: Cell, kind: ColumnKind, currency: str = DEFAULT_CURRENCY) -> str:
    """How a value reads on screen and on paper (Excel keeps the raw value and a number
    format instead)."""
    if value is None or value == "":
        return "–" if kind != "text" else ""
    if kind == "money":
        return format_money(int(value), currency)  # type: ignore[arg-type]
    if kind == "percent":
        return f"{float(value) * 100:.1f} %"  # type: ignore[arg-type]
    if kind == "int":
        return f"{int(value):,}"  # type: ignore[arg-type]
    if kind == "days":
        return f"{float(value):.1f} d"  # type: ignore[arg-type]
    if kind == "number":
        return f"{float(value):,.2f}"  # type: ignore[arg-type]
    if kind == "date" and isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
