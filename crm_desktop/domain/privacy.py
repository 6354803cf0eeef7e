"""Everything held on one person, as a subject access request hands it over."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class SubjectData:
    """Everything held on one person, by section (each a list of flat records)."""

    contact_id: str
    name: str
    sections: dict[str, list[dict[str, Any]]]

    def to_json(self) -> dict[str, Any]:
        return {
            "contact_id": self.contact_id,
            "name": self.name,
            "exported_at": dt.datetime.now(dt.UTC).isoformat(),
            **{
                k: [{f: _json_value(v) for f, v in row.items()} for row in rows]
                for k, rows in self.sections.items()
            },
        }
