"""Merging duplicate contacts or companies into one, and undoing it (called through
`DuplicateService`).

One unit of work does everything, so the change log holds the whole merge or nothing:
the kept record takes the chosen field values; rows linked to the others (e-mails, phones,
addresses, roles, tags, custom values, consents, campaign memberships, activities, deals,
orders; for companies also the people's roles and primary company) are moved to the kept
record by changing their link, so they keep their ids and sync as one changed field each;
a row that would repeat one the kept record has (the same e-mail, a tag it already
carries) stays with its old record. The others go to the Trash (a tombstone for sync) with
a note saying what they were merged into. Every field the merge changes is remembered as
it was, so `undo` puts back exactly what was there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.derived import contact_copies
from crm_desktop.domain.duplicates import MergeField, MergePreview, MergeResult
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.records import AddressEntry
from crm_desktop.domain.text import display_name, fold
from crm_desktop.persistence.models import (
    SYNCED_TABLES,
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
from crm_desktop.services._common import UowFactory, now

ADDRESS = ("street", "city", "region", "postcode", "country")
CONTACT_FIELDS = (
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("birthday", "Birthday"),
    ("owner_id", "Owner"),
    ("lead_source", "Lead source"),
    ("cadence_days", "Keep in touch every (days)"),
    ("notes", "Notes"),
)
COMPANY_FIELDS = (
    ("name", "Name"),
    ("domain", "Domain"),
    ("industry", "Industry"),
    ("phone", "Phone"),
    ("email", "E-mail"),
    ("website", "Website"),
    ("address", "Address"),
    ("lead_source", "Lead source"),
    ("owner_id", "Owner"),
    ("notes", "Notes"),
)


def _norm_phone(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit() or ch == "+").replace("+", "", 1)


@dataclass(frozen=True)
class _Link:
    """Rows of `model` linked to a record through `column`. `key` tells a row that repeats
    one of the kept record's (None: every row moves); `fill` names fields the kept row
    takes from a repeating row when its own are empty; `drop_repeats` sends a repeating
    row to the Trash (a role of a person at both companies) instead of leaving it;
    `ordered`: the rows are the record's own list in `position` order (moved rows go to
    its end)."""

    entity: str
    model: type[Entity]
    column: str
    key: Callable[[Any], object] | None = None
    fill: tuple[str, ...] = ()
    drop_repeats: bool = False
    ordered: bool = False


def _address_key(a: Any) -> object:
    return tuple(fold(getattr(a, f)) for f in ("street", "postcode", "city", "country"))


def _consent_key(c: Any) -> object:
    return (c.purpose, c.lawful_basis, c.status, c.source, c.evidence, c.recorded_at)


CONTACT_LINKS = (
    _Link(
        "contact_emails",
        ContactEmail,
        "contact_id",
        lambda e: e.email.strip().casefold(),
        ordered=True,
    ),
    _Link(
        "contact_phones", ContactPhone, "contact_id", lambda p: _norm_phone(p.number), ordered=True
    ),
    _Link("contact_addresses", ContactAddress, "contact_id", _address_key, ordered=True),
    _Link(
        "contact_roles", ContactRole, "contact_id", lambda r: r.company_id, ("title",), ordered=True
    ),
    _Link("taggings", Tagging, "target_id", lambda t: t.tag_id),
    _Link("custom_values", CustomValue, "target_id", lambda v: v.field_id, ("value",)),
    _Link("consents", Consent, "contact_id", _consent_key),
    _Link("campaign_members", CampaignMember, "contact_id", lambda m: m.campaign_id),
    _Link("activities", Activity, "contact_id"),
    _Link("deals", Deal, "contact_id"),
    _Link("orders", Order, "contact_id"),
)
COMPANY_LINKS = (
    _Link("contacts", Contact, "company_id"),
    _Link("contact_roles", ContactRole, "company_id", lambda r: r.contact_id, ("title",), True),
    _Link("taggings", Tagging, "target_id", lambda t: t.tag_id),
    _Link("custom_values", CustomValue, "target_id", lambda v: v.field_id, ("value",)),
    _Link("activities", Activity, "company_id"),
    _Link("deals", Deal, "company_id"),
    _Link("orders", Order, "company_id"),
)


@dataclass
class _Plan:
    """For one link: the kept record's rows, the rows that move, the rows that repeat."""

    link: _Link
    kept: list[Any]
    moving: list[Any]
    repeats: list[tuple[Any, Any]]  # (repeating row, the kept row it repeats)


