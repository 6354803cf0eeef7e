"""Expected failures are one clear line with their own exit code (README, "Exit codes"):
the database locked past the timeout, a full disk, a read-only data folder, demo data
twice. (A damaged database, exit 4: tests/integration/services/test_maintenance.py.)"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from crm_desktop.cli import (
    EXIT_ALREADY,
    EXIT_BUSY,
    EXIT_DISK_FULL,
    EXIT_READ_ONLY,
    main,
)
from crm_desktop.persistence import database, engine
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services import search


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert "unexpected error" not in lines[0] and "SQL" not in lines[0]
    return lines[0]


@pytest.fixture
def data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    folder = str(tmp_path / "d")
    assert run(capsys, "--data-dir", folder, "demo", "--contacts", "20")[0] == 0
    return folder


def test_demo_on_a_database_with_demo_data(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--data-dir", data, "demo", "--contacts", "20")
    assert code == EXIT_ALREADY and "has demo data already" in one_line(err)


def test_a_writer_waiting_past_the_lock_timeout(
    data: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 50)
    holder = sqlite3.connect(Path(data) / "crm.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program writing, for longer than we wait
    try:
        code, _, err = run(capsys, "--data-dir", data, "deals", "new", "Blocked", "--value", "10")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == EXIT_BUSY and "busy" in one_line(err) and "try again" in err


def test_a_full_disk_while_saving(
    data: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: UnitOfWork) -> None:
        raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(UnitOfWork, "commit", full)
    code, _, err = run(capsys, "--data-dir", data, "deals", "new", "Too much", "--value", "10")
    assert code == EXIT_DISK_FULL and "the disk is full" in one_line(err)


def test_a_full_disk_while_exporting(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from crm_desktop.exchange import tabular

    def full(*_args: object, **_kwargs: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tabular, "write_csv", full)
    monkeypatch.setattr(tabular, "write_csv_columns", full)
    target = tmp_path / "out.csv"
    code, _, err = run(capsys, "--data-dir", data, "export", "contacts", str(target))
    assert code == EXIT_DISK_FULL and "disk is full" in one_line(err)
    assert not target.exists() and not list(tmp_path.glob(".out.csv.*"))


def test_a_read_only_data_folder_still_searches_and_exports(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As root every file is writable; the folder is taken for read-only as the app sees it
    # (and the quick search, which a read-only folder skips by its file modes, is skipped).
    monkeypatch.setattr(database, "sqlite_writable", lambda _path: False)
    monkeypatch.setattr(search, "search_without_opening", lambda *_args: None)
    code, out, err = run(capsys, "--data-dir", data, "search", "a")
    assert code == 0 and out.strip()
    assert "is read-only; search and export work" in one_line(err)
    target = tmp_path / "out.csv"
    code, _, err = run(capsys, "--data-dir", data, "export", "contacts", str(target))
    assert code == 0 and target.exists() and "read-only" in one_line(err)
    code, _, err = run(capsys, "--data-dir", data, "deals", "new", "Not saved", "--value", "10")
    assert code == EXIT_READ_ONLY and "read-only" in one_line(err)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_really_read_only_data_folder(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    folder = Path(data)
    files = [p for p in folder.iterdir() if p.is_file()]
    for path in files:
        path.chmod(0o400)
    folder.chmod(0o500)
    try:
        code, out, err = run(capsys, "--data-dir", data, "search", "a")
        assert code == 0 and out.strip() and "read-only" in one_line(err)
        code, _, err = run(capsys, "--data-dir", data, "demo", "--contacts", "5", "--seed", "9")
        assert code in (EXIT_READ_ONLY, EXIT_ALREADY) and one_line(err)
    finally:
        folder.chmod(0o700)
        for path in files:
            path.chmod(0o600)
