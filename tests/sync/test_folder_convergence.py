"""Devices share through copies of one team folder that a mover keeps in step late, out of
order, twice, cut short and under conflicted-copy names: after every file has arrived
whole, all devices hold the same rows, the same field clocks, the same change log and
the same open conflicts (SYNC.md, "How it is tested")."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from crm_desktop.domain.records import ContactDraft
from tests.sync.team import Member, Team, snapshot, temporary_team

VALUES = st.sampled_from(["Anna", "Bob", "Chloé", "Dörte", ""])
KINDS = ["create", "first", "notes", "delete", "restore", "sync", "move"]
OPS = st.tuples(st.integers(0, 2), st.sampled_from(KINDS), st.integers(0, 5), VALUES)


def _contacts(member: Member, trash: bool) -> list[str]:
    where = "IS NOT NULL" if trash else "IS NULL"
    with member.context.database.engine.connect() as conn:
        sql = f"SELECT id FROM contacts WHERE deleted_at {where} ORDER BY id"
        return list(conn.execute(text(sql)).scalars())


def _run(team: Team, member: Member, kind: str, pick: int, value: str, rnd: Any) -> None:
    contacts = member.context.contacts
    if kind == "sync":
        member.sync()
    elif kind == "move":
        team.move(rnd, 3)
    elif kind == "create":
        contacts.create(ContactDraft(first_name=value or "Ann", last_name="Start"))
    elif ids := _contacts(member, trash=kind == "restore"):
        contact_id = ids[pick % len(ids)]
        if kind == "delete":
            contacts.delete([contact_id])
        elif kind == "restore":
            contacts.restore([contact_id])
        else:
            draft = contacts.get(contact_id).to_draft()
            field = "first_name" if kind == "first" else "notes"
            changed = dataclasses.replace(draft, **{field: value or "x"})
            if changed != draft:
                contacts.update(contact_id, changed)


@settings(max_examples=100, deadline=None)
@given(
    size=st.integers(2, 5),
    ops=st.lists(OPS, min_size=1, max_size=12),
    seed=st.integers(0, 2**32 - 1),
)
def test_devices_sharing_a_folder_end_identical(
    team_template: Path, size: int, ops: list[tuple[int, str, int, str]], seed: int
) -> None:
    rnd = random.Random(seed)
    with temporary_team(team_template, size) as team:
        for who, kind, pick, value in ops:
            _run(team, team.members[who % size], kind, pick, value, rnd)
        team.settle()
        first, *others = [snapshot(m.context) for m in team.members]
        event(f"open conflicts: {min(len(first['conflicts']), 2)}")
        for other in others:
            assert other == first


def test_each_concurrent_edit_of_one_field_is_one_conflict_everywhere(team_template: Path) -> None:
    with temporary_team(team_template, 3) as team:
        a, b, c = team.members
        anna = a.context.contacts.create(ContactDraft(first_name="Anna", notes="start")).id
        team.settle()
        for member, note in ((a, "from a"), (b, "from b"), (c, "from c")):
            draft = member.context.contacts.get(anna).to_draft()
            member.context.contacts.update(anna, dataclasses.replace(draft, notes=note))
        team.settle()
        lists = [m.context.sync.conflicts() for m in team.members]
        assert lists[0] == lists[1] == lists[2]
        # Three concurrent edits: one kept, the other two each one conflict.
        assert len(lists[0]) == 2
        assert {r.field for r in lists[0]} == {"notes"}
        kept = lists[0][0].kept_value
        assert all(r.kept_value == kept for r in lists[0])
        assert {kept, *(r.lost_value for r in lists[0])} == {
            '"from a"',
            '"from b"',
            '"from c"',
        }


def test_out_of_order_and_repeated_delivery_give_the_in_order_result(team_template: Path) -> None:
    with temporary_team(team_template, 3) as team:
        a, in_order, shuffled = team.members
        anna = a.context.contacts.create(ContactDraft(first_name="Anna")).id
        a.sync()
        for note in ("one", "two", "three"):
            draft = a.context.contacts.get(anna).to_draft()
            a.context.contacts.update(anna, dataclasses.replace(draft, notes=note))
            a.sync()
        files = sorted(a.place(a.device_id).glob("*.jsonl.gz"))
        assert len(files) == 4
        for target, order in ((in_order, files), (shuffled, [*reversed(files), files[1]])):
            place = target.place(a.device_id)
            place.mkdir(parents=True)
            for path in order:
                (place / path.name).write_bytes(path.read_bytes())
                target.sync()
        assert snapshot(in_order.context) == snapshot(shuffled.context)
        assert shuffled.context.contacts.get(anna).notes == "three"
