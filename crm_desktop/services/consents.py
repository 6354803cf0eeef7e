"""The consent ledger: per contact and purpose, entries appended (granted, withdrawn) with
the lawful basis, source, time and evidence; never overwritten. The newest entry of a
purpose is in force. Entries are rows of `consents`, so they reach the team through the
change log like every other record, and show on the contact's timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.consent import (
    ConsentEntry,
    ConsentState,
    allows,
    check_entry,
    check_purpose,
    refusal,
)
from crm_desktop.domain.records import Saved
from crm_desktop.persistence.models import Consent, Contact
from crm_desktop.services._common import UowFactory, now, require


def _entry(row: Consent) -> ConsentEntry:
    return ConsentEntry(
        row.id,
        row.contact_id,
        row.purpose,
        row.status,
        row.lawful_basis,
        row.source,
        row.evidence,
        row.recorded_at,
    )


def _newest(rows: Iterable[Consent]) -> dict[str, Consent]:
    latest: dict[str, Consent] = {}
    for row in sorted(rows, key=lambda r: (r.recorded_at, r.id)):
        latest[row.purpose] = row
    return latest


class ConsentService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def record(
        self,
        contact_id: str,
        purpose: str,
        status: str = "granted",
        lawful_basis: str = "consent",
        source: str = "",
        evidence: str = "",
        at: dt.datetime | None = None,
    ) -> Saved:
        """Append an entry to a contact's ledger (earlier entries stay as they were)."""
        check_entry(purpose, status, lawful_basis)
        when = at or now()
        with self._uow() as uow:
            require(uow.repository(Contact), contact_id, "contact")
            row = Consent(
                contact_id=contact_id,
                purpose=purpose,
                status=status,
                lawful_basis=lawful_basis,
                source=source.strip(),
                evidence=evidence.strip(),
                recorded_at=when,
                withdrawn_at=when if status == "withdrawn" else None,
            )
            uow.add(row)
            uow.flush()
            return Saved(row.id, uow.commit())

    def withdraw(self, contact_id: str, purpose: str, source: str = "In the app") -> Saved:
        """One click: the contact withdrew consent for a purpose, now."""
        return self.record(contact_id, purpose, "withdrawn", "consent", source)

    def history(self, contact_id: str) -> list[ConsentEntry]:
        """Every entry of a contact's ledger, oldest first."""
        with self._uow.read() as uow:
            rows = uow.repository(Consent).children(Consent, "contact_id", contact_id)
            return [_entry(r) for r in sorted(rows, key=lambda r: (r.recorded_at, r.id))]

    def current(self, contact_id: str) -> list[ConsentState]:
        """The newest entry of each purpose for a contact."""
        with self._uow.read() as uow:
            rows = uow.repository(Consent).children(Consent, "contact_id", contact_id)
            return [
                ConsentState(
                    c.purpose, c.status, c.lawful_basis, c.source, c.withdrawn_at or c.recorded_at
                )
                for c in sorted(_newest(rows).values(), key=lambda c: c.purpose)
            ]

    def statuses(self, contact_ids: Iterable[str]) -> dict[str, dict[str, str]]:
        """Per contact, the status in force per purpose (contacts without entries: {})."""
        wanted = list(dict.fromkeys(contact_ids))
        by_contact: dict[str, list[Consent]] = {}
        with self._uow.read() as uow:
            for row in uow.contacts.consents_of(wanted):
                by_contact.setdefault(row.contact_id, []).append(row)
            return {
                cid: {p: r.status for p, r in _newest(by_contact.get(cid, [])).items()}
                for cid in wanted
            }

    def allows(self, contact_id: str, purpose: str) -> bool:
        """May a message of `purpose` go to this contact? (transactional: always)"""
        check_purpose(purpose, transactional=True)
        return allows(self.statuses([contact_id])[contact_id], purpose)

    def refusals(self, contact_ids: Iterable[str], purpose: str) -> dict[str, str]:
        """Per contact, why a message of `purpose` may not go ("" when it may)."""
        check_purpose(purpose, transactional=True)
        return {cid: refusal(latest, purpose) for cid, latest in self.statuses(contact_ids).items()}

    def forget_evidence(self, contact_id: str) -> ChangeSet:
        """Blank the evidence of a contact's entries (anonymising keeps the ledger's
        dates and statuses, not what identified the person)."""
        with self._uow() as uow:
            for row in uow.repository(Consent).children(Consent, "contact_id", contact_id):
                if row.evidence:
                    row.evidence = ""
            return uow.commit()
