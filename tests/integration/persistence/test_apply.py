"""Applying another device's change rows: no echo, idempotent, highest stamp wins, an
update before its insert, tombstones, search and derived columns follow."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.domain.changes import ChangeRow
from crm_desktop.domain.hlc import ClockDriftError
from crm_desktop.domain.records import ContactDraft, EmailEntry, ListQuery
from crm_desktop.persistence.wire import UnknownEntityError


@pytest.fixture
def other(tmp_path: Path) -> Iterator[AppContext]:
    context = open_app(tmp_path / "other")
    yield context
    context.close()


def _log(app: AppContext) -> list[tuple[object, ...]]:
    with app.database.engine.connect() as conn:
        return sorted(
            tuple(r)
            for r in conn.execute(text("SELECT device_id, seq, hlc, field, value FROM change"))
        )


def _anna(app: AppContext) -> str:
    draft = ContactDraft(
        first_name="Anna", last_name="Müller", emails=(EmailEntry("anna@lindenhof.de", "work"),)
    )
    return app.contacts.create(draft).id


def test_applied_rows_are_stored_as_received_and_never_echoed(
    app: AppContext, other: AppContext
) -> None:
    anna = _anna(app)
    sent = app.changelog.rows()
    result = other.changelog.apply(sent)
    assert result.stored == len(sent) and result.duplicates == 0
    assert other.contacts.get(anna).emails[0].email == "anna@lindenhof.de"
    theirs = {(r.device_id, r.seq, r.hlc, r.value) for r in other.changelog.rows()}
    # Every row as sent (device, seq, stamp), and not one row stamped by the receiver.
    assert {(r.device_id, r.seq, r.hlc, r.value) for r in sent} <= theirs
    assert other.database.device_id not in {r[0] for r in theirs}
    assert result.changes.ids("contacts") == {anna}


def test_a_duplicate_delivery_changes_nothing(app: AppContext, other: AppContext) -> None:
    _anna(app)
    sent = app.changelog.rows()
    other.changelog.apply(sent)
    before = _log(other)
    again = other.changelog.apply([*sent, *sent])
    assert (again.stored, again.duplicates) == (0, 2 * len(sent))
    assert _log(other) == before


def test_the_highest_stamp_wins_whatever_the_order(app: AppContext, other: AppContext) -> None:
    anna = _anna(app)
    other.changelog.apply(app.changelog.rows())
    draft = app.contacts.get(anna).to_draft()
    app.contacts.update(anna, dataclasses.replace(draft, notes="first"))
    other.contacts.update(anna, dataclasses.replace(draft, notes="second"))  # later stamp
    app.changelog.apply(other.changelog.rows())
    other.changelog.apply(app.changelog.rows())
    assert app.contacts.get(anna).notes == other.contacts.get(anna).notes == "second"


def test_an_update_before_its_insert_creates_the_row_and_the_insert_fills_it(
    app: AppContext, other: AppContext
) -> None:
    anna = _anna(app)
    draft = app.contacts.get(anna).to_draft()
    app.contacts.update(anna, dataclasses.replace(draft, notes="met at the fair"))
    rows = app.changelog.rows()
    edit = [r for r in rows if r.field == "notes"]
    inserts = [r for r in rows if r.field == "*"]
    other.changelog.apply(edit)
    assert other.contacts.get(anna).notes == "met at the fair"
    other.changelog.apply(inserts)
    got = other.contacts.get(anna)
    assert (got.first_name, got.notes) == ("Anna", "met at the fair")
    assert [e.email for e in got.emails] == ["anna@lindenhof.de"]


def test_a_list_entry_waits_for_its_contact(app: AppContext, other: AppContext) -> None:
    anna = _anna(app)
    rows = app.changelog.rows()
    email = [r for r in rows if r.entity == "contact_emails"]
    contact = [r for r in rows if r.entity == "contacts"]
    waiting = other.changelog.apply(email)
    assert waiting.pending == 1  # its contact does not exist here yet
    done = other.changelog.apply(contact)
    assert done.pending == 0
    got = other.contacts.get(anna)
    assert [e.email for e in got.emails] == ["anna@lindenhof.de"]
    assert other.search.search("lindenhof")  # indexed with its e-mail


def test_a_tombstone_beats_an_older_edit(app: AppContext, other: AppContext) -> None:
    anna = _anna(app)
    other.changelog.apply(app.changelog.rows())
    draft = other.contacts.get(anna).to_draft()
    other.contacts.update(anna, dataclasses.replace(draft, notes="edited"))
    app.contacts.delete([anna])  # later than the edit
    other.changelog.apply(app.changelog.rows())
    app.changelog.apply(other.changelog.rows())
    for device in (app, other):
        got = device.contacts.get(anna)
        assert got.deleted_at is not None and got.notes == "edited"
        assert anna not in device.contacts.ids(ListQuery())


def test_derived_columns_follow_both_edits(app: AppContext, other: AppContext) -> None:
    anna = _anna(app)
    other.changelog.apply(app.changelog.rows())
    draft = app.contacts.get(anna).to_draft()
    app.contacts.update(anna, dataclasses.replace(draft, first_name="Anne"))
    other.contacts.update(anna, dataclasses.replace(draft, last_name="Meier"))
    app.changelog.apply(other.changelog.rows())
    other.changelog.apply(app.changelog.rows())
    for device in (app, other):
        with device.database.engine.connect() as conn:
            sort_name = conn.execute(
                text("SELECT sort_name FROM contacts WHERE id = :i"), {"i": anna}
            ).scalar_one()
        assert sort_name == "meier anne"
        assert anna in {h.id for h in device.search.search("anne meier")}


def test_derived_columns_are_not_recorded(app: AppContext) -> None:
    anna = _anna(app)
    draft = app.contacts.get(anna).to_draft()
    app.contacts.update(anna, dataclasses.replace(draft, last_name="Meier"))
    rows = app.changelog.rows()
    assert {r.field for r in rows} == {"*", "last_name"}
    created = json.loads(next(r.value for r in rows if r.entity == "contacts") or "{}")
    assert not {"sort_name", "email", "phone", "company_id", "title", "city"} & set(created)


def test_a_stamp_from_the_future_is_refused_and_nothing_applied(
    app: AppContext, other: AppContext
) -> None:
    _anna(app)
    rows = app.changelog.rows()
    future = [dataclasses.replace(r, hlc="f" * 13 + r.hlc[13:]) for r in rows]
    with pytest.raises(ClockDriftError):
        other.changelog.apply(future)
    assert other.changelog.rows() == []


def test_a_newer_apps_entity_is_refused(other: AppContext) -> None:
    row = ChangeRow("dev", 1, "0000000000001-0000-dev", "holograms", "x", "*", "{}")
    with pytest.raises(UnknownEntityError, match="newer version"):
        other.changelog.apply([row])


def test_a_local_edit_after_an_apply_is_stamped_after_what_was_received(
    app: AppContext, other: AppContext, tmp_path: Path
) -> None:
    anna = _anna(app)
    other.changelog.apply(app.changelog.rows())
    newest = max(r.hlc for r in other.changelog.rows())
    other.close()
    reopened = open_app(tmp_path / "other")  # the clock starts past what it received
    try:
        draft = reopened.contacts.get(anna).to_draft()
        reopened.contacts.update(anna, dataclasses.replace(draft, notes="later"))
        mine = [r for r in reopened.changelog.rows() if r.field == "notes"]
        assert mine and mine[0].hlc > newest
    finally:
        reopened.close()


def test_a_tag_made_on_two_devices_is_one_tag(app: AppContext, other: AppContext) -> None:
    app.contacts.create(ContactDraft(first_name="Anna", last_name="A", tags=("VIP",)))
    other.contacts.create(ContactDraft(first_name="Bob", last_name="B", tags=("vip",)))
    app.changelog.apply(other.changelog.rows())
    other.changelog.apply(app.changelog.rows())
    for device in (app, other):
        with device.database.engine.connect() as conn:
            tags = conn.execute(text("SELECT id FROM tags")).scalars().all()
            tagged = conn.execute(text("SELECT count(*) FROM taggings")).scalar_one()
        assert len(tags) == 1 and tagged == 2
