"""Sealed files: a torn, flipped or empty file is "not arrived yet" (nothing applied, no
crash) and applies once it is whole; names that are not a sealed file's are ignored."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_desktop.domain.changes import ChangeRow
from crm_desktop.domain.records import ContactDraft, EmailEntry
from crm_desktop.sync import journal
from crm_desktop.sync.journal import FileName, IncompleteFileError
from tests.sync.team import Team

ROWS = tuple(
    ChangeRow("dev-1", seq, f"0000000000001-000{seq}-dev-1", "contacts", "c1", "notes", '"x"')
    for seq in range(1, 4)
)


def test_a_file_reads_back_as_written_and_names_are_strict() -> None:
    name, data = journal.encode("dev-1", ROWS)
    assert str(name) == "000000000001-000000000003.jsonl.gz"
    assert journal.decode("dev-1", str(name), data).rows == ROWS
    assert journal.encode("dev-1", ROWS) == (name, data)  # the same rows, the same bytes
    for other in (
        "000000000001-000000000003 (conflicted copy).jsonl.gz",
        "000000000001-000000000003.sync-conflict-20261124-1.jsonl.gz",
        ".000000000001-000000000003.jsonl.gz.1a2b3c4d.tmp",
        "000000000001-000000000003.jsonl.gz.lock",
        "~$000000000001-000000000003.jsonl.gz",
        "1-3.jsonl.gz",
        "000000000003-000000000001.jsonl.gz",
        "state.json",
    ):
        assert FileName.parse(other) is None
    with pytest.raises(IncompleteFileError):  # another device's file under this one's name
        journal.decode("dev-2", str(name), data)
    with pytest.raises(IncompleteFileError):  # a name that says more than the file holds
        journal.decode("dev-1", "000000000001-000000000004.jsonl.gz", data)


def test_every_cut_and_an_empty_file_are_not_arrived_yet() -> None:
    name, data = journal.encode("dev-1", ROWS)
    for cut in range(len(data)):
        with pytest.raises(IncompleteFileError):
            journal.decode("dev-1", str(name), data[:cut])


@settings(max_examples=300, deadline=None)
@given(position=st.integers(0, 10_000), bit=st.integers(0, 7))
def test_a_flipped_bit_is_refused_or_changes_nothing(position: int, bit: int) -> None:
    name, data = journal.encode("dev-1", ROWS)
    flipped = bytearray(data)
    flipped[position % len(data)] ^= 1 << bit
    try:
        read = journal.decode("dev-1", str(name), bytes(flipped))
    except IncompleteFileError:
        return
    # Only a byte the content doesn't depend on (the gzip header's time or OS) may flip.
    assert read.rows == ROWS


def test_a_torn_file_waits_and_applies_once_whole(pair: Team) -> None:
    a, b = pair.members
    draft = ContactDraft(first_name="Anna", emails=(EmailEntry("anna@example.com", "work"),))
    anna = a.context.contacts.create(draft).id
    a.sync()
    (path,) = a.place(a.device_id).glob("*.jsonl.gz")
    data = path.read_bytes()
    target = b.place(a.device_id)
    target.mkdir(parents=True)
    cuts = sorted({0, 1, 9, 10, len(data) // 2, len(data) - 9, len(data) - 1})
    for cut in cuts:
        (target / path.name).write_bytes(data[:cut])
        report = b.sync()
        assert report.applied_files == 0 and report.waiting_files == 1
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    (target / path.name).write_bytes(bytes(flipped))
    assert b.sync().applied_files == 0
    assert a.device_id not in b.context.changelog.last_seqs()
    (target / path.name).write_bytes(data)
    report = b.sync()
    assert (report.applied_files, report.waiting_files) == (1, 0)
    assert b.context.contacts.get(anna).emails[0].email == "anna@example.com"
    assert b.sync().applied_files == 0  # once


def test_conflicted_copies_temporary_and_lock_files_are_ignored(pair: Team) -> None:
    a, b = pair.members
    a.context.contacts.create(ContactDraft(first_name="Anna"))
    a.sync()
    (path,) = a.place(a.device_id).glob("*.jsonl.gz")
    target = b.place(a.device_id)
    target.mkdir(parents=True)
    for name in (
        f"{path.name} (conflicted copy)",
        path.name.replace(".jsonl.gz", " (Bob's conflicted copy 2026-11-24).jsonl.gz"),
        path.name.replace(".jsonl", ".sync-conflict-20261124-093000-ABC.jsonl"),
        f".{path.name}.0a1b2c3d.tmp",
        f"{path.name}.lock",
    ):
        (target / name).write_bytes(path.read_bytes())
    report = b.sync()
    assert (report.applied_files, report.waiting_files) == (0, 0)
    assert a.device_id not in b.context.changelog.last_seqs()


def test_an_unreadable_placeholder_waits(pair: Team) -> None:
    a, b = pair.members
    a.context.contacts.create(ContactDraft(first_name="Anna"))
    a.sync()
    (path,) = a.place(a.device_id).glob("*.jsonl.gz")
    target = b.place(a.device_id)
    target.mkdir(parents=True)
    (target / path.name).mkdir()  # reading it fails with an OSError, as a placeholder can
    report = b.sync()
    assert (report.applied_files, report.waiting_files) == (0, 1)
