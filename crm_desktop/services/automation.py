"""Automation rules (domain.automation): kept in the business settings, run over a period
(each rule acts once per event, the run logged as a note on the contact's timeline), or
tried on past data first to show what they would have done."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crm_desktop.domain.activities import FollowUpTemplate
from crm_desktop.domain.automation import Event, Outcome, Rule, parse_rule
from crm_desktop.domain.campaigns import Message, render
from crm_desktop.domain.consent import refusal
from crm_desktop.domain.errors import NotFoundError, ValidationError
from crm_desktop.domain.formatting import format_date
from crm_desktop.domain.segments import Condition, Group
from crm_desktop.exchange import mail
from crm_desktop.exchange.files import write_atomically
from crm_desktop.persistence.models import Activity, Tagging
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import UowFactory, ensure_tag, now
from crm_desktop.services.consents import ConsentService
from crm_desktop.services.followups import FollowUpService, planned_rows
from crm_desktop.services.segments import SegmentService
from crm_desktop.services.settings import SettingsService

RULES_KEY = "automation_rules"


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


class AutomationService:
    def __init__(
        self,
        uow_factory: UowFactory,
        settings: SettingsService,
        segments: SegmentService,
        consents: ConsentService,
        outbox: Path,
        followups: FollowUpService | None = None,
    ) -> None:
        self._uow = uow_factory
        self._settings = settings
        self._segments = segments
        self._consents = consents
        self._followups = followups or FollowUpService(uow_factory)
        self.outbox = outbox

    # ---- rules ------------------------------------------------------------------------------

    def rules(self) -> list[Rule]:
        raw = self._settings.get(RULES_KEY) or []
        return [parse_rule(r) for r in raw] if isinstance(raw, list) else []

    def save_rule(self, data: Any) -> Rule:
        """Add a rule, or replace the one of the same name."""
        rule = self._checked(data)
        kept = [r for r in self.rules() if r.name.casefold() != rule.name.casefold()]
        self._settings.set(RULES_KEY, [r.to_json() for r in [*kept, rule]])
        return rule

    def _checked(self, data: Any) -> Rule:
        """A rule whose segments and follow-up series exist."""
        rule = parse_rule(data)
        for key in ("segment", "only_segment"):
            if rule.params.get(key):
                self._segments.find(str(rule.params[key]))
        if rule.action == "start_followup":
            self.followup_template(str(rule.params["template"]))
        return rule

    def remove_rule(self, name: str) -> None:
        rules = self.rules()
        kept = [r for r in rules if r.name.casefold() != name.strip().casefold()]
        if len(kept) == len(rules):
            raise NotFoundError(f"no rule named {name!r}")
        self._settings.set(RULES_KEY, [r.to_json() for r in kept])

    def read_rule_file(self, path: Path) -> Any:
        try:
            return json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValidationError(f"no such file: {path}") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ValidationError(f"{path} is not a JSON rule: {exc}") from None

    # ---- running ----------------------------------------------------------------------------

    def run(
        self,
        since: dt.date,
        until: dt.date | None = None,
        dry_run: bool = False,
        only: str | None = None,
    ) -> list[Outcome]:
        """Run the enabled rules (or the one named `only`) over the days since..until
        (today). Tried (`dry_run`), nothing is written: the outcomes say what would be."""
        until = until or dt.date.today()
        if since > until:
            raise ValidationError("the period starts before it ends")
        rules = [r for r in self.rules() if r.enabled or only]
        if only is not None:
            rules = [r for r in rules if r.name.casefold() == only.strip().casefold()]
            if not rules:
                raise NotFoundError(f"no rule named {only!r}")
        return self._run_rules(rules, since, until, dry_run)

    def try_rule(self, data: Any, since: dt.date, until: dt.date) -> list[Outcome]:
        """What a rule (its JSON form, saved or not) would have done over the period;
        nothing is written."""
        if since > until:
            raise ValidationError("the period starts before it ends")
        rule = self._checked(data)
        return self._run_rules([rule], since, until, dry_run=True)

    def _run_rules(
        self, rules: Sequence[Rule], since: dt.date, until: dt.date, dry_run: bool
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for rule in rules:
            events = self._only_in_segment(rule, self._events(rule, since, until), until)
            keys = {e.key: f"auto:{rule.name}:{e.key}"[:300] for e in events}
            with self._uow.read() as uow:
                done = uow.automation.done_keys(list(keys.values()))
                names = {
                    r[0]: f"{r[1]} {r[2]}".strip()
                    for r in uow.contacts.rows([e.contact_id for e in events])
                }
            statuses = self._consents.statuses([e.contact_id for e in events])
            for event in events:
                if keys[event.key] in done:
                    continue
                outcome = self._act(rule, event, keys[event.key], statuses, names, dry_run)
                outcomes.append(outcome)
        return outcomes

    def followup_template(self, name_or_id: str) -> FollowUpTemplate:
        """A follow-up series by its name (any case) or id."""
        wanted = name_or_id.strip().casefold()
        for template in self._followups.templates():
            if wanted in (template.id.casefold(), template.name.casefold()):
                return template
        raise NotFoundError(f"no follow-up series named {name_or_id!r}")

    def _only_in_segment(self, rule: Rule, events: list[Event], day: dt.date) -> list[Event]:
        """The rule's condition: only contacts in a saved segment (when it has one)."""
        only = rule.params.get("only_segment")
        if not only or not events:
            return events
        members = set(self._segments.ids(self._segments.find(str(only)).filter, day))
        return [e for e in events if e.contact_id in members]

    @staticmethod
    def _start_series(uow: UnitOfWork, template: FollowUpTemplate, event: Event) -> None:
        owner = company = None
        deal = uow.deals.get(event.deal_id) if event.deal_id else None
        if deal is not None:
            owner, company = deal.owner_id, deal.company_id
        contact = uow.contacts.get(event.contact_id)
        if contact is not None:
            owner, company = owner or contact.owner_id, company or contact.company_id
        rows = planned_rows(
            template,
            dt.date.today(),
            event.contact_id,
            deal.id if deal is not None else None,
            owner,
            company,
        )
        for row in rows:
            uow.add(Activity(**row))

    # ---- by themselves -----------------------------------------------------------------------

    @property
    def _state_path(self) -> Path:
        return self.outbox.parent / "automation-state.json"

    def last_run(self) -> dt.date | None:
        """The last day the rules ran by themselves on this device (None: never)."""
        try:
            data = json.loads(self._state_path.read_text(encoding="utf-8"))
            return dt.date.fromisoformat(str(data["last_run"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def run_due(self, today: dt.date | None = None, first: dt.date | None = None) -> list[Outcome]:
        """Run the enabled rules over what happened since their last run (`first`, or
        today, when they never ran): after a change, and once a day for birthdays and
        quiet contacts. Each event is acted on once (its key is logged on the timeline),
        so running again, or after a restart, does nothing twice."""
        today = today or dt.date.today()
        since = min(self.last_run() or first or today, today)
        outcomes = self.run(since, today)
        self._state_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(
            self._state_path,
            lambda s: s.write(json.dumps({"last_run": today.isoformat()}).encode()),
        )
        return outcomes

    def _events(self, rule: Rule, since: dt.date, until: dt.date) -> list[Event]:
        start, end = _midnight(since), _midnight(until + dt.timedelta(days=1))
        p = rule.params
        if rule.trigger in ("deal_won", "deal_stage", "order_placed"):
            with self._uow.read() as uow:
                q = uow.automation
                if rule.trigger == "deal_won":
                    return [
                        Event(cid, f"deal:{i}", at, f"deal {title} won", i)
                        for i, cid, at, title in q.deals_won(start, end)
                    ]
                if rule.trigger == "deal_stage":
                    return [
                        Event(cid, f"move:{i}", at, f"deal {title} entered {p['stage']}", deal)
                        for i, cid, at, title, deal in q.stage_entries(str(p["stage"]), start, end)
                    ]
                return [
                    Event(cid, f"order:{i}", _midnight(day), f"order {number} placed".strip())
                    for i, cid, day, number in q.orders(since, until)
                ]
        if rule.trigger == "segment_entered":
            segment = self._segments.find(str(p["segment"]))
            return [
                Event(cid, f"segment:{segment.id}:{cid}", start, f"in segment {segment.name}")
                for cid in self._segments.ids(segment.filter, until)
            ]
        if rule.trigger == "birthday":
            days = (until - since).days
            found = self._segments.ids(Group((Condition("birthday", "in_next_days", days),)), since)
            return [Event(cid, f"birthday:{until.year}:{cid}", start, "birthday") for cid in found]
        quiet = Group((Condition("last_activity", "not_in_last_days", int(p["days"])),))
        return [
            Event(
                cid,
                f"quiet:{p['days']}:{until:%Y-%m}:{cid}",
                end,
                f"no activity in {p['days']} days",
            )
            for cid in self._segments.ids(quiet, until)
        ]

    def _act(
        self,
        rule: Rule,
        event: Event,
        key: str,
        statuses: dict[str, dict[str, str]],
        names: dict[str, str],
        dry_run: bool,
    ) -> Outcome:
        p = rule.params
        name = names.get(event.contact_id, event.contact_id)
        if rule.action == "add_tag":
            what = f"tag {p['tag']}"
        elif rule.action == "create_task":
            due = dt.date.today() + dt.timedelta(days=int(p.get("days", 1)))
            what = f"task {p.get('subject') or rule.name!r} due {format_date(due)}"
        elif rule.action == "start_followup":
            what = f"follow-up series {p['template']}" + (" for the deal" if event.deal_id else "")
        else:
            purpose = str(p.get("purpose", "marketing_email"))
            why = refusal(statuses.get(event.contact_id, {}), purpose)
            if why:
                skipped = f"skipped: {why}"
                return Outcome(rule.name, event.contact_id, name, event.what, skipped, False)
            what = f"e-mail {p['subject']!r}"
        if dry_run:
            return Outcome(rule.name, event.contact_id, name, event.what, what, False)
        with self._uow() as uow:
            self._apply(uow, rule, event)
            stamp = now()
            uow.add(
                Activity(
                    kind="note",
                    subject=f"Automation {rule.name}: {what}"[:300],
                    notes=f"Because: {event.what}",
                    starts_at=stamp,
                    ends_at=stamp,
                    done=True,
                    done_at=stamp,
                    contact_id=event.contact_id,
                    ical_uid=key,
                )
            )
            uow.commit()
        return Outcome(rule.name, event.contact_id, name, event.what, what, True)

    def _apply(self, uow: UnitOfWork, rule: Rule, event: Event) -> None:
        p = rule.params
        cid = event.contact_id
        if rule.action == "add_tag":
            tag = ensure_tag(uow, str(p["tag"]))
            uow.flush()
            names = {n.casefold() for _t, n in uow.tags.taggings(cid)}
            if str(p["tag"]).strip().casefold() not in names:
                uow.add(Tagging(tag_id=tag.id, target_id=cid, target_kind="contacts"))
        elif rule.action == "create_task":
            due = _midnight(dt.date.today() + dt.timedelta(days=int(p.get("days", 1))))
            due += dt.timedelta(hours=9)
            uow.add(
                Activity(
                    kind="task",
                    subject=str(p.get("subject") or rule.name)[:300],
                    starts_at=due,
                    ends_at=due + dt.timedelta(minutes=30),
                    contact_id=cid,
                )
            )
        elif rule.action == "start_followup":
            self._start_series(uow, self.followup_template(str(p["template"])), event)
        else:
            fields = uow.campaigns.merge_fields([cid]).get(cid, {})
            values = {k: str(v) for k, v in fields.items() if isinstance(v, str)}
            message = Message(
                cid,
                values.get("name", ""),
                values.get("email", ""),
                render(str(p["subject"]), values),
                render(str(p["body"]), values),
            )
            built = mail.build_message(message, str(p.get("from", "crm-desktop@localhost")), now())
            path = self.outbox / f"{rule.name}-{cid[-12:]}-{event.key.split(':')[0]}.eml"
            self.outbox.mkdir(parents=True, exist_ok=True)
            write_atomically(path, lambda s: s.write(mail.eml_bytes(built)))
            stamp = now()
            uow.add(
                Activity(
                    kind="email",
                    subject=message.subject[:300],
                    notes=message.body,
                    starts_at=stamp,
                    ends_at=stamp,
                    done=True,
                    done_at=stamp,
                    outcome=f"Written to the outbox by automation {rule.name}",
                    contact_id=cid,
                )
            )


def summary(outcomes: Sequence[Outcome]) -> str:
    done = sum(1 for o in outcomes if o.done)
    return f"{done} done, {len(outcomes) - done} not done"
