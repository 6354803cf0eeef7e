"""Logs and crashes (an error in a slot is logged with its traceback and shown with the
log's path; the app keeps running), the daily backup rule, and File › Restore from
backup… (the list, and a restore that brings the old data back and reopens the window)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QWidget

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.config import setup_logging
from crm_desktop.domain.records import ContactDraft, ListQuery
from crm_desktop.gui.crash import CrashHandler
from crm_desktop.gui.dialogs.restore import RestoreDialog
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.tasks import SyncRunner, TaskRunner
from crm_desktop.services.maintenance import MaintenanceService


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    path = setup_logging(tmp_path / "logs" / "crm-desktop.log")
    assert path is not None
    yield path
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "crm_desktop", False)]:
        root.removeHandler(handler)
        handler.close()


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every message box that was opened (none is actually shown)."""
    shown: list[str] = []

    def fake_exec(box: QMessageBox) -> int:
        shown.append(box.text())
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    return shown


@pytest.fixture
def crash(log_file: Path) -> Iterator[CrashHandler]:
    handler = CrashHandler(log_file)
    handler.install()
    yield handler
    handler.uninstall()


def _boom() -> None:
    raise ValueError("the slot broke")


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_slot_is_logged_and_shown_with_the_log_path(
    crash: CrashHandler, log_file: Path, dialogs: list[str], qtbot: Any
) -> None:
    button = QPushButton("Go")
    qtbot.addWidget(button)
    button.clicked.connect(_boom)
    button.click()
    assert len(dialogs) == 1
    assert "ValueError: the slot broke" in dialogs[0] and str(log_file) in dialogs[0]
    text = log_file.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    assert "in _boom" in text and "ValueError: the slot broke" in text
    # The app keeps running: the button still works, and the same error again is logged
    # without a second dialog (a broken repaint must not open dialogs forever).
    button.click()
    assert len(dialogs) == 1
    assert log_file.read_text(encoding="utf-8").count("ValueError: the slot broke") == 2


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_paint_event_inside_the_event_loop_is_shown_once(
    crash: CrashHandler, log_file: Path, dialogs: list[str], qtbot: Any
) -> None:
    class Broken(QWidget):
        def paintEvent(self, event: Any) -> None:
            raise KeyError("paint")

    widget = Broken()
    qtbot.addWidget(widget)
    QTimer.singleShot(0, widget.show)
    qtbot.waitUntil(lambda: bool(dialogs), timeout=3000)
    widget.update()
    qtbot.wait(50)
    assert len(dialogs) == 1 and "KeyError" in dialogs[0]
    assert "in paintEvent" in log_file.read_text(encoding="utf-8")


def test_qt_warnings_go_to_the_log(crash: CrashHandler, log_file: Path) -> None:
    from PySide6.QtCore import qWarning

    qWarning("a warning from Qt")
    line = log_file.read_text(encoding="utf-8").splitlines()[-1]
    assert " WARNING " in line and line.endswith(" qt: a warning from Qt")


def test_an_unexpected_error_in_a_background_task_is_logged(log_file: Path, qtbot: Any) -> None:
    runner = TaskRunner()
    errors: list[str] = []

    def job(_progress: Any) -> None:
        raise RuntimeError("the job broke")

    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.submit("Breaking", job, on_error=errors.append)
    assert errors == ["Unexpected error: the job broke"]
    text = log_file.read_text(encoding="utf-8")
    assert "background task 'Breaking' failed" in text and "RuntimeError: the job broke" in text


def test_the_log_goes_to_the_platform_log_folder_unless_a_data_folder_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import platformdirs

    from crm_desktop.config import DATA_DIR_ENV, AppPaths

    given = AppPaths.resolve(tmp_path / "d")
    assert given.log_file == (tmp_path / "d" / "logs" / "crm-desktop.log").resolve()
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    default = AppPaths.resolve()
    assert default.logs == Path(platformdirs.user_log_dir("crm-desktop")).resolve()


