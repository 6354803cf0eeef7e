"""Refresh a section's page only while it is the page shown: the window opens on one list,
and the other sections need not query the database for nobody (nor again on each change
while they are hidden). A hidden page is marked stale and refreshed when it is next
shown."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

# ShowToParent comes when the page becomes the stack's current one, even in a window not
# shown yet (tests, the screenshots); Show when the window itself is shown on the page.
_SHOWN = (QEvent.Type.Show, QEvent.Type.ShowToParent)


class RefreshWhenShown(QObject):
    def __init__(self, page: QWidget, refresh: Callable[[], object]) -> None:
        super().__init__(page)
        self._page = page
        self._refresh = refresh
        self.stale = True  # nothing shown yet
        page.installEventFilter(self)

    def request(self) -> None:
        """Refresh now if the page is shown (the current page of its stack), else when it
        is next shown."""
        self.stale = True
        if not self._page.isHidden():
            self.flush()

    def flush(self) -> None:
        """Refresh now if a refresh is due (someone reads the page while it is hidden)."""
        if self.stale:
            self.stale = False
            self._refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._page and event.type() in _SHOWN:
            self.flush()
        return False
