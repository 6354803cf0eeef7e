"""PostgreSQL compares the app's ids byte by byte (migration 0015): every id column is in
the "C" collation, a database of the revision before upgrades with its data, foreign keys
and search results as they were, and a column that a view of the business's own depends on
is left alone without failing the upgrade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.domain.records import CompanyDraft, ContactDraft, EmailEntry, ListQuery, RoleEntry
from crm_desktop.persistence import database
from tests import databases

pytestmark = [
    pytest.mark.sqlite_only,  # each test makes the database it needs itself
    pytest.mark.skipif(databases.server_url() is None, reason="no PostgreSQL server given"),
]

_ID_COLUMNS = """
SELECT a.attrelid::regclass::text || '.' || a.attname, coalesce(c.collname, 'default')
FROM pg_attribute AS a
JOIN pg_class AS t ON t.oid = a.attrelid AND t.relkind = 'r'
JOIN pg_namespace AS n ON n.oid = t.relnamespace AND n.nspname = 'public'
LEFT JOIN pg_collation AS c ON c.oid = a.attcollation
WHERE a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'varchar'::regtype
  AND a.atttypmod = 40
"""
_FOREIGN_KEYS = "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated"


@pytest.fixture
def server_db() -> Iterator[str]:
    url = databases.new_database()
    yield url
    databases.drop_database(url)


def _collations(app: AppContext) -> dict[str, str]:
    with databases.connect(app) as conn:
        return dict(conn.execute(_ID_COLUMNS).fetchall())


def _seen(app: AppContext) -> tuple[object, ...]:
    return (
        sorted(h.id for h in app.search.search("fjord", 50)),
        app.contacts.ids(ListQuery(search="kowalczyk")),
        app.contacts.ids(ListQuery()),
    )


def test_ids_compare_byte_by_byte_and_an_older_database_upgrades(
    tmp_path: Path, server_db: str
) -> None:
    app = open_app(tmp_path / "a", database_url=server_db)
    company = app.companies.create(CompanyDraft(name="Fjordlicht AS")).id
    app.contacts.create_many(
        [
            ContactDraft(
                first_name=f"Ola{n}",
                last_name="Kowalczyk",
                emails=(EmailEntry(f"ola{n}@fjord.example"),),
                roles=(RoleEntry(company, "Buyer"),),
            )
            for n in range(12)
        ]
    )
    columns = _collations(app)
    assert {"contacts.id", "contact_roles.company_id", "change.row_id"} <= columns.keys()
    assert set(columns.values()) == {"C"}
    with databases.connect(app) as conn:
        ids = [i for (i,) in conn.execute("SELECT id FROM contacts ORDER BY id").fetchall()]
        keys = conn.execute(_FOREIGN_KEYS).fetchone()
    assert ids == sorted(ids)  # byte order, as SQLite's
    seen = _seen(app)
    with app.database.engine.connect() as connection, connection.begin():
        config = database._alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0013")
    assert set(_collations(app).values()) == {"default"}
    with databases.connect(app) as conn:  # a report of the business's own
        conn.execute("CREATE VIEW buyers AS SELECT c.id, c.first_name FROM contacts AS c")
    app.close()
    again = open_app(tmp_path / "b", database_url=server_db)
    try:
        assert database.current_revision(again.database.engine) == database.HEAD_REVISION
        after = _collations(again)
        assert after.pop("contacts.id") == "default"  # the view's: left as it was
        assert set(after.values()) == {"C"}
        with databases.connect(again) as conn:
            assert conn.execute(_FOREIGN_KEYS).fetchone() == keys
        assert _seen(again) == seen
        assert len(seen[0]) == 13 and len(seen[1]) == 12
    finally:
        again.close()
