"""Follow-up templates: a named series of activities with day offsets ("new lead: call on
day 0, e-mail on day 3, call on day 7"), applied to a contact or a deal by hand, or by
itself when a deal enters a chosen stage. Kept as business settings shared by the team, one
setting per template (see `settings.item_key`): two people editing two templates keep both.

The templates shown are a base, overridden item by item by the stored templates: the base
is the default template, or, in a database made before templates were stored one by one,
the former single setting "followup_templates" (never written again, so it is not copied
by a migration). An edit or a removal of a base template stores that one template. Copying
every base template into items on the first edit would not do: those copies, stamped
later, would overwrite a teammate's edit of another template made meanwhile."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from crm_desktop.domain.activities import REMINDER_MINUTES, FollowUpTemplate, Step
from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import NotFoundError, ValidationError
from crm_desktop.domain.vocabulary import ACTIVITY_KINDS
from crm_desktop.persistence.models import Activity, Deal
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import UowFactory, now, require
from crm_desktop.services.settings import (
    read_items,
    read_setting,
    remove_item,
    write_item,
)

SETTING = "followup_templates"  # the former single value of every template
PREFIX = "followup:"  # the key prefix of one template's setting


DEFAULT = FollowUpTemplate(
    "new-lead",
    "New lead",
    (
        Step(0, "call", "Introductory call"),
        Step(3, "email", "Send information"),
        Step(7, "call", "Follow-up call"),
    ),
)


def _decode(item: Mapping[str, Any]) -> FollowUpTemplate:
    return FollowUpTemplate(
        item["id"], item["name"], tuple(Step(**s) for s in item["steps"]), item.get("stage_id")
    )


def _all(uow: UnitOfWork) -> list[FollowUpTemplate]:
    """The base templates not stored since, and the stored ones (see the docstring)."""
    items, known = read_items(uow, PREFIX)
    former = read_setting(uow, SETTING)
    base = former if isinstance(former, list) else [asdict(DEFAULT)]
    found = [_decode(t) for t in base if t["id"] not in known] + [_decode(t) for t in items]
    return sorted(found, key=lambda t: (t.name.casefold(), t.id))


class FollowUpService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def templates(self) -> list[FollowUpTemplate]:
        with self._uow.read() as uow:
            return _all(uow)

    def save_template(
        self,
        name: str,
        steps: list[Step],
        stage_id: str | None = None,
        template_id: str | None = None,
    ) -> str:
        """Add or replace a template; returns its id."""
        if not name.strip() or not steps:
            raise ValidationError("a follow-up template needs a name and at least one step")
        for step in steps:
            if step.kind not in ACTIVITY_KINDS or step.day < 0 or not step.subject.strip():
                raise ValidationError(
                    f"step {step.subject!r}: a kind of {', '.join(ACTIVITY_KINDS)}, "
                    "a day of 0 or more and a subject"
                )
        template = FollowUpTemplate(
            template_id or str(uuid.uuid4()), name.strip(), tuple(steps), stage_id
        )
        with self._uow() as uow:
            write_item(uow, PREFIX, asdict(template))
            uow.commit()
        return template.id

    def remove_template(self, template_id: str) -> None:
        """Delete a template (activities it already planned stay)."""
        with self._uow() as uow:
            shown = next((t for t in _all(uow) if t.id == template_id), None)
            if shown is not None:
                remove_item(uow, PREFIX, asdict(shown))
            uow.commit()

    def apply(
        self,
        template_id: str,
        contact_id: str | None = None,
        deal_id: str | None = None,
        start: dt.date | None = None,
    ) -> ChangeSet:
        """Plan the template's activities for a contact or a deal, counted from `start`
        (today by default), each at 09:00 UTC of its day."""
        template = next((t for t in self.templates() if t.id == template_id), None)
        if template is None:
            raise NotFoundError(f"no follow-up template with id {template_id}")
        with self._uow() as uow:
            _plan(uow, template, contact_id, deal_id, start or now().date())
            return uow.commit()


def planned_rows(
    template: FollowUpTemplate,
    start: dt.date,
    contact_id: str | None,
    deal_id: str | None,
    owner_id: str | None,
    company_id: str | None,
) -> list[dict[str, Any]]:
    """The activities a template plans from `start`: each step at 09:00 UTC of its day
    (the rows of `Activity`, for one record or, in bulk, for many)."""
    rows = []
    for step in template.steps:
        when = dt.datetime.combine(start + dt.timedelta(days=step.day), dt.time(9), tzinfo=dt.UTC)
        rows.append(
            {
                "kind": step.kind,
                "subject": step.subject,
                "starts_at": when,
                "ends_at": when + dt.timedelta(minutes=30),
                "owner_id": owner_id,
                "contact_id": contact_id,
                "company_id": company_id,
                "deal_id": deal_id,
                "reminder_minutes": REMINDER_MINUTES,
                "notes": f"From the follow-up template {template.name}",
            }
        )
    return rows


def _plan(
    uow: object,
    template: FollowUpTemplate,
    contact_id: str | None,
    deal_id: str | None,
    start: dt.date,
) -> None:
    from crm_desktop.persistence.uow import UnitOfWork

    assert isinstance(uow, UnitOfWork)
    owner = company = None
    if deal_id:
        deal = require(uow.deals, deal_id, "deal")
        contact_id = contact_id or deal.contact_id
        owner, company = deal.owner_id, deal.company_id
    if contact_id:
        contact = require(uow.contacts, contact_id, "contact")
        owner = owner or contact.owner_id
        company = company or contact.company_id
    if not (contact_id or deal_id):
        raise ValidationError("apply a follow-up template to a contact or a deal")
    for row in planned_rows(template, start, contact_id, deal_id, owner, company):
        uow.add(Activity(**row))


def templates_for_stage(uow: UnitOfWork, stage_id: str) -> list[FollowUpTemplate]:
    """The templates planned by themselves when a deal enters this stage."""
    return [t for t in _all(uow) if t.stage_id == stage_id]


def apply_for_stage(uow: UnitOfWork, deal: Deal, stage_id: str) -> None:
    """Called when a deal enters a stage: plan every template bound to that stage."""
    for template in templates_for_stage(uow, stage_id):
        _plan(uow, template, deal.contact_id, deal.id, now().date())
