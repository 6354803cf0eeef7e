"""The bulk insert path (imports, demo data): the rows and change records `add` would
write, without the per-row costs of the ORM and of Core's parameter handling.

A `TablePlan` is worked out once per table: its defaults, which columns the driver needs
converted, and the statement. Rows are completed with one dict merge each, times become
their stored text once (for the row and for its change record), and the driver gets
tuples made by `itemgetter`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import queue
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from itertools import chain
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Dialect, Table
from sqlalchemy.exc import DBAPIError

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


_ROWS_PER_STATEMENT = 5000


class _ShortTurns:
    """While a pipe is open, a thread waiting for the GIL asks for it after 0.5 ms instead
    of Python's 5: the writer wants it back after every statement it runs, and the thread
    building rows would otherwise keep it for a whole turn each time. (Python's setting is
    for the whole process; it is put back when the last pipe closes.)"""

    SHORT = 0.0005

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open = 0
        self._saved = sys.getswitchinterval()

    def begin(self) -> None:
        with self._lock:
            if self._open == 0:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self.SHORT, self._saved))
            self._open += 1

    def end(self) -> None:
        with self._lock:
            self._open -= 1
            if self._open == 0:
                sys.setswitchinterval(self._saved)


_short_turns = _ShortTurns()


class StatementPipe:
    """Bulk writes of one write transaction, run by a thread of their own on the
    transaction's connection while this thread prepares the next ones.

    Both drivers let other threads run while the database works (sqlite3 while SQLite
    executes a statement, psycopg while it waits for the server), so building the next
    batch's rows, change records and search documents overlaps with writing the last.
    Nothing else changes: the writes run on the same connection, inside the same
    transaction, in the order they were submitted, one at a time. The connection is used
    by one thread at a time: whoever else is about to use it calls `drain` first (the
    unit of work does so before every statement, commit and rollback).

    A write that fails stops the pipe: the rest is dropped, and `drain` (or the next
    `submit`) raises the error, as the write itself would have; the unit of work then
    rolls the whole transaction back.
    """

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._cursor: sqlite3.Cursor | None = None
        self._jobs: queue.Queue[tuple[str, Callable[[], None]] | None] = queue.Queue()
        self._error: BaseException | None = None
        self._cancelled = False
        self._variables, self._length = 999, 1_000_000
        if isinstance(connection, sqlite3.Connection):
            with contextlib.suppress(AttributeError, sqlite3.Error):
                # the most variables and characters a statement may have
                self._variables = connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
                self._length = connection.getlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH)
        self._thread = threading.Thread(target=self._run, name="bulk-writer", daemon=True)
        self._thread.start()
        _short_turns.begin()

    def submit(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """Run `executemany(sql, rows)` (SQLite) after the writes submitted before it."""
        if rows:
            self.call(partial(self._execute, sql, rows), sql)

    def call(self, job: Callable[[], None], statement: str = "") -> None:
        """Run `job` (a write on the same connection, such as a PostgreSQL COPY) after
        the writes submitted before it."""
        self._raise()
        self._jobs.put((statement, job))

    def drain(self) -> None:
        """Wait until every submitted write has run; raise the error of one that
        failed."""
        self._wait()
        if self._error is None and not self._thread.is_alive():
            self._error = RuntimeError("the bulk writer stopped before its work was done")
        self._raise()

    def cancel(self) -> None:
        """Drop what has not run yet and wait for the write running now (the
        transaction is being rolled back)."""
        self._cancelled = True
        self._wait()

    def close(self) -> None:
        self.cancel()
        self._jobs.put(None)
        self._wait(joining=True)
        _short_turns.end()

    def _wait(self, joining: bool = False) -> None:
        """Wait for the queue to empty (or the thread to end, `joining`). An interruption
        (Ctrl+C) drops the work not started but still waits for the write running now,
        then is raised: the connection must never be closed under the writer."""
        interrupted: BaseException | None = None
        while self._thread.is_alive():
            try:
                if joining:
                    self._thread.join(0.05)
                    continue
                with self._jobs.all_tasks_done:
                    if not self._jobs.unfinished_tasks:
                        break
                    self._jobs.all_tasks_done.wait(0.05)
            except BaseException as exc:  # KeyboardInterrupt and the like
                self._cancelled = True
                interrupted = interrupted or exc
        if interrupted is not None:
            raise interrupted

    def _execute(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """`executemany(sql, rows)` as INSERTs of many rows each: sqlite3 gives up the GIL
        only while SQLite steps a statement, once per row with executemany, and each
        time it wants the GIL back it waits for the other thread's turn to end (5 ms).
        A statement of a thousand rows waits once for all of them. The values are bound
        exactly as executemany binds them."""
        cursor = self._cursor
        assert cursor is not None  # made by the thread (`_run`)
        head, _, row = sql.partition(" VALUES ")
        if not row:  # not an INSERT of VALUES
            cursor.executemany(sql, rows)
            return
        width = len(rows[0])
        per = min(
            _ROWS_PER_STATEMENT,
            self._variables // max(width, 1),
            (self._length - len(head) - 10) // (len(row) + 2),
        )
        per = max(per, 1)
        statements: dict[int, str] = {}
        for start in range(0, len(rows), per):
            part = rows[start : start + per]
            statement = statements.get(len(part))
            if statement is None:
                statement = statements[len(part)] = f"{head} VALUES {', '.join([row] * len(part))}"
            cursor.execute(statement, list(chain.from_iterable(part)))

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        if isinstance(self._connection, sqlite3.Connection):
            try:
                self._cursor = self._connection.cursor()
            except BaseException as error:  # e.g. a connection bound to another thread
                self._error = error
        try:
            while (job := self._jobs.get()) is not None:
                statement, run = job
                try:
                    if self._error is None and not self._cancelled:
                        run()
                except sqlite3.Error as error:
                    # What SQLAlchemy would have raised for it (IntegrityError...).
                    self._error = DBAPIError.instance(statement, None, error, sqlite3.Error)
                except BaseException as error:  # handed to the thread that drains
                    self._error = error
                finally:
                    self._jobs.task_done()
            self._jobs.task_done()
        finally:
            if self._cursor is not None:
                # The connection may be closed already (an interrupted transaction is
                # invalidated once the statement running then has finished).
                with contextlib.suppress(sqlite3.Error):
                    self._cursor.close()


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

    def complete(self, row: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
        """The row with every column filled the way an ORM insert would fill it."""
        return self.complete_many((row,), now)[0]

    def complete_many(
        self, rows: Iterable[dict[str, Any]], now: dt.datetime
    ) -> list[dict[str, Any]]:
        """`complete` for many rows, in one pass. Times become their stored text once
        (a batch shares a few): what SQLite stores, and what PostgreSQL's COPY reads for
        a naive UTC timestamp, where the driver would format every time of every row
        again (costing more than the rest of the row)."""
        base, calls = self.base, self.calls
        times = tuple(k for k in self.times if k != "updated_at")
        fallback = _utc_text(now)
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
