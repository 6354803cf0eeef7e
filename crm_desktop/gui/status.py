"""The status bar's background-task corner: a progress bar with the task's name and a
Cancel button, shown while the runner works."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QProgressBar, QStatusBar, QToolButton

from crm_desktop.gui.tasks import Progress, TaskRunner


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
