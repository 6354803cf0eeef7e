"""Derived fields: values copied or computed from other fields (SYNC.md point 13).

They are never recorded in the change log nor merged field by field: after every local
write and every apply of another device's changes the persistence layer recomputes them
with this one function, so two devices that hold the same source fields hold the same
copies (one device edits the first name, another the last name: the sort name follows
both).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crm_desktop.domain.text import fold

# The columns of a contact that copy or compute other data, and the lists they copy from.
CONTACT_DERIVED = ("sort_name", "email", "phone", "company_id", "title", "city")


def contact_copies(
    first_name: str,
    last_name: str,
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
    cities: Sequence[str] = (),
    roles: Sequence[tuple[str | None, str]] = (),
    job_title: str = "",
) -> dict[str, Any]:
    """A contact's derived columns from its names and its live lists, each list in its
    order (position, then id): the sort name, and the first e-mail, phone, address city
    and role (company and title; the job title held without a company when there is no
    role), so the big list sorts and pages without joins."""
    first_role = roles[0] if roles else None
    return {
        "sort_name": fold(f"{last_name} {first_name}"),
        "email": emails[0].strip() if emails else "",
        "phone": phones[0].strip() if phones else "",
        "company_id": first_role[0] if first_role else None,
        "title": first_role[1] if first_role else job_title.strip(),
        "city": cities[0] if cities else "",
    }
