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
        folded = fold(query)
        order = {"contacts": 0, "companies": 1, "deals": 2}

        def rank(found: tuple[str, str, str]) -> tuple[bool, bool, int, str]:
            title = fold(found[2])
            return (not title.startswith(folded), folded not in title, order[found[0]], title)

        with self._uow.read() as uow:
            if uow.search is None:
                return []
            best = sorted(uow.search.search(query, _CANDIDATES), key=rank)[:limit]
            by_entity: dict[str, list[str]] = {}
            for entity, row_id, _title in best:
                by_entity.setdefault(entity, []).append(row_id)
            described = {
                row[0]: row
                for entity, ids in by_entity.items()
                for row in describe(uow.session, entity, ids)
            }
        return [
            SearchHit(
                _KIND[entity], row_id, " ".join(row[1].split()), " · ".join(p for p in row[2:] if p)
            )
            for entity, row_id, _title in best
            if (row := described.get(row_id)) is not None
        ]
