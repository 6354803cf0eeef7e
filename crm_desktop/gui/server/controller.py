"""Others' changes on a shared PostgreSQL server reach the open views within seconds.

A thread of its own waits for the server's notification (LISTEN/NOTIFY, through
`services.server_watch`); when one comes, the GUI thread reads the change rows it has
not seen and announces them on the event hub like any other change, so each list reloads
the changed rows by id and keeps its selection. Nothing runs on a local database.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal, Slot

from crm_desktop.domain.errors import CrmError
from crm_desktop.gui.host import Host
from crm_desktop.services.server_watch import ServerWatch

log = logging.getLogger(__name__)
WAIT_SECONDS = 2.0  # how often the waiting thread looks whether the window is closing


class ServerController(QObject):
    announced = Signal()

    def __init__(self, host: Host) -> None:
        super().__init__(host.window)
        self.host = host
        self.watch: ServerWatch | None = host.context.server_watch
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.announced.connect(self.refresh)

    def start(self) -> None:
        watch = self.watch
        if watch is None or self._thread is not None:
            return
        try:
            watch.start()
        except Exception as exc:
            log.warning("no change notifications from the server: %s", exc)
            self.watch = None
            return
        self._thread = threading.Thread(target=self._wait, name="server-changes", daemon=True)
        self._thread.start()

    def _wait(self) -> None:
        watch = self.watch
        while watch is not None and not self._stop.is_set():
            if watch.wait(WAIT_SECONDS) and not self._stop.is_set():
                self.announced.emit()

    @Slot()
    def refresh(self) -> None:
        """Read what the server announced and let every view reload what concerns it."""
        if self.watch is None or self._stop.is_set():
            return
        try:
            changes = self.watch.poll()
        except CrmError as exc:
            log.warning("reading the server's changes failed: %s", exc)
            return
        self.host.hub.changed(changes)

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(WAIT_SECONDS + 1)
