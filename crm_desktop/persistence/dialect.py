"""Where SQLite and PostgreSQL differ, in one place.

Everything above this module writes one query; the few spellings that differ between the
two databases (text aggregation, dates as text, day arithmetic, placeholders of raw
driver SQL, the lock that keeps change-log seqs gap-free with many writers) are chosen
here by the connection's dialect.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ARRAY, String, any_, bindparam, cast, func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


def name_of(bind: Session | Connection | Engine | None) -> str:
    """The dialect name of a session, connection or engine ("sqlite", "postgresql")."""
    if bind is None:
        return SQLITE
    if isinstance(bind, Session):
        return bind.get_bind().dialect.name
    return bind.dialect.name


def text_agg(dialect: str, column: Any, separator: str) -> ColumnElement[Any]:
    """The values of a group joined by `separator` (SQLite group_concat, string_agg)."""
    if dialect == SQLITE:
        return func.group_concat(column, separator)
    return func.string_agg(column, separator)


def text_agg_sql(dialect: str, column: str, separator: str = " ") -> str:
    """`text_agg` for raw SQL text."""
    quoted = "'" + separator.replace("'", "''") + "'"
    if dialect == SQLITE:
        return f"group_concat({column}, {quoted})"
    return f"string_agg({column}, {quoted})"


def month_day(dialect: str, column: Any) -> ColumnElement[str]:
    """ "MM-DD" of a date column (birthdays)."""
    if dialect == SQLITE:
        return func.strftime("%m-%d", column)
    return func.to_char(column, "MM-DD")


def year_month(dialect: str, column: Any) -> ColumnElement[str]:
    """ "YYYY-MM" of a date or time column."""
    if dialect == SQLITE:
        return func.substr(column, 1, 7)
    return func.to_char(column, "YYYY-MM")


def date_text(dialect: str, column: Any) -> ColumnElement[Any]:
    """A date column as its ISO text "YYYY-MM-DD", left for the caller to parse (reading
    tens of thousands of dates, `date.fromisoformat` beats the driver's conversion)."""
    if dialect == SQLITE:
        return cast(column, String)
    return func.to_char(column, "YYYY-MM-DD")


def julian_day(dialect: str, column: Any) -> ColumnElement[Any]:
    """A time column as a Julian day number (days, fractional, UTC)."""
    if dialect == SQLITE:
        return func.julianday(column)
    return func.extract("epoch", column) / 86400.0 + 2440587.5


def among(dialect: str, column: Any) -> ColumnElement[bool]:
    """`column IN :ids` with the ids as one parameter (`among_ids`: a JSON array read by
    json_each on SQLite, an array on PostgreSQL). The statement is then the same for any
    ids and SQLAlchemy reuses its compiled form, where an IN list is rendered anew for
    each query (most of the time a list screen took to read a page of 100 rows)."""
    condition: ColumnElement[bool]
    if dialect == SQLITE:
        values = func.json_each(bindparam("ids", type_=String)).table_valued("value")
        condition = column.in_(select(values.c.value))
    else:
        condition = column == any_(bindparam("ids", type_=ARRAY(String)))
    return condition


def among_ids(dialect: str, ids: Sequence[str]) -> dict[str, Any]:
    """The parameters of `among` for these ids."""
    return {"ids": json.dumps(list(ids)) if dialect == SQLITE else list(ids)}


def marks(dialect: str, count: int) -> str:
    """Positional placeholders of raw driver SQL (`exec_driver_sql`)."""
    mark = "?" if dialect == SQLITE else "%s"
    return ", ".join(mark for _ in range(count))


def lock_change_seqs(connection: Connection, device_id: str) -> None:
    """Hold the right to number this device's change rows until the transaction ends.

    SQLite has one writer at a time (BEGIN IMMEDIATE), so the seqs after the last one are
    free. On PostgreSQL many people write through the same server "device": a transaction
    lock per device makes them take numbers one after another, gap-free, in commit order
    (a reader that has seen seq N has seen every seq below it)."""
    if connection.dialect.name == SQLITE:
        return
    key = zlib.crc32(device_id.encode()) - 2**31
    connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


# Under this key of a connection's `info`, a unit of work running its bulk writes in a
# thread (persistence/bulk.py) puts the function that queues a write for that thread.
BULK_WRITER = "crm_desktop.bulk_writer"


def copy_rows(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> None:
    """Bulk-load rows into a PostgreSQL table with COPY, in the connection's transaction
    (a round trip per statement would make an import of 100,000 contacts take minutes).
    Times come as the text of naive UTC (`bulk.TablePlan.complete_many`). When the unit
    of work runs its bulk writes in a thread, the COPY is queued there (after the writes
    before it) and this returns at once: `rows` must not change afterwards."""
    raw: Any = connection.connection.driver_connection
    queue_write = connection.info.get(BULK_WRITER)
    if queue_write is None:
        _copy(raw, table, columns, rows)
    else:
        queue_write(lambda: _copy(raw, table, columns, rows))


def _copy(raw: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    names = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        write = copy.write_row
        for row in rows:
            write(row)
