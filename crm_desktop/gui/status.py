"""The status bar: on the left the data (which database, how many records) and passing
messages (`DataStatus`); in the corner the background task, a progress bar with the
task's name and a Cancel button, shown while the runner works (`TaskStatus`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton

from crm_desktop.domain.records import ListQuery
from crm_desktop.gui.host import COMPANIES
from crm_desktop.gui.tasks import Progress, TaskRunner

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext
    from crm_desktop.gui.models.paged import PagedTableModel

MESSAGE_MS = 5000  # how long a passing message stays


class DataStatus(QObject):
    """The left of the status bar: the database and how many contacts (or companies,
    in their section) it holds; messages pass over it."""

    def __init__(
        self,
        bar: QStatusBar,
        context: AppContext,
        contacts: PagedTableModel,
        companies: PagedTableModel,
    ) -> None:
        super().__init__(bar)
        self.bar, self.context = bar, context
        self.contacts, self.companies = contacts, companies
        self.label = QLabel(bar)
        bar.addWidget(self.label, 1)

    @Slot(int)
    def update(self, section: int) -> None:
        label = self.context.database_label
        if section == COMPANIES:
            count = _total(self.companies, self.context.companies.count)
            text = f"{count:,} {'company' if count == 1 else 'companies'}"
        else:
            count = _total(self.contacts, self.context.contacts.count)
            text = f"{count:,} {'contact' if count == 1 else 'contacts'}"
        self.label.setText(f"{label}  ·  {text}" if text else label)

    @Slot(str)
    def message(self, text: str) -> None:
        self.bar.showMessage(text, MESSAGE_MS)


class TaskStatus(QObject):
    def __init__(self, bar: QStatusBar, runner: TaskRunner) -> None:
        super().__init__(bar)
        self.bar = bar
        self.progress = QProgressBar(bar)
        self.progress.setMaximumWidth(180)
        self.progress.setAccessibleName("Background task progress")
        self.cancel_button = QToolButton(bar)
        self.cancel_button.setText("Cancel")
        self.cancel_button.setAccessibleName("Cancel background task")
        self.progress.hide()
        self.cancel_button.hide()
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        self._task: Progress | None = None
        runner.started.connect(self._started)
        runner.progressed.connect(self._progressed)
        runner.finished.connect(self._finished)
        self.cancel_button.clicked.connect(self._cancel)

    @Slot(object)
    def _started(self, progress: Progress) -> None:
        self._task = progress
        self.progress.setRange(0, 0)
        self.progress.setFormat(progress.label)
        self.progress.show()
        self.cancel_button.show()
        self.bar.showMessage(f"{progress.label}…")

    @Slot(int, int)
    def _progressed(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    @Slot()
    def _finished(self) -> None:
        if self._task is not None and self.bar.currentMessage() == f"{self._task.label}…":
            self.bar.clearMessage()  # the task's own message, not a later one
        self._task = None
        self.progress.hide()
        self.cancel_button.hide()

    @Slot()
    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()


def _total(model: PagedTableModel, count: Callable[[ListQuery], int]) -> int:
    """How many records a list has in all: its own ids when it shows everyone (no query,
    as at start), else counted."""
    known = model.count_if_unfiltered()
    return known if known is not None else count(ListQuery())
