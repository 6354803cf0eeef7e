"""Derived columns recomputed from their sources (SYNC.md point 13).

`Derivations` notes which contacts a write touched through one of the sources of their
derived columns; `rederive_contacts` recomputes those columns with the one domain
function (`domain.derived.contact_copies`) and writes the ones that differ. The writes
are plain UPDATEs, never captured as changes: every device derives the same values from
the same sources, so they need not travel.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session, attributes

from crm_desktop.domain.derived import CONTACT_DERIVED, contact_copies
from crm_desktop.persistence.models import (
    Contact,
    ContactAddress,
    ContactEmail,
    ContactPhone,
    ContactRole,
    Entity,
)
from crm_desktop.persistence.wire import entity_name

_CHUNK = 500
# Entity (wire name) -> the fields its contact's derived columns are computed from.
SOURCES: Mapping[str, frozenset[str]] = {
    "contacts": frozenset({"first_name", "last_name", "job_title"}),
    "contact_emails": frozenset({"email", "position", "deleted_at", "contact_id"}),
    "contact_phones": frozenset({"number", "position", "deleted_at", "contact_id"}),
    "contact_addresses": frozenset({"city", "position", "deleted_at", "contact_id"}),
    "contact_roles": frozenset({"company_id", "title", "position", "deleted_at", "contact_id"}),
}


def contact_of(entity: str, row: Mapping[str, Any]) -> str | None:
    """The contact whose derived columns a row of `entity` feeds (None: no contact)."""
    if entity == "contacts":
        return row.get("id")
    if entity in SOURCES:
        return row.get("contact_id")
    return None


def touched_contacts(obj: Entity, new: bool) -> Iterator[str]:
    """The contacts an ORM object about to be flushed feeds through a source field (the
    old contact too, when a list entry moves from one contact to another)."""
    entity = entity_name(type(obj))
    sources = SOURCES.get(entity)
    if sources is None:
        return
    if new:
        contact = contact_of(entity, {"id": obj.id, "contact_id": getattr(obj, "contact_id", None)})
        if contact:
            yield contact
        return
    state = attributes.instance_state(obj)
    changed = False
    for key in sources:
        history = state.attrs[key].history
        if history.has_changes():
            changed = True
            if key == "contact_id":
                yield from (c for c in history.deleted if c)
    if changed:
        contact = contact_of(entity, {"id": obj.id, "contact_id": getattr(obj, "contact_id", None)})
        if contact:
            yield contact


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _firsts(session: Session, model: Any, columns: Sequence[str], ids: Sequence[str]) -> dict:  # type: ignore[type-arg]
    """Per contact, the values of its live list entries in list order (position, then id,
    so two devices order equal positions alike)."""
    stmt = (
        select(model.contact_id, *(getattr(model, c) for c in columns))
        .where(model.contact_id.in_(list(ids)), model.deleted_at.is_(None))
        .order_by(model.contact_id, model.position, model.id)
    )
    found: dict[str, list[Any]] = {}
    for row in session.execute(stmt):
        found.setdefault(row[0], []).append(row[1] if len(columns) == 1 else tuple(row[1:]))
    return found


def rederive_contacts(session: Session, ids: Iterable[str]) -> set[str]:
    """Recompute the derived columns of these contacts; returns the ids whose values
    changed (their search documents show some of them)."""
    wanted = sorted(set(ids))
    changed: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(wanted):
        current = session.execute(
            select(Contact.id, Contact.first_name, Contact.last_name, Contact.job_title)
            .add_columns(*(getattr(Contact, c) for c in CONTACT_DERIVED))
            .where(Contact.id.in_(list(chunk)))
        ).all()
        if not current:
            continue
        emails = _firsts(session, ContactEmail, ("email",), chunk)
        phones = _firsts(session, ContactPhone, ("number",), chunk)
        cities = _firsts(session, ContactAddress, ("city",), chunk)
        roles = _firsts(session, ContactRole, ("company_id", "title"), chunk)
        for row in current:
            cid = row[0]
            values = contact_copies(
                row[1] or "",
                row[2] or "",
                emails.get(cid, ()),
                phones.get(cid, ()),
                cities.get(cid, ()),
                roles.get(cid, ()),
                row[3] or "",
            )
            old = dict(zip(CONTACT_DERIVED, row[4:], strict=True))
            if values != old:
                changed[cid] = values
    if changed:
        # The SET clause comes from the parameters' keys (every derived column).
        table = Contact.__table__
        assert isinstance(table, Table)
        stmt = update(table).where(table.c.id == bindparam("_id"))
        session.connection().execute(stmt, [{"_id": cid, **v} for cid, v in changed.items()])
        for cid, values in changed.items():
            obj = session.identity_map.get(session.identity_key(Contact, cid))
            if obj is not None:  # keep loaded objects true to the row, without a new edit
                for key, value in values.items():
                    attributes.set_committed_value(obj, key, value)
    return set(changed)
