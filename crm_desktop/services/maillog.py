"""E-mail on the timeline: an .eml file (dropped on a contact, or given on the command
line) is logged as a done e-mail activity of the contacts it was exchanged with; a reply
from a member of a campaign marks them as having responded."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from crm_desktop.domain.errors import NotFoundError, ValidationError
from crm_desktop.domain.mail import LoggedMail
from crm_desktop.exchange.mail import MailFacts, read_eml
from crm_desktop.persistence.models import (
    Activity,
    CampaignMember,
    Contact,
    ContactEmail,
    Entity,
)
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import UowFactory, now, require

_REPLY = re.compile(r"^\s*(re|aw|sv|antw|r|ref|rif)\s*:", re.IGNORECASE)
MAX_NOTES = 20_000


class MailLogService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def log_file(self, path: Path, contact_id: str | None = None) -> LoggedMail:
        """Log an .eml file on `contact_id`, or on every known contact among its sender
        and recipients."""
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise ValidationError(f"no such file: {path}") from None
        except OSError as exc:
            raise ValidationError(f"cannot read {path}: {exc.strerror or exc}") from None
        return self.log(read_eml(data), contact_id)

    def log(self, mail: MailFacts, contact_id: str | None = None) -> LoggedMail:
        key = f"mail:{mail.message_id}" if mail.message_id else ""
        when = mail.when or now()
        with self._uow() as uow:
            contacts = self._contacts(uow, mail, contact_id)
            logged: list[str] = []
            responded: list[str] = []
            for contact in contacts:
                emails = {e.email.lower() for e in _children(uow, ContactEmail, contact.id)}
                activities = _children(uow, Activity, contact.id)
                if key and any(a.ical_uid == key for a in activities):
                    continue  # this message is on the timeline already
                incoming = mail.sender in emails
                direction = (
                    f"from {mail.sender}"
                    if incoming
                    else f"to {', '.join(mail.recipients) or 'unknown'}"
                )
                uow.add(
                    Activity(
                        kind="email",
                        subject=(mail.subject or "(no subject)")[:300],
                        notes=mail.text[:MAX_NOTES],
                        starts_at=when,
                        ends_at=when,
                        done=True,
                        done_at=when,
                        outcome=f"E-mail {direction}",
                        owner_id=contact.owner_id,
                        contact_id=contact.id,
                        company_id=contact.company_id,
                        ical_uid=key,
                    )
                )
                logged.append(contact.id)
                if incoming and _REPLY.match(mail.subject):
                    responded += _mark_response(uow, contact.id, when)
            changes = uow.commit()
        return LoggedMail(mail.subject, tuple(logged), not logged, tuple(responded), changes)

    @staticmethod
    def _contacts(uow: UnitOfWork, mail: MailFacts, contact_id: str | None) -> list[Contact]:
        if contact_id is not None:
            return [require(uow.contacts, contact_id, "contact")]
        found: dict[str, Contact] = {}
        for address in (mail.sender, *mail.recipients):
            for contact in uow.contacts.by_email(address):
                found.setdefault(contact.id, contact)
        if not found:
            raise NotFoundError(
                f"no contact has the address {mail.sender or 'of this e-mail'} or a "
                "recipient's: drop the file on a contact to log it there"
            )
        return list(found.values())


def _children(uow: UnitOfWork, model: type[Entity], contact_id: str) -> list[Any]:
    return uow.repository(model).children(model, "contact_id", contact_id)


def _mark_response(uow: UnitOfWork, contact_id: str, when: dt.datetime) -> list[str]:
    """The campaign last sent to this contact before the reply: responded."""
    members = [
        m
        for m in _children(uow, CampaignMember, contact_id)
        if m.status == "sent" and m.sent_at is not None and m.sent_at <= when
    ]
    if not members:
        return []
    latest = max(members, key=lambda m: m.sent_at)
    latest.status = "responded"
    latest.responded_at = when
    return [str(latest.campaign_id)]
