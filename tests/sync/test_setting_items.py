"""Follow-up templates are stored one setting per template: two people editing two
different templates keep both edits, also of templates still held in the former single
value (each edit stores only its template)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from crm_desktop.services.followups import SETTING, FollowUpService, Step
from crm_desktop.services.settings import SettingsService


def _exchange(one: Any, other: Any) -> None:
    one.receive(other.rows())
    other.receive(one.rows())


def _names(service: FollowUpService) -> dict[str, list[str]]:
    return {t.name: [s.subject for s in t.steps] for t in service.templates()}


def test_two_people_adding_and_editing_different_templates_keep_both(devices: Any) -> None:
    anna, ben = devices("anna"), devices("ben")
    first = FollowUpService(anna.uow).save_template("Lead", [Step(0, "call", "Call")])
    _exchange(anna, ben)
    FollowUpService(anna.uow).save_template("Lead", [Step(0, "call", "Call them")], None, first)
    FollowUpService(ben.uow).save_template("Renewal", [Step(1, "email", "Remind")])
    _exchange(anna, ben)
    for device in (anna, ben):
        names = _names(FollowUpService(device.uow))
        assert names["Lead"] == ["Call them"]
        assert names["Renewal"] == ["Remind"]
        assert "New lead" in names  # the default stays
    assert anna.state() == ben.state()


def test_a_removal_on_one_device_and_an_edit_of_another_template_both_hold(
    devices: Any,
) -> None:
    anna, ben = devices("anna"), devices("ben")
    one = FollowUpService(anna.uow).save_template("One", [Step(0, "call", "a")])
    two = FollowUpService(anna.uow).save_template("Two", [Step(0, "call", "b")])
    _exchange(anna, ben)
    FollowUpService(anna.uow).remove_template(one)
    FollowUpService(ben.uow).save_template("Two", [Step(2, "call", "b2")], None, two)
    _exchange(anna, ben)
    for device in (anna, ben):
        names = _names(FollowUpService(device.uow))
        assert "One" not in names
        assert names["Two"] == ["b2"]


def test_edits_of_two_templates_of_the_former_single_value_both_hold(
    devices: Any,
) -> None:
    anna, ben = devices("anna"), devices("ben")
    former = [
        {"id": "a" * 36, "name": "Old A", "steps": [asdict(Step(0, "call", "x"))]},
        {"id": "b", "name": "Old B", "steps": [asdict(Step(1, "email", "y"))], "stage_id": None},
    ]
    SettingsService(anna.uow).set(SETTING, former)
    _exchange(anna, ben)
    assert set(_names(FollowUpService(ben.uow))) == {"Old A", "Old B"}
    FollowUpService(anna.uow).save_template("Old A", [Step(0, "call", "x2")], None, "a" * 36)
    FollowUpService(ben.uow).save_template("Old B", [Step(3, "email", "y2")], None, "b")
    _exchange(anna, ben)
    for device in (anna, ben):
        assert len(SettingsService(device.uow).get(SETTING)) == 2  # kept as the base
        names = _names(FollowUpService(device.uow))
        assert names == {"Old A": ["x2"], "Old B": ["y2"]}
    assert anna.state() == ben.state()


def test_removing_the_default_template_on_one_device_removes_it_everywhere(
    devices: Any,
) -> None:
    anna, ben = devices("anna"), devices("ben")
    FollowUpService(ben.uow).save_template("Mine", [Step(0, "call", "a")])
    FollowUpService(anna.uow).remove_template("new-lead")
    _exchange(anna, ben)
    for device in (anna, ben):
        assert list(_names(FollowUpService(device.uow))) == ["Mine"]
