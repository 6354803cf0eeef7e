"""The real window, started as `crm-desktop --data-dir D` starts it, worked through its own
menu bar and shortcuts with the file dialogs answered: what a user sees (a dialog, a file
written, a record changed) and never an error dialog."""

from __future__ import annotations

import csv
import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtTest import QTest

from crm_desktop import cli
from crm_desktop.bootstrap import open_app
from tests.e2e.driver import WindowDriver, strip_mnemonic

CSV_ROWS = "First Name,Last Name,E-mail Address\nAda,Quill,ada.quill@example.org\n"
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//e2e//EN\r\n"
    "BEGIN:VEVENT\r\nUID:e2e-1@example.org\r\nDTSTAMP:20261201T090000Z\r\n"
    "DTSTART:20261210T090000Z\r\nDTEND:20261210T100000Z\r\nSUMMARY:Driver meeting\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture
def demo_dir(tmp_path: Path) -> Iterator[Path]:
    """A data folder filled by the command line, as a user would do it."""
    data = tmp_path / "data"
    assert cli.main(["--data-dir", str(data), "demo", "--contacts", "120", "--seed", "3"]) == 0
    yield data
    root = logging.getLogger()  # cli.main set up the log file: leave the root as found
    for handler in [h for h in root.handlers if getattr(h, "crm_desktop", False)]:
        root.removeHandler(handler)
        handler.close()


def _event_loop_runs() -> bool:
    """After the window closed, an event loop of the same process still runs its timers
    (a stale Quit event once made every later loop, dialogs too, return at once)."""
    fired: list[int] = []
    loop = QEventLoop()
    QTimer.singleShot(0, lambda: fired.append(1))
    QTimer.singleShot(0, loop.quit)
    loop.exec()
    return fired == [1]


def _open_wizards(driver: WindowDriver) -> list[str]:
    return [w.windowTitle() for w in driver.open_dialogs("ImportWizard")]


