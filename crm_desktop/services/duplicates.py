"""Likely duplicates of a contact being typed: same e-mail (case-folded), same phone
(after E.164 normalisation), or a very similar name."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from crm_desktop.domain.records import ContactDraft
from crm_desktop.domain.text import display_name, fold
from crm_desktop.services._common import UowFactory
from crm_desktop.services.phones import to_e164

NAME_SIMILARITY = 0.88


@dataclass(frozen=True)
class DuplicateHit:
    contact_id: str
    display_name: str
    reason: str


class DuplicateService:
    def __init__(self, uow_factory: UowFactory, default_country: str = "DE") -> None:
        self._uow = uow_factory
        self._country = default_country

    def similar_contacts(
        self, draft: ContactDraft, exclude_id: str | None = None, limit: int = 5
    ) -> list[DuplicateHit]:
        """Existing live contacts that look like the draft, with why."""
        hits: dict[str, DuplicateHit] = {}

        def add(contact_id: str, name: str, reason: str) -> None:
            if contact_id != exclude_id and contact_id not in hits:
                hits[contact_id] = DuplicateHit(contact_id, name, reason)

        with self._uow.read() as uow:
            for entry in draft.emails:
                if "@" in entry.email:
                    for c in uow.contacts.by_email(entry.email):
                        add(
                            c.id,
                            display_name(c.first_name, c.last_name),
                            f"same e-mail {entry.email.strip().lower()}",
                        )
            for phone in draft.phones:
                e164 = to_e164(phone.number, self._country)
                if e164 is None:
                    continue
                for contact_id, number in uow.contacts.phone_candidates(e164[-8:]):
                    if to_e164(number, self._country) == e164:
                        match = uow.contacts.get(contact_id)
                        if match is not None:
                            add(
                                match.id,
                                display_name(match.first_name, match.last_name),
                                f"same phone {e164}",
                            )
            wanted = fold(f"{draft.last_name} {draft.first_name}")
            if len(draft.last_name.strip()) >= 2 and draft.first_name.strip():
                for c in uow.contacts.by_sort_prefix(fold(draft.last_name)[:3]):
                    if SequenceMatcher(None, wanted, c.sort_name).ratio() >= NAME_SIMILARITY:
                        add(c.id, display_name(c.first_name, c.last_name), "similar name")
        return list(hits.values())[:limit]
