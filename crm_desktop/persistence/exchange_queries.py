"""Bulk reads behind import and export: plain rows for many records at once.

The duplicate check of an import of 100,000 rows, or the records it updates, must not
ask the database once per record: each list (e-mails, phones, roles, tags) is read in one
query per chunk of ids and grouped here. A contacts export reads its pages through
`contact_export.py`. Also the small local store of import batches (in `local_meta`, never
synced: undoing an import is this device's business).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_desktop.persistence.contact_export import ContactExportReader, ContactPage
from crm_desktop.persistence.models import (
    Company,
    Contact,
    ContactAddress,
    ContactEmail,
    ContactPhone,
    ContactRole,
    Entity,
    LocalMeta,
    Tag,
    Tagging,
    User,
)

M = TypeVar("M", bound=Entity)
_CHUNK = 5_000  # ids per IN (...): well under the limit of bound parameters
_CONTACT_COLUMNS = (
    Contact.id, Contact.first_name, Contact.last_name, Contact.birthday, Contact.lead_source,
    Contact.owner_id, Contact.notes, Contact.created_at, Contact.updated_at, Contact.deleted_at,
    Contact.prefix, Contact.middle_name, Contact.suffix, Contact.nickname,
    Contact.formatted_name, Contact.job_title, Contact.department, Contact.role,
    Contact.anniversary, Contact.websites,
)  # fmt: skip
_CONTACT_KEYS = (
    "id", "first_name", "last_name", "birthday", "lead_source", "owner_id", "notes",
    "created_at", "updated_at", "deleted_at", "prefix", "middle_name", "suffix", "nickname",
    "formatted_name", "job_title", "department", "role", "anniversary", "websites",
    "owner_name",
)  # fmt: skip


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


class ExchangeQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ---- indexes for duplicate checks ----------------------------------------------------

    def contact_emails(self) -> list[tuple[str, str]]:
        """(lower-cased e-mail, contact id) of every live e-mail of a live contact."""
        stmt = (
            select(func.lower(ContactEmail.email), ContactEmail.contact_id)
            .join(Contact, Contact.id == ContactEmail.contact_id)
            .where(ContactEmail.deleted_at.is_(None), Contact.deleted_at.is_(None))
        )
        return [(e, c) for e, c in self.session.execute(stmt)]

    def contact_phones(self) -> list[tuple[str, str]]:
        """(number as stored, contact id) of every live phone of a live contact."""
        stmt = (
            select(ContactPhone.number, ContactPhone.contact_id)
            .join(Contact, Contact.id == ContactPhone.contact_id)
            .where(ContactPhone.deleted_at.is_(None), Contact.deleted_at.is_(None))
        )
        return [(n, c) for n, c in self.session.execute(stmt)]

    def live_ids(self, model: type[Entity], ids: Sequence[str]) -> set[str]:
        """Which of these ids are live rows of the model."""
        found: set[str] = set()
        for chunk in _chunks(ids):
            stmt = select(model.id).where(model.id.in_(chunk), model.deleted_at.is_(None))
            found.update(self.session.scalars(stmt))
        return found

    def company_names(self) -> list[tuple[str, str]]:
        """(id, name) of every live company."""
        stmt = select(Company.id, Company.name).where(Company.deleted_at.is_(None))
        return [(i, n) for i, n in self.session.execute(stmt)]

    def user_names(self) -> list[tuple[str, str]]:
        """(id, name) of every user, active or not."""
        stmt = select(User.id, User.name).where(User.deleted_at.is_(None))
        return [(i, n) for i, n in self.session.execute(stmt)]

    # ---- records in bulk -------------------------------------------------------------------

    def company_ids(self) -> list[str]:
        stmt = (
            select(Company.id)
            .where(Company.deleted_at.is_(None))
            .order_by(func.lower(Company.name), Company.id)
        )
        return list(self.session.scalars(stmt))

    def contacts(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Contact id -> its columns (owner name as "owner_name") and its lists: "emails"
        [(email, label)], "phones" [(number, label)], "addresses" [(street, city, region,
        postcode, country, label)], "roles" [(company id, title, company name)], "tags"."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(ids):
            stmt = (
                select(*_CONTACT_COLUMNS, func.coalesce(User.name, ""))
                .outerjoin(User, User.id == Contact.owner_id)
                .where(Contact.id.in_(chunk))
            )
            for row in self.session.execute(stmt):
                record = dict(zip(_CONTACT_KEYS, row, strict=True))
                record.update(emails=[], phones=[], addresses=[], roles=[], tags=[])
                found[record["id"]] = record
            self._children(chunk, found)
        return found

    def _children(self, chunk: list[str], found: dict[str, dict[str, Any]]) -> None:
        live = (ContactEmail.deleted_at.is_(None),)
        lists: list[tuple[str, Any]] = [
            (
                "emails",
                select(ContactEmail.contact_id, ContactEmail.email, ContactEmail.label)
                .where(ContactEmail.contact_id.in_(chunk), *live)
                .order_by(ContactEmail.contact_id, ContactEmail.position),
            ),
            (
                "phones",
                select(ContactPhone.contact_id, ContactPhone.number, ContactPhone.label)
                .where(ContactPhone.contact_id.in_(chunk), ContactPhone.deleted_at.is_(None))
                .order_by(ContactPhone.contact_id, ContactPhone.position),
            ),
            (
                "addresses",
                select(
                    ContactAddress.contact_id,
                    ContactAddress.street,
                    ContactAddress.city,
                    ContactAddress.region,
                    ContactAddress.postcode,
                    ContactAddress.country,
                    ContactAddress.label,
                )
                .where(ContactAddress.contact_id.in_(chunk), ContactAddress.deleted_at.is_(None))
                .order_by(ContactAddress.contact_id, ContactAddress.position),
            ),
            (
                "roles",
                select(
                    ContactRole.contact_id, ContactRole.company_id, ContactRole.title, Company.name
                )
                .join(Company, Company.id == ContactRole.company_id)
                .where(ContactRole.contact_id.in_(chunk), ContactRole.deleted_at.is_(None))
                .order_by(ContactRole.contact_id, ContactRole.position),
            ),
        ]
        for key, stmt in lists:
            for row in self.session.execute(stmt):
                record = found.get(row[0])
                if record is not None:
                    record[key].append(tuple(row[1:]))
        for target, name in self._tags(chunk):
            if target in found:
                found[target]["tags"].append(name)

    def _tags(self, chunk: list[str]) -> list[tuple[str, str]]:
        stmt = (
            select(Tagging.target_id, Tag.name)
            .join(Tag, Tag.id == Tagging.tag_id)
            .where(Tagging.target_id.in_(chunk), Tagging.deleted_at.is_(None))
            .order_by(Tagging.target_id, func.lower(Tag.name))
        )
        return [(t, n) for t, n in self.session.execute(stmt)]

    def companies(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Company id -> its columns, "owner_name", "tags" and "people" (how many)."""
        found: dict[str, dict[str, Any]] = {}
        columns = [c.key for c in Company.__table__.columns]
        for chunk in _chunks(ids):
            people = (
                select(func.count())
                .select_from(ContactRole)
                .join(Contact, Contact.id == ContactRole.contact_id)
                .where(
                    ContactRole.company_id == Company.id,
                    ContactRole.deleted_at.is_(None),
                    Contact.deleted_at.is_(None),
                )
                .scalar_subquery()
            )
            stmt = (
                select(*[getattr(Company, key) for key in columns])
                .add_columns(func.coalesce(User.name, ""), people)
                .outerjoin(User, User.id == Company.owner_id)
                .where(Company.id.in_(chunk))
            )
            for row in self.session.execute(stmt):
                record = dict(zip([*columns, "owner_name", "people"], row, strict=True))
                record["tags"] = []
                found[record["id"]] = record
            for target, name in self._tags(chunk):
                if target in found:
                    found[target]["tags"].append(name)
        return found

    # ---- an export, page by page ----------------------------------------------------------

    def contact_export(
        self, ids: Sequence[str] | None = None
    ) -> tuple[tuple[int, int], Iterator[ContactPage]]:
        """An export's contacts: the most e-mails and the most phones one of them has, and
        the contacts page by page: all live ones in list order, or these ids in this order
        (in the Trash too). See contact_export.py."""
        reader = ContactExportReader(self.session)
        if ids is not None:
            return reader.widths_of(ids), reader.pages_of(ids)
        lists = reader.lists(None)
        return reader.widths(lists), reader.live_pages(lists)

    # ---- import batches (local to this device) ----------------------------------------------

    def read_local(self, key: str) -> str | None:
        row = self.session.get(LocalMeta, key)
        return None if row is None else row.value

    def write_local(self, key: str, value: str) -> None:
        row = self.session.get(LocalMeta, key)
        if row is None:
            self.session.add(LocalMeta(key=key, value=value))
        else:
            row.value = value

    def local_keys(self, prefix: str) -> list[str]:
        stmt = select(LocalMeta.key).where(LocalMeta.key.like(f"{prefix}%"))
        return list(self.session.scalars(stmt))

    def rows(self, model: type[M], ids: Sequence[str]) -> list[M]:
        """The ORM rows of these ids (deleted ones too), a chunk of ids per query."""
        found: list[M] = []
        for chunk in _chunks(ids):
            found.extend(self.session.scalars(select(model).where(model.id.in_(chunk))))
        return found
