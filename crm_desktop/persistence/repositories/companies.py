"""The queries of companies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from crm_desktop.domain.records import ListQuery
from crm_desktop.persistence.models import Company, Contact, ContactRole, User
from crm_desktop.persistence.repositories.base import (
    Repository,
    fetch_ids,
    search_filter,
    tag_filter,
    trash_filter,
)


class CompanyRepository(Repository[Company]):
    SORTS = ("name", "industry", "city", "phone", "people", "owner", "updated", "created")

    def __init__(self, session: Session) -> None:
        super().__init__(session, Company)

    @staticmethod
    def _people_count() -> Any:
        return (
            select(func.count())
            .select_from(ContactRole)
            .where(ContactRole.company_id == Company.id, ContactRole.deleted_at.is_(None))
            .scalar_subquery()
        )

    def _filtered(self, query: ListQuery, *columns: Any) -> Select[Any]:
        stmt = select(*columns).select_from(Company).where(trash_filter(Company, query.trash))
        if query.tag:
            stmt = stmt.where(tag_filter(Company.id, query.tag))
        if query.owner_id:
            stmt = stmt.where(Company.owner_id == query.owner_id)
        if query.search.strip():
            stmt = stmt.where(
                search_filter(self.session, "companies", Company.id, Company.name, query.search)
            )
        return stmt

    def _sorted(self, stmt: Select[Any], query: ListQuery) -> Select[Any]:
        key = query.sort if query.sort in self.SORTS else "name"
        column: Any
        if key == "owner":
            owner = aliased(User)
            stmt = stmt.outerjoin(owner, owner.id == Company.owner_id)
            column = func.coalesce(owner.name, "")
        elif key == "people":
            column = self._people_count()
        else:
            column = {
                "name": func.lower(Company.name),
                "industry": Company.industry,
                "city": Company.city,
                "phone": Company.phone,
                "updated": Company.updated_at,
                "created": Company.created_at,
            }[key]
        if query.descending:
            return stmt.order_by(column.desc(), Company.id.desc())
        return stmt.order_by(column, Company.id)

    def ids(self, query: ListQuery) -> list[str]:
        return fetch_ids(self.session, self._sorted(self._filtered(query, Company.id), query))

    def count(self, query: ListQuery) -> int:
        return int(
            self.session.execute(self._filtered(query, func.count()).order_by(None)).scalar_one()
        )

    def page_ids(self, query: ListQuery, offset: int, limit: int) -> list[str]:
        stmt = self._sorted(self._filtered(query, Company.id), query).offset(offset).limit(limit)
        return list(self.session.scalars(stmt))

    def rows(self, ids: Sequence[str]) -> list[Any]:
        if not ids:
            return []
        owner = aliased(User)
        stmt = (
            select(
                Company.id,
                Company.name,
                Company.industry,
                Company.city,
                Company.phone,
                self._people_count(),
                func.coalesce(owner.name, ""),
                Company.updated_at,
            )
            .outerjoin(owner, owner.id == Company.owner_id)
            .where(Company.id.in_(list(ids)))
        )
        return list(self.session.execute(stmt))

    def people(self, company_id: str) -> list[tuple[str, str, str, str]]:
        """(contact id, first name, last name, title) of the people holding a role here."""
        stmt = (
            select(Contact.id, Contact.first_name, Contact.last_name, ContactRole.title)
            .join(ContactRole, ContactRole.contact_id == Contact.id)
            .where(
                ContactRole.company_id == company_id,
                ContactRole.deleted_at.is_(None),
                Contact.deleted_at.is_(None),
            )
            .order_by(Contact.sort_name)
        )
        return [tuple(r) for r in self.session.execute(stmt)]  # type: ignore[misc]

    def names(self) -> list[tuple[str, str]]:
        stmt = (
            select(Company.id, Company.name)
            .where(Company.deleted_at.is_(None))
            .order_by(func.lower(Company.name))
        )
        return [(cid, name) for cid, name in self.session.execute(stmt)]

    def by_name(self, name: str) -> Company | None:
        return self.session.scalars(
            select(Company).where(
                func.lower(Company.name) == name.strip().lower(), Company.deleted_at.is_(None)
            )
        ).first()
