"""What a search finds: in a module of its own, so that `crm-desktop search` loads it
without the rest of the records."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SearchHit:
    entity: str  # "contact" | "company" | "deal"
    id: str
    title: str
    subtitle: str
