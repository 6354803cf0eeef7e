"""Helpers shared by the services: the factory protocol and child-list syncing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import NotFoundError
from crm_desktop.domain.ids import tag_id
from crm_desktop.persistence.models import Entity, Tag, Tagging
from crm_desktop.persistence.repositories import Repository
from crm_desktop.persistence.uow import UnitOfWork

M = TypeVar("M", bound=Entity)


class UowFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...

    def read(self) -> UnitOfWork: ...


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def require(repo: Repository[M], row_id: str, what: str, include_deleted: bool = False) -> M:
    obj = repo.get(row_id, include_deleted=include_deleted)
    if obj is None:
        raise NotFoundError(f"no {what} with id {row_id}")
    return obj


def assign(obj: Entity, values: dict[str, Any]) -> None:
    """Set only the attributes that differ, so unchanged fields leave no change rows."""
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)


def sync_children(
    uow: UnitOfWork,
    model: type[Entity],
    parent_field: str,
    parent_id: str,
    existing: Sequence[Entity],
    wanted: Sequence[dict[str, Any]],
) -> None:
    """Make a parent's child rows equal `wanted`, reusing rows by position (an edited
    e-mail keeps its id, so sync merges it field by field)."""
    for position, wanted_values in enumerate(wanted):
        values = {**wanted_values, "position": position}
        if position < len(existing):
            assign(existing[position], values)
        else:
            uow.session.add(model(**{parent_field: parent_id, **values}))
    stamp = now()
    for extra in existing[len(wanted) :]:
        extra.deleted_at = stamp


def sync_tags(uow: UnitOfWork, target_id: str, target_kind: str, names: Sequence[str]) -> None:
    wanted = {n.strip().casefold(): n.strip() for n in names if n.strip()}
    current = uow.tags.taggings(target_id)
    for tagging, name in current:
        if name.casefold() not in wanted:
            tagging.deleted_at = now()
    have = {name.casefold() for _, name in current}
    for key, name in wanted.items():
        if key in have:
            continue
        tag = uow.tags.by_name(name) or ensure_tag(uow, name)
        uow.session.flush()
        uow.session.add(Tagging(tag_id=tag.id, target_id=target_id, target_kind=target_kind))


def ensure_tag(uow: UnitOfWork, name: str) -> Tag:
    """The tag of this name, made (or brought back from the Trash) with the id every
    device gives it (`domain.ids.tag_id`): one tag per case-folded name, even when two
    devices create it before they meet."""
    known = uow.tags.get(tag_id(name), include_deleted=True)
    if known is None:
        return uow.tags.add(Tag(id=tag_id(name), name=name.strip()))
    if known.deleted_at is not None:
        known.deleted_at = None
    return known


def set_deleted(
    uow_factory: UowFactory,
    repository: Callable[[UnitOfWork], Repository[Any]],
    what: str,
    ids: Iterable[str],
    deleted: bool,
) -> ChangeSet:
    """Move records to the Trash (a soft delete, synced as a tombstone) or back; records
    already in the wanted state are left alone, so they leave no change rows."""
    stamp = now() if deleted else None
    with uow_factory() as uow:
        repo = repository(uow)
        for row_id in ids:
            obj = require(repo, row_id, what, include_deleted=True)
            if (obj.deleted_at is None) == deleted:
                obj.deleted_at = stamp
        return uow.commit()
