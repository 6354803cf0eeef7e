"""Search across contacts, companies and deals (the command palette and `crm-desktop search`).

`search_file` is the same search read straight from the SQLite file, for a command that
only searches: it starts without the database layer (SQLAlchemy, the ORM, migrations)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from crm_desktop.config import DATABASE_URL_ENV, AppPaths, Preferences, check_local_folder
from crm_desktop.domain.search import SearchHit
from crm_desktop.domain.text import fold
from crm_desktop.persistence.search_file import SearchFile

if TYPE_CHECKING:
    from crm_desktop.services._common import UowFactory

_KIND = {"contacts": "contact", "companies": "company", "deals": "deal"}
_ORDER = {"contacts": 0, "companies": 1, "deals": 2}
_CANDIDATES = 400
Found = list[tuple[str, str, str]]  # (entity, id, title)
Describe = Callable[[str, list[str]], Sequence[Sequence[str]]]


class SearchService:
    def __init__(self, uow_factory: UowFactory) -> None:
        self._uow = uow_factory

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Records whose names, companies, e-mails, phones or notes contain every word of
        the query (case- and accent-insensitive); names starting with it come first."""
        if not query.strip():
            return []
        with self._uow.read() as uow:
            index = uow.search
            if index is None:
                return []
            return _hits(
                query,
                limit,
                index.search(query, _CANDIDATES),
                uow.describe,
            )


def search_without_opening(
    data_dir: str | Path | None, database_url: str | None, query: str, limit: int
) -> list[SearchHit] | None:
    """`SearchService.search` on this device's SQLite file when its schema is current,
    without opening the app's database layer (the fast start of `crm-desktop search`: not
    even the composition root is imported). None when it cannot answer so (a server
    database, no file yet, a migration due): then `open_app` does, and migrates as it
    always does."""
    paths = AppPaths.resolve(data_dir)
    if database_url or os.environ.get(DATABASE_URL_ENV):
        return None
    preferences = Preferences.load(paths.preferences)
    if preferences.database_url:
        return None
    check_local_folder(paths.data_dir)
    if not (os.access(paths.database, os.W_OK) and os.access(paths.data_dir, os.W_OK)):
        return None  # read-only: the usual path searches and says so
    return search_file(paths.database, query, limit)


def search_file(path: Path, query: str, limit: int = 50) -> list[SearchHit] | None:
    """`SearchService.search` read straight from a SQLite database file whose schema is
    current; None when the file cannot be searched so (not there yet, another schema):
    then open the database the usual way."""
    found = SearchFile.open(path)
    if found is None:
        return None
    with closing(found):
        if not query.strip():
            return []
        return _hits(query, limit, found.search(query, _CANDIDATES), found.describe)


def _hits(query: str, limit: int, candidates: Found, describe: Describe) -> list[SearchHit]:
    folded = fold(query)

    def rank(found: tuple[str, str, str]) -> tuple[bool, bool, int, str]:
        title = fold(found[2])
        return (not title.startswith(folded), folded not in title, _ORDER[found[0]], title)

    best = sorted(candidates, key=rank)[:limit]
    by_entity: dict[str, list[str]] = {}
    for entity, row_id, _title in best:
        by_entity.setdefault(entity, []).append(row_id)
    described = {row[0]: row for entity, ids in by_entity.items() for row in describe(entity, ids)}
    return [
        SearchHit(
            _KIND[entity], row_id, " ".join(row[1].split()), " · ".join(p for p in row[2:] if p)
        )
        for entity, row_id, _title in best
        if (row := described.get(row_id)) is not None
    ]
