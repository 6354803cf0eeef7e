"""What every editor shares: its Designer form built on the dialog itself, the owner
picker, safe keys (Escape cancels and asks before dropping typed data, Enter and
Ctrl+Enter save, focus starts in the first field), and Save that refuses with a readable
message pointing at the field (and its tab) instead of closing on bad input."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTabWidget,
    QWidget,
)

from crm_desktop.domain.errors import CrmError
from crm_desktop.gui import forms

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext

_RETURN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class FieldError(CrmError):
    """Input that cannot be saved, with the widget where it was typed."""

    def __init__(self, widget: QWidget, message: str) -> None:
        super().__init__(message)
        self.widget = widget


def ask_discard(parent: QWidget) -> bool:
    """Drop what was typed? (Tests replace this function.)"""
    answer = QMessageBox.question(
        parent,
        parent.windowTitle(),
        "Discard changes?\n\nWhat you typed in this editor will be lost.",
        QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Discard


def _state(widget: QWidget) -> Any:
    """What a user could have changed in an input widget (None for other widgets)."""
    if isinstance(widget, QLineEdit) and not isinstance(widget.parent(), QAbstractSpinBox):
        return widget.text()
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QComboBox):
        return (widget.currentIndex(), widget.currentText())
    if isinstance(widget, QDateTimeEdit):
        return widget.dateTime().toString(Qt.DateFormat.ISODate)
    if isinstance(widget, QAbstractSpinBox):
        return widget.text()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QTableWidget):
        return [
            [_text(widget, r, c) for c in range(widget.columnCount())]
            for r in range(widget.rowCount())
        ]
    return None


def _text(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text() if item is not None else ""


class FormDialog(QDialog):
    """Subclasses provide `draft()`, which raises CrmError (FieldError where a field is to
    blame) when the input is wrong, set `first_field`, and call `connect_buttons()` last."""

    def __init__(self, form: str, title: str, context: AppContext, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.context = context
        self.ui = forms.load_into(form, self)
        self.setWindowTitle(title)
        self.first_field: QWidget | None = None
        self._clean: dict[int, tuple[QWidget, Any]] = {}
        self._asked = False
        for name in ("errorLabel", "duplicateWarning"):
            label = self.findChild(QLabel, name)
            if label is not None:
                self._reserve(label)

    # ---- set-up shared by the editors -----------------------------------------------------

    def fill_owners(self, combo: QComboBox) -> None:
        combo.addItem("(nobody)", None)
        for user in self.context.users.list():
            combo.addItem(user.name, user.id)

    def connect_buttons(self) -> None:
        """The last step of a subclass's set-up: wires Save/Cancel and the keys, and takes
        the state that counts as "nothing typed yet"."""
        buttons: QDialogButtonBox = self.ui.buttons
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        save = buttons.button(QDialogButtonBox.StandardButton.Save)
        # Enter saves: buttons in the form ("Add e-mail", "Add line") must never become
        # the default button when clicked, as Qt's auto-default ones do in a dialog.
        for button in self.findChildren(QPushButton):
            if buttons.isAncestorOf(button):
                continue
            button.setAutoDefault(False)
            button.setDefault(False)
        if save is not None:
            save.setDefault(True)
        for widget in self.findChildren(QWidget):
            self._watch(widget)
        self.mark_clean()

    def _watch(self, widget: QWidget) -> None:
        """Any edit clears a stale "Cannot save" message; Ctrl+Enter saves from a
        multi-line field (where Enter is a new line)."""
        if isinstance(widget, QPlainTextEdit):
            widget.installEventFilter(self)
            widget.textChanged.connect(self._edited)
        elif isinstance(widget, QLineEdit):
            widget.installEventFilter(self)
            widget.textEdited.connect(self._edited)
        elif isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(self._edited)
        elif isinstance(widget, QTableWidget):
            widget.installEventFilter(self)
            widget.itemChanged.connect(self._edited)
        elif isinstance(widget, QAbstractButton) and widget.isCheckable():
            widget.toggled.connect(self._edited)
        elif isinstance(widget, QDateTimeEdit):
            widget.dateTimeChanged.connect(self._edited)
        elif isinstance(widget, QSpinBox):
            widget.valueChanged.connect(self._edited)

    @staticmethod
    def _reserve(label: QLabel) -> None:
        """Messages get a fixed place of two lines, so Save and Cancel never jump when a
        warning comes or goes; the whole text is in the tooltip."""
        label.setWordWrap(True)
        label.setFixedHeight(2 * label.fontMetrics().lineSpacing() + 4)
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        policy = label.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        label.setSizePolicy(policy)

    # ---- changes since the editor opened --------------------------------------------------

    def _snapshot(self) -> dict[int, tuple[QWidget, Any]]:
        state: dict[int, tuple[QWidget, Any]] = {}
        for widget in self.findChildren(QWidget):
            if widget.objectName().startswith("qt_"):  # parts of Qt's own widgets
                continue
            value = _state(widget)
            if value is not None:
                state[id(widget)] = (widget, value)
        return state

    def mark_clean(self) -> None:
        """What the form shows now counts as unchanged."""
        self._clean = self._snapshot()

    def is_modified(self) -> bool:
        """Whether an input differs from when the editor opened (or was marked clean)."""
        return any(_state(widget) != value for widget, value in self._clean.values())

    def _edited(self, *_args: object) -> None:
        label = self.findChild(QLabel, "errorLabel")
        if label is not None and label.isVisible():
            label.setVisible(False)

    # ---- keys ------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.first_field is not None and not event.spontaneous():
            self.first_field.setFocus(Qt.FocusReason.OtherFocusReason)
            if isinstance(self.first_field, QLineEdit):
                self.first_field.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
            if event.key() in _RETURN_KEYS and ctrl:
                self._accept()
                return True
        return super().eventFilter(watched, event)

    def reject(self) -> None:
        """Escape, Cancel and the window's close button: ask before dropping typed data."""
        if self.is_modified() and not self._asked:
            if not ask_discard(self):
                return
            self._asked = True
        super().reject()

    def discard(self) -> None:
        """Close without saving and without asking."""
        self._asked = True
        super().reject()

    # ---- saving ------------------------------------------------------------------------------

    def draft(self) -> Any:
        raise NotImplementedError

    def field_for(self, error: CrmError) -> QWidget | None:
        """The field a plain CrmError from the draft's own checks is about (if known)."""
        if isinstance(error, FieldError):
            return error.widget
        return None

    def show_problem(self, error: CrmError) -> None:
        """ "Cannot save" with the reason; the field to blame is shown (its tab brought to
        the front) and focused."""
        self.ui.errorLabel.setText(f"<b>Cannot save:</b> {error}")
        self.ui.errorLabel.setToolTip(str(error))
        self.ui.errorLabel.setVisible(True)
        widget = self.field_for(error)
        if widget is None:
            return
        child: QWidget = widget
        parent = child.parentWidget()
        while parent is not None and parent is not self:
            grand = parent.parentWidget()
            tabs = grand.parentWidget() if grand is not None else None
            if isinstance(tabs, QTabWidget) and tabs.indexOf(parent) >= 0:
                tabs.setCurrentWidget(parent)
            child, parent = parent, grand
        widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def _accept(self) -> None:
        try:
            self.check()
        except CrmError as exc:
            self.show_problem(exc)
            return
        self.accept()

    def check(self) -> None:
        """Raise CrmError when the input cannot be saved (the draft's checks by default)."""
        self.draft()
