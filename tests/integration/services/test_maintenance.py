"""When things go wrong: backups always whole, `doctor` on any file, `restore` that works on
a damaged database and refuses a backup it cannot open or while the data is open elsewhere.
Each test makes the damage itself."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from crm_desktop.bootstrap import AppContext, open_app, open_recovery
from crm_desktop.cli import EXIT_BUSY, EXIT_DAMAGED, main
from crm_desktop.domain.errors import BackupError, DamagedDatabaseError, DatabaseBusyError
from crm_desktop.domain.records import ContactDraft, ListQuery
from crm_desktop.persistence import backups

# About the SQLite file, its backups and permissions: not run against PostgreSQL.
pytestmark = pytest.mark.sqlite_only


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _names(data_dir: Path) -> list[str]:
    context = open_app(data_dir)
    try:
        return sorted(r.display_name for r in context.contacts.page(ListQuery()).rows)
    finally:
        context.close()


@pytest.fixture
def saved(app: AppContext) -> tuple[AppContext, Path, list[str]]:
    """Some contacts, a backup of them; the data folder is closed."""
    for name in ("Anna", "Bernd", "Carla", "Dieter"):
        app.contacts.create(ContactDraft(first_name=name, last_name="Muster"))
    backup = app.maintenance.backup(reason="manual")
    names = sorted(r.display_name for r in app.contacts.page(ListQuery()).rows)
    app.close()
    return app, backup, names


def _truncate(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _flip_header(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.seek(0)
        first = handle.read(1)
        handle.seek(0)
        handle.write(bytes([first[0] ^ 0xFF]))


def _damage_pages(path: Path) -> None:
    """Garbage over the pages after the first two (tables, indexes, the search index)."""
    with sqlite3.connect(path) as conn:
        page = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with path.open("r+b") as handle:
        handle.seek(2 * page)
        handle.write(bytes((n * 37 + 11) % 256 for n in range(path.stat().st_size - 2 * page)))


# ---- backups always whole --------------------------------------------------------------------


def test_a_backup_is_compressed_checked_and_private(app: AppContext) -> None:
    app.contacts.create(ContactDraft(first_name="Kept"))
    path = app.maintenance.backup(reason="manual")
    assert path.name.endswith(".sqlite.gz") and path.read_bytes()[:2] == b"\x1f\x8b"
    plain = app.paths.data_dir / "plain.sqlite"
    plain.write_bytes(gzip.decompress(path.read_bytes()))
    with sqlite3.connect(plain) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT first_name FROM contacts").fetchall() == [("Kept",)]
    assert path.stat().st_size < plain.stat().st_size
    assert not [p for p in app.paths.backups.iterdir() if p.name.endswith(".partial")]


def test_a_failed_backup_leaves_no_file(app: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(_target: Path) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(backups, "_vacuum_into", lambda _engine: full_disk)
    from crm_desktop.domain.errors import DiskFullError

    with pytest.raises(DiskFullError, match="the disk is full"):
        app.maintenance.backup(reason="daily")
    assert list(app.paths.backups.iterdir()) == []
    assert app.maintenance.backup_list() == []


def test_a_copy_that_fails_the_check_is_not_kept(
    app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = backups._vacuum_into(app.database.engine)

    def half(target: Path) -> None:  # a copy cut short on the way
        real(target)
        _truncate(target)

    monkeypatch.setattr(backups, "_vacuum_into", lambda _engine: half)
    with pytest.raises(BackupError, match="did not pass SQLite's check"):
        app.maintenance.backup(reason="manual")
    assert list(app.paths.backups.iterdir()) == []


def test_rotation_counts_only_good_backups(app: AppContext) -> None:
    good = [app.maintenance.backup(reason="manual") for _ in range(3)]
    # Empty files left by an older version, newer than every real backup.
    for stamp in ("20991231-235959-000001", "20991231-235959-000002"):
        (app.paths.backups / f"crm-{stamp}-daily.sqlite").write_bytes(b"")
    assert [b.path for b in app.maintenance.backup_list()] == good[::-1]
    backups.rotate_backups(app.paths.backups, 3)
    assert sorted(app.paths.backups.glob("crm-*")) == sorted(good)


def test_an_old_plain_backup_still_restores(saved: tuple[AppContext, Path, list[str]]) -> None:
    app, backup, names = saved
    plain = app.paths.backups / "crm-20200101-000000-000000-manual.sqlite"
    plain.write_bytes(gzip.decompress(backup.read_bytes()))
    context = open_app(app.paths.data_dir)
    context.contacts.create(ContactDraft(first_name="Later"))
    context.maintenance.restore(plain)
    context.close()
    assert _names(app.paths.data_dir) == names


# ---- doctor and restore on a damaged database ------------------------------------------------


@pytest.mark.parametrize(
    "damage", [_truncate, _flip_header, _damage_pages], ids=["truncated", "header", "pages"]
)
def test_a_damaged_database_is_named_by_doctor_and_restored(
    saved: tuple[AppContext, Path, list[str]],
    capsys: pytest.CaptureFixture[str],
    damage: object,
) -> None:
    app, backup, names = saved
    live = app.paths.database
    assert callable(damage)
    damage(live)
    data = str(app.paths.data_dir)

    code, out, err = run(capsys, "--data-dir", data, "doctor")
    fails = [line for line in out.splitlines() if "FAIL" in line]
    assert code == EXIT_DAMAGED and len(fails) == 1 and not err
    assert "crm-desktop restore" in fails[0] and str(backup) in fails[0]
    code, _out, err = run(capsys, "--data-dir", data, "search", "Anna")
    assert code == EXIT_DAMAGED and len(err.splitlines()) == 1 and "damaged" in err
    assert "unexpected" not in err

    code, out, err = run(capsys, "--data-dir", data, "restore", str(backup))
    assert code == 0, err
    assert "damaged" in out  # the damaged file is kept, named as such
    code, out, _ = run(capsys, "--data-dir", data, "doctor")
    assert code == 0 and "FAIL" not in out
    assert _names(app.paths.data_dir) == names
    # The copy of the damaged file is no backup to offer.
    recovery = open_recovery(data)
    assert recovery is not None
    assert [b.path for b in recovery.backup_list()] == [backup]


def test_opening_a_damaged_database_says_so(saved: tuple[AppContext, Path, list[str]]) -> None:
    app, _backup, _names = saved
    _truncate(app.paths.database)
    with pytest.raises(DamagedDatabaseError, match="cut short"):
        open_app(app.paths.data_dir)


def test_a_backup_from_a_newer_app_is_refused_and_nothing_changes(
    saved: tuple[AppContext, Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    app, backup, names = saved
    newer = app.paths.data_dir / "newer.sqlite"
    newer.write_bytes(gzip.decompress(backup.read_bytes()))
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    before = hashlib.sha256(app.paths.database.read_bytes()).hexdigest()
    listed = sorted(app.paths.backups.iterdir())

    code, _out, err = run(capsys, "--data-dir", str(app.paths.data_dir), "restore", str(newer))
    assert code == 1 and "newer crm-desktop" in err and len(err.splitlines()) == 1
    assert hashlib.sha256(app.paths.database.read_bytes()).hexdigest() == before
    assert sorted(app.paths.backups.iterdir()) == listed  # not even a safety copy
    assert _names(app.paths.data_dir) == names


def test_a_cut_short_compressed_backup_is_refused(
    saved: tuple[AppContext, Path, list[str]],
) -> None:
    app, backup, _names = saved
    cut = app.paths.data_dir / "cut.sqlite.gz"
    cut.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])
    recovery = open_recovery(app.paths.data_dir)
    assert recovery is not None
    with pytest.raises(BackupError, match="cut short or damaged"):
        recovery.restore(cut)


def test_restore_is_refused_while_another_process_has_the_data_open(
    saved: tuple[AppContext, Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    app, backup, _names = saved
    other = open_app(app.paths.data_dir)  # holds the data lock as another process would
    other.contacts.create(ContactDraft(first_name="Written elsewhere"))
    try:
        recovery = open_recovery(app.paths.data_dir)
        assert recovery is not None
        with pytest.raises(DatabaseBusyError, match="has this data open"):
            recovery.restore(backup)
        code, _, err = run(capsys, "--data-dir", str(app.paths.data_dir), "restore", str(backup))
        assert code == EXIT_BUSY and "close it" in err
        assert other.contacts.count(ListQuery()) == 5  # untouched, still writable
    finally:
        other.close()
    assert recovery.restore(backup).safety_backup is not None


def test_a_restored_database_gets_a_new_device_id(
    saved: tuple[AppContext, Path, list[str]],
) -> None:
    app, backup, _names = saved
    recovery = open_recovery(app.paths.data_dir)
    assert recovery is not None
    result = recovery.restore(backup)
    reopened = open_app(app.paths.data_dir)
    try:
        assert reopened.database.device_id == result.device_id != app.database.device_id
    finally:
        reopened.close()


def test_restore_into_an_empty_or_missing_live_file(
    saved: tuple[AppContext, Path, list[str]],
) -> None:
    app, backup, names = saved
    app.paths.database.write_bytes(b"")
    recovery = open_recovery(app.paths.data_dir)
    assert recovery is not None
    assert recovery.restore(backup).safety_backup is None  # never a 0-byte safety copy
    assert _names(app.paths.data_dir) == names
    app.paths.database.unlink()
    assert recovery.restore(backup).safety_backup is None
    assert _names(app.paths.data_dir) == names


def test_an_emptied_database_with_backups_is_not_taken_for_a_new_one(
    saved: tuple[AppContext, Path, list[str]],
) -> None:
    app, _backup, _names = saved
    app.paths.database.write_bytes(b"")
    with pytest.raises(DamagedDatabaseError, match="empty"):
        open_app(app.paths.data_dir)


# ---- doctor: every check SQLite has ---------------------------------------------------------


def test_doctor_runs_the_search_index_own_check(
    saved: tuple[AppContext, Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    app, _backup, _names = saved
    with sqlite3.connect(app.paths.database) as conn:
        conn.execute("DELETE FROM search_fts_data WHERE id > 10")
    code, out, _ = run(capsys, "--data-dir", str(app.paths.data_dir), "--json", "doctor")
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert code == EXIT_DAMAGED
    assert not checks["search (FTS5)"]["ok"] and "malformed" in checks["search (FTS5)"]["detail"]
    assert checks["integrity"]["ok"]  # SQLite's integrity check alone passes it


def test_doctor_finds_broken_references(
    saved: tuple[AppContext, Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    app, _backup, _names = saved
    with sqlite3.connect(app.paths.database) as conn:
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("UPDATE contacts SET company_id = 'gone' WHERE first_name = 'Anna'")
    code, out, _ = run(capsys, "--data-dir", str(app.paths.data_dir), "doctor")
    [line] = [line for line in out.splitlines() if "FAIL" in line]
    assert code == EXIT_DAMAGED and "foreign keys" in line and "What to do" in line


def test_doctor_on_a_file_that_is_not_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d"
    data.mkdir()
    shutil.copyfile(__file__, data / "crm.sqlite")
    code, out, err = run(capsys, "--data-dir", str(data), "doctor")
    assert code == EXIT_DAMAGED and not err
    assert [line for line in out.splitlines() if "FAIL" in line] == [
        "  FAIL file           the file does not start as an SQLite database does (its header "
        "is damaged). What to do: no good backup was found: keep a copy of the data folder "
        "before trying anything else"
    ]


def test_a_restored_database_seals_its_new_device_from_seq_one(
    saved: tuple[AppContext, Path, list[str]],
) -> None:
    """The backup remembers how far the old device id was sealed into the team folder;
    the new device id starts at seq 1, so that bookkeeping must not carry over."""
    app, _backup, _names = saved
    context = open_app(app.paths.data_dir)
    with sqlite3.connect(app.paths.database) as conn:
        conn.executemany(
            "INSERT INTO local_meta (key, value) VALUES (?, '881')",
            [("sync.sealed",), ("sync.verified",), ("sync.scanned_own",)],
        )
    backup = context.maintenance.backup(reason="manual")
    context.maintenance.restore(backup)
    context.close()
    with sqlite3.connect(app.paths.database) as conn:
        keys = {k for (k,) in conn.execute("SELECT key FROM local_meta")}
    assert "device_id" in keys and not keys & {"sync.sealed", "sync.verified", "sync.scanned_own"}


def test_doctor_while_another_program_writes_is_no_damage(
    saved: tuple[AppContext, Path, list[str]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from crm_desktop.persistence import sqlite_files

    app, _backup, _names = saved
    real_connect = sqlite3.connect
    monkeypatch.setattr(
        sqlite_files.sqlite3,
        "connect",
        lambda *a, **k: real_connect(*a, **{**k, "timeout": 0.05}),
    )
    writer = sqlite3.connect(app.paths.database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        code, out, _ = run(capsys, "--data-dir", str(app.paths.data_dir), "doctor")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert code == 0 and "not checked: another program is writing" in out
