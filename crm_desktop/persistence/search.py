"""Full-text search: an FTS5 table with the trigram tokenizer over folded text.

The index is local, derived data: bodies are rebuilt from the records by id whenever the
unit of work saw them change. Text is folded (`domain.text.fold`) on both sides, so the
search is case- and accent-insensitive for every script, and substring-matching.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from crm_desktop.domain.text import display_name, query_terms, search_text
from crm_desktop.persistence.dialect import SQLITE, copy_rows, marks, name_of, text_agg_sql
from crm_desktop.persistence.search_sql import (
    DESCRIBE,
    like_pattern,
    live_matches,
    match_conditions,
)

# The tables themselves are made by the first migration.
_CHUNK = 500  # ids per read
_WRITE_CHUNK = 5_000  # documents per INSERT handed to the background writer
Doc = tuple[str, str, bool, str]  # (id, title, live, body)
_NON_DIGIT = re.compile(r"\D+")


def _contact_bodies_sql(dialect: str) -> str:
    def agg(column: str) -> str:
        return text_agg_sql(dialect, column, " ")

    return f"""
SELECT c.id, c.deleted_at IS NULL, c.first_name, c.last_name, c.title, c.city, c.notes,
  (SELECT {agg("e.email")} FROM contact_emails e
     WHERE e.contact_id = c.id AND e.deleted_at IS NULL),
  (SELECT {agg("p.number")} FROM contact_phones p
     WHERE p.contact_id = c.id AND p.deleted_at IS NULL),
  (SELECT {agg("co.name")} FROM contact_roles r JOIN companies co
     ON co.id = r.company_id WHERE r.contact_id = c.id AND r.deleted_at IS NULL)
FROM contacts c WHERE c.id IN ({{ids}})
"""


_COMPANY_BODIES = """
SELECT id, deleted_at IS NULL, name, domain, industry, email, phone, city, country, notes
FROM companies WHERE id IN ({ids})
"""
_DEAL_BODIES = """
SELECT d.id, d.deleted_at IS NULL, d.title, co.name, d.lead_source FROM deals d
LEFT JOIN companies co ON co.id = d.company_id WHERE d.id IN ({ids})
"""


def _chunks(ids: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _placeholders(count: int) -> str:
    return ", ".join(f":p{i}" for i in range(count))


def _params(ids: Sequence[str]) -> dict[str, Any]:
    return {f"p{i}": value for i, value in enumerate(ids)}


def _phone_digits(numbers: str | None) -> str:
    if not numbers:
        return ""
    return " ".join(_NON_DIGIT.sub("", n) for n in numbers.split(" ") if n)


def contact_doc(
    cid: str,
    live: Any,
    first: str | None,
    last: str | None,
    title: str | None,
    city: str | None,
    notes: str | None,
    emails: str | None,
    phones: str | None,
    companies: str | None,
) -> Doc:
    """A contact's document; `emails`, `phones` and `companies` are the live entries of
    each list joined by spaces (None for none)."""
    body = search_text(
        first, last, title, city, emails, phones, _phone_digits(phones), companies, notes
    )
    return cid, display_name(first, last), bool(live), body


def company_doc(cid: str, live: Any, name: Any, *rest: str | None) -> Doc:
    """A company's document; `rest`: domain, industry, email, phone, city, country, notes."""
    return cid, name, bool(live), search_text(name, *rest, _phone_digits(rest[3]))


def deal_doc(did: str, live: Any, title: Any, company: str | None, lead_source: str | None) -> Doc:
    return did, title, bool(live), search_text(title, company, lead_source)


# The lists whose live entries are part of a contact's document: entity -> its value.
_CONTACT_LISTS = {
    "contact_emails": "email",
    "contact_phones": "number",
    "contact_roles": "company_id",
}
_RECORD_FIELDS = {
    "contacts": ("first_name", "last_name", "title", "city", "notes"),
    "companies": ("name", "domain", "industry", "email", "phone", "city", "country", "notes"),
    "deals": ("title", "lead_source"),
}


