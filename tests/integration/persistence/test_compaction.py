"""History compaction (persistence/compaction.py) on one database, SQLite and PostgreSQL:
superseded edits nobody reads are removed, the history people see is kept, a duplicate
delivery of a removed row is still skipped, `doctor` still finds no gap, and an undo of
an edit from before the kept period is refused instead of restoring a wrong value.

"Old" is a kept period that ends tomorrow: every row counts as old without waiting or
moving clocks. Most tests call the persistence function with this database as the only
device; the service's own rule for a file shared with nobody yet is tested last."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.domain.changes import UndoConflictError
from crm_desktop.domain.hlc import stamp_floor
from crm_desktop.domain.pipeline import DealDraft
from crm_desktop.domain.records import ContactDraft
from crm_desktop.persistence.compaction import compact
from crm_desktop.persistence.snapshot_file import through_seqs


def compact_everything_old(app: AppContext) -> int:
    """Compact as if this database were every device there is, every row counting as old
    (also used by `tests.benchmarks.compaction`)."""
    now = dt.datetime.now(dt.UTC)
    with app.uow() as unit:
        horizon = through_seqs(unit.session)
        removed = compact(unit.session, horizon, stamp_floor(now + dt.timedelta(days=1)), now)
        unit.commit()
    return removed


def _fields(app: AppContext, entity: str, row_id: str) -> Counter[str]:
    """How many change rows each field of a row has."""
    with app.database.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT field FROM change WHERE entity = :e AND row_id = :r"),
            {"e": entity, "r": row_id},
        )
        return Counter(field for (field,) in rows)


def _history(app: AppContext) -> dict[str, str]:
    """A contact renamed three times, a stage renamed three times, a deal moved around its
    column three times, a setting changed three times."""
    anna = app.contacts.create(ContactDraft(first_name="Anna", last_name="Arndt")).id
    for name in ("Brandt", "Claasen", "Dorn"):
        draft = app.contacts.get(anna).to_draft()
        app.contacts.update(anna, dataclasses.replace(draft, last_name=name))
    app.pipeline.ensure_default()
    pipeline = app.pipeline.pipelines()[0]
    stage = pipeline.stages[0]
    for name in ("Lead in", "New lead", "Inbox"):
        app.pipeline.update_stage(stage.id, name, stage.probability, stage.rotting_days)
    deals = [
        app.deals.create(
            DealDraft(title=f"Deal {n}", pipeline_id=pipeline.id, stage_id=stage.id)
        ).id
        for n in range(3)
    ]
    for index in (2, 0, 1):
        app.pipeline.move(deals[0], stage.id, index)
    for name in ("Lindenhof", "Lindenhof GmbH", "Lindenhof Hotels"):
        app.settings.set("business_name", name)
    return {"contact": anna, "stage": stage.id, "deal": deals[0]}


def test_superseded_edits_nobody_reads_go_and_the_history_people_see_stays(
    app: AppContext,
) -> None:
    made = _history(app)
    timeline = app.timeline.timeline("contacts", made["contact"])
    seqs = app.changelog.last_seqs()
    stage_name = _fields(app, "stages", made["stage"])["name"]
    positions = _fields(app, "deals", made["deal"])["position"]
    assert stage_name == 3 and positions >= 2

    removed = compact_everything_old(app)

    assert removed >= stage_name - 1 + positions - 1
    assert _fields(app, "stages", made["stage"])["name"] == 1  # the last edit stays
    assert _fields(app, "deals", made["deal"])["position"] == 1
    assert _fields(app, "contacts", made["contact"])["last_name"] == 3  # on the timeline
    assert app.timeline.timeline("contacts", made["contact"]) == timeline
    assert app.pipeline.pipelines()[0].stages[0].name == "Inbox"
    assert app.settings.get("business_name") == "Lindenhof Hotels"
    assert app.changelog.last_seqs() == seqs  # the seq goes on from where it was
    log = next(c for c in app.maintenance.doctor() if c.name == "change log")
    assert log.ok and f"({removed:,} old rows removed)" in log.detail
    assert compact_everything_old(app) == 0  # nothing left to remove


def test_a_removed_row_delivered_again_is_a_duplicate(app: AppContext) -> None:
    made = _history(app)
    everything = app.changelog.rows()
    before = app.pipeline.pipelines()[0].stages[0].name
    assert compact_everything_old(app) > 0
    result = app.changelog.apply(everything)  # as a late copy of a journal file would
    assert (result.stored, result.duplicates) == (0, len(everything))
    assert app.pipeline.pipelines()[0].stages[0].name == before
    assert _fields(app, "stages", made["stage"])["name"] == 1


def test_undo_of_an_edit_older_than_the_kept_history_is_refused(app: AppContext) -> None:
    app.pipeline.ensure_default()
    pipeline = app.pipeline.pipelines()[0]
    stage = pipeline.stages[0]
    first = app.pipeline.update_stage(stage.id, "Lead in", stage.probability, stage.rotting_days)
    app.pipeline.update_stage(stage.id, "Inbox", stage.probability, stage.rotting_days)
    compact_everything_old(app)
    with pytest.raises(UndoConflictError, match="older than the history kept for undo"):
        app.changelog.revert(first)
    assert app.pipeline.pipelines()[0].stages[0].name == "Inbox"


def test_the_kept_period_protects_recent_edits(app: AppContext) -> None:
    made = _history(app)
    stage = app.pipeline.pipelines()[0].stages[0]
    last = app.pipeline.update_stage(stage.id, "Leads", stage.probability, stage.rotting_days)
    assert app.sync.compact(dt.timedelta(days=30)) == 0  # all made just now
    assert _fields(app, "stages", made["stage"])["name"] == 4
    app.changelog.revert(last)  # undone as always
    assert app.pipeline.pipelines()[0].stages[0].name == "Inbox"


def test_held_through_is_the_end_of_the_first_run_without_a_gap(
    app: AppContext, tmp_path: Path
) -> None:
    other = open_app(tmp_path / "other")
    try:
        for number in range(6):
            other.contacts.create(ContactDraft(first_name=f"Person {number}"))
        rows = sorted(other.changelog.rows(), key=lambda r: r.seq)
        device = other.database.device_id
    finally:
        other.close()
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6]  # one row per contact

    def through() -> int:
        with app.uow.read() as unit:
            return through_seqs(unit.session).get(device, 0)

    app.changelog.apply(rows[1:3])  # 2, 3: the first is missing
    assert through() == 0
    app.changelog.apply(rows[:1] + rows[4:])  # 1, 2, 3, 5, 6: 4 is missing
    assert through() == 3
    app.changelog.apply(rows[3:4])
    assert through() == 6


def test_a_file_shared_with_nobody_yet_keeps_its_own_rows_a_server_does_not(
    app: AppContext,
) -> None:
    """Its own rows go out in the team folder's files, whose seqs follow each other: none
    goes before it is in one, as the file may be shared later. A server database has no
    such files: every install reads the same log."""
    made = _history(app)
    removed = app.sync.compact(-dt.timedelta(days=1))
    on_server = app.database.path is None
    assert (removed > 0) is on_server
    assert _fields(app, "stages", made["stage"])["name"] == (1 if on_server else 3)
