"""History compaction in a team (persistence/compaction.py, sync/cleanup.py): a device
removes old rows only once every active device of the folder has applied them; the
devices end with the same data, clocks and log; a device that joins afterwards starts
from a compacted snapshot and ends identical too. "Old" is a kept period that ends
tomorrow (`keep` of minus a day), so no clock is moved and nothing waits."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_desktop.domain.records import ContactDraft
from crm_desktop.persistence.changes import last_seqs
from crm_desktop.persistence.compaction import take_horizons
from tests.sync.team import Member, Team, snapshot, temporary_team
from tests.sync.test_snapshots import deliver, forced, rounds

EVERYTHING_OLD = -dt.timedelta(days=1)


@pytest.fixture
def four(team_template: Path) -> Iterator[Team]:
    with temporary_team(team_template, 4) as team:
        yield team


def _rename_stage(member: Member, *names: str) -> str:
    stage = member.context.pipeline.pipelines()[0].stages[0]
    for name in names:
        member.context.pipeline.update_stage(stage.id, name, stage.probability, stage.rotting_days)
    return stage.id


def _log_size(member: Member) -> int:
    return len(snapshot(member.context)["log"])


def test_rows_go_only_once_every_active_device_applied_them(four: Team) -> None:
    a, b, c, late = four.members
    a.context.pipeline.ensure_default()
    a.context.contacts.create(ContactDraft(first_name="Anna"))
    rounds(four, [a, b, c])  # each has a state.json; `late` has none and is not waited for
    _rename_stage(a, "Lead in", "New lead", "Inbox")
    a.sync()
    assert a.context.sync.compact(EVERYTHING_OLD) == 0  # b and c lack the renames
    deliver(four, [b])
    b.sync()
    deliver(four, [a])
    assert a.context.sync.compact(EVERYTHING_OLD) == 0  # c still lacks them
    deliver(four, [c])
    c.sync()
    deliver(four, [a, b])
    assert a.context.sync.compact(EVERYTHING_OLD) == 2  # the two renames superseded
    assert b.context.sync.compact(EVERYTHING_OLD) == 2
    assert c.context.sync.compact(EVERYTHING_OLD) == 2
    rounds(four, [a, b, c])
    assert snapshot(a.context) == snapshot(b.context) == snapshot(c.context)
    assert a.context.pipeline.pipelines()[0].stages[0].name == "Inbox"

    # A device that joins now starts from a compacted snapshot and ends identical.
    taken = forced(a).snapshot
    assert taken is not None
    described = a.place(a.device_id, "snapshots") / taken.replace(".sqlite", ".json")
    # It covers everything although compaction left gaps in the seqs it holds.
    assert json.loads(described.read_text())["covers"] == a.context.changelog.last_seqs()
    deliver(four, [late])
    assert late.sync().started_from is not None
    rounds(four, four.members)
    assert snapshot(late.context) == snapshot(a.context)
    late.context.contacts.create(ContactDraft(first_name="From the late one"))
    rounds(four, four.members)
    assert snapshot(late.context) == snapshot(a.context) == snapshot(c.context)


def test_a_copy_of_an_old_file_after_compaction_changes_nothing(four: Team) -> None:
    a, b, _, _ = four.members
    a.context.pipeline.ensure_default()
    for member in (a, b):
        member.sync()
    four.flush()
    stage = _rename_stage(a, "Lead in", "New lead")
    rounds(four, [a, b])
    (sent,) = sorted(a.place(a.device_id).glob("*.jsonl.gz"))[-1:]
    old_copy = sent.read_bytes()
    assert b.context.sync.compact(EVERYTHING_OLD) > 0
    size = _log_size(b)
    # The sync client brings the old file back (a restored folder, a late copy).
    there = b.place(a.device_id) / sent.name
    there.write_bytes(old_copy)
    report = b.sync()
    assert report.applied_changes == 0
    assert _log_size(b) == size
    names = {s.id: s.name for s in b.context.pipeline.pipelines()[0].stages}
    assert names[stage] == "New lead"


def test_a_device_with_data_of_its_own_takes_a_compacted_snapshots_horizons(
    four: Team,
) -> None:
    a, b, c, _ = four.members
    c.context.contacts.create(ContactDraft(first_name="Made on c before joining"))
    a.context.pipeline.ensure_default()
    rounds(four, [a, b])  # c sees none of this until it joins
    _rename_stage(a, "Lead in", "New lead", "Inbox")
    rounds(four, [a, b])
    assert a.context.sync.compact(EVERYTHING_OLD) == 2
    assert forced(a).snapshot is not None
    rounds(four, [a, b])
    assert not sorted(a.place(a.device_id).glob("*.jsonl.gz"))  # archived: only the snapshot
    deliver(four, [c])
    assert c.sync().started_from is not None  # applied the snapshot's changes
    rounds(four, four.members)
    assert c.sync().started_from is None  # it holds everything now, gaps and all
    assert snapshot(c.context) == snapshot(a.context)
    assert c.context.pipeline.pipelines()[0].stages[0].name == "Inbox"


def test_a_new_install_that_compacted_keeps_its_own_edits_when_it_takes_a_snapshot(
    four: Team,
) -> None:
    a, b, _, _ = four.members
    a.context.contacts.create(ContactDraft(first_name="Anna"))
    assert forced(a).snapshot is not None
    # b, fresh (no records): its own edit, and a compaction horizon over its own rows, as
    # a compaction leaves once they went out in the folder's files.
    b.context.settings.set("business_name", "Lindenhof")
    with b.context.uow() as unit:
        take_horizons(unit.session, last_seqs(unit.session))
        unit.commit()
    deliver(four, [b])
    assert b.sync().started_from is not None  # took a's snapshot as its database
    assert b.context.settings.get("business_name") == "Lindenhof"
    rounds(four, [a, b])
    assert a.context.settings.get("business_name") == "Lindenhof"
    assert snapshot(a.context) == snapshot(b.context)


def test_a_database_compacted_alone_can_start_sharing(four: Team) -> None:
    """Its own rows go out in the folder's files, whose seqs follow each other: a
    compaction before it ever shared removes none of them."""
    a, b, _, _ = four.members
    a.context.pipeline.ensure_default()
    stage = _rename_stage(a, "Lead in", "New lead", "Inbox")
    assert a.context.sync.compact(EVERYTHING_OLD) == 0  # alone: its rows never went out
    rounds(four, [a, b])  # sharing starts: its first files hold every seq
    names = {s.id: s.name for s in b.context.pipeline.pipelines()[0].stages}
    assert names[stage] == "Inbox"
    assert snapshot(a.context) == snapshot(b.context)
    assert a.context.sync.compact(EVERYTHING_OLD) == 2  # now that b has them