class FreshRows:
    """Rows inserted in bulk in one transaction (`UnitOfWork.insert_rows`), from which the
    documents of the new contacts, companies and deals are made without reading them back.

    Only records that nothing else touched qualify: a record marked `stale` (changed
    through the ORM, or given a list entry while it was not fresh) is read back instead.
    Company names, which other records show, are always read from the tables."""

    def __init__(self) -> None:
        self._records: dict[str, dict[str, Mapping[str, Any]]] = {e: {} for e in _RECORD_FIELDS}
        # list entity -> contact id -> the values of its live entries, in rowid order
        self._lists: dict[str, dict[str, list[str]]] = {e: {} for e in _CONTACT_LISTS}
        self._stale: set[str] = set()
        self._names: dict[str, str] = {}  # company names of the contacts' roles, found so far
        self._unnamed: set[str] = set()  # companies of roles added since the last lookup

    def add(self, entity: str, rows: Iterable[Mapping[str, Any]]) -> None:
        records = self._records.get(entity)
        if records is not None:
            for row in rows:
                records[row["id"]] = row
            return
        lists = self._lists.get(entity)
        if lists is None:
            return
        column = _CONTACT_LISTS[entity]
        contacts = self._records["contacts"]
        stale = self._stale
        for row in rows:
            contact_id = row["contact_id"]
            value = row[column]
            if contact_id not in contacts or not isinstance(value, str | None):
                stale.add(contact_id)  # read back instead
            elif value is not None and row["deleted_at"] is None:
                lists.setdefault(contact_id, []).append(value)
                if entity == "contact_roles":
                    self._unnamed.add(value)

    def mark_stale(self, row_id: str) -> None:
        self._stale.add(row_id)

    def indexed(self, ids: Iterable[str]) -> None:
        """These records have their documents now: a later change rebuilds them from
        the tables (replacing the document) rather than from the rows kept here."""
        self._stale.update(ids)

    def is_fresh(self, entity: str, row_id: str) -> bool:
        return row_id in self._records[entity] and row_id not in self._stale

    def docs(self, session: Session, entity: str, ids: Iterable[str]) -> dict[str, Doc]:
        """Documents of the fresh records among `ids`; the others are left out."""
        records = self._records.get(entity)
        if not records:
            return {}
        stale = self._stale
        fields = _RECORD_FIELDS[entity]
        rows = [
            row
            for i in ids
            if i not in stale
            and (row := records.get(i)) is not None
            # Text the way SQLite returns it; anything else is read back.
            and all(isinstance(row[f], str | None) for f in fields)
        ]
        if entity == "companies":
            return {
                row["id"]: company_doc(
                    row["id"], row["deleted_at"] is None, *(row[f] for f in fields)
                )
                for row in rows
            }
        if entity == "deals":
            names = _company_names(session, {r["company_id"] for r in rows if r["company_id"]})
            return {
                row["id"]: deal_doc(
                    row["id"],
                    row["deleted_at"] is None,
                    row["title"],
                    names.get(row["company_id"]),
                    row["lead_source"],
                )
                for row in rows
            }
        return self._contact_docs(session, rows)

    def _role_names(self, session: Session) -> dict[str, str]:
        """The names of the companies the new contacts' roles name, each found once:
        those inserted in this transaction and untouched since from their rows, the
        others read (a read waits for the bulk writes running in the background). Only
        the companies of roles added since the last call are looked at: on PostgreSQL
        each batch of an import is documented on its own, and going through the roles of
        every contact so far each time took longer than making the documents."""
        names = self._names
        # (A set minus `names.keys()` would go through every name found so far.)
        wanted = {c for c in self._unnamed if c not in names}
        if wanted:
            companies = self._records["companies"]
            stale = self._stale
            for company_id in wanted:
                row = companies.get(company_id)
                if row is not None and company_id not in stale and isinstance(row["name"], str):
                    names[company_id] = row["name"]
            missing = {c for c in wanted if c not in names}
            if missing:
                names.update(_company_names(session, missing))
        self._unnamed = {c for c in wanted if c not in names}  # looked for again next time
        return names

    def _contact_docs(self, session: Session, rows: list[Mapping[str, Any]]) -> dict[str, Doc]:
        emails, phones, roles = (self._lists[e] for e in _CONTACT_LISTS)
        names = self._role_names(session)
        docs: dict[str, Doc] = {}
        for row in rows:
            cid = row["id"]
            its_emails = emails.get(cid)
            its_phones = phones.get(cid)
            its_roles = roles.get(cid)
            companies = [names[c] for c in its_roles if c in names] if its_roles else None
            if companies and not all(isinstance(n, str) for n in companies):
                continue  # read back instead
            docs[cid] = contact_doc(
                cid,
                row["deleted_at"] is None,
                row["first_name"],
                row["last_name"],
                row["title"],
                row["city"],
                row["notes"],
                " ".join(its_emails) if its_emails else None,
                " ".join(its_phones) if its_phones else None,
                " ".join(companies) if companies else None,
            )
        return docs