class _Recorder:
    """Sets fields and remembers each one's first value, for the undo."""

    def __init__(self) -> None:
        self.before: dict[tuple[str, str], dict[str, object]] = {}

    def set(self, obj: Entity, field: str, value: object) -> None:
        old = getattr(obj, field)
        if old == value:
            return
        self.before.setdefault((obj.__tablename__, obj.id), {}).setdefault(field, old)
        setattr(obj, field, value)

    def frozen(self) -> tuple[tuple[str, str, tuple[tuple[str, object], ...]], ...]:
        return tuple(
            (entity, row_id, tuple(fields.items()))
            for (entity, row_id), fields in self.before.items()
        )


# ---- loading ---------------------------------------------------------------------------------


def _records(uow: UnitOfWork, kind: str, keep_id: str, other_ids: Sequence[str]) -> list[Any]:
    """The kept record and the others, live; a clear error for anything else."""
    others = list(other_ids)
    if not others:
        raise ValidationError("choose at least one record to merge into the kept one")
    if keep_id in others:
        raise ValidationError("a record cannot be merged with itself")
    if len(set(others)) != len(others):
        raise ValidationError("a record is listed twice among those to merge")
    model = Contact if kind == "contacts" else Company
    what = "contact" if kind == "contacts" else "company"
    records = []
    for row_id in (keep_id, *others):
        obj = uow.repository(model).get(row_id, include_deleted=True)
        if obj is None:
            raise ValidationError(f"no {what} with id {row_id} to merge")
        if obj.deleted_at is not None:
            raise ValidationError(f"the {what} {_title(obj)} is in the Trash; restore it first")
        records.append(obj)
    return records


def _title(obj: Any) -> str:
    if isinstance(obj, Contact):
        return display_name(obj.first_name, obj.last_name)
    return str(obj.name)


def _plans(uow: UnitOfWork, kind: str, keep_id: str, other_ids: Sequence[str]) -> list[_Plan]:
    repo = uow.duplicates
    plans = []
    for link in CONTACT_LINKS if kind == "contacts" else COMPANY_LINKS:
        rows = repo.linked(link.model, link.column, [keep_id, *other_ids])
        kept = [r for r in rows if getattr(r, link.column) == keep_id]
        if link.ordered:
            kept.sort(key=lambda r: (getattr(r, "position", 0), r.created_at))
        seen: dict[object, Any] = {}
        if link.key is not None:
            for row in kept:
                seen.setdefault(link.key(row), row)
        moving, repeats = [], []
        for other in other_ids:
            theirs = [r for r in rows if getattr(r, link.column) == other]
            if link.ordered:
                theirs.sort(key=lambda r: (getattr(r, "position", 0), r.created_at))
            for row in theirs:
                key = link.key(row) if link.key is not None else None
                if key is not None and key in seen:
                    repeats.append((row, seen[key]))
                    continue
                if key is not None:
                    seen[key] = row
                moving.append(row)
        plans.append(_Plan(link, kept, moving, repeats))
    return plans


# ---- field values ------------------------------------------------------------------------------


def _fields(kind: str) -> tuple[tuple[str, str], ...]:
    return CONTACT_FIELDS if kind == "contacts" else COMPANY_FIELDS


def _value(obj: Any, key: str) -> object:
    if key == "address":
        return tuple(getattr(obj, f) for f in ADDRESS)
    return getattr(obj, key)


def _empty(value: object) -> bool:
    if isinstance(value, tuple):
        return all(_empty(v) for v in value)
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == 0


