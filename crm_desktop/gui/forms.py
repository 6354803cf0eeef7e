"""Designer forms from ui/*.ui, loaded through one helper; a view keeps its form as `ui`."""

from __future__ import annotations

from typing import Any, TypeVar

from PySide6.QtCore import QFile, QIODevice, Qt
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import QWidget

from crm_desktop.gui.resources import ui_file

W = TypeVar("W", bound=QWidget)


class Form:
    """Named children of a loaded form: `form.firstName` is the widget of that name."""

    def __init__(self, root: QWidget) -> None:
        self.root = root

    def __getattr__(self, name: str) -> Any:
        child = self.root.findChild(QWidget, name)
        if child is None:
            raise AttributeError(f"the form {self.root.objectName()} has no widget {name}")
        return child


def load(name: str, parent: QWidget | None = None) -> Form:
    path = ui_file(name)
    device = QFile(str(path))
    if not device.open(QIODevice.OpenModeFlag.ReadOnly):
        raise FileNotFoundError(f"form {path} is missing")
    try:
        root = QUiLoader().load(device, parent)
    finally:
        device.close()
    if parent is not None:
        # Forms are drawn as dialogs in Designer; here they live inside our own dialog.
        root.setWindowFlags(Qt.WindowType.Widget)
    return Form(root)