def _company_names(session: Session, ids: set[str]) -> dict[str, str]:
    conn = session.connection()
    dialect = conn.dialect.name
    names: dict[str, str] = {}
    ordered = sorted(ids)
    for chunk in _chunks(ordered):
        names.update(
            conn.exec_driver_sql(
                f"SELECT id, name FROM companies WHERE id IN ({marks(dialect, len(chunk))})",
                tuple(chunk),
            ).all()
        )
    return names


def search_index(session: Session) -> SearchIndex:
    """The search index of the session's database: FTS5 on SQLite, pg_trgm on PostgreSQL."""
    if name_of(session) == SQLITE:
        return SearchIndex(session)
    return TrigramSearchIndex(session)


# search_fts is fts5(entity, row_id, title, live, body): its content table holds them as
# c0 .. c4 (tests/integration/test_bulk_path.py checks the flags against a rebuild).
_LIVE = "c3"
_writable: dict[str, bool] = {}


def _content_writable(conn: Connection) -> bool:
    """Whether this SQLite lets the app write FTS5's content table (not in defensive
    mode); asked once per database file."""
    key = str(conn.engine.url)
    if key not in _writable:
        try:
            conn.exec_driver_sql(f"UPDATE search_fts_content SET {_LIVE} = {_LIVE} WHERE 0")
            _writable[key] = True
        except DBAPIError:  # "table search_fts_content may not be modified"
            _writable[key] = False
    return _writable[key]


