"""The full-text search read straight from a SQLite file with the standard library: the
fast start of `crm-desktop search` (no SQLAlchemy, no ORM, no migrations to consider).

Only a file whose schema is the one this build expects is searched so: anything else
(no file yet, an older or newer schema) answers None, and the caller opens the database
the usual way, which migrates it or says what is wrong. The SQL is the index's own
(`search_sql.py`), so both ways find the same records.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from crm_desktop.persistence.revision import HEAD_REVISION
from crm_desktop.persistence.search_sql import DESCRIBE, live_matches

_BUSY_TIMEOUT_S = 10.0


class SearchFile:
    """A read connection to a current database file, for searching it."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection

    @classmethod
    def open(cls, path: Path) -> SearchFile | None:
        """The file, if it exists and its schema is current (read with one query)."""
        if not path.is_file():
            return None
        try:
            conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S)
        except sqlite3.Error:
            return None
        try:
            conn.execute("PRAGMA query_only=ON")
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.Error:  # not our database, or not made yet: the usual way says
            row = None
        if row is None or row[0] != HEAD_REVISION:
            conn.close()
            return None
        return cls(conn)

    def close(self) -> None:
        self._conn.close()

    def search(self, query: str, limit: int) -> list[tuple[str, str, str]]:
        """(entity, id, title) of live records whose text matches every word."""
        found = live_matches(query, limit)
        if found is None:
            return []
        sql, params = found
        rows = self._conn.execute(sql, params).fetchall()
        return [(e, r, t) for e, r, t in rows]

    def describe(self, entity: str, ids: list[str]) -> list[tuple[str, ...]]:
        """(id, title, detail, extra) of live records, for showing search hits."""
        if not ids:
            return []
        marks = ", ".join(f":p{i}" for i in range(len(ids)))
        params = {f"p{i}": value for i, value in enumerate(ids)}
        return [tuple(r) for r in self._conn.execute(DESCRIBE[entity].format(ids=marks), params)]
