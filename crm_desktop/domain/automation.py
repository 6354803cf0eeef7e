"""Automation rules: when something happens (a trigger), do something (an action).

A rule is plain data, kept as JSON in the business settings (so the team shares it):

    {"name": "Thank new buyers", "trigger": "order_placed", "action": "add_tag",
     "params": {"tag": "Customer"}}

Triggers: `deal_won`, `deal_stage` (params.stage: a stage's name or id), `order_placed`,
`segment_entered` (params.segment), `birthday` (today), `no_activity` (params.days).
Actions: `create_task` (params.subject, params.days), `add_tag` (params.tag),
`send_email` (params.subject, params.body, params.purpose: written as an .eml to the
outbox folder where consent allows), `start_followup` (params.template: a follow-up
series by name, planned for the contact, or for the deal when a deal triggered it).
Condition (optional): params.only_segment, a saved segment the contact must be in.
Each rule acts once per event (a deal, an order, a contact entering a segment, a birthday
in a year), logged on the contact's timeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crm_desktop.domain.campaigns import check_template
from crm_desktop.domain.consent import PURPOSES, TRANSACTIONAL
from crm_desktop.domain.errors import ValidationError

TRIGGERS = ("deal_won", "deal_stage", "order_placed", "segment_entered", "birthday", "no_activity")
ACTIONS = ("create_task", "add_tag", "send_email", "start_followup")


@dataclass(frozen=True)
class Rule:
    name: str
    trigger: str
    action: str
    params: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "trigger": self.trigger,
            "action": self.action,
            "params": dict(self.params),
            "enabled": self.enabled,
        }


@dataclass(frozen=True)
class Event:
    """Something that happened to a contact: `key` names it once (a rule acts on it
    once), `what` says it for a person."""

    contact_id: str
    key: str
    when: dt.datetime
    what: str
    deal_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What a rule did (or, tried on past data, would have done) for one event."""

    rule: str
    contact_id: str
    contact_name: str
    event: str
    action: str  # e.g. "tag Customer", "task 'Call back' due 12 Dec", "skipped: no consent"
    done: bool


def parse_rule(data: Any) -> Rule:
    """A rule from its JSON form; every mistake is one ValidationError."""
    if not isinstance(data, Mapping):
        raise ValidationError("a rule is an object with name, trigger, action and params")
    name = str(data.get("name", "")).strip()
    if not name:
        raise ValidationError("a rule needs a name")
    trigger, action = data.get("trigger"), data.get("action")
    if trigger not in TRIGGERS:
        raise ValidationError(f"{name}: trigger is one of {', '.join(TRIGGERS)}")
    if action not in ACTIONS:
        raise ValidationError(f"{name}: action is one of {', '.join(ACTIONS)}")
    params = data.get("params") or {}
    if not isinstance(params, Mapping):
        raise ValidationError(f"{name}: params is an object")
    need = {
        "deal_stage": ("stage",),
        "segment_entered": ("segment",),
        "no_activity": ("days",),
        "add_tag": ("tag",),
        "send_email": ("subject", "body"),
        "start_followup": ("template",),
    }
    for key in need.get(str(trigger), ()) + need.get(str(action), ()):
        if params.get(key) in (None, ""):
            raise ValidationError(f"{name}: params.{key} is needed")
    if trigger == "no_activity" and not (isinstance(params["days"], int) and params["days"] > 0):
        raise ValidationError(f"{name}: params.days is a whole number of days, 1 or more")
    if "only_segment" in params and not str(params["only_segment"] or "").strip():
        raise ValidationError(f"{name}: params.only_segment names a saved segment")
    if action == "send_email":
        check_template(str(params["subject"]))
        check_template(str(params["body"]))
        purpose = params.get("purpose", "marketing_email")
        if purpose not in (*PURPOSES, TRANSACTIONAL):
            raise ValidationError(f"{name}: unknown purpose {purpose!r}")
    if action == "create_task" and not isinstance(params.get("days", 1), int):
        raise ValidationError(f"{name}: params.days is a whole number")
    return Rule(name, str(trigger), str(action), dict(params), bool(data.get("enabled", True)))


_WHEN = {
    "deal_won": "a deal is won",
    "deal_stage": "a deal enters {stage}",
    "order_placed": "an order is placed",
    "segment_entered": "a contact enters the segment {segment}",
    "birthday": "it is a contact's birthday",
    "no_activity": "nothing happened with a contact for {days} days",
}
_THEN = {
    "create_task": "make the task {subject!r}",
    "add_tag": "tag the contact {tag}",
    "send_email": "e-mail {subject!r} where consent allows",
    "start_followup": "start the follow-up series {template}",
}


def describe(rule: Rule) -> str:
    """The rule in a sentence: "When a deal is won, make the task 'Ask for a review'"."""
    values = {"subject": rule.name, **rule.params}
    when = _WHEN[rule.trigger].format_map(values)
    then = _THEN[rule.action].format_map(values)
    only = rule.params.get("only_segment")
    where = f" (contacts in {only} only)" if only else ""
    return f"When {when}{where}, {then}" + ("" if rule.enabled else " (off)")
