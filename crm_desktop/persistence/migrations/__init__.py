"""Alembic migrations; run through `persistence.database.migrate`, never by hand."""
