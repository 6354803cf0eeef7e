"""Background work: `runner.submit(fn, on_done, on_error)` runs `fn(progress)` on the
thread pool and delivers the result on the GUI thread. Each job opens its own unit of
work (services do), so a Session never crosses threads. Tests use `SyncRunner`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from crm_desktop.domain.errors import CrmError
from crm_desktop.services.maintenance import expected_failure

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised inside a job when the user pressed Cancel."""


@dataclass
class Progress:
    """Handed to a job: report progress, and stop early when cancelled."""

    label: str
    _report: Callable[[int, int], None] = lambda done, total: None
    _cancel: threading.Event = field(default_factory=threading.Event)

    def __call__(self, done: int, total: int) -> None:
        if self._cancel.is_set():
            raise Cancelled
        self._report(done, total)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(str)
    progress = Signal(int, int)


class _Job(QRunnable):
    def __init__(
        self, fn: Callable[[Progress], Any], progress: Progress, signals: _Signals
    ) -> None:
        super().__init__()
        self.fn, self.progress, self.signals = fn, progress, signals

    def run(self) -> None:
        try:
            result = self.fn(self.progress)
        except Cancelled:
            self.signals.failed.emit("Cancelled")
        except CrmError as exc:
            self.signals.failed.emit(str(exc))
        except Exception as exc:
            known = expected_failure(exc)  # locked, disk full, read-only, damaged
            if known is not None:
                log.warning("background task %r failed: %s", self.progress.label, known)
                self.signals.failed.emit(str(known))
                return
            log.exception("background task %r failed", self.progress.label)
            self.signals.failed.emit(f"Unexpected error: {exc}")
        else:
            self.signals.done.emit(result)


class TaskRunner(QObject):
    """Runs jobs on QThreadPool; announces start, progress and end for the status bar."""

    started = Signal(object)  # Progress
    progressed = Signal(int, int)
    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool.globalInstance()
        self._live: set[_Signals] = set()

    def submit(
        self,
        label: str,
        fn: Callable[[Progress], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> Progress:
        signals = _Signals()
        progress = Progress(label, signals.progress.emit)
        self._live.add(signals)
        signals.progress.connect(self.progressed)

        def finish() -> None:
            self._live.discard(signals)
            self.finished.emit()

        if on_done:
            signals.done.connect(on_done)
        if on_error:
            signals.failed.connect(on_error)
        signals.done.connect(finish)
        signals.failed.connect(finish)
        self.started.emit(progress)
        self._pool.start(_Job(fn, progress, signals))
        return progress

    def wait(self, msecs: int = 30_000) -> bool:
        return bool(self._pool.waitForDone(msecs))

    def busy(self) -> bool:
        """True while a submitted job has not delivered its result yet."""
        return bool(self._live)


class SyncRunner(TaskRunner):
    """Runs jobs at once on the calling thread (tests, screenshots)."""

    def submit(
        self,
        label: str,
        fn: Callable[[Progress], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> Progress:
        progress = Progress(label, self.progressed.emit)
        self.started.emit(progress)
        try:
            result = fn(progress)
        except Cancelled:
            if on_error:
                on_error("Cancelled")
        except CrmError as exc:
            if on_error:
                on_error(str(exc))
        else:
            if on_done:
                on_done(result)
        self.finished.emit()
        return progress
