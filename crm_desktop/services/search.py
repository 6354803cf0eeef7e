"""Search across contacts, companies and deals (the command palette and `crm-desktop search`)."""

from __future__ import annotations

from crm_desktop.domain.records import SearchHit
from crm_desktop.domain.text import fold
from crm_desktop.persistence.search import describe
from crm_desktop.services._common import UowFactory

_KIND = {"contacts": "contact", "companies": "company", "deals": "deal"}
_CANDIDATES = 400


class SearchService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Records whose names, companies, e-mails, phones or notes contain every word of
        the query (case- and accent-insensitive); names starting with it come first."""
        if not query.strip():
            return []
        with self._uow.read() as uow:
            if uow.search is None:
                return []
            found = uow.search.search(query, _CANDIDATES)
            by_entity: dict[str, list[str]] = {}
            for entity, row_id in found:
                by_entity.setdefault(entity, []).append(row_id)
            hits = [
                SearchHit(
                    _KIND[entity],
                    row[0],
                    " ".join(row[1].split()),
                    " · ".join(p for p in row[2:] if p),
                )
                for entity, ids in by_entity.items()
                for row in describe(uow.session, entity, ids)
            ]
        folded = fold(query)
        order = {"contact": 0, "company": 1, "deal": 2}
        hits.sort(
            key=lambda h: (
                not fold(h.title).startswith(folded),
                folded not in fold(h.title),
                order[h.entity],
                fold(h.title),
            )
        )
        return hits[:limit]
