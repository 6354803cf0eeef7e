"""The SQL of the full-text search that both the index (`search.py`, through SQLAlchemy)
and the quick search of a file (`search_file.py`, standard library) run. Standard library
only."""

from __future__ import annotations

from crm_desktop.domain.text import query_terms

# The live records whose document matches (followed by `match_conditions`).
_MATCH_LIVE = "SELECT entity, row_id, title FROM search_fts WHERE live = 1 AND "

# (id, title, detail, extra) of live records, for showing search hits.
DESCRIBE = {
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


def _trigrams(term: str) -> list[str]:
    """The distinct trigrams of a term of 3+ characters, in order."""
    return list(dict.fromkeys(term[i : i + 3] for i in range(len(term) - 2)))


def _quoted(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def like_pattern(term: str) -> str:
    """A LIKE pattern matching `term` anywhere, its %, _ and \\ taken literally (with
    backslash as the escape: PostgreSQL's default, `ESCAPE '\\'` on SQLite)."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def match_conditions(query: str) -> tuple[str, dict[str, object]] | None:
    """The conditions on `search_fts` (after a WHERE) of the records matching every word
    of the query, and their parameters; None when no word has 3+ characters (trigrams
    need 3: the caller then does without the index).

    The index keeps no positions (migration 0012: `detail=none`, a fifth of the size), so
    it answers which documents hold every trigram of the words, not whether the trigrams
    of a word stand together: a word longer than 3 characters is checked again as a
    substring of the body (LIKE, its %, _ and \\ taken literally), and so is a word
    shorter than 3, which the index cannot answer at all (as before, LIKE as typed). The
    body and the words are folded alike by the app, so this finds exactly the documents
    that a phrase query of each word found."""
    terms = query_terms(query)
    long_terms = [t for t in terms if len(t) >= 3]
    if not long_terms:
        return None
    trigrams = dict.fromkeys(g for t in long_terms for g in _trigrams(t))
    sql = "search_fts MATCH :q"
    params: dict[str, object] = {"q": " ".join(_quoted(g) for g in trigrams)}
    for i, term in enumerate(t for t in long_terms if len(t) > 3):
        sql += f" AND body LIKE :w{i} ESCAPE '\\'"
        params[f"w{i}"] = like_pattern(term)
    for i, term in enumerate(t for t in terms if len(t) < 3):
        sql += f" AND body LIKE :s{i}"
        params[f"s{i}"] = f"%{term}%"
    return sql, params


def live_matches(query: str, limit: int) -> tuple[str, dict[str, object]] | None:
    """The query of the live records (entity, id, title) whose document matches every
    word, at most `limit` of them, and its parameters; None as `match_conditions`."""
    conditions = match_conditions(query)
    if conditions is None:
        return None
    where, params = conditions
    return _MATCH_LIVE + where + " LIMIT :n", {**params, "n": limit}
