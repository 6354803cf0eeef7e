"""Automation by itself: rules that start a follow-up series (for the deal that triggered
them), rules limited to a segment's contacts, and the run the window and `automation run`
make after changes and once a day: since the last run, each event acted on once, also
after the data is opened again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.cli import main
from crm_desktop.domain.activities import Step
from crm_desktop.domain.automation import describe, parse_rule
from crm_desktop.domain.errors import NotFoundError
from crm_desktop.domain.records import ContactDraft, EmailEntry
from crm_desktop.domain.segments import parse_filter
from crm_desktop.persistence.models import Activity
from tests.conftest import TODAY
from tests.databases import location_args, url_of

SINCE = TODAY - dt.timedelta(days=60)
AFTERCARE = {
    "name": "Aftercare",
    "trigger": "deal_won",
    "action": "start_followup",
    "params": {"template": "after the sale"},
}


def _planned(app: AppContext, subject: str) -> list[tuple[str | None, str | None]]:
    with app.uow.read() as uow:
        rows = uow.session.execute(
            select(Activity.contact_id, Activity.deal_id).where(
                Activity.subject == subject, Activity.deleted_at.is_(None)
            )
        )
        return [(r[0], r[1]) for r in rows]


def test_a_won_deal_starts_a_follow_up_series_on_that_deal(demo_app: AppContext) -> None:
    demo_app.followups.save_template(
        "After the sale", [Step(0, "call", "Thank-you call"), Step(14, "email", "How is it?")]
    )
    demo_app.automation.save_rule(AFTERCARE)
    outcomes = demo_app.automation.run(SINCE, TODAY)
    assert outcomes and all(o.done for o in outcomes)
    assert {o.action for o in outcomes} == {"follow-up series after the sale for the deal"}
    calls = _planned(demo_app, "Thank-you call")
    assert len(calls) == len(_planned(demo_app, "How is it?")) == len(outcomes)
    assert all(deal is not None for _contact, deal in calls)  # planned on the won deal
    assert {c for c, _d in calls} == {o.contact_id for o in outcomes}
    assert demo_app.automation.run(SINCE, TODAY) == []  # each won deal once


def test_a_follow_up_rule_needs_a_series_that_exists(app: AppContext) -> None:
    with pytest.raises(NotFoundError, match="no follow-up series"):
        app.automation.save_rule(AFTERCARE)
    assert app.automation.rules() == []


def test_a_rule_limited_to_a_segment_acts_only_on_its_contacts(demo_app: AppContext) -> None:
    demo_app.segments.save("Big", parse_filter({"field": "total_spend", "op": ">", "value": 2000}))
    rule = {
        "name": "Big buyers",
        "trigger": "order_placed",
        "action": "add_tag",
        "params": {"tag": "Big buyer", "only_segment": "Big"},
    }
    demo_app.automation.save_rule(rule)
    everyone = {
        o.contact_id for o in demo_app.automation.run(SINCE, TODAY, dry_run=True, only="Big buyers")
    }
    demo_app.automation.save_rule({**rule, "params": {"tag": "Big buyer"}})
    all_buyers = {
        o.contact_id for o in demo_app.automation.run(SINCE, TODAY, dry_run=True, only="Big buyers")
    }
    big = set(demo_app.segments.ids(demo_app.segments.find("Big").filter, TODAY))
    assert everyone and everyone < all_buyers
    assert everyone == all_buyers & big


def test_the_run_by_itself_continues_from_the_last_run_also_after_a_restart(
    demo_app: AppContext,
) -> None:
    demo_app.automation.save_rule(
        {"name": "Buyers", "trigger": "order_placed", "action": "add_tag", "params": {"tag": "B"}}
    )
    assert demo_app.automation.last_run() is None
    first = demo_app.automation.run_due(TODAY, first=SINCE)
    assert first and all(o.done for o in first)
    assert demo_app.automation.last_run() == TODAY
    assert demo_app.automation.run_due(TODAY) == []
    again = open_app(demo_app.paths.data_dir, database_url=url_of(demo_app))
    try:
        assert again.automation.last_run() == TODAY
        assert again.automation.run_due(TODAY + dt.timedelta(days=1)) == []
        assert again.automation.run(SINCE, TODAY) == []  # even over the whole period
    finally:
        again.close()


def test_the_daily_run_greets_a_birthday_once(app: AppContext) -> None:
    tomorrow = TODAY + dt.timedelta(days=1)
    ada = app.contacts.create(
        ContactDraft(
            first_name="Ada",
            last_name="Birthday",
            emails=(EmailEntry("ada@example.com"),),
            birthday=tomorrow.replace(year=1990),
        )
    ).id
    app.automation.save_rule(
        {
            "name": "Greet",
            "trigger": "birthday",
            "action": "create_task",
            "params": {"subject": "Call to congratulate", "days": 0},
        }
    )
    assert app.automation.run_due(TODAY) == []
    greeted = app.automation.run_due(tomorrow)
    assert [(o.contact_id, o.event) for o in greeted] == [(ada, "birthday")]
    assert app.automation.run_due(tomorrow) == []
    assert len(_planned(app, "Call to congratulate")) == 1
    with app.uow.read() as uow:
        logged = uow.session.scalar(
            select(func.count()).where(
                Activity.contact_id == ada, Activity.subject.like("Automation Greet:%")
            )
        )
    assert logged == 1  # the run is on the record, once


def test_automation_run_on_the_command_line_remembers_its_last_run(
    demo_app: AppContext, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    demo_app.automation.save_rule(
        {"name": "Buyers", "trigger": "order_placed", "action": "add_tag", "params": {"tag": "B"}}
    )
    where = location_args(demo_app)
    assert main([*where, "automation", "run", "--since", str(SINCE), "--until", str(TODAY)]) == 0
    assert "Done:" in capsys.readouterr().out
    assert main([*where, "automation", "run"]) == 0
    assert "Done: 0 actions" in capsys.readouterr().out  # nothing twice
    assert demo_app.automation.last_run() == dt.date.today()


def test_each_rule_reads_as_a_sentence() -> None:
    rule = parse_rule({**AFTERCARE, "params": {"template": "After", "only_segment": "VIP"}})
    assert describe(rule) == (
        "When a deal is won (contacts in VIP only), start the follow-up series After"
    )
    quiet = parse_rule(
        {
            "name": "Wake",
            "trigger": "no_activity",
            "action": "create_task",
            "params": {"days": 90},
            "enabled": False,
        }
    )
    assert describe(quiet) == (
        "When nothing happened with a contact for 90 days, make the task 'Wake' (off)"
    )


def test_a_contact_entering_a_segment_later_is_acted_on_too(app: AppContext) -> None:
    app.segments.save("Club", parse_filter({"field": "tag", "op": "has", "value": "Club"}))
    app.automation.save_rule(
        {
            "name": "Welcome",
            "trigger": "segment_entered",
            "action": "add_tag",
            "params": {"segment": "Club", "tag": "Welcomed"},
        }
    )
    ada = app.contacts.create(ContactDraft(first_name="Ada", tags=("Club",))).id
    assert [o.contact_id for o in app.automation.run_due(TODAY)] == [ada]
    ben = app.contacts.create(ContactDraft(first_name="Ben", tags=("Club",))).id
    assert [o.contact_id for o in app.automation.run_due(TODAY)] == [ben]
    assert app.automation.run_due(TODAY) == []
