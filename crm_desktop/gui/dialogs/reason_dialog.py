"""Why was a deal won or lost: one small dialog with the configured reasons and a note
(instead of two prompts in a row)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QWidget,
)

from crm_desktop.domain.pipeline import ReasonRecord


class ReasonDialog(QDialog):
    def __init__(
        self, kind: str, reasons: Sequence[ReasonRecord], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Deal {kind}")
        layout = QFormLayout(self)
        self.reason = QComboBox(self)
        self.reason.setAccessibleName(f"{kind.capitalize()} reason")
        for reason in reasons:
            self.reason.addItem(reason.label, reason.id)
        self.note = QLineEdit(self)
        self.note.setAccessibleName("Note")
        self.note.setPlaceholderText("Optional")
        layout.addRow(f"Why was it {kind}?", self.reason)
        layout.addRow("Note", self.note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(f"Mark {kind}")
        ok.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addRow(buttons)
        self.reason.setFocus()


def ask_reason(
    parent: QWidget, kind: str, reasons: Sequence[ReasonRecord]
) -> tuple[str, str] | None:
    """(reason id, note) for a deal marked won or lost; None when the user cancels.
    (Tests replace this function.)"""
    dialog = ReasonDialog(kind, reasons, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return str(dialog.reason.currentData()), dialog.note.text().strip()
