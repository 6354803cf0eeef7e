"""The list models of contacts, companies and deals: columns are data."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt

from crm_desktop.domain.formatting import format_date, format_money, format_number
from crm_desktop.domain.phones import display_phone
from crm_desktop.gui.models.paged import Column, PagedTableModel

if TYPE_CHECKING:
    from crm_desktop.services.companies import CompanyService
    from crm_desktop.services.contacts import ContactService
    from crm_desktop.services.deals import DealService


@lru_cache(maxsize=8192)
def _phone(number: str) -> str:
    """A list asks for the same numbers on every paint: each is formatted once (parsing a
    number takes longer than the rest of its row)."""
    return display_phone(number)


CONTACT_COLUMNS = (
    Column("name", "Name", lambda r: r.display_name),
    Column("company", "Company", lambda r: r.company_name),
    Column("title", "Title", lambda r: r.title),
    Column("email", "E-mail", lambda r: r.email),
    Column("phone", "Phone", lambda r: _phone(r.phone)),
    Column("city", "City", lambda r: r.city),
    Column("owner", "Owner", lambda r: r.owner_name),
    Column("updated", "Updated", lambda r: format_date(r.updated_at)),
)
COMPANY_COLUMNS = (
    Column("name", "Name", lambda r: r.name),
    Column("industry", "Industry", lambda r: r.industry),
    Column("city", "City", lambda r: r.city),
    Column("phone", "Phone", lambda r: _phone(r.phone)),
    Column("people", "People", lambda r: format_number(r.people), Qt.AlignmentFlag.AlignRight),
    Column("owner", "Owner", lambda r: r.owner_name),
)


DEAL_COLUMNS = (
    Column("title", "Deal", lambda r: r.title),
    Column("stage", "Stage", lambda r: r.stage_name),
    Column(
        "value",
        "Value",
        lambda r: format_money(r.value_cents, r.currency),
        Qt.AlignmentFlag.AlignRight,
    ),
    Column("value", "Probability", lambda r: f"{r.probability} %", Qt.AlignmentFlag.AlignRight),
    Column(
        "value",
        "Weighted",
        lambda r: format_money(r.weighted_cents, r.currency),
        Qt.AlignmentFlag.AlignRight,
    ),
    Column(
        "close",
        "Expected close",
        lambda r: format_date(r.expected_close) or "—",
    ),
    Column("owner", "Owner", lambda r: r.owner_name),
    Column("company", "Company", lambda r: r.company_name),
    Column("title", "Contact", lambda r: r.contact_name),
    Column("status", "Status", lambda r: r.status),
)


class DealTableModel(PagedTableModel):
    def __init__(self, service: DealService, parent: Any = None) -> None:
        super().__init__(DEAL_COLUMNS, service.ids, service.rows, parent)


class ContactTableModel(PagedTableModel):
    def __init__(self, service: ContactService, parent: Any = None) -> None:
        super().__init__(
            CONTACT_COLUMNS, service.ids, service.rows, parent, fetch_first=service.first_ids
        )


class CompanyTableModel(PagedTableModel):
    def __init__(self, service: CompanyService, parent: Any = None) -> None:
        super().__init__(COMPANY_COLUMNS, service.ids, service.rows, parent)
