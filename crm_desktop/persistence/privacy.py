"""Erasing what identified a person from this device's change log (their record's
history), after the record itself was anonymised through the unit of work."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm_desktop.persistence.models import Change
from crm_desktop.persistence.wire import INSERT_FIELD

ERASED = ""


def scrub_history(session: Session, row_ids: Sequence[str], fields: Collection[str]) -> int:
    """Blank the old values of `fields` in the recorded changes of these rows (called
    before the anonymising edit is recorded, which stays). Returns how many changes were
    blanked."""
    blanked: list[tuple[str, int, str]] = []  # device, seq, the value kept
    ids = list(row_ids)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Change.device_id, Change.seq, Change.field, Change.value).where(
                Change.row_id.in_(ids[start : start + 500])
            )
        )
        for device, seq, field, value in rows:
            if field == INSERT_FIELD and value:
                values = json.loads(value)
                if isinstance(values, dict):
                    hidden = {k: (ERASED if k in fields and v else v) for k, v in values.items()}
                    if hidden != values:
                        blanked.append((device, seq, json.dumps(hidden)))
            elif field in fields and value not in (None, "null", '""'):
                blanked.append((device, seq, json.dumps(ERASED)))
    # Statements, not ORM updates: on SQLite `change` is a view whose trigger writes, and
    # a view reports no rows changed, which the ORM would take for a lost update.
    for device, seq, value in blanked:
        session.execute(
            update(Change).where(Change.device_id == device, Change.seq == seq).values(value=value)
        )
    return len(blanked)
