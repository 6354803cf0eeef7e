"""Simulated devices for the sync tests: each one a database of its own in memory, copied
from one migrated template (a migration per hypothesis example would take seconds)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import StaticPool

from crm_desktop.bootstrap import open_app
from crm_desktop.domain.changes import ChangeRow
from crm_desktop.persistence import engine as engine_module
from crm_desktop.persistence.models import SYNCED_TABLES
from crm_desktop.persistence.uow import UnitOfWorkFactory
from crm_desktop.services.changelog import ChangeLogService
from crm_desktop.services.contacts import ContactService


class Device:
    """One install: its own database, device id, clock and services."""

    def __init__(self, template: Path, name: str) -> None:
        self.name = name
        self.device_id = f"{name}-{uuid.uuid4()}"
        source = sqlite3.connect(template)
        self._connection = sqlite3.connect(":memory:", check_same_thread=False)
        source.backup(self._connection)
        source.close()
        self.engine = create_engine(
            "sqlite://", creator=lambda: self._connection, poolclass=StaticPool
        )
        event.listen(self.engine, "connect", engine_module._on_sqlite_connect)
        event.listen(self.engine, "begin", engine_module._on_sqlite_begin)
        self.uow = UnitOfWorkFactory(self.engine, self.device_id)
        self.contacts = ContactService(self.uow)
        self.changelog = ChangeLogService(self.uow)

    def rows(self) -> list[ChangeRow]:
        return self.changelog.rows()

    def receive(self, rows: list[ChangeRow]) -> None:
        self.changelog.apply(rows)

    def state(self) -> dict[str, Any]:
        """Every synced row (without the local edit time) and every field clock."""
        tables: dict[str, Any] = {}
        with self.engine.connect() as conn:
            for name in sorted(SYNCED_TABLES):
                rows = conn.execute(text(f"SELECT * FROM {name} ORDER BY id")).mappings()
                tables[name] = [{k: v for k, v in r.items() if k != "updated_at"} for r in rows]
            tables["clocks"] = conn.execute(
                text("SELECT row_id, field, max(hlc) FROM change GROUP BY row_id, field")
            ).all()
            tables["log"] = conn.execute(
                text("SELECT device_id, seq, hlc, entity, row_id, field, value FROM change")
            ).all()
        tables["clocks"] = sorted(tuple(r) for r in tables["clocks"])
        tables["log"] = sorted(tuple(r) for r in tables["log"])
        return tables

    def close(self) -> None:
        self.engine.dispose()
        self._connection.close()


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    context = open_app(folder)
    path = context.database.path
    assert path is not None
    with context.database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    context.close()
    return path


@pytest.fixture(scope="session")
def team_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated data folder (with the default pipeline) that team members copy."""
    from tests.sync.team import make_template

    return make_template(tmp_path_factory.mktemp("team-template") / "data")


@pytest.fixture
def pair(team_template: Path) -> Iterator[Any]:
    """Two members of one team, each with a data folder of their own."""
    from tests.sync.team import temporary_team

    with temporary_team(team_template, 2) as team:
        yield team


@pytest.fixture
def devices(template: Path) -> Iterator[Any]:
    made: list[Device] = []

    def make(name: str) -> Device:
        device = Device(template, name)
        made.append(device)
        return device

    yield make
    for device in made:
        device.close()
