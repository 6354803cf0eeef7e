"""Helpers shared by the services: the factory protocol, `require`, the Trash."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import NotFoundError
from crm_desktop.persistence.models import Entity
from crm_desktop.persistence.records_map import assign, ensure_tag
from crm_desktop.persistence.repositories import Repository
from crm_desktop.persistence.uow import UnitOfWork

__all__ = ["UowFactory", "assign", "ensure_tag", "now", "require", "set_deleted"]

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
