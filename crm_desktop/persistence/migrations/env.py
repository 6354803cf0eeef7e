"""Alembic environment: always run with a connection handed in by `database.migrate`."""

from alembic import context

from crm_desktop.persistence.models import Base

# Made by a migration but not declared on the models (see models.Activity).
UNDECLARED_INDEXES = frozenset({"ix_activities_recurring"})

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only for `alembic revision --autogenerate`
    from sqlalchemy import create_engine

    connection = create_engine(config.get_main_option("sqlalchemy.url") or "").connect()

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
    include_object=lambda obj, name, type_, reflected, compare_to: (
        not (
            (type_ == "table" and name is not None and name.startswith("search_"))
            or name in UNDECLARED_INDEXES
        )
    ),
)
with context.begin_transaction():
    context.run_migrations()
