"""The import wizard: a file's columns mapped with a preview, options, the import in the
background with its result and error lines, undo of the whole import, drop to start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import ListQuery
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.tasks import SyncRunner

CSV = (
    "First Name;Last Name;E-mail Address;Company;Mobile Phone\n"
    "Jonas;Weber;jonas@weberbau.example;Weber Bau;0171 2345678\n"
    "Zeynep;Kaya;not-an-email;Kaya Design;\n"
    "Lea;Schmidt;lea@schmidt.example;;\n"
)


def names(app: AppContext) -> set[str]:
    return {r.display_name for r in app.contacts.page(ListQuery()).rows}


def test_wizard_imports_reports_bad_rows_and_undoes(
    app: AppContext, qtbot: Any, tmp_path: Path
) -> None:
    path = tmp_path / "outlook.csv"
    path.write_bytes(CSV.encode("cp1252"))
    window = MainWindow(app, SyncRunner())
    qtbot.addWidget(window)
    wizard = window.data.import_contacts(str(path))
    assert wizard.load_preview()
    page = wizard.mapping_page
    assert wizard.preview.total_rows == 3
    mapped = page.mapping_now()
    assert mapped["First Name"] and mapped["E-mail Address"]
    assert page.preview.rowCount() == 3
    problems = [page.preview.item(r, page.preview.columnCount() - 1).text() for r in range(3)]
    assert problems[1] and not problems[0]  # the bad e-mail shows before importing
    headers = [
        page.preview.horizontalHeaderItem(c).text() for c in range(page.preview.columnCount())
    ]
    assert "Phone (mobile)" in headers
    phone_combo = dict(page._combos)["Mobile Phone"]
    phone_combo.setCurrentIndex(0)  # (do not import): the preview follows once choices pause
    assert page._remap.isActive()
    page._remap.timeout.emit()
    headers = [
        page.preview.horizontalHeaderItem(c).text() for c in range(page.preview.columnCount())
    ]
    assert "Phone (mobile)" not in headers
    phone_combo.setCurrentIndex(phone_combo.findData("phone_mobile"))
    page._remap.timeout.emit()
    wizard.options_page.dry_run.setChecked(True)
    wizard.start_import()
    assert wizard.result.dry_run and wizard.result.created == 3
    assert names(app) == set()
    wizard.options_page.dry_run.setChecked(False)
    wizard.start_import()
    result = wizard.result
    assert wizard.result_page.cancel.isHidden()  # a finished import offers no cancel
    assert wizard.result_page.summary.alignment() & Qt.AlignmentFlag.AlignTop  # under the bar
    # Zeynep is kept without the address that is none, and the line says so.
    assert (result.created, len(result.errors), len(result.warnings)) == (3, 0, 1)
    assert result.warnings[0][0] == 3  # the line in the file
    assert "Line 3 (imported)" in wizard.result_page.errors.toPlainText()
    assert names(app) == {"Jonas Weber", "Zeynep Kaya", "Lea Schmidt"}
    labels: list[str] = []
    steps: list[tuple[int, int]] = []
    window.runner.started.connect(lambda progress: labels.append(progress.label))
    window.runner.progressed.connect(lambda done, total: steps.append((done, total)))
    window.undo_stack.undo()  # on the background runner, with its progress
    assert names(app) == set()
    assert "Undoing the import of 3 contacts" in labels
    assert steps and steps[-1][0] == steps[-1][1]  # the progress reached its end
    window.undo_stack.redo()
    assert names(app) == {"Jonas Weber", "Zeynep Kaya", "Lea Schmidt"}


def test_unreadable_file_stays_on_the_first_page(
    app: AppContext, qtbot: Any, tmp_path: Path
) -> None:
    window = MainWindow(app, SyncRunner())
    qtbot.addWidget(window)
    wizard = window.data.import_contacts(str(tmp_path / "missing.csv"))
    assert not wizard.load_preview()
    assert "can't be imported" in wizard.file_page.subTitle()


def test_dropping_a_file_opens_the_wizard(app: AppContext, qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\nEND:VCARD\r\n"
    )
    window = MainWindow(app, SyncRunner())
    qtbot.addWidget(window)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    window.dropEvent(event)
    wizard = window.data.import_wizard
    assert wizard.file_page.path.text() == str(path)
    wizard.load_preview()
    assert wizard.preview.format == "vcard"


def test_export_the_list_and_import_it_back_as_updates(
    app: AppContext, qtbot: Any, tmp_path: Path
) -> None:
    import csv

    from crm_desktop.domain.records import ContactDraft, EmailEntry

    for first in ("Ada", "Grace", "Linus"):
        app.contacts.create(
            ContactDraft(
                first_name=first, last_name="Test", emails=(EmailEntry(f"{first}@x.example"),)
            )
        )
    window = MainWindow(app, SyncRunner())
    qtbot.addWidget(window)
    window.contacts_view.search.setText("grace")
    window.contacts_view.apply_filters()
    out = tmp_path / "list.csv"
    window.export_list(str(out))
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == 1 and "Grace" in rows[0].values()
    first_name = next(k for k in rows[0] if rows[0][k] == "Grace")
    rows[0][first_name] = "Gracie"
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = app.imports.run(out, on_duplicate="update")
    assert (result.created, result.updated) == (0, 1)
    assert "Gracie Test" in names(app) and len(names(app)) == 3
