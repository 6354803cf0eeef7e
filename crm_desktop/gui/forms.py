"""Designer forms from ui/*.ui, loaded through one helper; a view keeps its form as `ui`.

A form drawn as a QDialog in Designer is loaded *into* our dialog: the dialog itself is
the form's top widget, so its widgets, layout and keys (Escape, Enter) are the dialog's,
not those of a second dialog nested inside it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QFile, QIODevice
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import QWidget

from crm_desktop.gui.resources import ui_file
from crm_desktop.gui.widgets.date_edit import BirthdayEdit, OptionalDateEdit

# Promoted widgets the forms may use (<customwidgets> in the .ui), made by our classes.
CUSTOM_WIDGETS: dict[str, type[QWidget]] = {
    "OptionalDateEdit": OptionalDateEdit,
    "BirthdayEdit": BirthdayEdit,
}


class Form:
    """Named children of a loaded form: `form.firstName` is the widget of that name."""

    def __init__(self, root: QWidget) -> None:
        self.root = root

    def __getattr__(self, name: str) -> Any:
        child = self.root.findChild(QWidget, name)
        if child is None:
            raise AttributeError(f"the form {self.root.objectName()} has no widget {name}")
        return child


class _Loader(QUiLoader):
    """Builds the form's top widget as `base` (when given) and our promoted widgets."""

    def __init__(self, base: QWidget | None) -> None:
        super().__init__()
        self._base = base

    def createWidget(
        self,
        className: str,
        parent: QWidget | None = None,
        name: str = "",
    ) -> QWidget:
        if parent is None and self._base is not None:
            base, self._base = self._base, None
            return base
        custom = CUSTOM_WIDGETS.get(className)
        if custom is not None:
            widget = custom(parent)
            widget.setObjectName(name)
            return widget
        created: QWidget = super().createWidget(className, parent, name)
        return created


def _read(name: str, loader: _Loader, parent: QWidget | None) -> QWidget:
    path = ui_file(name)
    device = QFile(str(path))
    if not device.open(QIODevice.OpenModeFlag.ReadOnly):
        raise FileNotFoundError(f"form {path} is missing")
    try:
        root = loader.load(device, parent)
    finally:
        device.close()
    if root is None:
        raise RuntimeError(f"form {path} could not be read: {loader.errorString()}")
    return root


def load(name: str, parent: QWidget | None = None) -> Form:
    """A form as a new widget (a child of `parent` when given)."""
    return Form(_read(name, _Loader(None), parent))


def load_into(name: str, widget: QWidget) -> Form:
    """A form built on `widget` itself: its layout and children become the widget's."""
    root = _read(name, _Loader(widget), None)
    if root is not widget:
        raise RuntimeError(f"form {name} was not built on {widget.objectName()}")
    return Form(widget)
