"""The queries of contacts: the list, search, and a contact's emails, phones, roles and fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from crm_desktop.domain.records import ListQuery
from crm_desktop.domain.segments import Group
from crm_desktop.domain.text import fold
from crm_desktop.persistence.dialect import among, among_ids, month_day, name_of
from crm_desktop.persistence.models import (
    Activity,
    Company,
    Consent,
    Contact,
    ContactAddress,
    ContactEmail,
    ContactPhone,
    ContactRole,
    CustomValue,
    User,
)
from crm_desktop.persistence.repositories.base import (
    Repository,
    fetch_ids,
    tag_filter,
    tags_column,
    trash_filter,
)
from crm_desktop.persistence.search import search_index
from crm_desktop.persistence.segment_sql import RfmCache, SegmentCompiler

# The company and owner joined to a list row: made once, as each new alias makes
# SQLAlchemy copy the table's columns and key the statement anew.
_ROW_COMPANY, _ROW_OWNER = aliased(Company), aliased(User)


@lru_cache(maxsize=2)
def _rows_statement(dialect: str) -> Select[Any]:
    """The list rows of the contacts among the `ids` parameter: one statement for every
    page, built once (a list screen reads a page on each keystroke of a search)."""
    company, owner = _ROW_COMPANY, _ROW_OWNER
    return (
        select(
            Contact.id,
            Contact.first_name,
            Contact.last_name,
            Contact.email,
            Contact.phone,
            func.coalesce(company.name, ""),
            Contact.title,
            Contact.city,
            func.coalesce(owner.name, ""),
            tags_column(Contact.id, dialect),
            Contact.updated_at,
        )
        .outerjoin(company, company.id == Contact.company_id)
        .outerjoin(owner, owner.id == Contact.owner_id)
        .where(among(dialect, Contact.id))
    )


class ContactRepository(Repository[Contact]):
    SORTS = ("name", "email", "company", "city", "owner", "updated", "created", "phone", "title")

    def __init__(self, session: Session, rfm_cache: RfmCache | None = None) -> None:
        super().__init__(session, Contact)
        self._rfm_cache = rfm_cache

    def _filtered(self, query: ListQuery, *columns: Any) -> Select[Any]:
        stmt = select(*columns).select_from(Contact).where(trash_filter(Contact, query.trash))
        if query.tag:
            stmt = stmt.where(tag_filter(Contact.id, query.tag))
        if query.owner_id:
            stmt = stmt.where(Contact.owner_id == query.owner_id)
        if query.company_id:
            stmt = stmt.where(
                Contact.id.in_(
                    select(ContactRole.contact_id).where(
                        ContactRole.company_id == query.company_id, ContactRole.deleted_at.is_(None)
                    )
                )
            )
        if query.search.strip():
            stmt = stmt.where(self._search_filter(query.search))
        if query.segment is not None and not query.segment.empty:
            stmt = stmt.where(self.segment_filter(query.segment, query.today))
        return stmt

    def segment_filter(self, segment: Group, today: dt.date | None = None) -> ColumnElement[bool]:
        """A segment's filter as a condition on contacts (relative days from `today`)."""
        return self.segment_compiler(today).compile(segment)

    def consents_of(self, contact_ids: Sequence[str]) -> list[Consent]:
        """Every live consent entry of these contacts (read in chunks)."""
        found: list[Consent] = []
        ids = list(contact_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found += self.session.scalars(
                select(Consent).where(Consent.contact_id.in_(chunk), Consent.deleted_at.is_(None))
            )
        return found

    def segment_compiler(self, today: dt.date | None = None) -> SegmentCompiler:
        return SegmentCompiler(
            self.session, today or dt.date.today(), self._search_filter, self._rfm_cache
        )

    def _search_filter(self, search: str) -> ColumnElement[bool]:
        matching = search_index(self.session).matching_ids("contacts", search)
        if matching is not None:
            return Contact.id.in_(matching.columns(row_id=String))
        folded = fold(search)
        if len(folded) < 3:
            # One or two letters jump to last names starting with them, like a phone book
            # (a range of the list index: instant at 100,000 contacts).
            return and_(Contact.sort_name >= folded, Contact.sort_name < folded + "\uffff")
        return or_(
            Contact.sort_name.like(f"{folded}%"),
            Contact.sort_name.like(f"% {folded}%"),
            func.lower(Contact.email).like(f"{folded}%"),
        )

    def _sorted(self, stmt: Select[Any], query: ListQuery) -> Select[Any]:
        key = query.sort if query.sort in self.SORTS else "name"
        column: Any
        if key == "company":
            company = aliased(Company)
            stmt = stmt.outerjoin(company, company.id == Contact.company_id)
            column = func.coalesce(company.name, "")
        elif key == "owner":
            owner = aliased(User)
            stmt = stmt.outerjoin(owner, owner.id == Contact.owner_id)
            column = func.coalesce(owner.name, "")
        else:
            column = {
                "name": Contact.sort_name,
                "email": Contact.email,
                "city": Contact.city,
                "updated": Contact.updated_at,
                "created": Contact.created_at,
                "phone": Contact.phone,
                "title": Contact.title,
            }[key]
        if query.descending:
            return stmt.order_by(column.desc(), Contact.id.desc())
        return stmt.order_by(column, Contact.id)

    def ids(self, query: ListQuery) -> list[str]:
        """Every matching id in list order (the list screen keeps these, ~40 bytes each)."""
        return fetch_ids(self.session, self._sorted(self._filtered(query, Contact.id), query))

    def count(self, query: ListQuery) -> int:
        return int(
            self.session.execute(self._filtered(query, func.count()).order_by(None)).scalar_one()
        )

    def page_ids(self, query: ListQuery, offset: int, limit: int) -> list[str]:
        stmt = self._sorted(self._filtered(query, Contact.id), query).offset(offset).limit(limit)
        return list(self.session.scalars(stmt))

    def rows(self, ids: Sequence[str]) -> list[Any]:
        """Flat list rows for these ids (any order; the caller orders them)."""
        if not ids:
            return []
        dialect = name_of(self.session)
        return list(self.session.execute(_rows_statement(dialect), among_ids(dialect, ids)))

    def by_email(self, email: str) -> list[Contact]:
        folded = email.strip().lower()
        stmt = (
            select(Contact)
            .join(ContactEmail, ContactEmail.contact_id == Contact.id)
            .where(
                func.lower(ContactEmail.email) == folded,
                ContactEmail.deleted_at.is_(None),
                Contact.deleted_at.is_(None),
            )
        )
        return list(self.session.scalars(stmt).unique())

    def phone_candidates(self, digits_suffix: str, limit: int = 50) -> list[tuple[str, str]]:
        """(contact id, number) of live phones whose digits end with `digits_suffix`."""
        digits: Any = ContactPhone.number
        for ch in (" ", "-", "/", "(", ")", ".", "+"):
            digits = func.replace(digits, ch, "")
        stmt = (
            select(ContactPhone.contact_id, ContactPhone.number)
            .join(Contact, Contact.id == ContactPhone.contact_id)
            .where(
                digits.like(f"%{digits_suffix}"),
                ContactPhone.deleted_at.is_(None),
                Contact.deleted_at.is_(None),
            )
            .limit(limit)
        )
        return [(cid, number) for cid, number in self.session.execute(stmt)]

    def by_sort_prefix(self, prefix: str, limit: int = 200) -> list[Contact]:
        """Live contacts whose folded "last first" name starts with `prefix` (index range)."""
        stmt = (
            select(Contact)
            .where(
                Contact.sort_name >= prefix,
                Contact.sort_name < prefix + "\uffff",
                Contact.deleted_at.is_(None),
            )
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def birthdays(self, month_days: Sequence[str]) -> list[tuple[str, str, str, Any]]:
        """(id, first, last, birthday) of live contacts born on one of these "MM-DD"."""
        stmt = select(Contact.id, Contact.first_name, Contact.last_name, Contact.birthday).where(
            Contact.deleted_at.is_(None),
            Contact.birthday.is_not(None),
            month_day(name_of(self.session), Contact.birthday).in_(list(month_days)),
        )
        return [(i, f, la, b) for i, f, la, b in self.session.execute(stmt)]

    def cadence_due(self, now: Any) -> list[tuple[str, str, str, int, Any]]:
        """(id, first, last, cadence days, last done activity) of live contacts with a
        stay-in-touch cadence whose last contact is older than it (or who never had one)."""
        last_done = (
            select(func.max(Activity.done_at))
            .where(
                Activity.contact_id == Contact.id,
                Activity.done.is_(True),
                Activity.deleted_at.is_(None),
            )
            .scalar_subquery()
        )
        stmt = select(
            Contact.id, Contact.first_name, Contact.last_name, Contact.cadence_days, last_done
        ).where(Contact.deleted_at.is_(None), Contact.cadence_days > 0)
        result = []
        for cid, first, last, cadence, done_at in self.session.execute(stmt):
            if done_at is None or (now - done_at).days >= cadence:
                result.append((cid, first, last, cadence, done_at))
        return result

    def emails(self, contact_id: str) -> list[ContactEmail]:
        return self.children(ContactEmail, "contact_id", contact_id)

    def phones(self, contact_id: str) -> list[ContactPhone]:
        return self.children(ContactPhone, "contact_id", contact_id)

    def addresses(self, contact_id: str) -> list[ContactAddress]:
        return self.children(ContactAddress, "contact_id", contact_id)

    def roles(self, contact_id: str) -> list[tuple[ContactRole, str]]:
        stmt = (
            select(ContactRole, Company.name)
            .join(Company, Company.id == ContactRole.company_id)
            .where(ContactRole.contact_id == contact_id, ContactRole.deleted_at.is_(None))
            .order_by(ContactRole.position)
        )
        return [(role, name) for role, name in self.session.execute(stmt)]

    def custom_values(self, target_id: str) -> list[CustomValue]:
        return self.children(CustomValue, "target_id", target_id)
