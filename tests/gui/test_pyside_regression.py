"""PySide6 6.12.0 on Python 3.11 aborts after ~5,000 calls of a Qt method returning nothing
(`Fatal Python error: none_dealloc`). We pin 6.11.x; this test fails loudly if a release
with that bug comes back."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel


def test_twenty_thousand_calls_of_a_void_qt_method(qtbot: Any) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    for i in range(20_000):
        label.setText(str(i))  # returns None
        label.setEnabled(i % 2 == 0)  # returns None
    assert label.text() == "19999"
    assert not label.isEnabled()