class SearchIndex:
    """Keeps `search_fts` in step with contacts, companies and deals (SQLite: an FTS5
    table with the trigram tokenizer)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._next_doc: int | None = None  # the next free docid, once looked up

    def prepare(self) -> None:
        """Look up the next free docid now, before the bulk INSERTs of this transaction
        start running in the background (a read would wait for them)."""
        if self._next_doc is None:
            self._next_doc = self._first_free_doc()

    def reindex(
        self,
        entity: str,
        ids: Iterable[str],
        fresh: FreshRows | None = None,
        submit: Callable[[str, list[Any]], None] | None = None,
    ) -> None:
        """Rebuild the documents of these records. `fresh` makes the documents of records
        inserted in this transaction (new: no document to replace); the others are read
        back from the tables. `submit` runs the INSERTs (the unit of work's background
        writer), so the next chunk's documents are made while SQLite indexes the last."""
        wanted = sorted(set(ids))
        builder = {
            "contacts": self._contact_bodies,
            "companies": self._company_bodies,
            "deals": self._deal_bodies,
        }[entity]
        for chunk in _chunks(wanted, _WRITE_CHUNK if submit else _CHUNK):
            made = fresh.docs(self._session, entity, chunk) if fresh is not None else {}
            stored = [i for i in chunk if i not in made]
            read = {doc[0]: doc for part in _chunks(stored) for doc in builder(part)}
            docs = [made.get(i) or read.get(i) for i in chunk]
            self._replace(entity, [d for d in docs if d is not None], made, submit)

    def set_live(
        self,
        entity: str,
        ids: Iterable[str],
        submit: Callable[[str, list[Any]], None] | None = None,
    ) -> None:
        """Flag records' documents live or in the Trash as their rows are now, their text
        as it is (a bulk move to the Trash, an undone import): no document is rebuilt.

        The flag is an UNINDEXED column: FTS5 keeps it only in its content table, and an
        UPDATE through FTS5 would take every document out of the index and put it back
        (a trigram per character, 40 µs a document). It is set in the content table
        itself, unless this SQLite refuses writes to FTS5's own tables (its defensive
        mode); then through FTS5."""
        table = {"contacts": "contacts", "companies": "companies", "deals": "deals"}[entity]
        rows = [(row_id, row_id) for row_id in sorted(set(ids))]
        if not rows:
            return
        conn = self._session.connection()
        live = f"(SELECT deleted_at IS NULL FROM {table} WHERE id = ?)"
        docid = "(SELECT docid FROM search_doc WHERE row_id = ?)"
        if _content_writable(conn):
            sql = f"UPDATE search_fts_content SET {_LIVE} = {live} WHERE id = {docid}"
            write: Callable[[str, list[Any]], Any] = submit or conn.exec_driver_sql
        else:
            sql = f"UPDATE search_fts SET live = {live} WHERE rowid = {docid}"
            write = submit or conn.exec_driver_sql
        write(sql, rows)

    def _rows(self, sql: str, ids: Sequence[str]) -> Any:
        return self._session.execute(text(sql.format(ids=_placeholders(len(ids)))), _params(ids))

    # Each builder yields (id, title, live, body) for the index.

    def _contact_bodies(self, ids: Sequence[str]) -> Iterator[Doc]:
        for row in self._rows(_contact_bodies_sql(name_of(self._session)), ids):
            yield contact_doc(*row)

    def _company_bodies(self, ids: Sequence[str]) -> Iterator[Doc]:
        for row in self._rows(_COMPANY_BODIES, ids):
            yield company_doc(*row)

    def _deal_bodies(self, ids: Sequence[str]) -> Iterator[Doc]:
        for row in self._rows(_DEAL_BODIES, ids):
            yield deal_doc(*row)

    def _first_free_doc(self) -> int:
        # Looked up once per transaction (this writer holds the write lock, so nobody
        # else takes docids meanwhile).
        first: int = (
            self._session.connection()
            .exec_driver_sql("SELECT coalesce(max(docid), 0) + 1 FROM search_doc")
            .scalar_one()
        )
        return first

    def _replace(
        self,
        entity: str,
        docs: list[Doc],
        new: Container[str] = (),
        submit: Callable[[str, list[Any]], None] | None = None,
    ) -> None:
        """Write documents; those whose id is in `new` are known to have none yet."""
        if not docs:
            return
        conn = self._session.connection()
        write: Callable[[str, list[Any]], Any] = submit or conn.exec_driver_sql
        ids = [doc[0] for doc in docs if doc[0] not in new]
        existing: dict[str, int] = {}
        for part in _chunks(ids):
            marks = ", ".join("?" for _ in part)
            existing.update(
                conn.exec_driver_sql(
                    f"SELECT row_id, docid FROM search_doc WHERE row_id IN ({marks})", tuple(part)
                ).all()
            )
        if existing:
            write("DELETE FROM search_fts WHERE rowid = ?", [(d,) for d in existing.values()])
        if self._next_doc is None:
            self._next_doc = self._first_free_doc()
        next_doc: int = self._next_doc
        fresh: list[tuple[str, int]] = []
        rows: list[tuple[Any, ...]] = []
        for row_id, title, live, body in docs:
            docid = existing.get(row_id)
            if docid is None:
                docid, next_doc = next_doc, next_doc + 1
                fresh.append((row_id, docid))
            rows.append((docid, entity, row_id, title, int(live), body))
        self._next_doc = next_doc
        write(
            "INSERT INTO search_fts(rowid, entity, row_id, title, live, body) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        if fresh:
            write("INSERT INTO search_doc(row_id, docid) VALUES (?, ?)", fresh)

    def matching_ids(self, entity: str, query: str) -> TextClause | None:
        """A subquery of the ids of `entity` whose text matches, or None when the query
        has no word of 3+ characters (the caller then filters by name prefix). It may
        hold ids of other entities too: the caller's `id IN (...)` leaves them out."""
        conditions = match_conditions(query)
        if conditions is None:
            return None
        where, params = conditions
        # The matching documents' records from the narrow index of `search_doc`
        # (migration 0013) rather than from each document's content row: a common
        # trigram matches thousands. The ids of other entities among them match no row
        # of the caller's table (ids are unique across tables), so `entity` needs no test.
        sql = f"SELECT rowid FROM search_fts WHERE {where}"
        return text(f"SELECT row_id FROM search_doc WHERE docid IN ({sql})").bindparams(**params)

    def search(self, query: str, limit: int) -> list[tuple[str, str, str]]:
        """(entity, id, title) of live records whose text matches every word, at most
        `limit` of them."""
        found = live_matches(query, limit)
        if found is None:
            return []
        sql, params = found
        return [(e, r, t) for e, r, t in self._session.execute(text(sql), params)]

    def _clear(self) -> None:
        """Every document gone (and the docid counter with them)."""
        self._session.execute(text("DELETE FROM search_fts"))
        self._session.execute(text("DELETE FROM search_doc"))
        self._next_doc = None

    def rebuild(self) -> None:
        """Drop and rebuild the whole index from the records (used by `doctor --repair`)."""
        session = self._session
        self._clear()
        for entity in ("contacts", "companies", "deals"):
            ids = list(session.execute(text(f"SELECT id FROM {entity}")).scalars())
            self.reindex(entity, ids)


class TrigramSearchIndex(SearchIndex):
    """The same documents on PostgreSQL: `search_fts` is a plain table keyed by the record's
    id with a pg_trgm GIN index on the folded body; every word is a substring LIKE, which
    the trigram index answers. The text is folded by the app on both sides, exactly as on
    SQLite, so the same query finds the same records on both databases."""

    def prepare(self) -> None:
        return None

    def set_live(
        self,
        entity: str,
        ids: Iterable[str],
        submit: Callable[[str, list[Any]], None] | None = None,
    ) -> None:
        table = {"contacts": "contacts", "companies": "companies", "deals": "deals"}[entity]
        wanted = sorted(set(ids))
        for chunk in _chunks(wanted, _WRITE_CHUNK):
            self._session.execute(
                text(
                    f"UPDATE search_fts SET live = (t.deleted_at IS NULL) FROM {table} t "
                    "WHERE t.id = search_fts.row_id AND search_fts.row_id = ANY(:ids)"
                ),
                {"ids": list(chunk)},
            )

    def _replace(
        self,
        entity: str,
        docs: list[Doc],
        new: Container[str] = (),
        submit: Callable[[str, list[Any]], None] | None = None,
    ) -> None:
        if not docs:
            return
        fresh = [d for d in docs if d[0] in new]  # known to have no document yet: COPY
        if fresh:
            copy_rows(
                self._session.connection(),
                "search_fts",
                ("row_id", "entity", "title", "live", "body"),
                ((i, entity, t, bool(live), body) for i, t, live, body in fresh),
            )
        others = [d for d in docs if d[0] not in new]
        if not others:
            return
        self._session.execute(
            text(
                "INSERT INTO search_fts (row_id, entity, title, live, body) "
                "VALUES (:row_id, :entity, :title, :live, :body) "
                "ON CONFLICT (row_id) DO UPDATE SET entity = excluded.entity, "
                "title = excluded.title, live = excluded.live, body = excluded.body"
            ),
            [
                {"row_id": i, "entity": entity, "title": t, "live": bool(live), "body": body}
                for i, t, live, body in others
            ],
        )

    @staticmethod
    def _where(query: str) -> tuple[str, dict[str, Any]] | None:
        terms = query_terms(query)
        if not any(len(t) >= 3 for t in terms):
            return None
        params: dict[str, Any] = {}
        clauses = []
        for i, pattern in enumerate(map(like_pattern, terms)):
            clauses.append(f"body LIKE :s{i}")
            params[f"s{i}"] = pattern
        return " AND ".join(clauses), params

    def matching_ids(self, entity: str, query: str) -> TextClause | None:
        where = self._where(query)
        if where is None:
            return None
        clauses, params = where
        # Materialised first: the planner cannot tell how many documents a LIKE matches
        # and, guessing few, walks the whole list in its sort order probing each record's
        # document (0.3-0.6 s at 100,000 contacts); the matches read through the trigram
        # index, then looked up by id, take a tenth of that.
        sql = (
            "WITH matches AS MATERIALIZED (SELECT row_id FROM search_fts "
            f"WHERE entity = :e AND {clauses}) SELECT row_id FROM matches"
        )
        return text(sql).bindparams(e=entity, **params)

    def search(self, query: str, limit: int) -> list[tuple[str, str, str]]:
        where = self._where(query)
        if where is None:
            return []
        clauses, params = where
        sql = f"SELECT entity, row_id, title FROM search_fts WHERE live AND {clauses} LIMIT :n"
        rows = self._session.execute(text(sql), {**params, "n": limit})
        return [(e, r, t) for e, r, t in rows]

    def _clear(self) -> None:
        self._session.execute(text("DELETE FROM search_fts"))  # no docids to forget


def describe(session: Session, entity: str, ids: Sequence[str]) -> list[tuple[str, ...]]:
    """(id, title, detail, extra) of live records, for showing search hits."""
    if not ids:
        return []
    sql = DESCRIBE[entity].format(ids=_placeholders(len(ids)))
    return [tuple(r) for r in session.execute(text(sql), _params(ids))]
