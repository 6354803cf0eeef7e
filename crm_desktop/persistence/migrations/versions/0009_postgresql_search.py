"""PostgreSQL: the search index (pg_trgm) and change notifications

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

On PostgreSQL the search documents live in a plain table with a trigram GIN index on the
folded text (SQLite keeps its FTS5 table from the first migration), each change row
says which login wrote it, and every committed change-log insert notifies the channel `crm_changes`, so open windows of other people
refresh within seconds. Nothing changes on SQLite.
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE TABLE IF NOT EXISTS search_fts ("
        " row_id VARCHAR(36) PRIMARY KEY,"
        " entity VARCHAR(16) NOT NULL,"
        " title TEXT,"
        " live BOOLEAN NOT NULL,"
        " body TEXT NOT NULL)"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_search_fts_body ON search_fts "
        "USING gin (body gin_trgm_ops)"
    )
    # Who made each change: the server's login of the writer (not in the synced wire).
    op.execute("ALTER TABLE change ADD COLUMN IF NOT EXISTS author TEXT DEFAULT session_user")
    op.execute(
        "CREATE OR REPLACE FUNCTION crm_notify_changes() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('crm_changes', ''); "
        "RETURN NULL; END $$"
    )
    op.execute("DROP TRIGGER IF EXISTS crm_change_notify ON change")
    op.execute(
        "CREATE TRIGGER crm_change_notify AFTER INSERT ON change "
        "FOR EACH STATEMENT EXECUTE FUNCTION crm_notify_changes()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS crm_change_notify ON change")
    op.execute("DROP FUNCTION IF EXISTS crm_notify_changes()")
    op.execute("DROP TABLE IF EXISTS search_fts")
    op.execute("ALTER TABLE change DROP COLUMN IF EXISTS author")
