"""Which database this device opens: the local file, or a PostgreSQL server
(Settings › Database and `--database-url`). The choice is a per-device preference
without the password; the password goes to the operating system's keyring."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from crm_desktop.config import Preferences
from crm_desktop.domain.errors import ValidationError
from crm_desktop.persistence import accounts
from crm_desktop.persistence.database import Database
from crm_desktop.persistence.engine import (
    probe_server,
    redact,
    remember_password,
    server_url,
    without_password,
)
from crm_desktop.persistence.revision import HEAD_REVISION

__all__ = [
    "add_user",
    "check_connection",
    "choose",
    "redact",
    "remember_password",
    "without_password",
]


def _checked_url(url: str) -> str:
    url = url.strip()
    if not url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        raise ValidationError("a server address starts with postgresql:// (user@host/database)")
    try:
        parsed = server_url(url)
    except Exception as exc:
        raise ValidationError(f"not a database address: {redact(url)}") from exc
    if not parsed.database:
        raise ValidationError("the address names no database (postgresql://user@host/DATABASE)")
    return url


def _with_password(url: str, password: str) -> str:
    if not password:
        return url
    return server_url(url).set(password=password).render_as_string(hide_password=False)


def check_connection(url: str, password: str = "") -> str:
    """Connect once and say in one line what is there; DatabaseError when it fails."""
    url = _checked_url(url)
    version, revision = probe_server(_with_password(url, password))
    if revision is None:
        state = "empty: crm-desktop sets it up when it opens it"
    elif revision == HEAD_REVISION:
        state = f"a crm-desktop database (schema {revision})"
    else:
        state = f"a crm-desktop database of schema {revision} (this app: {HEAD_REVISION})"
    return f"PostgreSQL {version}, {state}"


def choose(preferences_file: Path, url: str, password: str = "") -> Preferences:
    """Open `url` from the next start (empty: the local file); the password, if given,
    is kept in the keyring. Returns the saved preferences."""
    preferences = Preferences.load(preferences_file)
    if url.strip():
        url = _checked_url(url)
        if password:
            remember_password(url, password)
        url = without_password(url)
    chosen = dataclasses.replace(preferences, database_url=url.strip())
    chosen.save(preferences_file)
    return chosen


def add_user(database: Database, name: str, password: str, admin: bool = False) -> None:
    """A login for one person on the server this app is connected to (an admin's task)."""
    accounts.add_user(database.engine, name, password, admin)
