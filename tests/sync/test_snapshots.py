"""Snapshots and clean-up (SYNC.md points 5 and 10): a device that joins after the old
journal files were archived starts from the newest whole snapshot and ends identical to
the others; clean-up waits for the slowest active device, not for one gone for over 30
days; a snapshot cut short is not used. No sleeps: "a day" and "30 days" are clock values
(a forced snapshot, a state.json seen at time 0)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crm_desktop.domain.records import ContactDraft
from crm_desktop.domain.sync import SyncReport
from tests.sync.team import Member, Team, device_id, snapshot, temporary_team

Pick = Callable[[Member, Member, str], bool]  # (from, to, name): deliver this one?


@pytest.fixture
def trio(team_template: Path) -> Iterator[Team]:
    with temporary_team(team_template, 3) as team:
        yield team


def deliver(team: Team, to: list[Member], pick: Pick | None = None) -> None:
    """Copy the files `pending` names to these members (those `pick` chooses), whole."""
    for source, target, name in team.pending():
        if any(target is m for m in to) and (pick is None or pick(source, target, name)):
            there = team.where(target, source.device_id, name)
            there.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(team.where(source, source.device_id, name), there)


def rounds(team: Team, members: list[Member], times: int = 3) -> None:
    """Rounds of these members, each followed by delivering everything among them."""
    for _ in range(times):
        for member in members:
            member.sync()
        deliver(team, members)


def forced(member: Member) -> SyncReport:
    return member.context.sync.round(member.team, snapshot=True)


def journals(member: Member) -> list[str]:
    return sorted(p.name for p in member.place(member.device_id).glob("*.jsonl.gz"))


def archived(member: Member) -> list[str]:
    return sorted(p.name for p in (member.place(member.device_id) / "archive").glob("*.gz"))


def _note(member: Member, contact_id: str, note: str) -> None:
    draft = member.context.contacts.get(contact_id).to_draft()
    member.context.contacts.update(contact_id, dataclasses.replace(draft, notes=note))


def _history(team: Team) -> str:
    """Edits on a and b, a conflict among them, a snapshot of everything, clean-up."""
    a, b, _ = team.members
    anna = a.context.contacts.create(ContactDraft(first_name="Anna")).id
    b.context.contacts.create(ContactDraft(first_name="Bob"))
    rounds(team, [a, b])
    _note(a, anna, "from a")
    _note(b, anna, "from b")  # concurrent: one conflict
    rounds(team, [a, b])
    assert forced(a).snapshot is not None
    deliver(team, [b])
    rounds(team, [a, b])
    assert journals(a) == [] and archived(a) and archived(b)
    return anna


def test_a_device_joining_after_clean_up_starts_from_the_snapshot(trio: Team) -> None:
    a, b, c = trio.members
    anna = _history(trio)
    a.context.contacts.create(ContactDraft(first_name="After the snapshot"))
    a.sync()
    assert journals(a)  # a file after the snapshot, replayed on top of it
    deliver(trio, [c])
    report = c.sync()
    assert report.started_from is not None and report.started_from.startswith(a.device_id)
    assert c.context.contacts.get(anna).notes == a.context.contacts.get(anna).notes
    rounds(trio, [a, b, c])
    assert snapshot(a.context) == snapshot(b.context) == snapshot(c.context)
    assert len(c.context.sync.conflicts()) == 1
    assert c.context.database.device_id == device_id(3)  # its own id, not the snapshot's
    # c's edits reach the others; the old devices never start from a snapshot again.
    c.context.contacts.create(ContactDraft(first_name="From c"))
    rounds(trio, [a, b, c])
    assert snapshot(a.context) == snapshot(c.context)


def test_a_cut_snapshot_is_not_used(trio: Team) -> None:
    a, _, c = trio.members
    _history(trio)
    deliver(trio, [c], lambda _s, _t, name: not name.startswith("snapshots/"))
    (whole,) = a.place(a.device_id, "snapshots").glob("*.sqlite")
    there = c.place(a.device_id, "snapshots") / whole.name
    there.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(whole.with_suffix(".json"), there.with_suffix(".json"))
    data = whole.read_bytes()
    for cut in (len(data) // 2, len(data) - 1):
        there.write_bytes(data[:cut])
        report = c.sync()
        assert report.started_from is None  # described, but the bytes don't match
        assert snapshot(c.context)["contacts"] == []
    there.write_bytes(data)
    report = c.sync()
    assert report.started_from == f"{a.device_id}/{whole.name}"
    rounds(trio, trio.members)
    assert snapshot(a.context) == snapshot(c.context)


def test_clean_up_waits_for_the_slowest_active_device(trio: Team) -> None:
    a, b, c = trio.members
    a.context.contacts.create(ContactDraft(first_name="Anna"))
    for member in trio.members:
        member.sync()  # every device has a state.json that applied nothing of a's yet
    trio.flush()
    b.sync()
    deliver(trio, [a])
    report = forced(a)
    assert report.cleaned_files == 0 and journals(a)  # c has not applied a's file
    c.sync()
    deliver(trio, [a])
    report = a.sync()
    assert report.cleaned_files == 1 and journals(a) == []
    assert archived(a) == ["000000000001-000000000001.jsonl.gz"]


def test_a_device_gone_for_30_days_does_not_hold_clean_up_back(trio: Team) -> None:
    a, b, _ = trio.members
    gone = a.place(device_id(9))
    gone.mkdir(parents=True)
    state = {"schema": 1, "applied": {}, "last_sealed": 0, "seen": 0}  # seen in 1970
    (gone / "state.json").write_text(json.dumps(state))
    a.context.contacts.create(ContactDraft(first_name="Anna"))
    a.sync()
    deliver(trio, [b])
    b.sync()
    deliver(trio, [a])
    report = forced(a)
    assert report.cleaned_files == 1 and journals(a) == []


def test_a_device_alone_keeps_its_files(trio: Team) -> None:
    a = trio.members[0]
    a.context.contacts.create(ContactDraft(first_name="Anna"))
    report = forced(a)
    assert report.snapshot is not None and report.cleaned_files == 0 and journals(a)
    described = a.place(a.device_id, "snapshots") / report.snapshot.replace(".sqlite", ".json")
    meta = json.loads(described.read_text())
    assert meta["covers"] == {a.device_id: 1}
    # A second forced snapshot replaces the first: one snapshot per device stays.
    forced(a)
    assert len(list(a.place(a.device_id, "snapshots").glob("*.sqlite"))) == 1


def test_a_new_device_takes_the_snapshot_instead_of_replaying_every_change(
    trio: Team,
) -> None:
    a, b, c = trio.members
    made = [a.context.contacts.create(ContactDraft(first_name=f"Person {n}")).id for n in range(20)]
    rounds(trio, [a, b])
    _note(b, made[0], "edited on b")
    rounds(trio, [a, b])
    assert forced(a).snapshot is not None
    deliver(trio, [c])  # every journal file is still there, and the snapshot
    report = c.sync()
    assert report.started_from is not None  # taken as its database...
    assert report.applied_changes == 0  # ...so no change was replayed one by one
    assert c.context.contacts.get(made[0]).notes == "edited on b"
    rounds(trio, [a, b, c])
    assert snapshot(a.context) == snapshot(b.context) == snapshot(c.context)
    assert c.context.database.device_id == device_id(3)
    c.context.contacts.create(ContactDraft(first_name="From c"))
    rounds(trio, [a, b, c])
    assert snapshot(a.context) == snapshot(c.context)
