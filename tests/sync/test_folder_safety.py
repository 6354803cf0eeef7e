"""What team sharing refuses or holds back, and how conflicts are settled: a device a
year ahead is quarantined, a copied data folder is refused, an old app meeting a newer
file stops, a crash between sealing and state.json loses nothing; keep mine / keep
theirs, an edit against a delete; the command line of two data folders."""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from pathlib import Path

import pytest

from crm_desktop import cli
from crm_desktop.bootstrap import open_app
from crm_desktop.domain.changes import ChangeRow
from crm_desktop.domain.hlc import HybridLogicalClock
from crm_desktop.domain.records import ContactDraft
from crm_desktop.domain.sync import CopiedDataFolderError, SyncVersionError
from crm_desktop.sync import journal
from crm_desktop.sync.service import SyncService
from tests.sync.team import Member, Team, open_device, snapshot

YEAR_MS = 366 * 24 * 3600 * 1000


def _note(member: Member, contact_id: str, note: str) -> None:
    draft = member.context.contacts.get(contact_id).to_draft()
    member.context.contacts.update(contact_id, dataclasses.replace(draft, notes=note))


def test_a_device_a_year_ahead_is_quarantined(pair: Team) -> None:
    a, b = pair.members
    uow = a.context.uow
    uow.clock = HybridLogicalClock(
        uow.device_id, None, wall_ms=lambda: time.time_ns() // 1_000_000 + YEAR_MS
    )
    a.context.contacts.create(ContactDraft(first_name="Future"))
    a.sync()
    pair.flush()
    report = b.sync()
    assert [q.device_id for q in report.quarantined] == [a.device_id]
    assert report.quarantined[0].minutes_ahead > 360 * 24 * 60
    assert "clock" in report.quarantined[0].message
    assert report.applied_files == 0
    assert a.device_id not in b.context.changelog.last_seqs()


def test_a_copied_data_folder_is_refused(team_template: Path, tmp_path: Path) -> None:
    original = open_device(team_template, tmp_path / "a", "00000001-0000-4000-8000-00000000000a")
    original.contacts.create(ContactDraft(first_name="Before the copy"))
    team = tmp_path / "team"
    team.mkdir()
    original.sync.round(team)
    with original.database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copytree(tmp_path / "a", tmp_path / "copy")
    copy = open_app(tmp_path / "copy")
    try:
        assert copy.database.device_id == original.database.device_id
        original.contacts.create(ContactDraft(first_name="Only on the original"))
        original.sync.round(team)
        copy.contacts.create(ContactDraft(first_name="Only on the copy"))
        with pytest.raises(CopiedDataFolderError, match="copied"):
            copy.sync.round(team)
        # Nothing of the copy's went into the folder, and the original goes on.
        assert original.sync.round(team).sent_changes == 0
    finally:
        copy.close()
        original.close()


