"""Campaigns: records, member statuses, and message templates with placeholders.

A template is text with `{{placeholder}}` marks, each optionally with a fallback after a
bar: `Dear {{first_name|customer}}`. The placeholders are the names in `PLACEHOLDERS`;
an unknown one is refused when the campaign is saved, never sent as is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from crm_desktop.domain.consent import PURPOSES, TRANSACTIONAL
from crm_desktop.domain.errors import ValidationError

CHANNELS = ("email", "letter", "phone", "event", "ads", "social", "print", "other")
CAMPAIGN_PURPOSES = (*PURPOSES, TRANSACTIONAL)
# targeted: will be sent; excluded: left out (the reason says why); the rest follow a send.
MEMBER_STATUSES = ("targeted", "excluded", "sent", "bounced", "responded", "converted")
MANUAL_STATUSES = ("sent", "bounced", "responded", "converted", "targeted")

PLACEHOLDERS = {
    "first_name": "First name",
    "last_name": "Last name",
    "name": "Full name",
    "email": "E-mail",
    "company": "Company",
    "title": "Job title",
    "city": "City",
    "owner": "Owner (the account manager)",
    "owner_email": "Owner's e-mail",
    "last_order_date": "Date of the last order",
    "last_order_amount": "Amount of the last order",
    "last_order": "What the last order was",
    "business": "Your business's name",
}
_MARK = re.compile(r"\{\{\s*([a-z_]+)\s*(?:\|([^}]*))?\}\}")


def placeholders_in(template: str) -> list[str]:
    return [m.group(1) for m in _MARK.finditer(template)]


def check_template(template: str) -> None:
    unknown = [p for p in placeholders_in(template) if p not in PLACEHOLDERS]
    if unknown:
        raise ValidationError(
            f"unknown placeholder {{{{{unknown[0]}}}}} (known: {', '.join(PLACEHOLDERS)})"
        )


def render(template: str, fields: Mapping[str, str]) -> str:
    """The template with each placeholder replaced by its field (or its fallback)."""

    def one(match: re.Match[str]) -> str:
        value = fields.get(match.group(1), "")
        return value if value else (match.group(2) or "").strip()

    return _MARK.sub(one, template)


def check_campaign(name: str, channel: str, purpose: str, cost_cents: int) -> None:
    if not name.strip():
        raise ValidationError("a campaign needs a name")
    if channel not in CHANNELS:
        raise ValidationError(f"unknown channel {channel!r} (channels: {', '.join(CHANNELS)})")
    if purpose not in CAMPAIGN_PURPOSES:
        raise ValidationError(
            f"unknown purpose {purpose!r} (purposes: {', '.join(CAMPAIGN_PURPOSES)})"
        )
    if cost_cents < 0:
        raise ValidationError("a campaign's cost is 0 or more")


@dataclass(frozen=True)
class CampaignRecord:
    id: str
    name: str
    channel: str
    purpose: str
    status: str
    segment_id: str | None
    segment_name: str
    subject: str
    body: str
    cost_cents: int
    currency: str
    started_on: dt.date | None
    ended_on: dt.date | None
    members: Mapping[str, int]  # status -> count
    revenue_cents: int  # won deals and orders of the campaign

    @property
    def roi(self) -> float | None:
        """(revenue - cost) / cost; None without a cost."""
        if not self.cost_cents:
            return None
        return (self.revenue_cents - self.cost_cents) / self.cost_cents


@dataclass(frozen=True)
class MemberRecord:
    contact_id: str
    name: str
    email: str
    status: str
    reason: str  # why excluded
    sent_at: dt.datetime | None


@dataclass(frozen=True)
class Message:
    """One rendered message to one member."""

    contact_id: str
    to_name: str
    to_email: str
    subject: str
    body: str
    address: tuple[str, ...] = ()  # postal lines, for letters and labels


@dataclass(frozen=True)
class MembersSummary:
    targeted: int
    excluded: int
    already_sent: int
    reasons: Mapping[str, int]  # reason -> how many


@dataclass(frozen=True)
class SendResult:
    sent: int
    failed: int
    skipped: int  # already sent before (a resumed send)
    excluded: int  # lost consent since the members were built
    errors: tuple[tuple[str, str], ...] = ()  # (contact id, why)