def test_a_log_that_cannot_be_written_does_not_stop_anything(
    tmp_path: Path, log_file: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder would go", encoding="utf-8")
    assert setup_logging(blocker / "logs" / "crm-desktop.log") is None
    assert not [h for h in logging.getLogger().handlers if getattr(h, "crm_desktop", False)]
    logging.getLogger("crm_desktop").error("still fine")  # no log file: nothing breaks


def test_a_bug_in_a_command_prints_one_line_naming_the_log(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    log_file: Path,  # its teardown lets go of the log the command opens
) -> None:
    from crm_desktop import cli

    def broken(_context: Any, _args: Any) -> int:
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(cli._COMMANDS, "duplicates", broken)
    from crm_desktop.bootstrap import open_app

    open_app(tmp_path / "d").close()  # the command needs a database to look at
    assert cli.main(["--data-dir", str(tmp_path / "d"), "duplicates"]) == 1
    err = capsys.readouterr().err
    command_log = (tmp_path / "d" / "logs" / "crm-desktop.log").resolve()
    assert err.strip().splitlines() == [
        f"crm-desktop: unexpected error: a bug; details in {command_log}"
    ]
    text = command_log.read_text(encoding="utf-8")
    assert "duplicates failed" in text and "ZeroDivisionError: a bug" in text
    assert "in broken" in text


# ---- the daily backup ----------------------------------------------------------------------


def test_a_backup_is_taken_when_the_newest_is_older_than_a_day(app: AppContext) -> None:
    now = [dt.datetime.now()]
    service = MaintenanceService(app.database, app.paths.backups, 3, clock=lambda: now[0])
    first = service.backup_if_due()
    assert first is not None and first.exists()
    assert service.backup_list()[0].reason == "daily"
    now[0] += dt.timedelta(hours=23)
    assert service.backup_if_due() is None  # the newest is less than a day old
    now[0] += dt.timedelta(hours=2)
    assert service.backup_if_due() is None  # a day later, but nothing changed since
    app.contacts.create(ContactDraft(first_name="New"))
    second = service.backup_if_due()
    assert second is not None and second != first
    for day in range(3):
        now[0] += dt.timedelta(days=1, minutes=1)
        app.contacts.create(ContactDraft(first_name=f"Day {day}"))
        assert service.backup_if_due() is not None
    assert len(service.backup_list()) == 3  # rotated as before: the 3 newest kept


def test_any_kind_of_backup_counts_as_the_newest(app: AppContext) -> None:
    service = MaintenanceService(app.database, app.paths.backups, 10)
    service.backup(reason="manual")
    assert service.backup_if_due() is None


def test_the_window_takes_the_daily_backup_on_start(demo_app: AppContext, qtbot: Any) -> None:
    window = MainWindow(demo_app, SyncRunner())
    qtbot.addWidget(window)
    assert demo_app.maintenance.backup_list() == []
    window.data.daily_backup()
    assert [b.reason for b in demo_app.maintenance.backup_list()] == ["daily"]
    # ...and with it the history compaction of a database no team folder shares.
    log = next(c for c in demo_app.maintenance.doctor() if c.name == "change log")
    assert "history compacted" in log.detail
    window.data.daily_backup()
    assert len(demo_app.maintenance.backup_list()) == 1


# ---- Restore from backup… ------------------------------------------------------------------


def test_the_dialog_lists_the_backups_newest_first(app: AppContext, qtbot: Any) -> None:
    app.maintenance.backup(reason="manual")
    app.maintenance.backup(reason="daily")
    dialog = RestoreDialog(app.maintenance, SyncRunner())
    qtbot.addWidget(dialog)
    table = dialog.table
    assert table.rowCount() == 2
    cells = [[table.item(r, c).text() for c in range(3)] for r in range(2)]
    assert [row[1] for row in cells] == ["Daily", "Made by hand"]
    assert all(row[2].endswith(("KB", "MB")) for row in cells)
    newest = app.maintenance.backup_list()[0]
    assert cells[0][0] == f"{newest.taken_at:%a %d %b %Y  %H:%M}"
    assert dialog.selected_path() == newest.path and dialog.restore_button.isEnabled()


def test_the_dialog_with_no_backups_cannot_restore(app: AppContext, qtbot: Any) -> None:
    dialog = RestoreDialog(app.maintenance, SyncRunner())
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 0 and not dialog.restore_button.isEnabled()


def test_restore_from_the_file_menu_brings_the_data_back_and_reopens(
    demo_app: AppContext, data_dir: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = demo_app.contacts.count(ListQuery())
    demo_app.maintenance.backup(reason="manual")
    demo_app.contacts.create(ContactDraft(first_name="Added", last_name="After the backup"))
    window = MainWindow(demo_app, SyncRunner())
    qtbot.addWidget(window)
    quits: list[bool] = []
    monkeypatch.setattr(QApplication, "quit", lambda: quits.append(True))
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(RestoreDialog, "exec", lambda self: self.restore_selected())
    assert window.restore_backup_action in window.menuBar().actions()[0].menu().actions()
    window.restore_backup_action.trigger()
    assert window.reopen_requested and quits == [True]
    reopened = open_app(data_dir)
    try:
        assert reopened.contacts.count(ListQuery()) == before
        assert reopened.database.device_id != demo_app.database.device_id
        kinds = [b.reason for b in reopened.maintenance.backup_list()]
        assert "before-restore" in kinds  # the data as it was before the restore
    finally:
        reopened.close()


def test_a_damaged_backup_is_refused_and_nothing_changes(
    app: AppContext, qtbot: Any, dialogs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app.maintenance.backup(reason="manual")
    newest = app.maintenance.backup_list()[0].path
    newest.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))
    dialog = RestoreDialog(app.maintenance, SyncRunner())
    qtbot.addWidget(dialog)
    restored: list[Any] = []
    dialog.restored.connect(restored.append)
    dialog.restore_selected()
    assert restored == [] and warnings and "not a readable" in warnings[0]


def test_the_window_reopens_on_the_restored_data_in_the_same_process(
    data_dir: Path, qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crm_desktop.gui import app as gui_app

    context = open_app(data_dir)
    context.settings.set("business_name", "Before")
    context.maintenance.backup(reason="manual")
    context.settings.set("business_name", "After")
    context.close()
    titles: list[str] = []

    def ours() -> list[MainWindow]:  # not the windows other tests left to be deleted
        return [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, MainWindow) and w.context.paths.data_dir == data_dir.resolve()
        ]

    def fake_exec() -> int:  # stands for the user's session in each window
        [window] = ours()
        titles.append(window.windowTitle())
        if len(titles) == 1:
            window.runner.wait()
            manual = window.context.maintenance.backup_list()[0]
            assert manual.reason == "manual"  # newer than a day: no daily backup on start
            window.context.maintenance.restore(manual.path)
            window.reopen_requested = True
        return 0

    monkeypatch.setattr(qapp, "exec", fake_exec)
    assert gui_app.run_window(str(data_dir), None) == 0
    assert [t.split(" — ")[0] for t in titles] == ["After", "Before"]
    assert not ours()  # each session's window was deleted


# ---- starting with a damaged database ------------------------------------------------------


def test_a_damaged_database_at_start_offers_the_newest_good_backup(
    data_dir: Path, qapp: QApplication, monkeypatch: pytest.MonkeyPatch, qtbot: Any
) -> None:
    from crm_desktop.gui import app as gui_app
    from crm_desktop.gui.dialogs.restore import DamagedDataDialog

    context = open_app(data_dir)
    for name in ("Anna", "Bernd", "Carla"):
        context.contacts.create(ContactDraft(first_name=name))
    context.settings.set("business_name", "Kept")
    good = context.maintenance.backup(reason="daily")
    context.close()
    (good.parent / "crm-20991231-235959-000000-manual.sqlite.gz").write_bytes(b"")  # no good
    database = data_dir / "crm.sqlite"
    with database.open("r+b") as handle:
        handle.truncate(database.stat().st_size // 2)
    offered: list[DamagedDataDialog] = []

    def take_it(dialog: DamagedDataDialog) -> int:
        offered.append(dialog)
        qtbot.addWidget(dialog)
        return 1

    monkeypatch.setattr(DamagedDataDialog, "exec", take_it)
    counts: list[int] = []

    def fake_exec() -> int:
        [window] = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, MainWindow) and w.context.paths.data_dir == data_dir.resolve()
        ]
        counts.append(window.context.contacts.count(ListQuery()))
        return 0

    monkeypatch.setattr(qapp, "exec", fake_exec)
    assert gui_app.run_window(str(data_dir), None) == 0
    assert len(offered) == 1 and offered[0].newest is not None
    assert offered[0].newest.path == good
    assert "damaged" in offered[0].text() and "newest good backup" in offered[0].text()
    assert counts == [3]  # the window opened on the restored data


