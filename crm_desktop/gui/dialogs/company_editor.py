"""The company editor (ui/company_editor.ui)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.records import AddressEntry, CompanyDraft
from crm_desktop.gui.dialogs.base import FieldError, FormDialog

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext


class CompanyEditorDialog(FormDialog):
    def __init__(
        self,
        context: AppContext,
        draft: CompanyDraft | None = None,
        company_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "company_editor", "Edit company" if company_id else "New company", context, parent
        )
        self.company_id = company_id
        self.fill_owners(self.ui.owner)
        self._load(draft or CompanyDraft())
        self.first_field = self.ui.name
        self.connect_buttons()

    def _load(self, d: CompanyDraft) -> None:
        ui = self.ui
        for name, value in (
            ("name", d.name),
            ("industry", d.industry),
            ("website", d.website),
            ("domain", d.domain),
            ("phone", d.phone),
            ("email", d.email),
            ("street", d.address.street),
            ("postcode", d.address.postcode),
            ("city", d.address.city),
            ("country", d.address.country),
            ("tags", ", ".join(d.tags)),
        ):
            getattr(ui, name).setText(value)
        ui.notes.setPlainText(d.notes)
        ui.owner.setCurrentIndex(max(ui.owner.findData(d.owner_id), 0))
        self._kept = d

    def draft(self) -> CompanyDraft:
        ui = self.ui
        if not ui.name.text().strip():
            raise FieldError(ui.name, "a company needs a name")
        phone = ui.phone.text().strip()
        if phone:
            try:
                phone = self.context.phones.normalized(phone)
            except CrmError as exc:
                raise FieldError(ui.phone, str(exc)) from exc
        return CompanyDraft(
            name=ui.name.text().strip(),
            domain=ui.domain.text().strip(),
            industry=ui.industry.text().strip(),
            phone=phone,
            email=ui.email.text().strip(),
            website=ui.website.text().strip(),
            address=AddressEntry(
                street=ui.street.text().strip(),
                city=ui.city.text().strip(),
                region=self._kept.address.region,
                postcode=ui.postcode.text().strip(),
                country=ui.country.text().strip(),
            ),
            lead_source=self._kept.lead_source,
            owner_id=ui.owner.currentData(),
            notes=ui.notes.toPlainText(),
            tags=tuple(t.strip() for t in ui.tags.text().split(",") if t.strip()),
            custom=self._kept.custom,
        ).validated()

    def field_for(self, error: CrmError) -> QWidget | None:
        if "mail" in str(error) and not isinstance(error, FieldError):
            email: QWidget = self.ui.email  # the draft's own check of the address
            return email
        return super().field_for(error)
