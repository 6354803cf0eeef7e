"""Team sharing in the window: choosing a team folder shares and says so in the status
bar, an edit on one device reaches the other's open contacts list after its round, a
conflict is settled from the dialog, a copied data folder stops the rounds and says why.
Two data folders and one team folder; rounds run on the synchronous runner."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.domain.records import ContactDraft
from crm_desktop.gui.host import SETTINGS
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.sharing.dialog import NEW_PERSON
from crm_desktop.gui.tasks import SyncRunner
from tests.sync.team import device_id, open_device


@dataclasses.dataclass
class Device:
    context: AppContext
    window: MainWindow


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a: shown.append(text))
    return shown


@pytest.fixture
def devices(tmp_path: Path, qtbot: Any, warnings: list[str]) -> Iterator[list[Device]]:
    opened: list[Device] = []
    # Both devices start from one template with the default pipeline, as the sync tests
    # do (installs made apart agree too: tests/sync/test_default_rows.py).
    template = _template(tmp_path / "template")

    def device(folder: Path) -> Device:
        context = open_device(template, folder, device_id(len(opened) + 1))
        window = MainWindow(context, SyncRunner())
        qtbot.addWidget(window)
        opened.append(Device(context, window))
        return opened[-1]

    (tmp_path / "team").mkdir()
    device(tmp_path / "a")
    device(tmp_path / "b")
    yield opened
    for found in opened:
        found.window.close()  # the last round, while the data is still open
        found.context.close()


def _template(folder: Path) -> Path:
    context = open_app(folder)
    context.pipeline.ensure_default()
    with context.database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    context.close()
    return folder


def _shown_names(window: MainWindow) -> list[str]:
    model = window.contacts.contacts_model
    return [str(model.data(model.index(row, 0))) for row in range(model.rowCount())]


def test_choosing_a_folder_shares_and_the_status_bar_says_so(
    devices: list[Device], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = devices[0]
    assert a.window.sync_label.text() == "Not shared with a team"
    team = tmp_path / "team"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: str(team))
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a: (NEW_PERSON, True))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a: ("Ann Example", True))
    a.window.sharing_action.trigger()
    dialog = a.window.sharing.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.choose_button.click()
    assert a.context.sync.folder() == team
    assert a.window.sync_label.text().startswith("Synced ")
    assert a.window.sharing.timer.isActive()
    me = a.context.users.me()
    assert me is not None and me.name == "Ann Example"
    assert dialog.devices.rowCount() == 1
    assert dialog.devices.item(0, 1).text() == "Ann Example"
    assert (team / "crm-sync" / "v1" / "devices" / a.context.sync.device_id).is_dir()
    dialog.stop_button.click()
    assert a.context.sync.folder() is None
    assert a.window.sync_label.text() == "Not shared with a team"
    assert not a.window.sharing.timer.isActive()


def test_an_edit_on_one_device_reaches_the_others_open_list(
    devices: list[Device], tmp_path: Path
) -> None:
    a, b = devices
    for device in devices:
        device.window.sharing.share(tmp_path / "team")
    assert "Zed Shared" not in _shown_names(b.window)
    a.context.contacts.create(ContactDraft(first_name="Zed", last_name="Shared"))
    a.window.sharing.sync_now()
    b.window.sharing.sync_now()
    assert "Zed Shared" in _shown_names(b.window)
    assert b.window.sync_label.text().startswith("Synced ")
    # The round's own changes do not ask for another round a few seconds later.
    assert not b.window.sharing.soon.isActive()
    # A local edit asks for a round a few seconds later.
    saved = b.context.contacts.create(ContactDraft(first_name="Local"))
    b.window.hub.changed(saved.changes)
    assert b.window.sharing.soon.isActive()


def test_quitting_sends_the_last_edits(devices: list[Device], tmp_path: Path) -> None:
    a, b = devices
    for device in devices:
        device.window.sharing.share(tmp_path / "team")
    a.context.contacts.create(ContactDraft(first_name="Last", last_name="Word"))
    a.window.close()
    b.window.sharing.sync_now()
    assert "Last Word" in _shown_names(b.window)


def test_settings_say_where_the_team_folder_is(devices: list[Device], tmp_path: Path) -> None:
    a = devices[0]
    settings = a.window.settings_view
    a.window.show()
    a.window.sidebar.setCurrentRow(SETTINGS)
    assert settings.sharing_state.text().startswith("Not shared with a team")
    a.window.sidebar.setCurrentRow(0)
    a.window.sharing.share(tmp_path / "team")
    a.window.sidebar.setCurrentRow(SETTINGS)
    assert settings.sharing_state.text() == f"Shared through {tmp_path / 'team'}"


def test_a_conflict_is_listed_and_keep_theirs_settles_it(
    devices: list[Device], tmp_path: Path
) -> None:
    a, b = devices
    for device in devices:
        device.window.sharing.share(tmp_path / "team")
    saved = a.context.contacts.create(ContactDraft(first_name="Both", last_name="Edited"))
    a.window.sharing.sync_now()
    b.window.sharing.sync_now()
    for device, note in ((a, "from A"), (b, "from B")):
        draft = device.context.contacts.get(saved.id).to_draft()
        device.context.contacts.update(saved.id, dataclasses.replace(draft, notes=note))
    a.window.sharing.sync_now()
    b.window.sharing.sync_now()
    assert b.window.sync_label.text() == '<a href="conflicts">1 conflict</a>'
    b.window.sync_label.linkActivated.emit("conflicts")
    dialog = b.window.sharing.dialog
    assert dialog is not None and dialog.isVisible()
    table = dialog.conflicts
    assert table.rowCount() == 1
    row = [table.item(0, column).text() for column in range(table.columnCount())]
    assert row[:4] == ["Contact: Both Edited", "notes", "from B", "from A"]
    assert row[4] == "device 00000001"  # who: A's device (its person, once A chose one)
    assert re.fullmatch(r"\d\d \w{3} \d{4} \d\d:\d\d", row[5]), row[5]  # when: a date and time
    assert not dialog.keep_theirs.isEnabled()
    table.selectRow(0)
    dialog.keep_theirs.click()
    assert b.context.contacts.get(saved.id).notes == "from A"
    assert table.rowCount() == 0
    assert b.context.sync.conflict_count() == 0
    assert "conflict" not in b.window.sync_label.text()


def test_a_copied_data_folder_stops_the_rounds_and_says_why(
    devices: list[Device], tmp_path: Path, qtbot: Any, warnings: list[str]
) -> None:
    a = devices[0]
    a.window.sharing.share(tmp_path / "team")
    with a.context.database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copytree(tmp_path / "a", tmp_path / "copy")
    a.context.contacts.create(ContactDraft(first_name="Only on the original"))
    a.window.sharing.sync_now()
    copy = open_app(tmp_path / "copy")
    try:
        copy.contacts.create(ContactDraft(first_name="Only on the copy"))
        window = MainWindow(copy, SyncRunner())  # its first round runs on start
        qtbot.addWidget(window)
        assert not window.sharing.timer.isActive()
        assert window.sharing.stopped
        assert "Sharing stopped" in window.sync_label.text()
        assert any("copied" in text for text in warnings)
        window.sharing.sync_now()  # refused until the user acts
        assert window.sharing.last is None
        window.close()
    finally:
        copy.close()


def test_a_folder_out_of_reach_shows_offline_with_the_last_round(
    devices: list[Device], tmp_path: Path
) -> None:
    a = devices[0]
    team = tmp_path / "team"
    a.context.sync.set_folder(team)
    a.window.sharing.sync_now()
    assert a.window.sync_label.text().startswith("Synced ")
    synced_at = a.window.sharing.last_time
    assert synced_at is not None
    shutil.rmtree(team)  # the drive is not mounted, the network is down
    a.window.sharing.sync_now()
    assert f"Offline: last synced {synced_at:%H:%M}" in a.window.sync_label.text()
    assert "Team folder:" in a.window.sync_label.toolTip()


def test_a_conflict_opens_its_record_to_edit(devices: list[Device], tmp_path: Path) -> None:
    a, b = devices
    a.context.users.create_me("Anna")
    for device in devices:
        device.window.sharing.share(tmp_path / "team")
    saved = a.context.contacts.create(ContactDraft(first_name="Both", last_name="Edited"))
    a.window.sharing.sync_now()
    b.window.sharing.sync_now()
    for device, note in ((a, "from A"), (b, "from B")):
        draft = device.context.contacts.get(saved.id).to_draft()
        device.context.contacts.update(saved.id, dataclasses.replace(draft, notes=note))
    a.window.sharing.sync_now()
    b.window.sharing.sync_now()
    dialog = b.window.sharing.open_dialog()
    assert dialog.conflicts.item(0, 4).text() == "Anna"  # who: the person of A's device
    opened: list[tuple[str, str]] = []
    b.window.sharing.open_requested.connect(lambda kind, rid: opened.append((kind, rid)))
    dialog.conflicts.selectRow(0)
    assert dialog.edit_record.isEnabled()
    dialog.edit_record.click()
    assert opened == [("contact", saved.id)]
    assert not dialog.isVisible()


def test_a_record_with_a_conflict_wears_a_badge(devices: list[Device], tmp_path: Path) -> None:
    from crm_desktop.gui.contacts.details import contact_facts

    a, b = devices
    for device in devices:
        device.window.sharing.share(tmp_path / "team")
    saved = a.context.contacts.create(ContactDraft(first_name="Both", last_name="Edited"))
    a.window.sharing.sync_now()
    b.window.sharing.sync_now()
    record = b.context.contacts.get(saved.id)
    assert not [f for f in contact_facts(b.context, record) if f[0] == "Conflict"]
    for device, note in ((a, "from A"), (b, "from B")):
        draft = device.context.contacts.get(saved.id).to_draft()
        device.context.contacts.update(saved.id, dataclasses.replace(draft, notes=note))
    a.window.sharing.sync_now()
    b.window.sharing.sync_now()
    badge = [text for name, text in contact_facts(b.context, record) if name == "Conflict"]
    assert badge and "notes: changed here and on another computer" in badge[0]
