"""Campaigns: a segment's contacts as members (those without consent for the purpose left
out, with the reason), a message template merged per member, delivery through a
transport (.eml files, a CSV for another mail tool, SMTP), each send on the contact's
timeline, member status by hand or by a won deal of the campaign, and the return."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from crm_desktop.domain.campaigns import (
    MANUAL_STATUSES,
    CampaignRecord,
    MemberRecord,
    MembersSummary,
    Message,
    SendResult,
    check_campaign,
    check_template,
    render,
)
from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.consent import refusal
from crm_desktop.domain.errors import CrmError, NotFoundError, ValidationError
from crm_desktop.domain.formatting import format_date, format_money
from crm_desktop.domain.records import Saved
from crm_desktop.exchange.files import write_atomically
from crm_desktop.persistence.models import Activity, Campaign, CampaignMember, Segment, Setting
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import UowFactory, now, require
from crm_desktop.services.consents import ConsentService
from crm_desktop.services.segments import SegmentService

# Consent is read again in batches this size while sending (a withdrawal made during a
# long send is honoured from the next batch on).
CONSENT_BATCH = 50


class DeliveryError(CrmError):
    """A message could not be delivered to one recipient (it bounced)."""


class Transport(Protocol):
    """Where messages go: files, a CSV, an SMTP server."""

    def deliver(self, message: Message, campaign: CampaignRecord) -> None: ...

    def close(self) -> None: ...


class CampaignService:
    def __init__(
        self, uow_factory: UowFactory, segments: SegmentService, consents: ConsentService
    ) -> None:
        self._uow = uow_factory
        self._segments = segments
        self._consents = consents

    # ---- campaigns --------------------------------------------------------------------------

    def create(
        self,
        name: str,
        segment: str | None = None,
        purpose: str = "newsletter",
        channel: str = "email",
        subject: str = "",
        body: str = "",
        cost_cents: int = 0,
        started_on: dt.date | None = None,
        ended_on: dt.date | None = None,
    ) -> Saved:
        """A new campaign for a saved segment (by name or id)."""
        check_campaign(name, channel, purpose, cost_cents)
        check_template(subject)
        check_template(body)
        if started_on and ended_on and ended_on < started_on:
            raise ValidationError("a campaign ends on or after the day it starts")
        segment_id = self._segments.find(segment).id if segment else None
        with self._uow() as uow:
            if self._by_name(uow, name) is not None:
                raise ValidationError(f"a campaign named {name.strip()!r} exists already")
            row = Campaign(
                name=name.strip(),
                channel=channel,
                purpose=purpose,
                segment_id=segment_id,
                subject=subject,
                body=body,
                cost_cents=cost_cents,
                started_on=started_on,
                ended_on=ended_on,
            )
            uow.add(row)
            uow.flush()
            return Saved(row.id, uow.commit())

    def update_message(self, campaign_id: str, subject: str, body: str) -> ChangeSet:
        check_template(subject)
        check_template(body)
        with self._uow() as uow:
            row = require(uow.campaigns, campaign_id, "campaign")
            row.subject, row.body = subject, body
            return uow.commit()

    @staticmethod
    def _by_name(uow: UnitOfWork, name: str) -> Campaign | None:
        for row in uow.campaigns.all():
            if row.name.casefold() == name.strip().casefold():
                return row
        return None

    def find(self, name_or_id: str) -> str:
        """A campaign's id by id or name (any case)."""
        with self._uow.read() as uow:
            row = uow.campaigns.get(name_or_id) or self._by_name(uow, name_or_id)
            if row is None:
                raise NotFoundError(f"no campaign named {name_or_id!r}")
            return row.id

    def get(self, campaign_id: str) -> CampaignRecord:
        with self._uow.read() as uow:
            return self._record(uow, require(uow.campaigns, campaign_id, "campaign"))

    def all(self) -> list[CampaignRecord]:
        """Every live campaign, newest start first."""
        with self._uow.read() as uow:
            rows = sorted(
                uow.campaigns.all(),
                key=lambda c: (c.started_on or dt.date.max, c.name.casefold()),
                reverse=True,
            )
            return [self._record(uow, r) for r in rows]

    def names(self) -> list[tuple[str, str]]:
        """(id, name) of every live campaign, by name: what a deal can be credited to."""
        with self._uow.read() as uow:
            rows = [(c.id, c.name) for c in uow.campaigns.all()]
        return sorted(rows, key=lambda r: r[1].casefold())

    @staticmethod
    def _record(uow: UnitOfWork, row: Campaign) -> CampaignRecord:
        segment = uow.repository(Segment).get(row.segment_id) if row.segment_id else None
        return CampaignRecord(
            row.id,
            row.name,
            row.channel,
            row.purpose,
            row.status,
            row.segment_id,
            segment.name if segment else "",
            row.subject,
            row.body,
            int(row.cost_cents),
            row.currency,
            row.started_on,
            row.ended_on,
            uow.campaigns.counts(row.id),
            uow.campaigns.revenue(row.id),
        )

    # ---- members ----------------------------------------------------------------------------

    def build_members(self, campaign_id: str) -> MembersSummary:
        """Members from the campaign's segment: each targeted, or excluded with why (no
        consent for the purpose, no e-mail address, no postal address). Members already
        sent to keep their status; those who left the segment before a send are removed."""
        campaign = self.get(campaign_id)
        if not campaign.segment_id:
            raise ValidationError(f"campaign {campaign.name} has no segment to take members from")
        segment = self._segments.find(campaign.segment_id)
        ids = self._segments.ids(segment.filter)
        statuses = self._consents.statuses(ids)
        with self._uow.read() as uow:
            fields = uow.campaigns.merge_fields(ids)
        reasons: dict[str, str] = {}
        for cid in ids:
            why = refusal(statuses[cid], campaign.purpose)
            if not why and campaign.channel == "email" and not fields[cid]["email"]:
                why = "no e-mail address"
            if not why and campaign.channel == "letter" and not fields[cid].get("address"):
                why = "no postal address"
            reasons[cid] = why
        with self._uow() as uow:
            existing = {m.contact_id: m for m in uow.campaigns.members(campaign_id)}
            stamp = now()
            kept = 0
            for cid, old in existing.items():
                if cid not in reasons and old.status in ("targeted", "excluded"):
                    old.deleted_at = stamp
            rows: list[dict[str, str]] = []
            for cid, why in reasons.items():
                member = existing.get(cid)
                if member is not None and member.status not in ("targeted", "excluded"):
                    kept += 1
                    continue
                status = "excluded" if why else "targeted"
                if member is None:
                    rows.append(
                        {
                            "campaign_id": campaign_id,
                            "contact_id": cid,
                            "status": status,
                            "reason": why,
                        }
                    )
                elif (member.status, member.reason) != (status, why):
                    member.status, member.reason = status, why
            if rows:
                uow.insert_rows(CampaignMember, rows)
            uow.commit()
        excluded = Counter(why for why in reasons.values() if why)
        return MembersSummary(
            targeted=sum(1 for why in reasons.values() if not why) - kept,
            excluded=sum(excluded.values()),
            already_sent=kept,
            reasons=dict(excluded),
        )

    def members(self, campaign_id: str) -> list[MemberRecord]:
        """Every member by name, with the status (converted when a deal of the campaign
        was won for the contact) and why the excluded ones are left out."""
        with self._uow.read() as uow:
            return [
                MemberRecord(cid, f"{first} {last}".strip(), email, status, reason, sent_at)
                for cid, first, last, email, status, reason, sent_at in uow.campaigns.member_rows(
                    campaign_id
                )
            ]

    def set_status(self, campaign_id: str, contact_id: str, status: str) -> ChangeSet:
        """Set a member's status by hand (sent, bounced, responded, converted, targeted)."""
        if status not in MANUAL_STATUSES:
            raise ValidationError(f"a member's status is one of {', '.join(MANUAL_STATUSES)}")
        with self._uow() as uow:
            member = uow.campaigns.member(campaign_id, contact_id)
            if member is None:
                raise NotFoundError("that contact is not a member of the campaign")
            if member.status == "excluded" and status != "excluded":
                raise ValidationError(f"this contact is left out: {member.reason}")
            member.status = status
            stamp = now()
            if status == "responded":
                member.responded_at = stamp
            elif status == "converted":
                member.converted_at = stamp
            elif status == "sent" and member.sent_at is None:
                member.sent_at = stamp
            return uow.commit()

    # ---- messages ---------------------------------------------------------------------------

    def preview(self, campaign_id: str, contact_id: str) -> Message:
        """The message one member (or any contact) would get."""
        campaign = self.get(campaign_id)
        return self._messages(campaign, [contact_id])[0]

    def _messages(self, campaign: CampaignRecord, ids: Sequence[str]) -> list[Message]:
        with self._uow.read() as uow:
            fields = uow.campaigns.merge_fields(ids)
            setting = uow.repository(Setting).get("business_name")
            business = _setting_text(setting.value if setting else "null")
        out = []
        for cid in ids:
            if cid not in fields:
                raise NotFoundError(f"no contact with id {cid}")
            values = _merge_values(fields[cid], business)
            out.append(
                Message(
                    cid,
                    values["name"],
                    values["email"],
                    render(campaign.subject, values),
                    render(campaign.body, values),
                    tuple(fields[cid].get("address", ())),
                )
            )
        return out

    def messages(self, campaign_id: str, statuses: Sequence[str] = ("targeted",)) -> list[Message]:
        """The rendered messages of the members with these statuses, by name."""
        campaign = self.get(campaign_id)
        ids = [m.contact_id for m in self.members(campaign_id) if m.status in statuses]
        return self._messages(campaign, ids)

    def labels(self, campaign_id: str, path: Path, sheet: str = "L7160") -> int:
        """Address labels of the members to send to (and those sent), as a PDF on a
        common A4 or Letter label sheet; members without a postal address are skipped.
        Returns the labels written."""
        from crm_desktop.exchange.letters import sheet_named, write_labels

        chosen = sheet_named(sheet)
        messages = self.messages(campaign_id, ("targeted", "sent", "responded", "converted"))
        addresses = [(m.to_name, *m.address) for m in messages if m.address]
        write_atomically(Path(path), lambda s: write_labels(s, addresses, chosen))
        return len(addresses)

    # ---- sending ----------------------------------------------------------------------------

    def send(
        self,
        campaign_id: str,
        transport: Transport,
        per_minute: int = 0,
        sleep: Callable[[float], object] = time.sleep,
        progress: Callable[[int, int], object] | None = None,
    ) -> SendResult:
        """Send to every targeted member not sent yet: consent checked again in batches
        (a withdrawal since the members were built excludes the member), each send marked
        on the member and logged as a done e-mail on the contact's timeline, one at a time
        (stopped halfway, a send resumes where it stopped). `per_minute` throttles."""
        campaign = self.get(campaign_id)
        members = self.members(campaign_id)
        pending = [m.contact_id for m in members if m.status == "targeted"]
        skipped = sum(1 for m in members if m.status not in ("targeted", "excluded"))
        sent = failed = excluded = 0
        errors: list[tuple[str, str]] = []
        try:
            for start in range(0, len(pending), CONSENT_BATCH):
                batch = pending[start : start + CONSENT_BATCH]
                refused = {
                    cid: why
                    for cid, why in self._consents.refusals(batch, campaign.purpose).items()
                    if why
                }
                for cid, why in refused.items():
                    self._mark(campaign, cid, "excluded", reason=why)
                    excluded += 1
                allowed = [cid for cid in batch if cid not in refused]
                for message in self._messages(campaign, allowed):
                    if sent and per_minute:
                        sleep(60.0 / per_minute)
                    try:
                        transport.deliver(message, campaign)
                    except DeliveryError as exc:
                        self._mark(campaign, message.contact_id, "bounced", reason=str(exc))
                        failed += 1
                        errors.append((message.contact_id, str(exc)))
                        continue
                    self._mark(campaign, message.contact_id, "sent", message=message)
                    sent += 1
                    if progress is not None:
                        progress(sent + failed, len(pending))
        finally:
            transport.close()
        return SendResult(sent, failed, skipped, excluded, tuple(errors))

    def _mark(
        self,
        campaign: CampaignRecord,
        contact_id: str,
        status: str,
        reason: str = "",
        message: Message | None = None,
    ) -> None:
        with self._uow() as uow:
            member = uow.campaigns.member(campaign.id, contact_id)
            if member is None:
                return  # removed from the campaign meanwhile
            stamp = now()
            member.status, member.reason = status, reason
            if status == "sent":
                member.sent_at = stamp
            if message is not None:
                uow.add(
                    Activity(
                        kind="email",
                        subject=f"{campaign.name}: {message.subject}"[:300],
                        notes=message.body,
                        starts_at=stamp,
                        ends_at=stamp,
                        done=True,
                        done_at=stamp,
                        outcome=f"Sent by campaign {campaign.name} ({campaign.channel})",
                        contact_id=contact_id,
                    )
                )
            uow.commit()


def _setting_text(value: str) -> str:
    try:
        parsed = json.loads(value)
    except ValueError:
        return ""
    return parsed if isinstance(parsed, str) else ""


def _merge_values(fields: dict[str, object], business: str) -> dict[str, str]:
    values = {k: str(v) for k, v in fields.items() if isinstance(v, str)}
    order = fields.get("last_order")
    if isinstance(order, tuple):
        day, amount, currency, what = order
        values["last_order_date"] = format_date(day) if isinstance(day, dt.date) else str(day)
        values["last_order_amount"] = format_money(amount, currency)
        values["last_order"] = str(what)
    values["business"] = business
    return values
