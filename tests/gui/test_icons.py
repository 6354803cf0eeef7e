"""Icons: a selected item draws its icon in white (not blue on the blue highlight)."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QIcon

from crm_desktop.gui import icons


def _ink(icon: QIcon, mode: QIcon.Mode) -> set[tuple[int, int, int]]:
    image = icon.pixmap(24, 24, mode).toImage()
    found = set()
    for x in range(image.width()):
        for y in range(image.height()):
            color = image.pixelColor(x, y)
            if color.alpha() > 200:
                found.add((color.red(), color.green(), color.blue()))
    return found


def test_selected_icons_are_white_and_normal_ones_blue(qapp: Any) -> None:
    icon = icons.get("pipeline")
    assert (255, 255, 255) in _ink(icon, QIcon.Mode.Selected)
    assert (255, 255, 255) not in _ink(icon, QIcon.Mode.Normal)


def test_every_menu_icon_exists() -> None:
    for name in ("import", "export", "backup", "tag", "owner", "merge", "help", "keyboard"):
        assert not icons.get(name).isNull(), name
