"""The import wizard: file, column mapping with a live preview, options (duplicates, dry
run), progress with Cancel, and the result with every row that was not imported.

The import runs in the background (the window's task runner); the service writes it in
one unit of work, so a cancelled or failed import leaves nothing behind, and a finished
one can be taken back as a whole (Undo)."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from crm_desktop.domain.errors import CrmError

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext
    from crm_desktop.gui.tasks import TaskRunner

PRESETS = (("Detect", "auto"), ("Google Contacts", "google"), ("Outlook", "outlook"))
FORMATS: tuple[tuple[str, str | None], ...] = (
    ("Detect from the file", None),
    ("CSV", "csv"),
    ("Excel (.xlsx)", "xlsx"),
    ("vCard (.vcf)", "vcard"),
)
KINDS = (("Detect", "auto"), ("Contacts", "contacts"), ("Companies", "companies"))
DUPLICATES = (
    ("Skip them (keep what is in the CRM)", "skip"),
    ("Update the existing record", "update"),
    ("Create a new record anyway", "create"),
)
FILE_FILTER = "Contacts (*.csv *.tsv *.txt *.xlsx *.vcf *.vcard);;All files (*)"


def _combo(choices: tuple[tuple[str, Any], ...], name: str) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    for label, value in choices:
        combo.addItem(label, value)
    return combo


class FilePage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Choose the file")
        self.setSubTitle(
            "CSV in any encoding and delimiter, Excel (.xlsx) or vCard (.vcf), e.g. an export "
            "of Google Contacts, Outlook, Apple Contacts or Thunderbird."
        )
        self.path = QLineEdit(self)
        self.path.setAccessibleName("File to import")
        browse = QPushButton("Choose…", self)
        browse.setAccessibleName("Choose the file to import")
        self.format = _combo(FORMATS, "File format")
        self.preset = _combo(PRESETS, "Column preset")
        self.kind = _combo(KINDS, "Import as")
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("&File", row)
        form.addRow("F&ormat", self.format)
        form.addRow("&Columns from", self.preset)
        form.addRow("&Import as", self.kind)
        browse.clicked.connect(self.choose)
        self.path.textChanged.connect(lambda _t: self.completeChanged.emit())

    def choose(self) -> None:
        path, _f = QFileDialog.getOpenFileName(
            self, "Import contacts", str(Path.home()), FILE_FILTER
        )
        if path:
            self.path.setText(path)

    def isComplete(self) -> bool:
        return bool(self.path.text().strip())

    def validatePage(self) -> bool:
        return self.w.load_preview()


class MappingPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Match the columns")
        self.about = QLabel(self)
        self.about.setWordWrap(True)
        self.mapping = QTableWidget(0, 3, self)
        self.mapping.setAccessibleName("Column mapping")
        self.mapping.setHorizontalHeaderLabels(["Column in the file", "Imported as", "Example"])
        self.mapping.verticalHeader().setVisible(False)
        self.mapping.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.preview = QTableWidget(0, 0, self)
        self.preview.setAccessibleName("Preview of the first rows")
        self.preview.verticalHeader().setVisible(False)
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout = QVBoxLayout(self)
        layout.addWidget(self.about)
        layout.addWidget(self.mapping, 1)
        layout.addWidget(QLabel("<b>Preview</b> (rows that would not import are red)", self))
        layout.addWidget(self.preview, 1)
        self._combos: list[tuple[str, QComboBox]] = []
        # Reading a big file again takes a moment: once the choices pause, not per change.
        self._remap = QTimer(self)
        self._remap.setSingleShot(True)
        self._remap.setInterval(400)
        self._remap.timeout.connect(lambda: self.w.load_preview(self.mapping_now()))

    def show_preview(self, preview: Any) -> None:
        where = f"{preview.format.upper()}"
        if preview.format == "csv":
            delimiter = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "bar"}.get(
                preview.delimiter, repr(preview.delimiter)
            )
            where += f", {preview.encoding}, {delimiter}-separated"
        problems = "".join(f"<br>Line {line}: {text}" for line, text in list(preview.problems)[:5])
        self.about.setText(
            f"{preview.total_rows:,} {preview.kind} in this file ({where}); columns from the "
            f"{preview.preset} preset.{problems}"
        )
        mapping_by_header = dict(preview.mapping)
        if not self._combos or [h for h, _c in self._combos] != list(preview.headers):
            self._combos = []
            self.mapping.setRowCount(len(preview.headers))
            first = preview.rows[0] if preview.rows else None
            for row, header in enumerate(preview.headers):
                self.mapping.setItem(row, 0, QTableWidgetItem(header))
                combo = QComboBox(self.mapping)
                combo.setAccessibleName(f"Field for the column {header}")
                combo.addItem("(do not import)", "")
                for key, label in preview.fields.items():
                    combo.addItem(label, key)
                combo.setCurrentIndex(max(combo.findData(mapping_by_header.get(header, "")), 0))
                combo.currentIndexChanged.connect(lambda _i: self._remap.start())
                self.mapping.setCellWidget(row, 1, combo)
                field = mapping_by_header.get(header, "")
                example = first.values.get(field, "") if first and field else ""
                self.mapping.setItem(row, 2, QTableWidgetItem(example))
                self._combos.append((header, combo))
        self.mapping.setVisible(bool(preview.headers))
        fields = [k for k in preview.fields if any(k in r.values for r in preview.rows)]
        self.preview.clear()
        self.preview.setColumnCount(len(fields) + 2)
        self.preview.setHorizontalHeaderLabels(
            ["Line", *[preview.fields[f] for f in fields], "Problem"]
        )
        self.preview.setRowCount(len(preview.rows))
        for r, row in enumerate(preview.rows):
            cells = [str(row.line), *[row.values.get(f, "") for f in fields], row.problem]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if row.problem:
                    item.setForeground(QColor("#b91c1c"))
                self.preview.setItem(r, c, item)
        self.preview.resizeColumnsToContents()

    def mapping_now(self) -> dict[str, str]:
        return {header: combo.currentData() or "" for header, combo in self._combos}


class OptionsPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Options")
        self.duplicates = _combo(DUPLICATES, "When a record already exists")
        self.dry_run = QCheckBox("&Dry run: check the file and count, write nothing", self)
        self.dry_run.setAccessibleName("Dry run")
        note = QLabel(
            "A record already exists when its e-mail address or phone number (or, for a file "
            "exported from crm-desktop, its id) matches. The whole import can be undone.",
            self,
        )
        note.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("When a record &exists", self.duplicates)
        form.addRow("", self.dry_run)
        form.addRow(note)
        self.setCommitPage(True)  # no way back once the import has run
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Import")

    def validatePage(self) -> bool:
        self.w.start_import()
        return True


class ResultPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Importing")
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Import progress")
        self.cancel = QPushButton("Cancel the import", self)
        self.cancel.setAccessibleName("Cancel the import")
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        # Under the progress bar, also when there are no error lines to fill the page.
        self.summary.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.summary.setAccessibleName("Import result")
        self.errors = QPlainTextEdit(self)
        self.errors.setReadOnly(True)
        self.errors.setAccessibleName("Rows not imported")
        self.errors.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.summary)
        layout.addWidget(self.errors, 1)
        self.cancel.clicked.connect(self.w.cancel_import)
        self.done = False

    def isComplete(self) -> bool:
        return self.done


class ImportWizard(QWizard):
    """File → mapping and preview → options → progress and result."""

    imported = Signal(object)  # ImportResult (not for a dry run)

    def __init__(
        self, context: AppContext, runner: TaskRunner, path: str = "", parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.context, self.runner = context, runner
        self.setWindowTitle("Import contacts")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.file_page = FilePage(self)
        self.mapping_page = MappingPage(self)
        self.options_page = OptionsPage(self)
        self.result_page = ResultPage(self)
        for page in (self.file_page, self.mapping_page, self.options_page, self.result_page):
            self.addPage(page)
        self.file_page.path.setText(path)
        self.preview: Any = None
        self.result: Any = None
        self._task: Any = None
        self._running = False
        runner.progressed.connect(self._progress)
        self.resize(900, 640)

    def file_options(self) -> dict[str, Any]:
        return {
            "format": self.file_page.format.currentData(),
            "preset": self.file_page.preset.currentData(),
            "kind": self.file_page.kind.currentData(),
        }

    def load_preview(self, mapping: dict[str, str] | None = None) -> bool:
        """Read the file's start and show how it maps; a file that can't be read says why
        on the first page and the wizard stays there."""
        path = Path(self.file_page.path.text().strip())
        try:
            self.preview = self.context.imports.preview(
                path, mapping=mapping, **self.file_options()
            )
        except CrmError as exc:
            self.file_page.setSubTitle(f"<b>This file can't be imported:</b> {exc}")
            return False
        self.mapping_page.show_preview(self.preview)
        return True

    def start_import(self) -> None:
        page = self.result_page
        page.done = False
        page.progress.setRange(0, 0)
        page.cancel.setVisible(True)
        page.summary.setText("Importing…")
        path = Path(self.file_page.path.text().strip())
        mapping = self.mapping_page.mapping_now() or None
        on_duplicate = self.options_page.duplicates.currentData()
        dry_run = self.options_page.dry_run.isChecked()
        options = self.file_options()
        imports = self.context.imports

        def work(progress: Any) -> Any:
            return imports.run(
                path,
                mapping=mapping,
                on_duplicate=on_duplicate,
                dry_run=dry_run,
                progress=progress,
                cancelled=lambda: progress.cancelled,
                **options,
            )

        self._running = True
        self._task = self.runner.submit(
            f"Importing {path.name}", work, self.import_finished, self.import_failed
        )

    def _progress(self, done: int, total: int) -> None:
        if total and self._running:
            self.result_page.progress.setRange(0, total)
            self.result_page.progress.setValue(done)

    def cancel_import(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def reject(self) -> None:
        """Closing the wizard while it imports cancels the import (nothing is written)."""
        if self._running:
            self.cancel_import()
        super().reject()

    def _end(self) -> None:
        page = self.result_page
        page.done = True
        page.cancel.setVisible(False)  # a finished import has nothing left to cancel
        page.progress.setRange(0, 1)
        page.progress.setValue(1)
        page.completeChanged.emit()
        self._running = False

    def import_finished(self, result: Any) -> None:
        self.result = result
        self._end()
        page = self.result_page
        verb = "would be" if result.dry_run else "were"
        parts = [
            f"{result.created:,} new",
            f"{result.updated:,} updated",
            f"{result.skipped:,} skipped as duplicates",
        ]
        if result.unchanged:
            parts.append(f"{result.unchanged:,} already up to date")
        text = f"<b>{', '.join(parts)}</b> {result.kind} {verb} imported."
        if result.companies_created:
            many = result.companies_created != 1
            text += (
                f" {result.companies_created:,} compan{'ies' if many else 'y'} "
                f"{verb if many else verb.replace('were', 'was')} created for them."
            )
        if result.errors:
            many = len(result.errors) != 1
            text += (
                f"<br>{len(result.errors):,} row{'s' if many else ''} could not be imported "
                "(listed below)."
            )
        if result.not_used:
            shown = ", ".join(result.not_used[:12])
            more = f" and {len(result.not_used) - 12} more" if len(result.not_used) > 12 else ""
            text += f"<br>Not used: {escape(shown)}{more}."
        if result.dry_run:
            text += "<br>This was a dry run: nothing was written."
        elif result.batch_id:
            text += "<br>Edit › Undo takes the whole import back."
        page.setTitle("Dry run finished" if result.dry_run else "Import finished")
        page.summary.setText(text)
        lines = [f"Line {line}: {reason}" for line, reason in result.errors]
        lines += [f"Line {line} (imported): {reason}" for line, reason in result.warnings]
        page.errors.setPlainText("\n".join(lines))
        page.errors.setVisible(bool(lines))
        if not result.dry_run:
            self.imported.emit(result)

    def import_failed(self, error: str) -> None:
        self._end()
        page = self.result_page
        page.setTitle("Import stopped")
        page.summary.setText(f"<b>Nothing was imported:</b> {error}")
