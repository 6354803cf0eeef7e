"""Opening, migrating, backing up, restoring and checking the database file."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import pytest
from alembic import command

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.domain.errors import BackupError, DatabaseError
from crm_desktop.domain.records import ContactDraft, ListQuery
from crm_desktop.persistence import backups, database
from tests.databases import connect

# About the SQLite file and its writer thread: not run against PostgreSQL.
pytestmark = pytest.mark.sqlite_only


def test_head_revision_constant_matches_the_migration_scripts() -> None:
    assert database.head_revision() == database.HEAD_REVISION


def test_a_new_database_is_migrated_with_wal_and_foreign_keys(app: AppContext) -> None:
    with app.database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    assert database.current_revision(app.database.engine) == database.HEAD_REVISION


def test_the_device_id_is_made_once_and_kept(data_dir: Path) -> None:
    first = open_app(data_dir)
    device = first.database.device_id
    first.close()
    again = open_app(data_dir)
    assert again.database.device_id == device
    again.close()


def test_a_file_that_is_not_sqlite_is_refused_clearly(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "crm.sqlite").write_text("hello, I am a spreadsheet", encoding="utf-8")
    with pytest.raises(DatabaseError, match="not a crm-desktop database"):
        open_app(data_dir)


def test_a_database_from_a_newer_app_is_refused(data_dir: Path) -> None:
    open_app(data_dir).close()
    with sqlite3.connect(data_dir / "crm.sqlite") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(DatabaseError, match="newer crm-desktop"):
        open_app(data_dir)


def test_a_migration_takes_a_backup_first(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    context = open_app(data_dir)
    context.contacts.create(ContactDraft(first_name="Kept"))
    context.close()
    upgrades: list[list[Path]] = []
    monkeypatch.setattr(database, "HEAD_REVISION", f"{int(database.HEAD_REVISION) + 1:04d}")
    monkeypatch.setattr(
        "alembic.command.upgrade",
        lambda cfg, rev: upgrades.append(backups.list_backups(data_dir / "backups")),
    )
    open_app(data_dir).close()
    assert len(upgrades) == 1
    taken = upgrades[0]
    assert len(taken) == 1 and "pre-migration" in taken[0].name
    assert taken[0].read_bytes()[:2] == b"\x1f\x8b"  # compressed (gzip)
    plain = data_dir / "plain.sqlite"
    plain.write_bytes(gzip.decompress(taken[0].read_bytes()))
    with sqlite3.connect(plain) as conn:
        assert conn.execute("SELECT first_name FROM contacts").fetchall() == [("Kept",)]


def test_backups_rotate_and_restore_brings_the_data_back(app: AppContext) -> None:
    app.contacts.create(ContactDraft(first_name="Before"))
    backup = app.maintenance.backup()
    for _ in range(12):
        app.maintenance.backup()
    assert len(app.maintenance.backups()) == app.preferences.backups_to_keep
    assert backup not in app.maintenance.backups()  # the oldest were rotated away

    kept = app.maintenance.backups()[-1]
    app.contacts.create(ContactDraft(first_name="After"))
    old_device = app.database.device_id
    result = app.maintenance.restore(kept)
    app.close()
    reopened = open_app(app.paths.data_dir)
    names = [r.display_name for r in reopened.contacts.page(ListQuery()).rows]
    assert names == ["Before"]
    assert reopened.database.device_id == result.device_id != old_device
    assert result.safety_backup.exists()
    reopened.close()


def test_restore_refuses_a_damaged_or_foreign_file(app: AppContext, tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    with pytest.raises(BackupError, match=r"not a readable crm-desktop backup|damaged"):
        app.maintenance.restore(junk)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x)")
    with pytest.raises(BackupError, match="not a crm-desktop backup"):
        app.maintenance.restore(other)
    with pytest.raises(BackupError, match="no such backup file"):
        app.maintenance.restore(tmp_path / "missing.sqlite")


def test_backup_refuses_to_overwrite(app: AppContext, tmp_path: Path) -> None:
    target = tmp_path / "copy.sqlite"
    app.maintenance.backup(target)
    with pytest.raises(BackupError, match="already exists"):
        app.maintenance.backup(target)


def test_doctor_finds_a_broken_search_index_and_gaps(app: AppContext) -> None:
    app.contacts.create(ContactDraft(first_name="Anna"))
    app.contacts.create(ContactDraft(first_name="Bernd"))
    assert all(c.ok for c in app.maintenance.doctor())
    with connect(app) as conn:
        conn.execute("DELETE FROM search_doc")
        conn.execute("DELETE FROM change WHERE seq = 1")
    failed = {c.name for c in app.maintenance.doctor() if not c.ok}
    assert failed == {"search index", "change log"}


def test_refuses_a_data_folder_inside_dropbox(tmp_path: Path) -> None:
    from crm_desktop.domain.errors import UnsafeLocationError

    with pytest.raises(UnsafeLocationError, match="synced folder"):
        open_app(tmp_path / "Dropbox" / "crm")
    assert not (tmp_path / "Dropbox" / "crm" / "crm.sqlite").exists()


def test_a_real_migration_from_the_first_schema(data_dir: Path) -> None:
    context = open_app(data_dir)
    context.contacts.create(ContactDraft(first_name="Old", last_name="Schema"))
    engine = context.database.engine
    with engine.connect() as connection, connection.begin():  # orders without their deal
        config = database._alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    context.close()
    with sqlite3.connect(data_dir / "crm.sqlite") as conn:
        assert "deal_id" not in {r[1] for r in conn.execute("PRAGMA table_info(orders)")}
        conn.execute("DROP INDEX ix_contacts_list")
        conn.execute("DROP TABLE sync_conflict")
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    again = open_app(data_dir)
    assert database.current_revision(again.database.engine) == database.HEAD_REVISION
    with sqlite3.connect(data_dir / "crm.sqlite") as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "ix_contacts_list" in names and "ix_sync_conflict_row_id" in names
    assert "ix_orders_deal_id" in names
    assert "ix_orders_segment" in names and "ix_consents_segment" in names
    assert "ix_activities_recurring" in names
    assert any("pre-migration" in p.name for p in again.maintenance.backups())
    assert again.contacts.count(ListQuery(search="schema")) == 1
    again.close()
