"""A stateful model of a team (hypothesis' rule-based state machine): three devices that
create, edit, delete, restore, merge duplicates and import files, rename a stage, compact
their history (every row counting as old), go offline and come back, sync and deliver
files out of order, in any interleaving hypothesis finds. At the end, with everyone
online and every file delivered (and every device's history compacted, so that the logs
compare), all devices hold the same rows, field clocks, change log and conflicts."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import random
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import text

from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.records import ContactDraft
from crm_desktop.persistence.changes import last_seqs
from crm_desktop.persistence.snapshot_file import through_seqs
from tests.sync.team import Member, Team, snapshot

WHO = st.integers(0, 2)
EVERYTHING_OLD = -dt.timedelta(days=1)  # a kept period that ends tomorrow
NAMES = st.sampled_from(["Anna", "Bob", "Chloé", "Dörte"])


def _live(member: Member, trash: bool = False) -> list[str]:
    where = "IS NOT NULL" if trash else "IS NULL"
    with member.context.database.engine.connect() as conn:
        sql = f"SELECT id FROM contacts WHERE deleted_at {where} ORDER BY id"
        return list(conn.execute(text(sql)).scalars())


class TeamMachine(RuleBasedStateMachine):
    template: Path  # set by the test below

    def __init__(self) -> None:
        super().__init__()
        self._root = tempfile.TemporaryDirectory()
        self.team = Team(self.template, Path(self._root.name), 3)
        self.offline: set[int] = set()
        self.rnd = random.Random(0)
        self.files = 0

    @initialize(seed=st.integers(0, 2**32 - 1))
    def seed(self, seed: int) -> None:
        self.rnd = random.Random(seed)

    def member(self, who: int) -> Member:
        return self.team.members[who]

    @rule(who=WHO, first=NAMES)
    def create(self, who: int, first: str) -> None:
        self.member(who).context.contacts.create(ContactDraft(first_name=first, last_name="X"))

    @rule(who=WHO, pick=st.integers(0, 9), note=NAMES)
    def edit(self, who: int, pick: int, note: str) -> None:
        contacts = self.member(who).context.contacts
        if ids := _live(self.member(who)):
            contact_id = ids[pick % len(ids)]
            draft = contacts.get(contact_id).to_draft()
            changed = dataclasses.replace(draft, notes=note)
            if changed != draft:
                contacts.update(contact_id, changed)

    @rule(who=WHO, pick=st.integers(0, 9))
    def delete(self, who: int, pick: int) -> None:
        if ids := _live(self.member(who)):
            self.member(who).context.contacts.delete([ids[pick % len(ids)]])

    @rule(who=WHO, pick=st.integers(0, 9))
    def restore(self, who: int, pick: int) -> None:
        if ids := _live(self.member(who), trash=True):
            self.member(who).context.contacts.restore([ids[pick % len(ids)]])

    @rule(who=WHO, pick=st.integers(0, 9))
    def merge_duplicates(self, who: int, pick: int) -> None:
        ids = _live(self.member(who))
        if len(ids) >= 2:
            keep = ids[pick % len(ids)]
            other = ids[(pick + 1) % len(ids)]
            with contextlib.suppress(CrmError):  # a record just gone: nothing merged
                self.member(who).context.duplicates.merge("contacts", keep, [other])

    @rule(who=WHO, first=NAMES)
    def import_file(self, who: int, first: str) -> None:
        self.files += 1
        path = Path(self._root.name) / f"import{self.files}.csv"
        path.write_text(f"First Name,Last Name\n{first},Imported{self.files}\n", encoding="utf-8")
        self.member(who).context.imports.run(path)

    @rule(who=WHO, name=NAMES)
    def rename_stage(self, who: int, name: str) -> None:
        pipeline = self.member(who).context.pipeline
        pipeline.ensure_default()  # the same ids on every device
        stage = pipeline.pipelines()[0].stages[0]
        if stage.name != name:
            pipeline.update_stage(stage.id, name, stage.probability, stage.rotting_days)

    @rule(who=WHO)
    def compact(self, who: int) -> None:
        if who not in self.offline:  # it reads the team folder
            self.member(who).context.sync.compact(EVERYTHING_OLD)

    @rule(who=WHO)
    def go_offline(self, who: int) -> None:
        self.offline.add(who)

    @rule(who=WHO)
    def come_back(self, who: int) -> None:
        self.offline.discard(who)

    @rule(who=WHO)
    def sync(self, who: int) -> None:
        if who not in self.offline:
            self.member(who).sync()

    @rule()
    def deliver_some(self) -> None:
        self.team.move(self.rnd, 3)

    @invariant()
    def change_logs_have_no_gaps(self) -> None:
        """Each device holds its own changes without a gap (below its compaction horizon,
        removed rows count as held)."""
        for member in self.team.members:
            me = member.device_id
            with member.context.uow.read() as unit:
                assert through_seqs(unit.session).get(me, 0) == last_seqs(unit.session).get(me, 0)

    def teardown(self) -> None:
        try:
            self.offline.clear()
            self.team.settle()
            for member in self.team.members:
                member.context.sync.compact(EVERYTHING_OLD)
            first, *others = [snapshot(m.context) for m in self.team.members]
            for other in others:
                assert other == first
        finally:
            self.team.close()
            self._root.cleanup()


def test_a_team_in_any_interleaving_ends_identical(team_template: Path) -> None:
    TeamMachine.template = team_template
    runner: Any = TeamMachine.TestCase
    runner.settings = settings(max_examples=25, stateful_step_count=15, deadline=None)
    runner("runTest").runTest()
