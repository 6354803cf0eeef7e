"""Erasing what identified a person from this device's change log (their record's
history), after the record itself was anonymised through the unit of work."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_desktop.persistence.models import Change
from crm_desktop.persistence.wire import INSERT_FIELD

ERASED = ""


def scrub_history(session: Session, row_ids: Sequence[str], fields: Collection[str]) -> int:
    """Blank the old values of `fields` in the recorded changes of these rows (called
    before the anonymising edit is recorded, which stays). Returns how many changes were
    blanked."""
    count = 0
    ids = list(row_ids)
    for start in range(0, len(ids), 500):
        rows = session.scalars(select(Change).where(Change.row_id.in_(ids[start : start + 500])))
        for change in rows:
            if change.field == INSERT_FIELD and change.value:
                values = json.loads(change.value)
                if isinstance(values, dict):
                    hidden = {k: (ERASED if k in fields and v else v) for k, v in values.items()}
                    if hidden != values:
                        change.value = json.dumps(hidden)
                        count += 1
            elif change.field in fields and change.value not in (None, "null", '""'):
                change.value = json.dumps(ERASED)
                count += 1
    return count
