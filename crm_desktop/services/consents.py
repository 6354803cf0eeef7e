"""Consent per purpose (newsletter, marketing e-mail, phone): the latest state of each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crm_desktop.persistence.models import Consent
from crm_desktop.services._common import UowFactory


@dataclass(frozen=True)
class ConsentState:
    purpose: str
    status: str  # granted | withdrawn
    lawful_basis: str
    source: str
    since: dt.datetime


class ConsentService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def current(self, contact_id: str) -> list[ConsentState]:
        """The latest consent record of each purpose for a contact."""
        with self._uow.read() as uow:
            rows = uow.repository(Consent).children(Consent, "contact_id", contact_id)
            latest: dict[str, Consent] = {}
            for row in sorted(rows, key=lambda r: r.recorded_at):
                latest[row.purpose] = row
            return [
                ConsentState(
                    c.purpose, c.status, c.lawful_basis, c.source, c.withdrawn_at or c.recorded_at
                )
                for c in sorted(latest.values(), key=lambda c: c.purpose)
            ]
