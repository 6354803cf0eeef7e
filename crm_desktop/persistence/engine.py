"""Engine creation: SQLite with the PRAGMAs of ARCHITECTURE.md, or PostgreSQL by URL.

SQLite transactions are begun by us, not by the driver: writers take `BEGIN IMMEDIATE` so
two writers queue on `busy_timeout` instead of failing half-way; readers take a plain
`BEGIN` and never block a writer under WAL.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.engine import Connection

WRITE_OPTION = "crm_write"
BUSY_TIMEOUT_MS = 10_000
CACHE_SIZE = -8_000  # KiB per connection; bulk writes take more (uow._BULK_CACHE)


def sqlite_url(path: Path) -> str:
    return f"sqlite+pysqlite:///{path}"


KEYRING_SERVICE = "crm-desktop"


def server_url(url: str) -> URL:
    """A PostgreSQL URL with the psycopg 3 driver ("postgresql://" and "postgres://" are
    taken as written by other tools)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _keyring_key(url: URL) -> str:
    return f"{url.username or ''}@{url.host or 'localhost'}:{url.port or 5432}/{url.database}"


def remember_password(url: str, password: str) -> None:
    """Keep a server password in the operating system's keyring (never in a file)."""
    import keyring

    keyring.set_password(KEYRING_SERVICE, _keyring_key(server_url(url)), password)


def _with_keyring_password(url: URL) -> URL:
    if url.password is not None:
        return url
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            secret = keyring.get_password(KEYRING_SERVICE, _keyring_key(url))
        except KeyringError:
            secret = None
    except ImportError:  # pragma: no cover - keyring is a dependency
        secret = None
    return url.set(password=secret) if secret else url


def without_password(url: str) -> str:
    """The URL to remember in the preferences: the password stays in the keyring."""
    if url.startswith("sqlite"):
        return url
    parsed = server_url(url)
    return parsed.set(password=None).render_as_string(hide_password=False)


def redact(url: str) -> str:
    """The URL to show: a password in it is hidden."""
    if url.startswith("sqlite"):
        return url
    return server_url(url).render_as_string(hide_password=True)


def create_db_engine(url: str) -> Engine:
    """An engine for a SQLite file URL or a PostgreSQL URL (psycopg 3; a password not in
    the URL comes from the keyring)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(
        _with_keyring_password(server_url(url)),
        pool_pre_ping=True,
        connect_args={"connect_timeout": 10, "application_name": "crm-desktop"},
    )


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


def probe_server(url: str) -> tuple[str, str | None]:
    """(server version, schema revision or None) of a PostgreSQL database, connecting
    once; DatabaseError with the server's one-line reason when it cannot."""
    from sqlalchemy.exc import SQLAlchemyError

    from crm_desktop.domain.errors import DatabaseError

    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            version = str(conn.exec_driver_sql("SHOW server_version").scalar_one())
            table = conn.exec_driver_sql("SELECT to_regclass('alembic_version')").scalar()
            revision = (
                conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
                if table
                else None
            )
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise DatabaseError(f"cannot connect to {redact(url)}: {reason}") from exc
    finally:
        engine.dispose()
    return version.split(maxsplit=1)[0], revision
