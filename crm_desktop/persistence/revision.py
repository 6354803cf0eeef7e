"""The schema revision this build expects: the newest migration script's.

Kept apart (and free of imports) so that opening a database whose schema is current needs
neither Alembic nor SQLAlchemy to find that out: one query of `alembic_version` against
this constant. A test checks it against the migration scripts, so a new migration cannot
be forgotten here.
"""

HEAD_REVISION = "0015"
