"""Icons only through `icons.get(name)`: SVGs from resources/icons, scaled for high DPI."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from crm_desktop.gui.resources import resource


@cache
def get(name: str) -> QIcon:
    path = resource("icons", f"{name}.svg")
    return QIcon(str(path)) if path.exists() else QIcon()


def app_icon() -> QIcon:
    return get("crm-desktop")
