"""Saving over someone else's change (on either database): the editor's command keeps
what the other person changed in fields this person left alone, and refuses to write
over a field both changed until this person says so."""

from __future__ import annotations

from dataclasses import replace

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.edits import EditConflictError
from crm_desktop.domain.records import ContactDraft
from crm_desktop.gui.commands import SaveRecordCommand
from crm_desktop.gui.events import EventHub


def _contact(app: AppContext) -> tuple[str, ContactDraft]:
    saved = app.contacts.create(ContactDraft(first_name="Anna", last_name="Müller", notes="Bonn"))
    return saved.id, app.contacts.draft_of(saved.id)


def test_their_other_fields_are_kept(app: AppContext, qtbot: object) -> None:
    contact_id, opened = _contact(app)
    app.contacts.update(contact_id, replace(opened, last_name="Müller-Lang"))  # someone else
    command = SaveRecordCommand(
        "contact", app.contacts, EventHub(), replace(opened, notes="Köln"), contact_id, opened
    )
    command.redo()
    now = app.contacts.get(contact_id)
    assert (now.last_name, now.notes) == ("Müller-Lang", "Köln")


def test_a_field_both_changed_is_refused_until_chosen(app: AppContext, qtbot: object) -> None:
    contact_id, opened = _contact(app)
    app.contacts.update(contact_id, replace(opened, notes="Berlin"))  # someone else
    command = SaveRecordCommand(
        "contact", app.contacts, EventHub(), replace(opened, notes="Köln"), contact_id, opened
    )
    with pytest.raises(EditConflictError) as refused:
        command.redo()
    assert "theirs “Berlin”, yours “Köln”" in str(refused.value)
    assert app.contacts.get(contact_id).notes == "Berlin"  # nothing overwritten
    command.save_over(refused.value.current)
    command.redo()
    assert app.contacts.get(contact_id).notes == "Köln"
