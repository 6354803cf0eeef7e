"""Settings › Database: which database this device opens (the local file or a PostgreSQL
server), with a button that tries a server before switching to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from crm_desktop.domain.errors import CrmError
from crm_desktop.gui.widgets.buttons import labelled_button
from crm_desktop.services import databases

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext


class DatabaseBox(QGroupBox):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Database", parent)
        self.context = context
        self.current = QLabel(self)
        self.current.setWordWrap(True)
        self.current.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("postgresql://you@server/crm")
        self.url.setAccessibleName("Server address")
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("kept in the system's keyring")
        self.password.setAccessibleName("Server password")
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.test = labelled_button("Test connection")
        self.use = labelled_button("Use this server")
        self.local = labelled_button("Use the local file")
        self.test.clicked.connect(self.try_server)
        self.use.clicked.connect(self.use_server)
        self.local.clicked.connect(self.use_local)
        form = QFormLayout(self)
        form.addRow(self.current)
        form.addRow("Server", self.url)
        form.addRow("Password", self.password)
        buttons = QHBoxLayout()
        for button in (self.test, self.use, self.local):
            buttons.addWidget(button)
        buttons.addStretch(1)
        form.addRow(buttons)
        form.addRow(self.result)
        self.show_current()

    def show_current(self) -> None:
        database = self.context.database
        if database.path is not None:
            text = f"This device opens the local file {database.path}."
        else:
            text = f"This device opens the server {databases.redact(str(database.engine.url))}."
        self.current.setText(text)

    def try_server(self) -> bool:
        try:
            line = databases.check_connection(self.url.text(), self.password.text())
        except CrmError as exc:
            self.result.setText(str(exc))
            return False
        self.result.setText(line)
        return True

    def use_server(self) -> None:
        if not self.try_server():
            return
        try:
            databases.choose(self.context.paths.preferences, self.url.text(), self.password.text())
        except CrmError as exc:
            self.result.setText(str(exc))
            return
        self.password.clear()
        self.result.setText(
            self.result.text() + ". crm-desktop opens it from the next start; "
            "to bring this device's data along, use `crm-desktop move-to` first."
        )

    def use_local(self) -> None:
        databases.choose(self.context.paths.preferences, "")
        self.result.setText("crm-desktop opens the local file from the next start.")
