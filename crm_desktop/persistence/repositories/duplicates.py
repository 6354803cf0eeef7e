"""The reads of the duplicate scan and of a merge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from crm_desktop.persistence.models import (
    Activity,
    Company,
    Contact,
    ContactEmail,
    ContactPhone,
    ContactRole,
    Deal,
    Order,
)
from crm_desktop.persistence.repositories.base import M


class DuplicateRepository:
    """The reads of the duplicate scan (plain tuples of every live record: the scan looks
    at 100,000 contacts at once) and the rows a merge moves from one record to another."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _rows(self, stmt: Select[*tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Plain tuples straight from the driver on SQLite (a third of the time of Row
        objects for 100,000 rows; times come back as their stored text, which sorts the
        same way), through SQLAlchemy elsewhere."""
        connection = self.session.connection()
        compiled = stmt.compile(dialect=connection.dialect)
        if connection.dialect.name != "sqlite" or compiled.positiontup is None:
            return [tuple(r) for r in connection.execute(stmt)]
        params = tuple(compiled.params[name] for name in compiled.positiontup)
        driver = connection.connection.driver_connection
        return list(driver.execute(str(compiled), params))  # type: ignore[union-attr]

    def contacts(self) -> list[tuple[Any, ...]]:
        """(id, first name, last name, created at) of every live contact."""
        stmt = select(Contact.id, Contact.first_name, Contact.last_name, Contact.created_at)
        return self._rows(stmt.where(Contact.deleted_at.is_(None)))

    def _of_live_contacts(self, *columns: Any) -> list[tuple[Any, ...]]:
        model = columns[0].class_
        stmt = (
            select(*columns)
            .join(Contact, Contact.id == model.contact_id)
            .where(model.deleted_at.is_(None), Contact.deleted_at.is_(None))
        )
        return self._rows(stmt)

    def contact_emails(self) -> list[tuple[Any, ...]]:
        """(contact id, e-mail) of every live e-mail of a live contact."""
        return self._of_live_contacts(ContactEmail.contact_id, ContactEmail.email)

    def contact_phones(self) -> list[tuple[Any, ...]]:
        """(contact id, number) of every live phone of a live contact."""
        return self._of_live_contacts(ContactPhone.contact_id, ContactPhone.number)

    def contact_companies(self) -> list[tuple[Any, ...]]:
        """(contact id, company id) of every live role of a live contact at a live company."""
        stmt = (
            select(ContactRole.contact_id, ContactRole.company_id)
            .join(Contact, Contact.id == ContactRole.contact_id)
            .join(Company, Company.id == ContactRole.company_id)
            .where(
                ContactRole.deleted_at.is_(None),
                Contact.deleted_at.is_(None),
                Company.deleted_at.is_(None),
            )
        )
        return self._rows(stmt)

    def companies(self) -> list[tuple[Any, ...]]:
        """(id, name, domain, website, phone, e-mail, created at) of every live company."""
        stmt = select(
            Company.id,
            Company.name,
            Company.domain,
            Company.website,
            Company.phone,
            Company.email,
            Company.created_at,
        ).where(Company.deleted_at.is_(None))
        return self._rows(stmt)

    def linked(self, model: type[M], column: str, ids: Sequence[str]) -> list[M]:
        """Live rows of `model` whose `column` points at one of `ids`, oldest first."""
        if not ids:
            return []
        stmt = (
            select(model)
            .where(getattr(model, column).in_(list(ids)), model.deleted_at.is_(None))
            .order_by(model.created_at, model.id)
        )
        return list(self.session.scalars(stmt))

    def link_counts(self, column: str) -> dict[str, int]:
        """Live activities, deals and orders per contact (column "contact_id") or company
        ("company_id"): the record with the most is the one a merge should keep."""
        counts: dict[str, int] = {}
        for model in (Activity, Deal, Order):
            link = getattr(model, column)
            stmt = (
                select(link, func.count())
                .where(link.is_not(None), model.deleted_at.is_(None))
                .group_by(link)
            )
            for row_id, count in self._rows(stmt):
                counts[row_id] = counts.get(row_id, 0) + count
        return counts
