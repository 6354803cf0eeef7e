"""The window asks before saving over someone else's change, showing both values."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import ContactDraft
from crm_desktop.gui.commands import SaveRecordCommand
from crm_desktop.gui.main_window import MainWindow


@pytest.mark.parametrize(
    "answer", [QMessageBox.StandardButton.Save, QMessageBox.StandardButton.Cancel]
)
def test_both_values_are_shown_and_the_person_decides(
    window: MainWindow, app: AppContext, monkeypatch: pytest.MonkeyPatch, answer: Any
) -> None:
    saved = app.contacts.create(ContactDraft(first_name="Anna", last_name="Müller", notes="a"))
    opened = app.contacts.draft_of(saved.id)
    app.contacts.update(saved.id, replace(opened, notes="theirs"))
    asked: list[str] = []

    def question(_parent: object, _title: str, text: str, *_args: object) -> Any:
        asked.append(text)
        return answer

    monkeypatch.setattr(QMessageBox, "question", question)
    command = SaveRecordCommand(
        "contact", app.contacts, window.hub, replace(opened, notes="mine"), saved.id, opened
    )
    done = window.host.run_command(command)
    assert asked and "theirs “theirs”, yours “mine”" in asked[0]
    expected = "mine" if answer == QMessageBox.StandardButton.Save else "theirs"
    assert app.contacts.get(saved.id).notes == expected
    assert done == (answer == QMessageBox.StandardButton.Save)
    assert window.undo_stack.count() == (1 if done else 0)
