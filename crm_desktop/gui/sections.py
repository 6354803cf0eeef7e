"""The window's sections: the sidebar that lists them (with the saved segments under it)
and the stack of their views. Some views are built when first shown (or first used):
the window opens on a list, and each of them reads the database to fill itself."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from PySide6.QtCore import QObject, QSize, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.gui import icons
from crm_desktop.gui.host import SECTIONS

SIDEBAR_WIDTH = 170


class Sections(QObject):
    """Lays out the sidebar, the segments panel and the stack as the window's centre:
    `views` first, then a place for each of `later` (built by its function when first
    shown), then `last`."""

    def __init__(
        self,
        window: QMainWindow,
        sidebar: QListWidget,
        stack: QStackedWidget,
        panel: QWidget,
        views: Sequence[QWidget],
        later: Mapping[int, Callable[[], QWidget]],
        last: QWidget,
    ) -> None:
        super().__init__(window)
        self.sidebar, self.stack = sidebar, stack
        self._builders = dict(later)
        self._built: dict[int, QWidget] = {}
        self._fill_sidebar(panel)
        for view in views:
            stack.addWidget(view)
        for _index in self._builders:
            stack.addWidget(QWidget(stack))  # its place until it is built
        stack.addWidget(last)
        central = QWidget(window)
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.setSpacing(0)
        side.addWidget(sidebar)
        side.addWidget(panel, 1)
        row.addLayout(side)
        row.addWidget(stack, 1)
        window.setCentralWidget(central)
        sidebar.currentRowChanged.connect(self.show)

    def _fill_sidebar(self, panel: QWidget) -> None:
        sidebar = self.sidebar
        sidebar.setAccessibleName("Sections")
        sidebar.setObjectName("sections")
        sidebar.setIconSize(QSize(20, 20))
        sidebar.setFixedWidth(SIDEBAR_WIDTH)
        sidebar.setSpacing(2)
        for title, icon in SECTIONS:
            sidebar.addItem(QListWidgetItem(icons.get(icon), title))
        # The sections take the height they need; the saved segments the rest.
        rows = sidebar.sizeHintForRow(0) + sidebar.spacing() * 2
        sidebar.setFixedHeight(rows * len(SECTIONS) + 2 * sidebar.frameWidth() + 8)
        panel.setFixedWidth(SIDEBAR_WIDTH)

    def built(self, index: int) -> bool:
        """Whether a section built when first shown has been built."""
        return index in self._built

    def view(self, index: int) -> QWidget:
        """A later section's view, built now if it is not yet."""
        view = self._built.get(index)
        if view is None:
            view = self._built[index] = self._builders[index]()
            placeholder = self.stack.widget(index)
            current = self.stack.currentIndex()
            self.stack.insertWidget(index, view)
            if placeholder is not None:
                self.stack.removeWidget(placeholder)
                placeholder.deleteLater()
            self.stack.setCurrentIndex(current)
        return view

    @Slot(int)
    def show(self, row: int) -> None:
        if row in self._builders:
            self.view(row)
        self.stack.setCurrentIndex(row)
