"""Data-subject requests: everything held on one person (JSON or Excel), and anonymising
a person while their sales stay in the totals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.privacy import SubjectData
from crm_desktop.exchange import tabular
from crm_desktop.exchange.files import write_atomically
from crm_desktop.persistence.models import (
    Activity,
    CampaignMember,
    Company,
    Consent,
    Contact,
    ContactAddress,
    ContactEmail,
    ContactPhone,
    ContactRole,
    CustomField,
    CustomValue,
    Deal,
    Entity,
    Order,
    Tag,
    Tagging,
    User,
)
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import UowFactory, now, require

ANONYMOUS = "Anonymised"
# What identifies a person, per table: blanked on anonymising, in the record and in its
# recorded history.
PERSONAL = {
    "contacts": (
        "first_name",
        "last_name",
        "sort_name",
        "email",
        "phone",
        "title",
        "city",
        "birthday",
        "notes",
    ),
    "contact_emails": ("email",),
    "contact_phones": ("number",),
    "contact_addresses": ("street", "city", "region", "postcode", "country"),
    "contact_roles": ("title",),
    "custom_values": ("value",),
    "activities": ("subject", "notes", "outcome"),
    "consents": ("evidence",),
}
_SKIP = {"deleted_at"}


def _plain(obj: Entity) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in _SKIP}


class PrivacyService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def subject_data(self, contact_id: str) -> SubjectData:
        """Every record about a person: the contact, e-mails, phones, addresses, roles,
        tags, custom fields, the consent ledger, activities, deals, orders, campaigns."""
        with self._uow.read() as uow:
            contact = require(uow.repository(Contact), contact_id, "contact", include_deleted=True)
            repo = uow.repository(Contact)

            def rows(model: type[Entity], field: str = "contact_id") -> list[dict[str, Any]]:
                return [_plain(r) for r in repo.children(model, field, contact_id)]

            sections: dict[str, list[dict[str, Any]]] = {
                "contact": [_plain(contact)],
                "emails": rows(ContactEmail),
                "phones": rows(ContactPhone),
                "addresses": rows(ContactAddress),
                "roles": self._roles(uow, contact_id),
                "tags": self._tags(uow, contact_id),
                "custom_fields": self._custom(uow, contact_id),
                "consents": rows(Consent),
                "activities": rows(Activity),
                "deals": rows(Deal),
                "orders": rows(Order),
                "campaigns": rows(CampaignMember),
            }
            owner = uow.repository(User).get(contact.owner_id) if contact.owner_id else None
            sections["contact"][0]["owner"] = owner.name if owner else ""
            name = f"{contact.first_name} {contact.last_name}".strip()
            return SubjectData(contact_id, name, sections)

    @staticmethod
    def _roles(uow: UnitOfWork, contact_id: str) -> list[dict[str, Any]]:
        repo = uow.repository(Company)
        out = []
        for role in repo.children(ContactRole, "contact_id", contact_id):
            company = repo.get(role.company_id)
            out.append({"company": company.name if company else "", "title": role.title})
        return out

    @staticmethod
    def _tags(uow: UnitOfWork, contact_id: str) -> list[dict[str, Any]]:
        repo = uow.repository(Tag)
        out = []
        for tagging in repo.children(Tagging, "target_id", contact_id):
            tag = repo.get(tagging.tag_id)
            if tag is not None:
                out.append({"tag": tag.name, "since": tagging.created_at})
        return out

    @staticmethod
    def _custom(uow: UnitOfWork, contact_id: str) -> list[dict[str, Any]]:
        repo = uow.repository(CustomField)
        out = []
        for value in repo.children(CustomValue, "target_id", contact_id):
            field = repo.get(value.field_id)
            if field is not None:
                out.append({"field": field.name, "value": value.value})
        return out

    def export(self, contact_id: str, path: Path) -> SubjectData:
        """Write everything held on a person to .json or .xlsx (one sheet per section)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".json", ".xlsx"):
            raise ValidationError(f"a data export is .json or .xlsx, not {path.name!r}")
        data = self.subject_data(contact_id)
        if suffix == ".json":
            text = json.dumps(data.to_json(), ensure_ascii=False, indent=2, default=str)
            write_atomically(path, lambda s: s.write(text.encode("utf-8")))
        else:
            sheets = [_sheet(title, rows) for title, rows in data.sections.items()]
            write_atomically(path, lambda s: tabular.write_workbook(s, sheets))
        return data

    def anonymise(self, contact_id: str) -> ChangeSet:
        """Blank what identifies a person (name, e-mails, phones, addresses, birthday,
        notes, custom fields, their activities' texts, consent evidence), in the record
        and in this device's history of it. Orders and deals stay, so sales totals and
        reports do not change; the consent ledger keeps its dates and statuses."""
        with self._uow() as uow:
            contact = require(uow.repository(Contact), contact_id, "contact", include_deleted=True)
            repo = uow.repository(Contact)
            children: dict[str, list[Any]] = {
                "contact_emails": repo.children(ContactEmail, "contact_id", contact_id),
                "contact_phones": repo.children(ContactPhone, "contact_id", contact_id),
                "contact_addresses": repo.children(ContactAddress, "contact_id", contact_id),
                "contact_roles": repo.children(ContactRole, "contact_id", contact_id),
                "custom_values": repo.children(CustomValue, "target_id", contact_id),
                "activities": repo.children(Activity, "contact_id", contact_id),
                "consents": repo.children(Consent, "contact_id", contact_id),
            }
            for table, rows in (("contacts", [contact]), *children.items()):
                uow.scrub_history([r.id for r in rows], PERSONAL[table])
            stamp = now()
            for table in ("contact_emails", "contact_phones", "contact_addresses", "custom_values"):
                for row in children[table]:
                    row.deleted_at = stamp
            for role in children["contact_roles"]:
                role.title = ""
            for activity in children["activities"]:
                activity.subject, activity.notes, activity.outcome = ANONYMOUS, "", ""
            for consent in children["consents"]:
                consent.evidence = ""
            contact.first_name, contact.last_name = ANONYMOUS, ""
            contact.email = contact.phone = contact.title = contact.city = contact.notes = ""
            contact.birthday = None
            return uow.commit()


def _sheet(title: str, rows: list[dict[str, Any]]) -> tuple[str, list[str], list[list[Any]]]:
    headers: list[str] = []
    for row in rows:
        headers += [k for k in row if k not in headers]
    return (
        title.replace("_", " ").capitalize(),
        headers,
        [[r.get(h) for h in headers] for r in rows],
    )
