"""Custom fields defined by the user, per kind of record."""

from __future__ import annotations

from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.records import CustomFieldRecord, Saved
from crm_desktop.persistence.models import CustomField
from crm_desktop.services._common import UowFactory

KINDS = ("contact", "company", "deal")
TYPES = ("text", "number", "date", "bool", "choice")


class CustomFieldService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def define(self, target_kind: str, name: str, field_type: str = "text") -> Saved:
        """Add a custom field to contacts, companies or deals."""
        if target_kind not in KINDS or field_type not in TYPES or not name.strip():
            raise ValidationError(f"cannot define field {name!r} ({field_type}) on {target_kind}")
        with self._uow() as uow:
            position = len(self.list(target_kind))
            field = uow.repository(CustomField).add(
                CustomField(
                    target_kind=target_kind,
                    name=name.strip(),
                    field_type=field_type,
                    position=position,
                )
            )
            uow.flush()
            return Saved(field.id, uow.commit())

    def list(self, target_kind: str) -> list[CustomFieldRecord]:
        """The live fields of one kind of record, in order."""
        with self._uow.read() as uow:
            fields = [f for f in uow.repository(CustomField).all() if f.target_kind == target_kind]
            fields.sort(key=lambda f: f.position)
            return [CustomFieldRecord(f.id, f.target_kind, f.name, f.field_type) for f in fields]
