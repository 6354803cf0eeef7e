"""Undo inverts this device's own change rows field by field (SYNC.md point 15): whatever
fields each device edits, an undo keeps the other device's edits of other fields, and is
refused, changing nothing, when the other device changed one of the same fields since."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_desktop.domain.changes import UndoConflictError
from crm_desktop.domain.records import ContactDraft, EmailEntry
from tests.sync.conftest import Device

FIELDS = ("first_name", "last_name", "notes", "email")
ORIGINAL = {"first_name": "Anna", "last_name": "Müller", "notes": "", "email": "anna@x.de"}
EDITS = st.dictionaries(
    st.sampled_from(FIELDS), st.sampled_from(["Bea", "Carl", "Dora", "e@y.org"]), max_size=4
)


def _with(draft: ContactDraft, values: dict[str, str]) -> ContactDraft:
    for key, value in values.items():
        if key == "email":
            email = value if "@" in value else f"{value.lower()}@y.org"
            draft = dataclasses.replace(draft, emails=(EmailEntry(email, "work"),))
        else:
            draft = dataclasses.replace(draft, **{key: value})
    return draft


def _fields(device: Device, contact_id: str) -> dict[str, str]:
    got = device.contacts.get(contact_id)
    email = got.emails[0].email if got.emails else ""
    return {"first_name": got.first_name, "last_name": got.last_name, "notes": got.notes,
            "email": email}  # fmt: skip


def _effective(values: dict[str, str]) -> set[str]:
    """The fields an edit really changes (an equal value records nothing)."""
    drafted = _with(_draft(), values)
    return {
        f
        for f in FIELDS
        if (drafted.emails[0].email if f == "email" else getattr(drafted, f)) != ORIGINAL[f]
    }


def _draft() -> ContactDraft:
    return ContactDraft(
        first_name="Anna", last_name="Müller", emails=(EmailEntry("anna@x.de", "work"),)
    )


@settings(max_examples=200, deadline=None)
@given(mine=EDITS, theirs=EDITS, seed=st.integers(0, 2**32 - 1))
def test_undo_keeps_remote_edits_and_refuses_over_them(
    template: Path, mine: dict[str, str], theirs: dict[str, str], seed: int
) -> None:
    rnd = random.Random(seed)
    a, b = Device(template, "a"), Device(template, "b")
    try:
        contact = a.contacts.create(_draft()).id
        b.receive(a.rows())
        edit = a.contacts.update(contact, _with(_draft(), mine))
        b.receive(a.rows())  # b has seen a's edit: its own comes after it
        b.contacts.update(contact, _with(_draft(), {**mine, **theirs}))
        rows = b.rows()
        rows += rnd.sample(rows, len(rows) // 2)
        rnd.shuffle(rows)
        a.receive(rows)
        after_merge = _fields(a, contact)
        overlap = _effective(mine) & {
            f for f in _effective({**mine, **theirs}) if f in theirs and theirs[f] != mine.get(f)
        }
        if overlap:
            with pytest.raises(UndoConflictError, match="changed on another device since"):
                a.contacts.revert(edit.changes)
            assert _fields(a, contact) == after_merge
            return
        a.contacts.revert(edit.changes)
        got = _fields(a, contact)
        for field in FIELDS:
            if field in _effective(mine):
                assert got[field] == ORIGINAL[field]  # my edit undone
            else:
                assert got[field] == after_merge[field]  # theirs (or the original) kept
    finally:
        a.close()
        b.close()
