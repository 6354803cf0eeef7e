"""a search keystroke's matches read from indexes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

Typing in the contacts search lists every match in name order. For a common trigram
("sch", "ann": 2,000-2,600 of 100,000 contacts) most of that time went to turning each
match into its record and its sort key: the search document's wide content row read for
its id, then the contact's wide row for its name and Trash flag. Two narrow indexes answer
both from index pages (the search query of "sch" took 18 ms of processor time, now 9):

- `ix_search_doc_docid` on `search_doc (docid, row_id)` (SQLite's FTS5 index only: the
  record of a matching document);
- `ix_contacts_by_id` on `contacts (id, deleted_at, sort_name)`.

`ix_contacts_sort_name` goes: `ix_contacts_list` (sort_name, id, deleted_at) serves every
query by name that it served, and each index costs every import its upkeep.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_contacts_sort_name", table_name="contacts")
    op.create_index("ix_contacts_by_id", "contacts", ["id", "deleted_at", "sort_name"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE INDEX ix_search_doc_docid ON search_doc (docid, row_id)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX IF EXISTS ix_search_doc_docid")
    op.drop_index("ix_contacts_by_id", table_name="contacts")
    op.create_index("ix_contacts_sort_name", "contacts", ["sort_name"])
