"""Where the bytes of a database go: its tables, their indexes, the change log (its table
and indexes) and the search index, as shares of the whole (`doctor` prints them).

SQLite: the `dbstat` virtual table (pages per table or index; the free pages from the
header). PostgreSQL: `pg_table_size` and `pg_indexes_size` of each table of the schema,
whose sum is `pg_total_relation_size`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from sqlalchemy import Connection

PARTS = ("tables", "indexes", "change log", "search index", "free")
CHANGE_LOG_TABLES = frozenset({"change", "change_log", "change_devices", "change_entities"})

_SQLITE_SIZES = (
    "SELECT m.tbl_name, m.type = 'index', SUM(s.pgsize) FROM dbstat AS s "
    "JOIN sqlite_master AS m ON m.name = s.name GROUP BY m.tbl_name, m.type = 'index'"
)
_POSTGRESQL_SIZES = (
    "SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid) FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'm', 'p') AND n.nspname = current_schema()"
)


def part_of(table: str, is_index: bool) -> str:
    """The part a table, or an index of it, belongs to."""
    if table in CHANGE_LOG_TABLES:
        return "change log"
    if table.startswith("search_"):
        return "search index"
    return "indexes" if is_index else "tables"


def _sum(rows: Iterable[tuple[str, bool, int]]) -> dict[str, int]:
    parts = dict.fromkeys(PARTS, 0)
    for table, is_index, size in rows:
        parts[part_of(table, bool(is_index))] += int(size or 0)
    return parts


def sqlite_space(conn: sqlite3.Connection) -> dict[str, int] | None:
    """Bytes per part of a SQLite file (None: this SQLite was built without dbstat)."""
    try:
        rows = conn.execute(_SQLITE_SIZES).fetchall()
    except sqlite3.OperationalError:
        return None
    parts = _sum(rows)
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    parts["free"] = int(conn.execute("PRAGMA freelist_count").fetchone()[0]) * int(page)
    return parts


def postgresql_space(conn: Connection) -> dict[str, int]:
    """Bytes per part of the tables of the current schema on PostgreSQL."""
    rows = []
    for table, table_size, index_size in conn.exec_driver_sql(_POSTGRESQL_SIZES):
        rows += [(table, False, table_size), (table, True, index_size)]
    return _sum(rows)


def describe(parts: dict[str, int]) -> str:
    """'88.1 MB: change log 49%, tables 27%, ...' (largest first, empty parts left out)."""
    total = sum(parts.values())
    if not total:
        return "empty"
    shares = sorted(((n, b) for n, b in parts.items() if b), key=lambda p: -p[1])
    listed = ", ".join(
        f"{name} {100 * size / total:.0f}% ({size / 1e6:.1f} MB)" for name, size in shares
    )
    return f"{total / 1e6:.1f} MB: {listed}"
