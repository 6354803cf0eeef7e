"""Undo inverts this device's own change rows field by field; stamps are taken after the
write lock, so a save that waited behind an import is stamped after it."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.domain.changes import UndoConflictError
from crm_desktop.domain.records import ContactDraft, EmailEntry, PhoneEntry
from crm_desktop.persistence.records_map import insert_contacts


@pytest.fixture
def other(tmp_path: Path) -> Iterator[AppContext]:
    context = open_app(tmp_path / "other")
    yield context
    context.close()


def _shared_contact(app: AppContext, other: AppContext) -> str:
    draft = ContactDraft(
        first_name="Anna",
        last_name="Müller",
        emails=(EmailEntry("anna@lindenhof.de", "work"),),
        notes="first notes",
    )
    anna = app.contacts.create(draft).id
    other.changelog.apply(app.changelog.rows())
    return anna


def test_undo_keeps_an_edit_of_another_field_from_another_device(
    app: AppContext, other: AppContext
) -> None:
    anna = _shared_contact(app, other)
    draft = app.contacts.get(anna).to_draft()
    mine = app.contacts.update(
        anna,
        dataclasses.replace(draft, last_name="Meier", phones=(PhoneEntry("+49301234567", "work"),)),
    )
    theirs = other.contacts.get(anna).to_draft()
    other.contacts.update(anna, dataclasses.replace(theirs, notes="their notes"))
    app.changelog.apply(other.changelog.rows())
    app.contacts.revert(mine.changes)
    got = app.contacts.get(anna)
    assert (got.last_name, got.notes, got.phones) == ("Müller", "their notes", ())
    other.changelog.apply(app.changelog.rows())
    assert other.contacts.get(anna) == dataclasses.replace(
        got, updated_at=other.contacts.get(anna).updated_at
    )


def test_undo_of_a_field_changed_on_another_device_is_refused(
    app: AppContext, other: AppContext
) -> None:
    anna = _shared_contact(app, other)
    draft = app.contacts.get(anna).to_draft()
    mine = app.contacts.update(anna, dataclasses.replace(draft, notes="mine"))
    other.changelog.apply(app.changelog.rows())
    other.contacts.update(anna, dataclasses.replace(draft, notes="theirs, later"))
    app.changelog.apply(other.changelog.rows())
    before = app.changelog.rows()
    with pytest.raises(UndoConflictError, match="notes of this contact was changed on another"):
        app.contacts.revert(mine.changes)
    assert app.contacts.get(anna).notes == "theirs, later"
    assert app.changelog.rows() == before  # nothing written


def test_redo_is_the_undo_undone_and_a_creation_goes_to_the_trash(app: AppContext) -> None:
    saved = app.contacts.create(ContactDraft(first_name="Bob", last_name="Stone"))
    edit = app.contacts.update(
        saved.id, dataclasses.replace(app.contacts.get(saved.id).to_draft(), first_name="Rob")
    )
    undone = app.contacts.revert(edit.changes)
    assert app.contacts.get(saved.id).first_name == "Bob"
    app.contacts.revert(undone)
    assert app.contacts.get(saved.id).first_name == "Rob"
    app.contacts.revert(saved.changes)
    assert app.contacts.get(saved.id).deleted_at is not None


def test_the_window_command_undoes_an_edit_field_by_field(
    app: AppContext, other: AppContext
) -> None:
    from crm_desktop.gui.commands import SaveRecordCommand
    from crm_desktop.gui.events import EventHub

    anna = _shared_contact(app, other)
    before = app.contacts.get(anna).to_draft()
    command = SaveRecordCommand(
        "contact",
        app.contacts,
        EventHub(),
        dataclasses.replace(before, first_name="Anne"),
        anna,
        before,
    )
    command.redo()
    other.contacts.update(anna, dataclasses.replace(before, notes="theirs"))
    app.changelog.apply(other.changelog.rows())
    command.undo()
    assert (app.contacts.get(anna).first_name, app.contacts.get(anna).notes) == ("Anna", "theirs")
    command.redo()
    assert (app.contacts.get(anna).first_name, app.contacts.get(anna).notes) == ("Anne", "theirs")


def _drafts(count: int, prefix: str) -> list[ContactDraft]:
    return [ContactDraft(first_name=f"{prefix}{i}", last_name="Import") for i in range(count)]


@pytest.mark.sqlite_only  # SQLite's background writer / write lock
def test_a_save_waiting_behind_an_import_is_stamped_after_the_import(app: AppContext) -> None:
    trying = threading.Event()

    def on_begin(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The save is about to wait for the write lock.
        if threading.current_thread().name == "save" and statement == "BEGIN IMMEDIATE":
            trying.set()

    event.listen(app.database.engine, "before_cursor_execute", on_begin)
    errors: list[BaseException] = []

    def save() -> None:
        try:
            app.contacts.create(ContactDraft(first_name="Late", last_name="Saver"))
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    saver = threading.Thread(target=save, name="save")
    with app.uow() as uow:
        insert_contacts(uow, _drafts(50, "a"))  # the import holds the lock
        saver.start()
        assert trying.wait(timeout=60)
        # The save now waits for the lock; the import goes on stamping rows.
        insert_contacts(uow, _drafts(50, "b"))
        uow.commit()
    saver.join()
    event.remove(app.database.engine, "before_cursor_execute", on_begin)
    assert not errors
    mine = [r for r in app.changelog.rows() if r.device_id == app.database.device_id]
    stamps = [r.hlc for r in sorted(mine, key=lambda r: r.seq)]
    assert stamps == sorted(stamps)
    last_import = max(r.seq for r in mine if r.field == "*" and "Import" in (r.value or ""))
    save_rows = [r for r in mine if "Saver" in (r.value or "")]
    assert save_rows and save_rows[0].seq > last_import
