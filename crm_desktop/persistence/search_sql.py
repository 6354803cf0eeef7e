"""The SQL of the full-text search that both the index (`search.py`, through SQLAlchemy)
and the quick search of a file (`search_file.py`, standard library) run. Standard library
only."""

from __future__ import annotations

from crm_desktop.domain.text import query_terms

# The live records whose document matches; short words are added as LIKE conditions.
MATCH_LIVE = "SELECT entity, row_id, title FROM search_fts WHERE search_fts MATCH :q AND live = 1"

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


def match_expression(query: str) -> tuple[str | None, list[str]]:
    """An FTS5 MATCH string for the words of 3+ characters, and the shorter words left over
    (trigrams need 3 characters; short words are checked with LIKE)."""
    terms = query_terms(query)
    long_terms = [t for t in terms if len(t) >= 3]
    short_terms = [t for t in terms if len(t) < 3]
    if not long_terms:
        return None, short_terms
    return " ".join('"' + t.replace('"', '""') + '"' for t in long_terms), short_terms
