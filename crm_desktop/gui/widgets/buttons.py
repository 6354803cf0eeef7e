"""Small widgets the views share."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton


def labelled_button(text: str) -> QPushButton:
    """A push button whose accessible name is its text."""
    button = QPushButton(text)
    button.setAccessibleName(text)
    return button