def test_an_old_app_meeting_a_newer_file_stops_cleanly(
    pair: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = pair.members
    row = ChangeRow(a.device_id, 1, "0000000000001-0000-x", "contacts", "c1", "notes", '"x"')
    monkeypatch.setattr(journal, "SCHEMA", journal.SCHEMA + 1)
    name, data = journal.encode(a.device_id, [row])
    monkeypatch.undo()
    place = b.place(a.device_id)
    place.mkdir(parents=True)
    (place / str(name)).write_bytes(data)
    with pytest.raises(SyncVersionError, match="update crm-desktop"):
        b.sync()
    assert a.device_id not in b.context.changelog.last_seqs()
    code = cli.main(["--data-dir", str(b.context.paths.data_dir), "sync"])
    assert code == cli.EXIT_ERROR


def test_rows_of_an_unknown_table_stop_the_round(pair: Team) -> None:
    a, b = pair.members
    hlc = "0000000000001-0000-" + a.device_id
    row = ChangeRow(a.device_id, 1, hlc, "invoices", "i1", "*", '{"total":1}')
    name, data = journal.encode(a.device_id, [row])
    place = b.place(a.device_id)
    place.mkdir(parents=True)
    (place / str(name)).write_bytes(data)
    with pytest.raises(SyncVersionError, match="update"):
        b.sync()


def test_a_crash_between_sealing_and_state_loses_nothing(
    pair: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = pair.members
    a.context.contacts.create(ContactDraft(first_name="Anna"))

    def crash(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(SyncService, "_write_state", crash)
    with pytest.raises(KeyboardInterrupt):
        a.sync()
    monkeypatch.undo()
    a.context.contacts.create(ContactDraft(first_name="Bob"))
    report = a.sync()
    assert report.sent_changes == 1  # only the new one: the first was sealed already
    names = sorted(p.name for p in a.place(a.device_id).glob("*.jsonl.gz"))
    assert names == ["000000000001-000000000001.jsonl.gz", "000000000002-000000000002.jsonl.gz"]
    pair.settle()
    assert snapshot(a.context) == snapshot(b.context)
    state = json.loads((a.place(a.device_id) / "state.json").read_text())
    assert state["last_sealed"] == 2 and state["applied"] == {b.device_id: 0}


@pytest.mark.parametrize("keep", ["mine", "theirs"])
def test_keep_mine_or_theirs_settles_the_conflict_everywhere(pair: Team, keep: str) -> None:
    a, b = pair.members
    anna = a.context.contacts.create(ContactDraft(first_name="Anna")).id
    pair.settle()
    _note(a, anna, "from a")
    _note(b, anna, "from b")
    pair.settle()
    (conflict,) = b.context.sync.conflicts()
    assert a.context.sync.conflicts() == [conflict]
    mine = "from b"
    b.context.sync.resolve(conflict.id[:6], keep)  # type: ignore[arg-type]
    pair.settle()
    expected = mine if keep == "mine" else "from a"
    assert a.context.contacts.get(anna).notes == b.context.contacts.get(anna).notes == expected
    assert a.context.sync.conflicts() == b.context.sync.conflicts() == []


def test_the_same_value_on_both_sides_is_no_conflict(pair: Team) -> None:
    a, b = pair.members
    anna = a.context.contacts.create(ContactDraft(first_name="Anna")).id
    pair.settle()
    _note(a, anna, "same")
    _note(b, anna, "same")
    pair.settle()
    assert a.context.sync.conflicts() == b.context.sync.conflicts() == []


def test_an_edit_against_a_delete_is_shown_and_can_bring_the_row_back(pair: Team) -> None:
    a, b = pair.members
    anna = a.context.contacts.create(ContactDraft(first_name="Anna")).id
    pair.settle()
    a.context.contacts.delete([anna])
    _note(b, anna, "called her today")  # after the delete, without having seen it
    pair.settle()
    (conflict,) = a.context.sync.conflicts()
    assert conflict.kind == "deleted" and conflict.lost_device == b.device_id
    assert b.context.sync.conflicts() == [conflict]
    b.context.sync.resolve(conflict.id, "mine")  # b keeps its edit: the row comes back
    pair.settle()
    for member in (a, b):
        restored = member.context.contacts.get(anna)
        assert restored.notes == "called her today"
        assert member.context.sync.conflicts() == []


def test_two_data_folders_through_the_command_line(
    team_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team = tmp_path / "team"
    team.mkdir()
    folders = [tmp_path / "a", tmp_path / "b"]
    for number, folder in enumerate(folders, 1):
        open_device(team_template, folder, f"0000000{number}-0000-4000-8000-00000000000c").close()

    def run(folder: Path, *args: str) -> str:
        capsys.readouterr()
        assert cli.main(["--data-dir", str(folder), *args]) == cli.EXIT_OK
        return capsys.readouterr().out

    first = open_app(folders[0])
    anna = first.contacts.create(ContactDraft(first_name="Anna", last_name="Old")).id
    first.close()
    run(folders[0], "sync", "--folder", str(team))
    run(folders[1], "sync", "--folder", str(team))
    for folder, note in zip(folders, ("from a", "from b"), strict=True):
        context = open_app(folder)
        draft = context.contacts.get(anna).to_draft()
        context.contacts.update(anna, dataclasses.replace(draft, last_name="New", notes=note))
        context.close()
    for _ in range(2):
        for folder in folders:
            payload = json.loads(run(folder, "sync", "--json"))  # the folder is remembered
            assert payload["folder"] == str(team)
    listed = [json.loads(run(folder, "conflicts", "--json")) for folder in folders]
    assert listed[0] == listed[1]  # one conflict (notes; the same last name is none)
    assert len(listed[0]) == 1 and listed[0][0]["field"] == "notes" and listed[0][0]["mine"]
    exports = []
    for number, folder in enumerate(folders):
        target = tmp_path / f"export{number}.csv"
        run(folder, "export", "contacts", str(target))
        exports.append(target.read_text(encoding="utf-8"))
    assert exports[0] == exports[1] and "New" in exports[0]
    out = run(folders[0], "conflicts", "resolve", listed[0][0]["id"], "--keep", "theirs")
    assert "resolved" in out
    for folder in (*folders, folders[0]):
        run(folder, "sync")
    assert json.loads(run(folders[1], "conflicts", "--json")) == []
