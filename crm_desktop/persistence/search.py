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

from crm_desktop.domain.text import query_terms, search_text

# The tables themselves are made by the first migration.
_CHUNK = 500
_NON_DIGIT = re.compile(r"\D+")

_CONTACT_BODIES = """
SELECT c.id, c.first_name, c.last_name, c.title, c.city, c.notes,
  (SELECT group_concat(e.email, ' ') FROM contact_emails e
     WHERE e.contact_id = c.id AND e.deleted_at IS NULL),
  (SELECT group_concat(p.number, ' ') FROM contact_phones p
     WHERE p.contact_id = c.id AND p.deleted_at IS NULL),
  (SELECT group_concat(co.name, ' ') FROM contact_roles r JOIN companies co
     ON co.id = r.company_id WHERE r.contact_id = c.id AND r.deleted_at IS NULL)
FROM contacts c WHERE c.id IN ({ids})
"""
_COMPANY_BODIES = """
SELECT id, name, domain, industry, email, phone, city, country, notes
FROM companies WHERE id IN ({ids})
"""
_DEAL_BODIES = """
SELECT d.id, d.title, co.name, d.lead_source FROM deals d
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

    def _contact_bodies(self, ids: Sequence[str]) -> Iterator[tuple[str, str]]:
        for row in self._rows(_CONTACT_BODIES, ids):
            cid, first, last, title, city, notes, emails, phones, companies = row
            yield (
                cid,
                search_text(
                    first,
                    last,
                    title,
                    city,
                    emails,
                    phones,
                    _phone_digits(phones),
                    companies,
                    notes,
                ),
            )

    def _company_bodies(self, ids: Sequence[str]) -> Iterator[tuple[str, str]]:
        for row in self._rows(_COMPANY_BODIES, ids):
            yield row[0], search_text(*row[1:6], _phone_digits(row[5]), *row[6:])

    def _deal_bodies(self, ids: Sequence[str]) -> Iterator[tuple[str, str]]:
        for row in self._rows(_DEAL_BODIES, ids):
            yield row[0], search_text(*row[1:])

    def _replace(self, entity: str, bodies: list[tuple[str, str]]) -> None:
        if not bodies:
            return
        session = self._session
        ids = [row_id for row_id, _ in bodies]
        existing: dict[str, int] = dict(
            session.execute(
                text(
                    f"SELECT row_id, docid FROM search_doc WHERE row_id IN "
                    f"({_placeholders(len(ids))})"
                ),
                _params(ids),
            ).all()
        )
        if existing:
            session.execute(
                text("DELETE FROM search_fts WHERE rowid = :d"),
                [{"d": d} for d in existing.values()],
            )
        next_doc = (
            session.execute(text("SELECT coalesce(max(docid), 0) FROM search_doc")).scalar_one() + 1
        )
        fresh: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        for row_id, body in bodies:
            docid = existing.get(row_id)
            if docid is None:
                docid, next_doc = next_doc, next_doc + 1
                fresh.append({"r": row_id, "d": docid})
            rows.append({"d": docid, "e": entity, "r": row_id, "b": body})
        session.execute(
            text("INSERT INTO search_fts(rowid, entity, row_id, body) VALUES (:d, :e, :r, :b)"),
            rows,
        )
        if fresh:
            session.execute(text("INSERT INTO search_doc(row_id, docid) VALUES (:r, :d)"), fresh)

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

    def search(self, query: str, limit: int) -> list[tuple[str, str]]:
        """(entity, id) of records whose text matches every word, at most `limit`."""
        expression, short_terms = match_expression(query)
        if expression is None:
            return []
        sql = "SELECT entity, row_id FROM search_fts WHERE search_fts MATCH :q"
        params: dict[str, Any] = {"q": expression, "n": limit}
        for i, term in enumerate(short_terms):
            sql += f" AND body LIKE :s{i}"
            params[f"s{i}"] = f"%{term}%"
        return [(e, r) for e, r in self._session.execute(text(sql + " LIMIT :n"), params)]

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
