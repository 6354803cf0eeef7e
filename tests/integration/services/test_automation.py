"""Automation rules: kept in the business settings; tried on past data (nothing written)
and run (once per event, logged on the contact's timeline); e-mails only where consent
allows."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.cli import main
from crm_desktop.domain.automation import parse_rule
from crm_desktop.domain.errors import NotFoundError, ValidationError
from crm_desktop.domain.records import ContactDraft, EmailEntry, ListQuery, TimelineKind
from tests.conftest import TODAY

SINCE = TODAY - dt.timedelta(days=60)


def test_a_rule_tried_on_past_data_writes_nothing(demo_app: AppContext) -> None:
    demo_app.automation.save_rule(
        {
            "name": "Buyers",
            "trigger": "order_placed",
            "action": "add_tag",
            "params": {"tag": "Buyer"},
        }
    )
    before = demo_app.contacts.count(ListQuery(tag="Buyer"))
    outcomes = demo_app.automation.run(SINCE, TODAY, dry_run=True)
    assert outcomes and all(not o.done and o.action == "tag Buyer" for o in outcomes)
    assert all("placed" in o.event for o in outcomes)
    assert demo_app.contacts.count(ListQuery(tag="Buyer")) == before == 0


def test_a_run_acts_once_per_event_and_logs_it(demo_app: AppContext) -> None:
    demo_app.automation.save_rule(
        {
            "name": "Buyers",
            "trigger": "order_placed",
            "action": "add_tag",
            "params": {"tag": "Buyer"},
        }
    )
    tried = demo_app.automation.run(SINCE, TODAY, dry_run=True)
    done = demo_app.automation.run(SINCE, TODAY)
    assert [(o.contact_id, o.action) for o in done] == [(o.contact_id, o.action) for o in tried]
    assert all(o.done for o in done)
    tagged = {o.contact_id for o in done}
    assert demo_app.contacts.count(ListQuery(tag="Buyer")) == len(tagged)
    assert demo_app.automation.run(SINCE, TODAY) == []  # each order once
    someone = done[0].contact_id
    notes = [
        e.title
        for e in demo_app.timeline.timeline("contacts", someone, 50)
        if e.kind is TimelineKind.ACTIVITY
    ]
    assert any(t.endswith("Automation Buyers: tag Buyer") for t in notes)


def test_a_won_deal_makes_a_task(demo_app: AppContext) -> None:
    demo_app.automation.save_rule(
        {
            "name": "Review",
            "trigger": "deal_won",
            "action": "create_task",
            "params": {"subject": "Ask for a review", "days": 2},
        }
    )
    outcomes = demo_app.automation.run(SINCE, TODAY)
    assert outcomes and all("won" in o.event for o in outcomes)
    contact = outcomes[0].contact_id
    planned = demo_app.timeline.next_activity("contacts", contact, None)
    assert planned is not None


def test_birthday_e_mails_only_where_consent_allows(app: AppContext, tmp_path: Path) -> None:
    day = dt.date.today()
    people = {}
    for name in ("Ada", "Ben"):
        people[name] = app.contacts.create(
            ContactDraft(
                first_name=name,
                last_name="B",
                emails=(EmailEntry(f"{name.lower()}@example.com"),),
                birthday=day.replace(year=1990)
                if (day.month, day.day) != (2, 29)
                else dt.date(1988, 2, 29),
            )
        ).id
    app.consents.record(people["Ada"], "marketing_email")
    app.consents.record(people["Ben"], "marketing_email")
    app.consents.withdraw(people["Ben"], "marketing_email")
    app.automation.save_rule(
        {
            "name": "Birthday",
            "trigger": "birthday",
            "action": "send_email",
            "params": {"subject": "Happy birthday {{first_name}}", "body": "Best wishes"},
        }
    )
    outcomes = {o.contact_name: o for o in app.automation.run(day, day)}
    assert (
        outcomes["Ada B"].done
        and outcomes["Ada B"].action == "e-mail 'Happy birthday {{first_name}}'"
    )
    assert not outcomes["Ben B"].done
    assert outcomes["Ben B"].action == "skipped: withdrew consent for marketing email"
    files = list(app.automation.outbox.glob("*.eml"))
    assert len(files) == 1 and "Happy birthday Ada" in files[0].read_text(encoding="utf-8")


def test_segment_and_quiet_triggers(demo_app: AppContext) -> None:
    from crm_desktop.domain.segments import parse_filter

    demo_app.segments.save("Big", parse_filter({"field": "total_spend", "op": ">", "value": 2000}))
    demo_app.automation.save_rule(
        {
            "name": "VIP",
            "trigger": "segment_entered",
            "action": "add_tag",
            "params": {"segment": "Big", "tag": "VIP2"},
        }
    )
    first = demo_app.automation.run(TODAY, TODAY, only="VIP")
    assert len(first) == demo_app.segments.count(demo_app.segments.find("Big").filter)
    assert demo_app.automation.run(TODAY, TODAY, only="VIP") == []  # entered once
    demo_app.automation.save_rule(
        {"name": "Quiet", "trigger": "no_activity", "action": "create_task", "params": {"days": 90}}
    )
    assert demo_app.automation.run(TODAY, TODAY, dry_run=True, only="Quiet")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"trigger": "order_placed", "action": "add_tag"}, "needs a name"),
        ({"name": "x", "trigger": "rain", "action": "add_tag"}, "trigger is one of"),
        ({"name": "x", "trigger": "order_placed", "action": "dance"}, "action is one of"),
        ({"name": "x", "trigger": "order_placed", "action": "add_tag"}, "params.tag is needed"),
        (
            {
                "name": "x",
                "trigger": "no_activity",
                "action": "add_tag",
                "params": {"days": "a", "tag": "t"},
            },
            "whole number",
        ),
        (
            {
                "name": "x",
                "trigger": "birthday",
                "action": "send_email",
                "params": {"subject": "{{nick}}", "body": "b"},
            },
            "unknown placeholder",
        ),
    ],
)
def test_bad_rules_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_rule(data)


def test_cli_automation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    assert main(["--data-dir", data, "demo", "--contacts", "150", "--seed", "2"]) == 0
    rule = tmp_path / "rule.json"
    rule.write_text(
        json.dumps(
            {
                "name": "Buyers",
                "trigger": "order_placed",
                "action": "add_tag",
                "params": {"tag": "B"},
            }
        ),
        encoding="utf-8",
    )
    assert main(["--data-dir", data, "automation", "add", str(rule)]) == 0
    capsys.readouterr()
    assert (
        main(
            [
                "--data-dir",
                data,
                "--json",
                "automation",
                "run",
                "--since",
                "2000-01-01",
                "--dry-run",
            ]
        )
        == 0
    )
    tried = json.loads(capsys.readouterr().out)
    assert tried and not any(o["done"] for o in tried)
    assert main(["--data-dir", data, "automation", "remove", "nope"]) == 1
    assert "no rule named" in capsys.readouterr().err


def test_unknown_rules_and_segments(app: AppContext) -> None:
    with pytest.raises(NotFoundError):
        app.automation.run(TODAY, TODAY, only="nothing")
    with pytest.raises(NotFoundError):
        app.automation.save_rule(
            {
                "name": "S",
                "trigger": "segment_entered",
                "action": "add_tag",
                "params": {"segment": "no", "tag": "t"},
            }
        )
