"""A record's page opens what it shows: its company, its people, its deals, its next
activity and each activity or deal on its timeline; a record in the Trash offers no
actions; money, dates and counts in the one format."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.pipeline import DealDraft
from crm_desktop.domain.records import CompanyDraft, ContactDraft, RoleEntry
from crm_desktop.gui.dialogs.activity_editor import ActivityEditorDialog
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.views.detail import LINK_ROLE, link


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The editors the window opened (each closed again at once, as Cancel does)."""
    from crm_desktop.gui.dialogs.activity_editor import ActivityEditorDialog
    from crm_desktop.gui.dialogs.deal_editor import DealEditorDialog

    seen: list[str] = []

    def fake_exec(dialog: Any) -> int:
        seen.append(type(dialog).__name__)
        return 0

    monkeypatch.setattr(DealEditorDialog, "exec", fake_exec)
    monkeypatch.setattr(ActivityEditorDialog, "exec", fake_exec)
    return seen


@pytest.fixture
def records(app: AppContext) -> dict[str, str]:
    """A company, a person at it with one deal of 12,000 EUR and a call planned."""
    app.pipeline.ensure_default()
    company = app.companies.create(CompanyDraft(name="Harbor Media Ltd")).id
    contact = app.contacts.create(
        ContactDraft(first_name="Ada", last_name="Lovelace", roles=(RoleEntry(company, "CFO"),))
    ).id
    draft = app.deals.new_draft(None, contact)
    deal = app.deals.create(
        DealDraft(**{**draft.__dict__, "title": "Website relaunch", "value_cents": 12_000_00})
    ).id
    when = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    call = app.activities.schedule(contact, "call", "Call about the offer", when).id
    return {"company": company, "contact": contact, "deal": deal, "call": call}


def test_the_page_lists_deals_with_stage_and_value_and_the_next_activity(
    window: MainWindow, records: dict[str, str]
) -> None:
    window.contacts.open_contact(records["contact"])
    facts = window.contacts.contact_detail.facts.text()
    assert "Deals" in facts and link("deal", records["deal"], "Website relaunch") in facts
    assert "12,000 EUR" in facts and "Lead" in facts  # value and stage
    assert "Next activity" in facts
    assert link("activity", records["call"], "Call: Call about the offer") in facts
    subtitle = window.contacts.contact_detail.subtitle.text()
    assert link("company", records["company"], "Harbor Media Ltd") in subtitle


def test_a_deal_link_asks_the_window_to_open_the_deal(
    window: MainWindow, records: dict[str, str], qtbot: Any, opened: list[str]
) -> None:
    window.contacts.open_contact(records["contact"])
    detail = window.contacts.contact_detail
    with qtbot.waitSignal(window.contacts.deal_open_requested, timeout=1000) as blocker:
        detail.facts.linkActivated.emit(f"crm:deal/{records['deal']}")
    assert blocker.args == [records["deal"]]
    with qtbot.waitSignal(window.contacts.activity_open_requested, timeout=1000) as blocker:
        detail.facts.linkActivated.emit(f"crm:activity/{records['call']}")
    assert blocker.args == [records["call"]]
    assert opened == ["DealEditorDialog", "ActivityEditorDialog"]  # the window opened them


def test_the_company_link_opens_the_company_and_its_people_open_the_person(
    window: MainWindow, records: dict[str, str]
) -> None:
    window.contacts.open_contact(records["contact"])
    window.contacts.contact_detail.subtitle.linkActivated.emit(f"crm:company/{records['company']}")
    company_detail = window.contacts.company_detail
    assert window.sidebar.currentRow() == 1
    assert company_detail.record_id == records["company"]
    assert company_detail.subtitle.text() == "1 person"
    facts = company_detail.facts.text()
    assert link("contact", records["contact"], "Ada Lovelace") in facts
    assert link("deal", records["deal"], "Website relaunch") in facts
    company_detail.facts.linkActivated.emit(f"crm:contact/{records['contact']}")
    assert window.sidebar.currentRow() == 0
    assert window.contacts.contact_detail.record_id == records["contact"]


def test_timeline_activities_and_deals_open_on_enter(
    window: MainWindow, records: dict[str, str], qtbot: Any, opened: list[str]
) -> None:
    window.contacts.open_contact(records["contact"])
    timeline = window.contacts.contact_detail.timeline
    items = [timeline.item(row) for row in range(timeline.count())]
    targets = {item.data(LINK_ROLE) for item in items if item.data(LINK_ROLE)}
    assert targets == {("activity", records["call"]), ("deal", records["deal"])}
    call = next(i for i in items if i.data(LINK_ROLE) == ("activity", records["call"]))
    with qtbot.waitSignal(window.contacts.activity_open_requested, timeout=1000) as blocker:
        timeline.itemActivated.emit(call)
    assert blocker.args == [records["call"]]
    # The new contact's own history is one entry, not one per e-mail, phone and role.
    assert sum("Created" in i.text() for i in items) == 1
    assert not any("Added company role" in i.text() for i in items)


def test_the_calendar_opens_an_activity_by_its_id(
    window: MainWindow, records: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []

    def fake_exec(dialog: ActivityEditorDialog) -> int:
        opened.append(dialog.draft().subject)
        return 0  # cancelled

    monkeypatch.setattr(ActivityEditorDialog, "exec", fake_exec)
    window.calendar_view.open_activity(records["call"])
    assert opened == ["Call about the offer"]


def test_a_record_in_the_trash_shows_no_quick_actions(
    window: MainWindow, app: AppContext, records: dict[str, str]
) -> None:
    detail = window.contacts.contact_detail
    window.contacts.open_contact(records["contact"])
    assert all(not b.isHidden() for b in detail.buttons.values())
    assert detail.trash_note.isHidden()
    app.contacts.delete([records["contact"]])
    window.contacts.show_contact(records["contact"])
    assert "(in Trash)" in detail.title.text()
    assert all(b.isHidden() for b in detail.buttons.values())
    assert not detail.trash_note.isHidden()
