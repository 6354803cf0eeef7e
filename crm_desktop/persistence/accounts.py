"""People on a PostgreSQL server: one login role each, in one of two group roles.

    <database>_member   reads everything; writes contacts, companies, deals, activities,
                        orders, tags, consents, segments, campaigns... and the change log
    <database>_admin    also pipelines and their stages, reasons, custom fields, products,
                        settings and users; member of <database>_member

The server enforces it (GRANT), so a member's app cannot change a pipeline by any path;
the app turns the server's refusal into one clear line. The group roles are named after
the database, so two businesses on one server don't share them. Making roles needs a
role with CREATEROLE (the server's administrator, once).
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, text

from crm_desktop.domain.errors import DatabaseError, ValidationError
from crm_desktop.persistence.models import Base

# Tables only an admin may change: the shape of the business rather than its records.
ADMIN_TABLES = frozenset(
    {"pipelines", "stages", "reasons", "custom_fields", "products", "settings", "users"}
)
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def group_roles(database: str) -> tuple[str, str]:
    base = re.sub(r"[^a-z0-9_]", "_", database.lower())[:40]
    return f"{base}_admin", f"{base}_member"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ensure_groups(engine: Engine) -> tuple[str, str]:
    """Create the two group roles of this database (if missing) and grant them their
    rights on every table. Idempotent; run by an administrator after each migration."""
    if engine.dialect.name != "postgresql":
        raise DatabaseError("accounts exist on a PostgreSQL server only")
    database = engine.url.database or ""
    admin, member = group_roles(database)
    data_tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as conn:
        existing = set(
            conn.execute(
                text("SELECT rolname FROM pg_roles WHERE rolname IN (:a, :m)"),
                {"a": admin, "m": member},
            ).scalars()
        )
        for role in (member, admin):
            if role not in existing:
                conn.execute(text(f"CREATE ROLE {_quote(role)} NOLOGIN"))
        conn.execute(text(f"GRANT {_quote(member)} TO {_quote(admin)}"))
        conn.execute(text(f"GRANT CONNECT ON DATABASE {_quote(database)} TO {_quote(member)}"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {_quote(member)}"))
        conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {_quote(member)}"))
        writable = [t for t in (*data_tables, "search_fts") if t not in ADMIN_TABLES]
        for table in writable:
            conn.execute(
                text(f"GRANT INSERT, UPDATE, DELETE ON {_quote(table)} TO {_quote(member)}")
            )
        for table in sorted(ADMIN_TABLES & set(data_tables)):
            conn.execute(
                text(f"GRANT INSERT, UPDATE, DELETE ON {_quote(table)} TO {_quote(admin)}")
            )
    return admin, member


def add_user(engine: Engine, name: str, password: str, admin: bool = False) -> None:
    """A login role for one person, member (or admin) of this database."""
    if not _NAME.match(name):
        raise ValidationError(
            "a login name is lower-case letters, digits and _ (up to 63), starting with a letter"
        )
    if not password:
        raise ValidationError("a password is needed")
    admin_role, member_role = ensure_groups(engine)
    group = admin_role if admin else member_role
    with engine.begin() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}
        ).first()
        verb = "ALTER" if exists else "CREATE"
        # A role's password cannot be a bound parameter: quote it as a literal.
        literal = "'" + password.replace("'", "''") + "'"
        conn.execute(
            text(f"{verb} ROLE {_quote(name)} LOGIN PASSWORD {literal}".replace(":", r"\:"))
        )
        conn.execute(text(f"GRANT {_quote(group)} TO {_quote(name)}"))
        if not admin:
            conn.execute(text(f"REVOKE {_quote(admin_role)} FROM {_quote(name)}"))