def _text(value: object, users: dict[str, str], key: str) -> str:
    if _empty(value):
        return ""
    if key == "address" and isinstance(value, tuple):
        return AddressEntry(*value).one_line()
    if key == "owner_id":
        return users.get(str(value), str(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _proposed(records: list[Any], key: str) -> Any:
    for obj in records:
        if not _empty(_value(obj, key)):
            return obj
    return records[0]


def _chosen(uow: UnitOfWork, records: list[Any], key: str, choice: object) -> object:
    """The value a choice stands for: a record id takes that record's value."""
    for obj in records:
        if choice == obj.id:
            return _value(obj, key)
    if key == "birthday":
        if isinstance(choice, str) and choice.strip():
            try:
                return dt.date.fromisoformat(choice.strip())
            except ValueError:
                raise ValidationError(f"not a date: {choice!r}") from None
        if choice is None or choice == "" or isinstance(choice, dt.date):
            return choice or None
        raise ValidationError(f"not a date: {choice!r}")
    if key == "owner_id":
        if choice in (None, ""):
            return None
        if uow.repository(User).get(str(choice)) is None:
            raise ValidationError(f"no user with id {choice}")
        return choice
    if key == "cadence_days":
        if not isinstance(choice, int) or choice < 0:
            raise ValidationError(f"not a number of days: {choice!r}")
        return choice
    if key == "address":
        if isinstance(choice, AddressEntry):
            return tuple(getattr(choice, f) for f in ADDRESS)
        raise ValidationError("an address is chosen by record id or given as an AddressEntry")
    if not isinstance(choice, str):
        raise ValidationError(f"not a text for {key}: {choice!r}")
    return choice.strip() if key not in ("notes",) else choice


# ---- preview ----------------------------------------------------------------------------------


def preview(
    uow_factory: UowFactory, kind: str, keep_id: str, other_ids: Sequence[str]
) -> MergePreview:
    with uow_factory.read() as uow:
        records = _records(uow, kind, keep_id, other_ids)
        users = {u.id: u.name for u in uow.users.all()}
        fields = []
        for key, label in _fields(kind):
            values = tuple((obj.id, _text(_value(obj, key), users, key)) for obj in records)
            fields.append(MergeField(key, label, values, _proposed(records, key).id))
        for key, label, held in _custom(uow, kind, records):
            values = tuple((obj.id, held.get(obj.id, "")) for obj in records)
            proposed = next((i for i, v in values if v.strip()), keep_id)
            fields.append(MergeField(key, label, values, proposed))
        plans = _plans(uow, kind, keep_id, list(other_ids))
        united = _united(uow, plans)
        return MergePreview(
            kind,
            keep_id,
            tuple(other_ids),
            tuple((obj.id, _title(obj)) for obj in records),
            tuple(fields),
            united,
            tuple((p.link.entity, len(p.moving)) for p in plans if p.moving),
        )


def _united(uow: UnitOfWork, plans: list[_Plan]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    by_entity = {p.link.entity: p for p in plans}
    shown: list[tuple[str, tuple[str, ...]]] = []

    def rows(entity: str) -> list[Any]:
        plan = by_entity.get(entity)
        return [*plan.kept, *plan.moving] if plan else []

    if "contact_emails" in by_entity:
        shown.append(("E-mails", tuple(e.email for e in rows("contact_emails"))))
        shown.append(("Phones", tuple(p.number for p in rows("contact_phones"))))
        addresses = rows("contact_addresses")
        shown.append(
            (
                "Addresses",
                tuple(
                    AddressEntry(*(getattr(a, f) for f in ADDRESS)).one_line() for a in addresses
                ),
            )
        )
        roles = []
        filled = {kept.id: row.title for row, kept in by_entity["contact_roles"].repeats}
        for role in rows("contact_roles"):
            company = uow.repository(Company).get(role.company_id, include_deleted=True)
            name = company.name if company else role.company_id
            title = role.title or filled.get(role.id, "")
            roles.append(f"{name} ({title})" if title else name)
        shown.append(("Companies", tuple(roles)))
    else:
        people: dict[str, str] = {}
        for role in rows("contact_roles"):
            person = uow.contacts.get(role.contact_id)
            if person is not None:
                people.setdefault(person.id, display_name(person.first_name, person.last_name))
        shown.append(("People", tuple(sorted(people.values(), key=fold))))
    tags = []
    for tagging in rows("taggings"):
        tag = uow.repository(Tag).get(tagging.tag_id, include_deleted=True)
        tags.append(tag.name if tag else tagging.tag_id)
    shown.append(("Tags", tuple(sorted(tags, key=str.casefold))))
    return tuple(shown)


# ---- merge ------------------------------------------------------------------------------------


def merge(
    uow_factory: UowFactory,
    kind: str,
    keep_id: str,
    other_ids: Sequence[str],
    choices: dict[str, Any],
) -> MergeResult:
    others = list(other_ids)
    recorder = _Recorder()
    with uow_factory() as uow:
        records = _records(uow, kind, keep_id, others)
        keep = records[0]
        custom = _custom(uow, kind, records)
        known = {key for key, _ in _fields(kind)} | {key for key, _, _ in custom}
        unknown = sorted(set(choices) - known, key=str)
        if unknown:
            raise ValidationError(f"no field {unknown[0]!r} to choose for {kind}")
        for key, _ in _fields(kind):
            if key in choices:
                value = _chosen(uow, records, key, choices[key])
            else:
                value = _value(_proposed(records, key), key)
            if key == "address":
                for field, part in zip(ADDRESS, value, strict=True):  # type: ignore[call-overload]
                    recorder.set(keep, field, part)
            else:
                recorder.set(keep, key, value)
        plans = _plans(uow, kind, keep_id, others)
        moved = _move(recorder, plans, keep_id)
        created = _custom_choices(uow, recorder, records, custom, choices)
        if isinstance(keep, Contact):
            _contact_copies(recorder, keep, plans)
        else:
            _employer_copies(uow, recorder, plans)
        stamp = now()
        title = _title(keep)
        for other in records[1:]:
            note = f"Merged into {title} on {stamp.date().isoformat()} (id {keep_id})."
            recorder.set(other, "notes", f"{other.notes}\n\n{note}" if other.notes else note)
            recorder.set(other, "deleted_at", stamp)
        changes = uow.commit()
    return MergeResult(changes, kind, keep_id, tuple(others), moved, recorder.frozen(), created)


def _custom(
    uow: UnitOfWork, kind: str, records: list[Any]
) -> list[tuple[str, str, dict[str, str]]]:
    """(choice key "custom:<field id>", field name, {record id: value}) of each custom field
    one of the records has a value for, in the fields' order."""
    target = "contact" if kind == "contacts" else "company"
    definitions = sorted(
        (f for f in uow.repository(CustomField).all() if f.target_kind == target),
        key=lambda f: f.position,
    )
    held: dict[str, dict[str, str]] = {}
    ids = [r.id for r in records]
    for value in uow.duplicates.linked(CustomValue, "target_id", ids):
        held.setdefault(value.field_id, {}).setdefault(value.target_id, value.value)
    return [
        (f"custom:{f.id}", f.name, held[f.id])
        for f in definitions
        if any(v.strip() for v in held.get(f.id, {}).values())
    ]


def _custom_choices(
    uow: UnitOfWork,
    recorder: _Recorder,
    records: list[Any],
    custom: list[tuple[str, str, dict[str, str]]],
    choices: dict[str, Any],
) -> tuple[tuple[str, str], ...]:
    """Give the kept record the chosen custom values (after the rows have moved: the kept
    record holds the first non-empty value of each field by then, the proposal). Returns
    the value rows it had to create."""
    keep_id = records[0].id
    uow.flush()
    rows = uow.duplicates.linked(CustomValue, "target_id", [keep_id])
    own = {r.field_id: r for r in rows}
    created = []
    for key, _, held in custom:
        if key not in choices:
            continue
        choice = choices[key]
        if any(choice == r.id for r in records):
            value = held.get(str(choice), "")
        elif isinstance(choice, str):
            value = choice
        else:
            raise ValidationError(f"not a text for {key}: {choice!r}")
        field_id = key.removeprefix("custom:")
        if field_id in own:
            recorder.set(own[field_id], "value", value)
        elif value.strip():
            row = CustomValue(field_id=field_id, target_id=keep_id, value=value)
            uow.add(row)
            uow.flush()
            created.append(("custom_values", row.id))
    return tuple(created)


def _move(recorder: _Recorder, plans: list[_Plan], keep_id: str) -> int:
    moved = 0
    for plan in plans:
        link = plan.link
        for offset, row in enumerate(plan.moving):
            recorder.set(row, link.column, keep_id)
            if link.ordered:
                recorder.set(row, "position", len(plan.kept) + offset)
            moved += 1
        for row, kept in plan.repeats:
            for field in link.fill:
                if _empty(getattr(kept, field)) and not _empty(getattr(row, field)):
                    recorder.set(kept, field, getattr(row, field))
            if link.drop_repeats:
                recorder.set(row, "deleted_at", now())
    return moved


def _contact_copies(recorder: _Recorder, keep: Contact, plans: list[_Plan]) -> None:
    """The contact's copies of its lists' first entries and its sort name."""
    lists = {p.link.entity: [*p.kept, *p.moving] for p in plans}
    copies = contact_copies(
        keep.first_name,
        keep.last_name,
        [e.email for e in lists["contact_emails"]],
        [p.number for p in lists["contact_phones"]],
        [a.city for a in lists["contact_addresses"]],
        [(r.company_id, r.title) for r in lists["contact_roles"]],
        keep.job_title,
    )
    for key, value in copies.items():
        recorder.set(keep, key, value)


def _employer_copies(uow: UnitOfWork, recorder: _Recorder, plans: list[_Plan]) -> None:
    """After a company merge: the primary company and title each person's contact row
    copies from their first live role (a role may have moved or gone to the Trash)."""
    people: set[str] = set()
    for plan in plans:
        if plan.link.model is ContactRole:
            people.update(r.contact_id for r in plan.moving)
            people.update(r.contact_id for r, _ in plan.repeats)
    uow.flush()
    roles = uow.duplicates.linked(ContactRole, "contact_id", sorted(people))
    first: dict[str, ContactRole] = {}
    for role in sorted(roles, key=lambda r: (r.position, r.created_at)):
        first.setdefault(role.contact_id, role)
    for contact_id in sorted(people):
        contact = uow.contacts.get(contact_id)
        if contact is not None:
            primary = first.get(contact_id)
            recorder.set(contact, "company_id", primary.company_id if primary else None)
            recorder.set(contact, "title", primary.title if primary else contact.job_title)


# ---- undo -------------------------------------------------------------------------------------


def undo(uow_factory: UowFactory, result: MergeResult) -> MergeResult:
    """Every field the merge changed gets its old value back; rows it created go to the
    Trash. Returns the undo's own record (undoing that one merges again)."""
    recorder = _Recorder()
    with uow_factory() as uow:
        for entity, row_id, fields in result.before:
            model = SYNCED_TABLES.get(entity)
            obj = uow.repository(model).get(row_id, include_deleted=True) if model else None
            if obj is None:
                raise ValidationError(f"the merge cannot be undone: {entity} {row_id} is gone")
            for field, value in fields:
                recorder.set(obj, field, value)
        stamp = now()
        # The kept record's search entry is rebuilt from what it holds again (a touch of
        # updated_at marks it without a change row: the field is not recorded).
        keep = uow.repository(Contact if result.kind == "contacts" else Company).get(
            result.keep_id, include_deleted=True
        )
        if keep is not None:
            keep.updated_at = stamp
        for entity, row_id in result.created:
            model = SYNCED_TABLES.get(entity)
            obj = uow.repository(model).get(row_id, include_deleted=True) if model else None
            if obj is not None and obj.deleted_at is None:
                recorder.set(obj, "deleted_at", stamp)
        changes: ChangeSet = uow.commit()
    return MergeResult(
        changes,
        result.kind,
        result.keep_id,
        result.other_ids,
        result.relinked,
        recorder.frozen(),
    )