def test_a_damaged_database_without_a_backup_says_so_and_exits_4(
    data_dir: Path, qapp: QApplication, monkeypatch: pytest.MonkeyPatch, qtbot: Any
) -> None:
    from crm_desktop.gui import app as gui_app
    from crm_desktop.gui.dialogs.restore import DamagedDataDialog

    data_dir.mkdir(parents=True)
    (data_dir / "crm.sqlite").write_bytes(b"SQLite format 3\x00" + b"\x07" * 5000)
    shown: list[str] = []

    def quit_(dialog: DamagedDataDialog) -> int:
        shown.append(dialog.text())
        qtbot.addWidget(dialog)
        return 0

    monkeypatch.setattr(DamagedDataDialog, "exec", quit_)
    assert gui_app.run_window(str(data_dir), None) == 4
    assert len(shown) == 1 and "no good backup was found" in shown[0]


def test_the_damaged_data_dialog_looks_right(qtbot: Any, tmp_path: Path) -> None:
    from crm_desktop.domain.maintenance import BackupInfo
    from crm_desktop.gui.dialogs.restore import DamagedDataDialog

    newest = BackupInfo(
        tmp_path / "b.sqlite.gz", dt.datetime(2026, 11, 21, 9, 30), 734_000, "daily"
    )
    dialog = DamagedDataDialog("the file is cut short: 1,810,432 of 3,620,864 bytes", newest)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.restore_button.text() == "Restore the backup"
    assert "Sat 21 Nov 2026 09:30" in dialog.text() and "734 KB" in dialog.text()
    dialog.grab().save(str(tmp_path / "damaged.png"))


def test_a_read_only_data_folder_is_said_in_the_status_bar(
    data_dir: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crm_desktop.persistence import database

    made = open_app(data_dir)
    made.pipeline.ensure_default()
    made.close()
    monkeypatch.setattr(database, "sqlite_writable", lambda _path: False)
    context = open_app(data_dir)
    try:
        window = MainWindow(context, SyncRunner())
        qtbot.addWidget(window)
        window.data.daily_backup()
        assert "read-only: changes cannot be saved" in window.db_label.text()
        assert context.maintenance.backup_list() == []  # no daily backup attempted
    finally:
        context.close()


@pytest.mark.qt_no_exception_capture
def test_a_full_disk_in_a_slot_is_said_in_one_line_not_as_a_bug(
    crash: CrashHandler, log_file: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))

    def full() -> None:
        raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full"))

    button = QPushButton("Save")
    qtbot.addWidget(button)
    button.clicked.connect(full)
    button.click()
    assert warnings == ["the disk is full: nothing was written; free some space and try again"]
    assert crash.shown == warnings  # not the "unexpected error" dialog
