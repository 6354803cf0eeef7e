"""The databases a test can run on: a SQLite file (always) and a PostgreSQL server (when
`CRM_DESKTOP_TEST_DATABASE_URL` names one, e.g. postgresql://postgres@127.0.0.1:55432/postgres).

Each PostgreSQL test gets its own database, copied from a template that is migrated once
per run (CREATE DATABASE ... TEMPLATE), and dropped afterwards.
"""

from __future__ import annotations

import itertools
import os
import re
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

TEST_URL_ENV = "CRM_DESKTOP_TEST_DATABASE_URL"
_TEMPLATE = f"crm_test_template_{os.getpid()}"
_counter = itertools.count()
_state = {"template": False}


def server_url() -> str | None:
    url = os.environ.get(TEST_URL_ENV, "").strip()
    return url or None


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme in ("postgresql", "postgres"):
        scheme = "postgresql+psycopg"
    return urlunsplit((scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin_execute(sql: str) -> None:
    import psycopg

    url = server_url()
    assert url is not None
    conninfo = _with_database(url, urlsplit(url).path.lstrip("/") or "postgres")
    conninfo = conninfo.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql)


def _ensure_template() -> None:
    if _state["template"]:
        return
    from crm_desktop.persistence.database import open_database

    url = server_url()
    assert url is not None
    _admin_execute(f"DROP DATABASE IF EXISTS {_TEMPLATE} WITH (FORCE)")
    _admin_execute(f"CREATE DATABASE {_TEMPLATE}")
    database = open_database(_with_database(url, _TEMPLATE))
    database.engine.dispose()
    _state["template"] = True


def new_database() -> str:
    """A fresh migrated PostgreSQL database for one test; returns its SQLAlchemy URL."""
    _ensure_template()
    url = server_url()
    assert url is not None
    name = f"crm_test_{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:6]}"
    _admin_execute(f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE}")
    return _with_database(url, name)


def drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    _admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def drop_template() -> None:
    if _state["template"]:
        _admin_execute(f"DROP DATABASE IF EXISTS {_TEMPLATE} WITH (FORCE)")


class _ServerConnection:
    """A psycopg connection that takes SQLite's `?` placeholders, for tests that read the
    tables directly on either database."""

    def __init__(self, url: str) -> None:
        import psycopg

        self._conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1))

    def execute(self, sql: str, params: Any = ()) -> Any:
        # SQLite's insertion order is the rowid; a fresh PostgreSQL table's is its ctid.
        sql = re.sub(r"\browid\b", "ctid", sql.replace("?", "%s"))
        return self._conn.execute(sql, tuple(params))  # type: ignore[arg-type]

    def executemany(self, sql: str, rows: Any) -> None:
        with self._conn.cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), [tuple(r) for r in rows])

    def commit(self) -> None:
        self._conn.commit()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> _ServerConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self._conn.commit()
        self._conn.close()


def connect(app: Any) -> Any:
    """A DB-API connection to the app's database (sqlite3, or psycopg taking `?`): for
    tests that read or damage the tables behind the app's back."""
    import sqlite3

    if app.database.path is not None:
        return sqlite3.connect(app.database.path)
    return _ServerConnection(app.database.engine.url.render_as_string(hide_password=False))


def location_args(app: Any) -> list[str]:
    """The command-line options that open the app's database."""
    args = ["--data-dir", str(app.paths.data_dir)]
    if app.database.path is None:
        args += ["--database-url", app.database.engine.url.render_as_string(hide_password=False)]
    return args


def url_of(app: Any) -> str | None:
    """The URL to open the app's database again (None: the data folder's file)."""
    if app.database.path is not None:
        return None
    url: str = app.database.engine.url.render_as_string(hide_password=False)
    return url
