"""Engine creation: SQLite with the PRAGMAs of ARCHITECTURE.md, or PostgreSQL by URL.

SQLite transactions are begun by us, not by the driver: writers take `BEGIN IMMEDIATE` so
two writers queue on `busy_timeout` instead of failing half-way; readers take a plain
`BEGIN` and never block a writer under WAL.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection

WRITE_OPTION = "crm_write"
BUSY_TIMEOUT_MS = 10_000
CACHE_SIZE = -8_000  # KiB per connection; bulk writes take more (uow._BULK_CACHE)


def sqlite_url(path: Path) -> str:
    return f"sqlite+pysqlite:///{path}"


def create_db_engine(url: str) -> Engine:
    """An engine for a SQLite file URL or a PostgreSQL URL (psycopg 3)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # The driver must not open transactions behind our back: we emit BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute(f"PRAGMA cache_size={CACHE_SIZE}")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    write = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
