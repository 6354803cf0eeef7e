"""The wire's typed codec and the derived-column function (no disk)."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.derived import contact_copies
from crm_desktop.domain.hlc import stamp_time
from crm_desktop.persistence.changes import encode_value, stored_time_to_wire
from crm_desktop.persistence.wire import UnknownEntityError, codec, model_for, untracked


def test_values_decode_by_column_type() -> None:
    deals = codec("deals")
    when = dt.datetime(2026, 11, 22, 9, 30, 15, 123456, tzinfo=dt.UTC)
    assert deals.decode("closed_at", encode_value(when)) == when
    assert deals.decode("expected_close", encode_value(dt.date(2026, 12, 1))) == dt.date(
        2026, 12, 1
    )
    assert deals.decode("value_cents", "125000") == 125_000
    assert deals.decode("probability", "null") is None
    assert codec("activities").decode("all_day", "true") is True
    assert codec("contacts").decode("notes", encode_value("12")) == "12"  # text stays text


def test_the_bulk_paths_stored_time_travels_as_the_same_instant() -> None:
    wire = stored_time_to_wire("2026-11-22 09:30:15.123456")
    assert wire == "2026-11-22T09:30:15.123456Z"
    assert codec("contacts").decode("created_at", encode_value(wire)) == dt.datetime(
        2026, 11, 22, 9, 30, 15, 123456, tzinfo=dt.UTC
    )


def test_an_insert_left_out_fields_are_empty() -> None:
    row = codec("contacts").decode_insert('{"first_name":"Anna","cadence_days":0}')
    assert row["first_name"] == "Anna" and row["last_name"] == "" and row["owner_id"] is None
    assert "sort_name" not in row  # derived: never on the wire


def test_unknown_entities_are_refused_and_derived_fields_untracked() -> None:
    with pytest.raises(UnknownEntityError):
        model_for("holograms")
    assert {"sort_name", "email", "phone", "company_id", "title", "city"} <= untracked("contacts")
    assert "email" not in untracked("companies")  # a company's own e-mail is data


def test_contact_copies_take_the_first_of_each_list() -> None:
    copies = contact_copies(
        "Anna", "Müller", [" anna@x.de ", "b@y.de"], ["+49 30 1"], ["Köln"], [("c1", "CEO")]
    )
    assert copies == {
        "sort_name": "muller anna",
        "email": "anna@x.de",
        "phone": "+49 30 1",
        "company_id": "c1",
        "title": "CEO",
        "city": "Köln",
    }
    assert contact_copies("", "")["company_id"] is None


def test_change_sets_carry_their_own_seqs_through_union() -> None:
    merged = ChangeSet.of("contacts", ["a"]) | ChangeSet(own=((3, 5),)) | ChangeSet(own=((9, 9),))
    assert merged.own_seqs() == [3, 4, 5, 9]


def test_a_stamp_tells_its_time() -> None:
    assert stamp_time("0000000000001-0000-dev") == dt.datetime(
        1970, 1, 1, 0, 0, 0, 1000, tzinfo=dt.UTC
    )
