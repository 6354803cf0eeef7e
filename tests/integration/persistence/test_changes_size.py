"""The compact change log (migration 0011) and `doctor`'s shares of the database: on
SQLite the log is stored compactly behind a `change` view of the same columns, a database
made before keeps its whole history through the migration, and writes through the view
land in the compact table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.domain.records import ContactDraft
from crm_desktop.persistence import database

_COLUMNS = "device_id, seq, hlc, entity, row_id, field, value, base_hlc"
# Rows of forms the packing must leave alone as well as the usual one.
_ODD_ROWS = [
    ("dev-a", 1, "0000000000001-0000-dev-a", "contacts", "r1", "*", '{"first_name":"A"}', None),
    ("dev-a", 2, "0000000000002-0001-dev-b", "contacts", "r1", "notes", '"relayed"', None),
    ("dev-a", 3, "not a stamp", "gadgets", "r2", "*", "{}", "0000000000001-0000-dev-a"),
    ("dev-b", 1, "ff00000000002-ffff-dev-b", "contacts", "r1", "notes", '"x"', None),
]


def test_doctor_gives_the_share_of_each_part_of_the_database(app: AppContext) -> None:
    app.contacts.create(ContactDraft(first_name="Ada", last_name="Lovelace"))
    space = {c.name: c for c in app.maintenance.doctor()}["space"]
    assert space.ok
    assert "change log" in space.detail and "tables" in space.detail
    assert "indexes" in space.detail and "search index" in space.detail
    shares = [int(part.split("%")[0].rsplit(" ", 1)[1]) for part in space.detail.split(", ")]
    assert 97 <= sum(shares) <= 103  # each share rounded


def _log(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT {_COLUMNS} FROM change ORDER BY device_id, seq").fetchall()


@pytest.mark.sqlite_only  # the compact form is SQLite's
def test_a_database_made_before_keeps_its_whole_history(data_dir: Path) -> None:
    context = open_app(data_dir)
    ada = context.contacts.create(ContactDraft(first_name="Ada", last_name="Lovelace"))
    context.contacts.update(ada.id, ContactDraft(first_name="Ada", last_name="King"))
    with context.database.engine.connect() as connection, connection.begin():
        config = database._alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
    context.close()
    path = data_dir / "crm.sqlite"
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT type FROM sqlite_master WHERE name = 'change'").fetchone() == (
            "table",
        )
        conn.executemany(
            f"INSERT INTO change ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _ODD_ROWS
        )
    before = _log(path)
    assert len(before) > len(_ODD_ROWS)
    again = open_app(data_dir)
    assert database.current_revision(again.database.engine) == database.HEAD_REVISION
    again.close()
    assert _log(path) == before
    with sqlite3.connect(path) as conn:
        kinds = dict(conn.execute("SELECT typeof(hlc), count(*) FROM change_log GROUP BY 1"))
        assert kinds["text"] == 3  # the odd stamps kept as they are; the rest packed
        assert kinds["integer"] == len(before) - 3


@pytest.mark.sqlite_only
def test_writes_through_the_view_land_in_the_compact_table(data_dir: Path) -> None:
    open_app(data_dir).close()
    path = data_dir / "crm.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executemany(
            f"INSERT INTO change ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _ODD_ROWS
        )
        with pytest.raises(sqlite3.IntegrityError):  # the same device and seq twice
            conn.execute(
                f"INSERT INTO change ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _ODD_ROWS[0]
            )
        conn.execute(
            "UPDATE change SET hlc = ?, value = ? WHERE device_id = 'dev-a' AND seq = 1",
            ("0000000000009-0002-dev-a", '{"first_name":"B"}'),
        )
        conn.execute("DELETE FROM change WHERE device_id = 'dev-b' AND seq = 1")
    rows = _log(path)
    assert rows[0] == ("dev-a", 1, "0000000000009-0002-dev-a", "contacts", "r1", "*",
                       '{"first_name":"B"}', None)  # fmt: skip
    assert rows[1:] == [tuple(r) for r in _ODD_ROWS[1:3]]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM change_log").fetchone() == (3,)
        assert conn.execute(
            "SELECT code FROM change_entities WHERE name = 'gadgets'"
        ).fetchone() == (1000,)
