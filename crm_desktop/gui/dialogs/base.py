"""What every editor shares: its Designer form inside the dialog, the owner picker, and
Save that refuses with a readable message instead of closing on bad input."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QDialog, QVBoxLayout, QWidget

from crm_desktop.domain.errors import CrmError
from crm_desktop.gui import forms


class FormDialog(QDialog):
    """Subclasses provide `draft()`, which raises CrmError when the input is wrong."""

    def __init__(self, form: str, title: str, context: Any, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.context = context
        self.ui = forms.load(form, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.ui.root)
        self.setWindowTitle(title)
        self.resize(self.ui.root.size())

    def fill_owners(self, combo: QComboBox) -> None:
        combo.addItem("(nobody)", None)
        for user in self.context.users.list():
            combo.addItem(user.name, user.id)

    def connect_buttons(self) -> None:
        self.ui.buttons.accepted.connect(self._accept)
        self.ui.buttons.rejected.connect(self.reject)

    def draft(self) -> Any:
        raise NotImplementedError

    def _accept(self) -> None:
        try:
            self.draft()
        except CrmError as exc:
            self.ui.errorLabel.setText(f"<b>Cannot save:</b> {exc}")
            self.ui.errorLabel.setVisible(True)
            return
        self.accept()
