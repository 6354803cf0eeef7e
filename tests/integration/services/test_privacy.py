"""The database, its backups and the logs are the customer base: readable by this user
only (files 0600, folders 0700). Modes are read with os.stat, which shows them as they
are even to root."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from crm_desktop.bootstrap import open_app
from crm_desktop.config import setup_logging
from crm_desktop.domain.records import ContactDraft

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")

# About the SQLite file, its backups and permissions: not run against PostgreSQL.
pytestmark = pytest.mark.sqlite_only


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_backups_and_logs_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual umask: without care, files would be 0644
    try:
        data = tmp_path / "data"
        context = open_app(data)
        context.contacts.create(ContactDraft(first_name="Private"))
        backup = context.maintenance.backup(reason="manual")
        own = context.maintenance.backup(tmp_path / "mine.sqlite")
        log = setup_logging(context.paths.log_file)
        assert log is not None
        logging.getLogger("crm_desktop.test").warning("a line with a customer's name")
        files = [context.paths.database, backup, own, log]
        files += [context.paths.database.with_name("crm.sqlite" + s) for s in ("-wal", "-shm")]
        files += [context.paths.database.with_name("crm.sqlite.lock")]
        for path in files:
            assert path.exists() and mode(path) == 0o600, (path, oct(mode(path)))
        for folder in (data, context.paths.backups, context.paths.logs):
            assert mode(folder) == 0o700, (folder, oct(mode(folder)))
        context.close()
    finally:
        os.umask(old)
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "crm_desktop", False)]:
            root.removeHandler(handler)
            handler.close()


def test_an_older_install_is_made_private_when_opened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    open_app(data).close()
    data.chmod(0o755)
    (data / "crm.sqlite").chmod(0o644)
    context = open_app(data)
    try:
        assert mode(data / "crm.sqlite") == 0o600 and mode(data) == 0o700
    finally:
        context.close()


def test_a_folder_the_user_chose_for_a_backup_keeps_its_mode(tmp_path: Path) -> None:
    desktop = tmp_path / "Desktop"
    desktop.mkdir(mode=0o755)
    desktop.chmod(0o755)
    context = open_app(tmp_path / "data")
    try:
        copy = context.maintenance.backup(desktop / "crm-copy.sqlite")
    finally:
        context.close()
    assert mode(copy) == 0o600 and mode(desktop) == 0o755
