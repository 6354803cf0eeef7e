"""Two people editing one record: conflicts are fields both changed to different values;
a field only the other changed is kept, a field only this person changed is saved."""

from __future__ import annotations

from crm_desktop.domain.edits import EditConflictError, FieldConflict, edit_conflicts, merged
from crm_desktop.domain.records import ContactDraft, EmailEntry


def test_only_a_field_both_changed_differently_is_a_conflict() -> None:
    opened = ContactDraft(first_name="Anna", last_name="Müller", lead_source="Buyer", notes="Bonn")
    theirs = ContactDraft(
        first_name="Anna", last_name="Müller-Lang", lead_source="Head buyer", notes="Bonn"
    )
    mine = ContactDraft(
        first_name="Anna", last_name="Müller", lead_source="Chief buyer", notes="Köln"
    )
    assert edit_conflicts(opened, theirs, mine) == (
        FieldConflict("lead_source", "Head buyer", "Chief buyer"),
    )
    # the same new value on both sides is no conflict
    same = ContactDraft(
        first_name="Anna", last_name="Müller", lead_source="Head buyer", notes="Bonn"
    )
    assert edit_conflicts(opened, theirs, same) == ()


def test_merged_keeps_their_other_fields_and_my_changes() -> None:
    opened = ContactDraft(first_name="Anna", last_name="Müller", notes="Bonn")
    theirs = ContactDraft(
        first_name="Anna", last_name="Müller-Lang", notes="Bonn", emails=(EmailEntry("a@x.de"),)
    )
    mine = ContactDraft(first_name="Anna", last_name="Müller", notes="Köln")
    result = merged(opened, theirs, mine)
    assert (result.last_name, result.notes, result.emails) == (
        "Müller-Lang",
        "Köln",
        (EmailEntry("a@x.de"),),
    )


def test_the_message_shows_both_values_in_one_line() -> None:
    error = EditConflictError((FieldConflict("last_name", "Lang", "Kurz"),), None)
    assert str(error) == (
        "someone else changed this since you opened it: last name: theirs “Lang”, yours “Kurz”"
    )
    assert "\n" not in str(error)
