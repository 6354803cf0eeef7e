"""The mail server campaigns send through: host, port, security, user, sender, throttle;
the password goes to the operating system's keyring, never to a file."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.mail import SmtpSettings
from crm_desktop.services.mail import SECURITY, MailService


class MailSettingsDialog(QDialog):
    def __init__(self, mail: MailService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Mail server")
        self.mail = mail
        current = mail.settings()
        self.host = QLineEdit(current.host, self)
        self.host.setPlaceholderText("smtp.example.com")
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.port.setValue(current.port)
        self.security = QComboBox(self)
        self.security.addItems(list(SECURITY))
        self.security.setCurrentText(current.security)
        self.user = QLineEdit(current.user, self)
        self.sender_edit = QLineEdit(current.sender, self)
        self.sender_edit.setPlaceholderText("Shop <shop@example.com>")
        self.per_minute = QSpinBox(self)
        self.per_minute.setRange(0, 10_000)
        self.per_minute.setValue(current.per_minute)
        self.per_minute.setSpecialValueText("no limit")
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("kept in the system keyring; empty: unchanged")
        self.error = QLabel(self)
        self.error.setStyleSheet("color:#d64545")
        self.error.setWordWrap(True)
        form = QFormLayout()
        for label, widget in (
            ("Server", self.host),
            ("Port", self.port),
            ("Security", self.security),
            ("User", self.user),
            ("Password", self.password),
            ("Sender", self.sender_edit),
            ("Messages a minute", self.per_minute),
        ):
            form.addRow(label, widget)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def save(self) -> None:
        settings = SmtpSettings(
            self.host.text().strip(),
            self.port.value(),
            self.security.currentText(),
            self.user.text().strip(),
            self.sender_edit.text().strip(),
            self.per_minute.value(),
        )
        try:
            self.mail.save_settings(settings, self.password.text() or None)
        except CrmError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
