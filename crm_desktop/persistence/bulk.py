"""The bulk insert path (imports, demo data): the rows and change records `add` would
write, without the per-row costs of the ORM and of Core's parameter handling.

A `TablePlan` is worked out once per table: its defaults, which columns the driver needs
converted, and the statement. Rows are completed with one dict merge each, times become
their stored text once (for the row and for its change record), and the driver gets
tuples made by `itemgetter`.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Dialect, Table

from crm_desktop.persistence.models import Entity, UtcDateTime


@contextmanager
def collector_paused() -> Iterator[None]:
    """For bulk work: it makes millions of dicts and tuples that form no cycles, and the
    cyclic garbage collector would walk every live one again and again (a tenth of the
    time of a demo database). Reference counting still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def utc_text(value: dt.datetime | str | None) -> str | None:
    """What `UtcDateTime` stores in SQLite ("YYYY-MM-DD HH:MM:SS.ffffff", UTC)."""
    if value is None or isinstance(value, str):
        return value
    return _utc_text(value)


@lru_cache(maxsize=65536)  # a record and its child rows share their creation time
def _utc_text(value: dt.datetime) -> str:
    if value.tzinfo is not dt.UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        value = value.astimezone(dt.UTC)
    return value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


@dataclass(frozen=True)
class TablePlan:
    table: Table
    base: dict[str, Any]  # every column: its scalar default, or None
    calls: tuple[tuple[str, Callable[[Any], Any]], ...]  # callable defaults (ids, times)
    times: tuple[str, ...]  # UtcDateTime columns
    converted: tuple[tuple[str, Callable[[Any], Any]], ...]  # driver conversions (dates...)
    getter: Callable[[dict[str, Any]], tuple[Any, ...]]
    sql: str

    def complete(self, row: dict[str, Any], now: dt.datetime, text_times: bool) -> dict[str, Any]:
        """The row with every column filled the way an ORM insert would fill it."""
        return self.complete_many((row,), now, text_times)[0]

    def complete_many(
        self, rows: Iterable[dict[str, Any]], now: dt.datetime, text_times: bool
    ) -> list[dict[str, Any]]:
        """`complete` for many rows, in one pass."""
        base, calls = self.base, self.calls
        times = tuple(k for k in self.times if k != "updated_at") if text_times else ()
        fallback: Any = _utc_text(now) if text_times else now
        done: list[dict[str, Any]] = []
        append = done.append
        for row in rows:
            full = {**base, **row}
            for key, make in calls:
                if key not in row:
                    full[key] = make(None)
            for key in times:
                value = full[key]
                if value is not None and not isinstance(value, str):
                    full[key] = _utc_text(value)
            full["updated_at"] = full.get("created_at") or fallback
            append(full)
        return done

    def parameters(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Driver parameters for completed rows (times already text)."""
        if self.converted:
            for row in rows:
                for key, convert in self.converted:
                    value = row[key]
                    if value is not None:
                        row[key] = convert(value)
        getter = self.getter
        return [getter(row) for row in rows]


@cache
def plan_for(model: type[Entity], dialect: Dialect) -> TablePlan:
    table = cast(Table, model.__table__)
    base: dict[str, Any] = {}
    calls: list[tuple[str, Callable[[Any], Any]]] = []
    converted: list[tuple[str, Callable[[Any], Any]]] = []
    for column in table.columns:
        default: Any = column.default
        base[column.key] = default.arg if default is not None and default.is_scalar else None
        if default is not None and not default.is_scalar and column.key != "updated_at":
            calls.append((column.key, default.arg))
        if not isinstance(column.type, UtcDateTime):
            processor = column.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                converted.append((column.key, processor))
    keys = [c.key for c in table.columns]
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    marks = ", ".join("?" for _ in keys)
    return TablePlan(
        table=table,
        base=base,
        calls=tuple(calls),
        times=tuple(c.key for c in table.columns if isinstance(c.type, UtcDateTime)),
        converted=tuple(converted),
        getter=cast(Callable[[dict[str, Any]], tuple[Any, ...]], itemgetter(*keys)),
        sql=f"INSERT INTO {table.name} ({names}) VALUES ({marks})",
    )
