"""Contacts and companies list models: columns are data."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from crm_desktop.gui.models.paged import Column, PagedTableModel

CONTACT_COLUMNS = (
    Column("name", "Name", lambda r: r.display_name),
    Column("company", "Company", lambda r: r.company_name),
    Column("title", "Title", lambda r: r.title),
    Column("email", "E-mail", lambda r: r.email),
    Column("phone", "Phone", lambda r: r.phone),
    Column("city", "City", lambda r: r.city),
    Column("owner", "Owner", lambda r: r.owner_name),
    Column("updated", "Updated", lambda r: r.updated_at.astimezone().strftime("%Y-%m-%d")),
)
COMPANY_COLUMNS = (
    Column("name", "Name", lambda r: r.name),
    Column("industry", "Industry", lambda r: r.industry),
    Column("city", "City", lambda r: r.city),
    Column("phone", "Phone", lambda r: r.phone),
    Column("people", "People", lambda r: str(r.people), Qt.AlignmentFlag.AlignRight),
    Column("owner", "Owner", lambda r: r.owner_name),
)


class ContactTableModel(PagedTableModel):
    def __init__(self, service: Any, parent: Any = None) -> None:
        super().__init__(CONTACT_COLUMNS, service.ids, service.rows, parent)


class CompanyTableModel(PagedTableModel):
    def __init__(self, service: Any, parent: Any = None) -> None:
        super().__init__(COMPANY_COLUMNS, service.ids, service.rows, parent)
