"""Settings › E-mail account: the mailbox read for the timeline (server, port, security,
user; the folders chosen from the server's own list; how often), the password kept in
the operating system's keyring, never in a file; "Check mail now" and what the last read
found."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QWidget,
)

from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.mail import ImapSettings
from crm_desktop.gui.tasks import TaskRunner
from crm_desktop.gui.widgets.buttons import labelled_button

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext

DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}


class MailAccountBox(QGroupBox):
    saved = Signal()  # the account was saved: read by the new settings
    check_requested = Signal()  # "Check mail now"

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("E-mail account", parent)
        self.setObjectName("mail_account")
        self.context = context
        self.runner: TaskRunner = TaskRunner(self)  # the window gives its own
        self.host = QLineEdit(self)
        self.host.setPlaceholderText("imap.example.com")
        self.host.setAccessibleName("Mail server")
        self.security = QComboBox(self)
        self.security.setAccessibleName("Security")
        for label, value in (("SSL/TLS", "ssl"), ("STARTTLS", "starttls"), ("None", "none")):
            self.security.addItem(label, value)
        self.port = QSpinBox(self)
        self.port.setAccessibleName("Port")
        self.port.setRange(1, 65535)
        self.user = QLineEdit(self)
        self.user.setAccessibleName("User")
        self.password = QLineEdit(self)
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.folders = QListWidget(self)
        self.folders.setAccessibleName("Folders to read")
        self.folders.setMaximumHeight(110)
        self.every = QSpinBox(self)
        self.every.setAccessibleName("Read every")
        self.every.setRange(0, 1440)
        self.every.setSuffix(" min")
        self.every.setSpecialValueText("only by hand")
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.load_button = labelled_button("Load folders")
        self.save_button = labelled_button("Save")
        self.check_button = labelled_button("Check mail now")
        self.load_button.clicked.connect(self.load_folders)
        self.save_button.clicked.connect(self.save)
        self.check_button.clicked.connect(self.check_requested)
        self.security.activated.connect(self._security_chosen)
        server = QHBoxLayout()
        server.addWidget(self.host, 1)
        server.addWidget(self.security)
        server.addWidget(self.port)
        form = QFormLayout(self)
        form.addRow("Server", server)
        form.addRow("User", self.user)
        form.addRow("Password", self.password)
        form.addRow("Folders", self.folders)
        form.addRow("Read every", self.every)
        buttons = QHBoxLayout()
        for button in (self.load_button, self.save_button, self.check_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        form.addRow(buttons)
        form.addRow(self.result)
        self.reload()

    # ---- showing ------------------------------------------------------------------------------

    def reload(self) -> None:
        imap = self.context.imap
        s = imap.settings()
        self.host.setText(s.host)
        self.security.setCurrentIndex(max(self.security.findData(s.security), 0))
        self.port.setValue(s.port)
        self.user.setText(s.user)
        self.every.setValue(s.every_minutes)
        self.set_folders(list(s.folders), set(s.folders))
        self.password.clear()
        self.password.setPlaceholderText(
            "kept in the system keyring; empty: unchanged"
            if s.configured and imap.has_password(s)
            else "kept in the system keyring, never in a file"
        )

    def set_folders(self, names: list[str], chosen: set[str]) -> None:
        self.folders.clear()
        for name in [*names, *sorted(chosen - set(names))]:
            item = QListWidgetItem(name, self.folders)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)

    def chosen_folders(self) -> tuple[str, ...]:
        items = (self.folders.item(i) for i in range(self.folders.count()))
        return tuple(i.text() for i in items if i.checkState() == Qt.CheckState.Checked)

    def show_status(self, text: str) -> None:
        self.result.setText(text)

    def _security_chosen(self, _index: int) -> None:
        if self.port.value() in DEFAULT_PORTS.values():
            self.port.setValue(DEFAULT_PORTS[self.security.currentData()])

    # ---- actions ------------------------------------------------------------------------------

    def settings(self) -> ImapSettings:
        return ImapSettings(
            self.host.text().strip(),
            self.port.value(),
            self.security.currentData(),
            self.user.text().strip(),
            self.chosen_folders() or ("INBOX",),
            self.every.value(),
        )

    def load_folders(self) -> None:
        """Ask the server for its folders (in the background), with the password typed
        or the keyring's; the folders chosen stay chosen."""
        settings = self.settings()
        if not settings.configured:
            self.show_status("Give the server and the user first.")
            return
        typed = self.password.text() or None
        chosen = set(self.chosen_folders())
        self.show_status(f"Asking {settings.host} for its folders…")

        def done(names: list[str]) -> None:
            self.set_folders(names, chosen & set(names) or {"INBOX"} & set(names))
            self.show_status(f"{len(names)} folders on {settings.host}: tick those to read.")

        self.runner.submit(
            "Listing mail folders",
            lambda _progress: self.context.imap.folders(settings, typed),
            done,
            lambda error: self.show_status("Folders not loaded: " + error.splitlines()[0]),
        )

    def save(self) -> bool:
        try:
            self.context.imap.save_settings(self.settings(), self.password.text() or None)
        except CrmError as exc:
            self.show_status(str(exc).splitlines()[0])
            return False
        self.reload()
        self.show_status("E-mail account saved.")
        self.saved.emit()
        return True
