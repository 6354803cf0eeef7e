"""Full-text search: an FTS5 table with the trigram tokenizer over folded text.

The index is local, derived data: bodies are rebuilt from the records by id whenever the
unit of work saw them change. Text is folded (`domain.text.fold`) on both sides, so the
search is case- and accent-insensitive for every script, and substring-matching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from crm_desktop.domain.text import display_name, query_terms, search_text

# The tables themselves are made by the first migration.
_CHUNK = 500
Doc = tuple[str, str, bool, str]  # (id, title, live, body)
_NON_DIGIT = re.compile(r"\D+")

_CONTACT_BODIES = """
SELECT c.id, c.deleted_at IS NULL, c.first_name, c.last_name, c.title, c.city, c.notes,
  (SELECT group_concat(e.email, ' ') FROM contact_emails e
     WHERE e.contact_id = c.id AND e.deleted_at IS NULL),
  (SELECT group_concat(p.number, ' ') FROM contact_phones p
     WHERE p.contact_id = c.id AND p.deleted_at IS NULL),
  (SELECT group_concat(co.name, ' ') FROM contact_roles r JOIN companies co
     ON co.id = r.company_id WHERE r.contact_id = c.id AND r.deleted_at IS NULL)
FROM contacts c WHERE c.id IN ({ids})
"""
_COMPANY_BODIES = """
SELECT id, deleted_at IS NULL, name, domain, industry, email, phone, city, country, notes
FROM companies WHERE id IN ({ids})
"""
_DEAL_BODIES = """
SELECT d.id, d.deleted_at IS NULL, d.title, co.name, d.lead_source FROM deals d
LEFT JOIN companies co ON co.id = d.company_id WHERE d.id IN ({ids})
"""


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _placeholders(count: int) -> str:
    return ", ".join(f":p{i}" for i in range(count))


def _params(ids: Sequence[str]) -> dict[str, Any]:
    return {f"p{i}": value for i, value in enumerate(ids)}


def _phone_digits(numbers: str | None) -> str:
    if not numbers:
        return ""
    return " ".join(_NON_DIGIT.sub("", n) for n in numbers.split(" ") if n)


def match_expression(query: str) -> tuple[str | None, list[str]]:
    """An FTS5 MATCH string for the words of 3+ characters, and the shorter words left over
    (trigrams need 3 characters; short words are checked with LIKE)."""
    terms = query_terms(query)
    long_terms = [t for t in terms if len(t) >= 3]
    short_terms = [t for t in terms if len(t) < 3]
    if not long_terms:
        return None, short_terms
    return " ".join('"' + t.replace('"', '""') + '"' for t in long_terms), short_terms


class SearchIndex:
    """Keeps `search_fts` in step with contacts, companies and deals."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def reindex(self, entity: str, ids: Iterable[str]) -> None:
        wanted = sorted(set(ids))
        builder = {
            "contacts": self._contact_bodies,
            "companies": self._company_bodies,
            "deals": self._deal_bodies,
        }[entity]
        for chunk in _chunks(wanted):
            self._replace(entity, list(builder(chunk)))

    def _rows(self, sql: str, ids: Sequence[str]) -> Any:
        return self._session.execute(text(sql.format(ids=_placeholders(len(ids)))), _params(ids))

    # Each builder yields (id, title, live, body) for the index.

    def _contact_bodies(self, ids: Sequence[str]) -> Iterator[Doc]:
        for row in self._rows(_CONTACT_BODIES, ids):
            cid, live, first, last, title, city, notes, emails, phones, companies = row
            body = search_text(
                first, last, title, city, emails, phones, _phone_digits(phones), companies, notes
            )
            yield cid, display_name(first, last), bool(live), body

    def _company_bodies(self, ids: Sequence[str]) -> Iterator[Doc]:
        for row in self._rows(_COMPANY_BODIES, ids):
            cid, live, name, *rest = row
            yield cid, name, bool(live), search_text(name, *rest, _phone_digits(rest[3]))

    def _deal_bodies(self, ids: Sequence[str]) -> Iterator[Doc]:
        for row in self._rows(_DEAL_BODIES, ids):
            did, live, title, *rest = row
            yield did, title, bool(live), search_text(title, *rest)

    def _replace(self, entity: str, docs: list[Doc]) -> None:
        if not docs:
            return
        conn = self._session.connection()
        ids = [doc[0] for doc in docs]
        marks = ", ".join("?" for _ in ids)
        existing: dict[str, int] = dict(
            conn.exec_driver_sql(
                f"SELECT row_id, docid FROM search_doc WHERE row_id IN ({marks})", tuple(ids)
            ).all()
        )
        if existing:
            conn.exec_driver_sql(
                "DELETE FROM search_fts WHERE rowid = ?", [(d,) for d in existing.values()]
            )
        next_doc = conn.exec_driver_sql(
            "SELECT coalesce(max(docid), 0) + 1 FROM search_doc"
        ).scalar_one()
        fresh: list[tuple[str, int]] = []
        rows: list[tuple[Any, ...]] = []
        for row_id, title, live, body in docs:
            docid = existing.get(row_id)
            if docid is None:
                docid, next_doc = next_doc, next_doc + 1
                fresh.append((row_id, docid))
            rows.append((docid, entity, row_id, title, int(live), body))
        conn.exec_driver_sql(
            "INSERT INTO search_fts(rowid, entity, row_id, title, live, body) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        if fresh:
            conn.exec_driver_sql("INSERT INTO search_doc(row_id, docid) VALUES (?, ?)", fresh)

    def matching_ids(self, entity: str, query: str) -> TextClause | None:
        """A subquery of the ids of `entity` whose text matches, or None when the query
        has no word of 3+ characters (the caller then filters by name prefix)."""
        expression, short_terms = match_expression(query)
        if expression is None:
            return None
        sql = "SELECT row_id FROM search_fts WHERE search_fts MATCH :q AND entity = :e"
        params: dict[str, Any] = {"q": expression, "e": entity}
        for i, term in enumerate(short_terms):
            sql += f" AND body LIKE :s{i}"
            params[f"s{i}"] = f"%{term}%"
        return text(sql).bindparams(**params)

    def search(self, query: str, limit: int) -> list[tuple[str, str, str]]:
        """(entity, id, title) of live records whose text matches every word, at most
        `limit` of them."""
        expression, short_terms = match_expression(query)
        if expression is None:
            return []
        sql = "SELECT entity, row_id, title FROM search_fts WHERE search_fts MATCH :q AND live = 1"
        params: dict[str, Any] = {"q": expression, "n": limit}
        for i, term in enumerate(short_terms):
            sql += f" AND body LIKE :s{i}"
            params[f"s{i}"] = f"%{term}%"
        return [(e, r, t) for e, r, t in self._session.execute(text(sql + " LIMIT :n"), params)]

    def rebuild(self) -> None:
        """Drop and rebuild the whole index from the records (used by `doctor --repair`)."""
        session = self._session
        session.execute(text("DELETE FROM search_fts"))
        session.execute(text("DELETE FROM search_doc"))
        for entity in ("contacts", "companies", "deals"):
            ids = list(session.execute(text(f"SELECT id FROM {entity}")).scalars())
            self.reindex(entity, ids)


_DESCRIBE = {
    "contacts": "SELECT c.id, c.first_name || ' ' || c.last_name, "
    "coalesce(co.name, ''), c.email FROM contacts c "
    "LEFT JOIN companies co ON co.id = c.company_id "
    "WHERE c.deleted_at IS NULL AND c.id IN ({ids})",
    "companies": "SELECT id, name, city, domain FROM companies "
    "WHERE deleted_at IS NULL AND id IN ({ids})",
    "deals": "SELECT d.id, d.title, coalesce(co.name, ''), d.status FROM deals d "
    "LEFT JOIN companies co ON co.id = d.company_id "
    "WHERE d.deleted_at IS NULL AND d.id IN ({ids})",
}


def describe(session: Session, entity: str, ids: Sequence[str]) -> list[tuple[str, ...]]:
    """(id, title, detail, extra) of live records, for showing search hits."""
    if not ids:
        return []
    sql = _DESCRIBE[entity].format(ids=_placeholders(len(ids)))
    return [tuple(r) for r in session.execute(text(sql), _params(ids))]