def test_every_import_and_export_action_of_the_file_menu(
    demo_dir: Path, tmp_path: Path, qapp: object
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    calendar_in = tmp_path / "meeting.ics"
    calendar_in.write_text(ICS, encoding="utf-8")
    result: dict[str, object] = {}

    def script(driver: WindowDriver) -> None:
        file_menu = driver.menu_texts()["File"]
        result["file menu"] = file_menu
        # Import contacts or companies: the wizard opens (it asks for the file itself).
        driver.menu_action("File", "Import contacts or companies…").trigger()
        driver.settle()
        result["wizards"] = _open_wizards(driver)
        for wizard in driver.open_dialogs("ImportWizard"):
            wizard.close()
        # Export this list, once per format, from the contacts list.
        for name in ("contacts.csv", "contacts.xlsx", "contacts.vcf"):
            driver.file_answers.append(str(out / name))
            driver.menu_action("File", "Export this list…").trigger()
            driver.settle()
        # Calendar: export, then import a file from another app.
        driver.file_answers.append(str(out / "calendar.ics"))
        driver.menu_action("File", "Export calendar (.ics)…").trigger()
        driver.settle()
        driver.file_answers.append(str(calendar_in))
        driver.menu_action("File", "Import calendar (.ics)…").trigger()
        driver.settle()
        result["left answers"] = list(driver.file_answers)

    driver = WindowDriver()
    assert driver.run(["--data-dir", str(demo_dir)], script) == 0
    assert driver.seen.failures == [], driver.seen.dialogs
    assert driver.seen.errors == [], driver.seen.dialogs
    assert result["left answers"] == []
    assert _event_loop_runs()
    assert result["wizards"], "Import contacts or companies… opened no wizard"
    rows = list(csv.reader((out / "contacts.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == 121 and "ID" in rows[0]
    from openpyxl import load_workbook

    book = load_workbook(out / "contacts.xlsx", read_only=True)
    assert sum(1 for _ in book.worksheets[0].iter_rows()) == 121
    book.close()
    assert (out / "contacts.vcf").read_text(encoding="utf-8").count("BEGIN:VCARD") == 120
    assert (out / "calendar.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")
    context = open_app(demo_dir)
    try:
        start = dt.datetime(2026, 12, 9, tzinfo=dt.UTC)
        found = context.calendar.occurrences(start, start + dt.timedelta(days=3))
        assert "Driver meeting" in [o.subject for o in found]
    finally:
        context.close()


def test_import_wizard_from_the_menu_imports_a_chosen_file(
    demo_dir: Path, tmp_path: Path, qapp: object
) -> None:
    sheet = tmp_path / "people.csv"
    sheet.write_text(CSV_ROWS, encoding="utf-8")

    def script(driver: WindowDriver) -> None:
        driver.menu_action("File", "Import contacts or companies…").trigger()
        driver.settle()
        (wizard,) = driver.open_dialogs("ImportWizard")
        driver.file_answers.append(str(sheet))
        wizard.file_page.choose()  # type: ignore[attr-defined]  # its "Choose…" button
        while wizard.currentId() != -1 and wizard.isVisible():  # type: ignore[attr-defined]
            page = wizard.currentPage()  # type: ignore[attr-defined]
            if wizard.button(wizard.WizardButton.FinishButton).isVisible():  # type: ignore[attr-defined]
                wizard.button(wizard.WizardButton.FinishButton).click()  # type: ignore[attr-defined]
                break
            wizard.next()  # type: ignore[attr-defined]
            driver.settle()
            if wizard.currentPage() is page:  # type: ignore[attr-defined]
                break
        driver.settle()

    driver = WindowDriver()
    assert driver.run(["--data-dir", str(demo_dir)], script) == 0
    assert driver.seen.failures == [] and driver.seen.errors == []
    context = open_app(demo_dir)
    try:
        assert [h.title for h in context.search.search("ada.quill")], "not imported"
    finally:
        context.close()


def test_shortcuts_reach_their_actions(demo_dir: Path, tmp_path: Path, qapp: object) -> None:
    out = tmp_path / "by-shortcut.csv"
    seen: dict[str, object] = {}

    def script(driver: WindowDriver) -> None:
        window = driver.window()
        assert window is not None
        window.activateWindow()
        driver.wait_until(window.isActiveWindow, "the window to be active")
        QTest.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
        driver.settle()
        seen["wizards"] = _open_wizards(driver)
        for wizard in driver.open_dialogs("ImportWizard"):
            wizard.close()
        window.activateWindow()
        driver.wait_until(window.isActiveWindow, "the window to be active again")
        driver.file_answers.append(str(out))
        QTest.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
        driver.settle()
        seen["section"] = []
        window.activateWindow()
        driver.wait_until(window.isActiveWindow, "the window to be active again")
        for key in (Qt.Key.Key_3, Qt.Key.Key_4, Qt.Key.Key_1):
            QTest.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
            seen["section"].append(window.sidebar.currentRow())  # type: ignore[attr-defined]

    driver = WindowDriver()
    assert driver.run(["--data-dir", str(demo_dir)], script) == 0
    assert driver.seen.failures == [] and driver.seen.errors == []
    assert seen["wizards"], "Ctrl+I opened no import wizard"
    assert out.exists() and out.stat().st_size > 0, "Ctrl+E wrote no file"
    assert seen["section"] == [2, 3, 0]


def test_every_menu_action_does_something_and_none_shows_an_error(
    demo_dir: Path, tmp_path: Path, qapp: object
) -> None:
    """Each action of every menu, triggered as the menu triggers it, in each section: no
    error dialog, no exception. Dialogs that open are closed (Cancel)."""
    seen: dict[str, list[str]] = {"triggered": []}
    skip = {"Quit"}

    def script(driver: WindowDriver) -> None:
        window = driver.window()
        assert window is not None
        backup = tmp_path / "menu-export.csv"
        for section in range(6):
            window.sidebar.setCurrentRow(section)  # type: ignore[attr-defined]
            driver.settle()
            if section == 0 and window.contacts_view.model.rowCount():  # type: ignore[attr-defined]
                window.contacts_view.table.selectRow(0)  # type: ignore[attr-defined]
            for top in window.menuBar().actions():  # type: ignore[attr-defined]
                for action in top.menu().actions():
                    text = strip_mnemonic(action.text())
                    if action.isSeparator() or text in skip or not action.isEnabled():
                        continue
                    if "Export" in text or "Import calendar" in text:
                        continue  # answered with files in the test above
                    seen["triggered"].append(f"{section}:{top.text()} › {text}")
                    action.trigger()
                    driver.settle()
                    for widget in driver.open_dialogs("ImportWizard"):
                        widget.close()
        assert not backup.exists()

    driver = WindowDriver()
    assert driver.run(["--data-dir", str(demo_dir)], script) == 0
    assert driver.seen.failures == []
    assert driver.seen.errors == [], driver.seen.errors
    assert len(seen["triggered"]) > 60
