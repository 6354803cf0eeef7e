"""The campaigns screen: the members model passes Qt's model tester; a campaign made in
the dialog, members taken from its segment with reasons, a member's preview, a send to
a folder of .eml files, and a member marked by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import ContactDraft, EmailEntry
from crm_desktop.domain.segments import parse_filter
from crm_desktop.gui.campaigns.models import MembersTableModel
from crm_desktop.gui.host import CAMPAIGNS
from crm_desktop.gui.main_window import MainWindow


@pytest.fixture
def club(app: AppContext) -> dict[str, str]:
    people = {}
    for name, mail in (("Ada", "ada@example.com"), ("Ben", "ben@example.com"), ("Cy", "")):
        people[name] = app.contacts.create(
            ContactDraft(
                first_name=name,
                last_name="Club",
                emails=(EmailEntry(mail),) if mail else (),
                tags=("Club",),
            )
        ).id
    app.consents.record(people["Ada"], "newsletter")
    app.consents.record(people["Cy"], "newsletter")
    app.segments.save("Club", parse_filter({"field": "tag", "op": "has", "value": "Club"}))
    return people


@pytest.fixture
def window_app(app: AppContext, club: dict[str, str]) -> AppContext:
    return app


def test_members_model_passes_the_model_tester(
    app: AppContext, club: dict[str, str], qtmodeltester: Any
) -> None:
    app.campaigns.create("News", "Club", subject="Hi")
    campaign = app.campaigns.find("News")
    app.campaigns.build_members(campaign)
    model = MembersTableModel()
    model.set_members(app.campaigns.members(campaign))
    qtmodeltester.check(model)
    assert model.rowCount() == 3


def test_make_build_preview_send_and_mark(
    window: MainWindow, app: AppContext, club: dict[str, str], tmp_path: Path
) -> None:
    window.sidebar.setCurrentRow(CAMPAIGNS)
    controller = window.campaigns
    dialog = controller.new_campaign()
    dialog.name.setText("Club news")
    dialog.subject.setText("News for {{first_name}}")
    dialog.cost.setValue(50)
    dialog.accept()
    assert controller.view.current_id() == app.campaigns.find("Club news")
    controller.build_members()
    view = controller.view
    rows = {
        view.model.members[r].name: (view.model.members[r].status, view.model.members[r].reason)
        for r in range(view.model.rowCount())
    }
    assert rows == {
        "Ada Club": ("targeted", ""),
        "Ben Club": ("excluded", "no consent for newsletter"),
        "Cy Club": ("excluded", "no e-mail address"),
    }
    ada_row = next(r for r in range(3) if view.model.members[r].name == "Ada Club")
    view.table.selectRow(ada_row)
    assert "News for Ada" in view.preview.toPlainText()
    ben_row = next(r for r in range(3) if view.model.members[r].name == "Ben Club")
    view.table.selectRow(ben_row)
    assert "Left out: no consent for newsletter" in view.preview.toPlainText()
    controller.send_eml(str(tmp_path))
    assert len(list(tmp_path.glob("*.eml"))) == 1
    statuses = {m.name: m.status for m in view.model.members}
    assert statuses["Ada Club"] == "sent"
    view.table.selectRow(next(r for r in range(3) if view.model.members[r].name == "Ada Club"))
    controller.mark_member("responded")
    assert {m.name: m.status for m in app.campaigns.members(view.current_id() or "")}[
        "Ada Club"
    ] == "responded"
    assert "1 responded" in view.facts.text()


def test_mail_server_settings_keep_the_password_in_the_keyring(
    window: MainWindow, app: AppContext
) -> None:
    import keyring

    from tests.integration.services.test_campaigns import MemoryKeyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        dialog = window.campaigns.mail_settings()
        dialog.host.setText("smtp.example.com")
        dialog.user.setText("shop")
        dialog.password.setText("pa55")
        dialog.port.setValue(0 + 1)  # a wrong port is refused with a line, nothing saved
        dialog.host.setText("")
        dialog.save()
        assert "host name" in dialog.error.text() and backend.store == {}
        dialog.host.setText("smtp.example.com")
        dialog.port.setValue(465)
        dialog.save()
        assert app.mail.settings().port == 465
        assert backend.store == {("crm-desktop smtp", "shop@smtp.example.com"): "pa55"}
        assert "pa55" not in app.paths.preferences.read_text(encoding="utf-8")
    finally:
        keyring.set_keyring(previous)
