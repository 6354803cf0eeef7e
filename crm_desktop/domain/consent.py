"""Consent: purposes, lawful bases and the one rule of sending (domain only).

The ledger is appended to, never overwritten: a withdrawal is a new entry, and the
newest entry of a contact and purpose is the one in force. A transactional message (an
order confirmation, an invoice, a reply) needs no marketing consent: a marketing
opt-out never blocks it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from crm_desktop.domain.errors import ValidationError

PURPOSES = ("newsletter", "marketing_email", "phone", "post", "profiling")
TRANSACTIONAL = "transactional"  # a campaign or message that needs no marketing consent
LAWFUL_BASES = ("consent", "contract", "legitimate_interest", "legal_obligation")
STATUSES = ("granted", "withdrawn")


@dataclass(frozen=True)
class ConsentEntry:
    """One entry of the ledger."""

    id: str
    contact_id: str
    purpose: str
    status: str  # granted | withdrawn
    lawful_basis: str
    source: str
    evidence: str
    recorded_at: dt.datetime


def check_purpose(purpose: str, transactional: bool = False) -> str:
    """The purpose, or a ValidationError naming the known ones."""
    known = (*PURPOSES, TRANSACTIONAL) if transactional else PURPOSES
    if purpose not in known:
        raise ValidationError(f"unknown purpose {purpose!r} (purposes: {', '.join(known)})")
    return purpose


def check_entry(purpose: str, status: str, lawful_basis: str) -> None:
    check_purpose(purpose)
    if status not in STATUSES:
        raise ValidationError(f"a consent is granted or withdrawn, not {status!r}")
    if lawful_basis not in LAWFUL_BASES:
        raise ValidationError(
            f"unknown lawful basis {lawful_basis!r} (bases: {', '.join(LAWFUL_BASES)})"
        )


def allows(latest: Mapping[str, str], purpose: str) -> bool:
    """Whether a message of `purpose` may go to a person whose newest status per purpose
    is `latest`: transactional always; marketing only with consent granted."""
    if purpose in ("", TRANSACTIONAL):
        return True
    return latest.get(purpose) == "granted"


def refusal(latest: Mapping[str, str], purpose: str) -> str:
    """Why a message of `purpose` may not go ("" if it may)."""
    if allows(latest, purpose):
        return ""
    label = purpose.replace("_", " ")
    if latest.get(purpose) == "withdrawn":
        return f"withdrew consent for {label}"
    return f"no consent for {label}"


@dataclass(frozen=True)
class ConsentState:
    purpose: str
    status: str  # granted | withdrawn
    lawful_basis: str
    source: str
    since: dt.datetime
