"""Business settings shared by the team (business name, currency, your name)."""

from __future__ import annotations

import json
from typing import Any

from crm_desktop.domain.vocabulary import DEFAULT_CURRENCY
from crm_desktop.persistence.models import Setting
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import UowFactory, assign

DEFAULTS: dict[str, Any] = {"business_name": "", "currency": DEFAULT_CURRENCY}


def read_setting(uow: UnitOfWork, key: str, default: Any = None) -> Any:
    """A business setting's value (JSON-decoded) in an open unit of work."""
    row = uow.repository(Setting).get(key)
    if row is None:
        return default
    try:
        return json.loads(row.value)
    except ValueError:
        return default


def write_setting(uow: UnitOfWork, key: str, value: Any) -> None:
    """Store a business setting (JSON) in an open unit of work, bringing a deleted one back."""
    repo = uow.repository(Setting)
    row = repo.get(key, include_deleted=True)
    text = json.dumps(value, ensure_ascii=False)
    if row is None:
        repo.add(Setting(id=key, value=text))
    else:
        assign(row, {"value": text, "deleted_at": None})


class SettingsService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def get(self, key: str) -> Any:
        with self._uow.read() as uow:
            return read_setting(uow, key, DEFAULTS.get(key))

    def set(self, key: str, value: Any) -> None:
        with self._uow() as uow:
            write_setting(uow, key, value)
            uow.commit()

    def is_first_run(self) -> bool:
        """True until the first-run wizard (or demo data) has named the business."""
        return not self.get("business_name")
