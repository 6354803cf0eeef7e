"""QApplication and the main window shell."""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
)

from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.records import ListQuery
from crm_desktop.gui.models.contacts import CompanyTableModel, ContactTableModel
from crm_desktop.gui.views.lists import ListView

SECTIONS = ("Contacts", "Companies", "Pipeline", "Calendar", "Reports", "Settings")


class MainWindow(QMainWindow):
    def __init__(self, context: Any) -> None:
        super().__init__()
        self.context = context
        self.setWindowTitle("crm-desktop")
        self.resize(QSize(1280, 800))
        self.contacts_model = ContactTableModel(context.contacts, self)
        self.companies_model = CompanyTableModel(context.companies, self)
        self.sidebar = QListWidget(self)
        self.sidebar.setAccessibleName("Sections")
        self.sidebar.addItems(SECTIONS)
        self.sidebar.setFixedWidth(180)
        self.stack = QStackedWidget(self)
        self.contacts_view = ListView(self.contacts_model, "contacts", self)
        self.companies_view = ListView(self.companies_model, "companies", self)
        self.stack.addWidget(self.contacts_view)
        self.stack.addWidget(self.companies_view)
        for name in SECTIONS[2:]:
            label = QLabel(f"{name} arrives in a coming release.", self)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.stack.addWidget(label)
        splitter = QSplitter(self)
        splitter.addWidget(self.sidebar)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)
        self.sidebar.currentRowChanged.connect(self.stack.setCurrentIndex)
        self._menus()
        self.contacts_model.set_query(ListQuery())
        self.companies_model.set_query(ListQuery())
        self.sidebar.setCurrentRow(0)
        self.statusBar().showMessage(
            f"{context.database_label} · {self.contacts_model.rowCount():,} contacts"
        )

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        find = QAction("&Find", self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(self.contacts_view.search.setFocus)
        self.addAction(find)


def run_window(data_dir: str | None, database_url: str | None) -> int:
    """Open the main window; returns the process exit code."""
    from crm_desktop.bootstrap import open_app

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("crm-desktop")
    QGuiApplication.setDesktopFileName("crm-desktop")
    try:
        context = open_app(data_dir, database_url)
    except CrmError as exc:
        QMessageBox.critical(None, "crm-desktop", str(exc))
        print(f"crm-desktop: {exc}", file=sys.stderr)
        return 1
    window = MainWindow(context)
    window.show()
    try:
        return int(app.exec())
    finally:
        context.close()
