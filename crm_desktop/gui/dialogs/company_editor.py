"""The company editor (ui/company_editor.ui)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.records import AddressEntry, CompanyDraft
from crm_desktop.gui import forms


class CompanyEditorDialog(QDialog):
    def __init__(
        self,
        context: Any,
        draft: CompanyDraft | None = None,
        company_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.company_id = company_id
        self.ui = forms.load("company_editor", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.ui.root)
        self.setWindowTitle("Edit company" if company_id else "New company")
        self.resize(self.ui.root.size())
        self.ui.owner.addItem("(nobody)", None)
        for user in context.users.list():
            self.ui.owner.addItem(user.name, user.id)
        self._load(draft or CompanyDraft())
        self.ui.buttons.accepted.connect(self._accept)
        self.ui.buttons.rejected.connect(self.reject)

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
        phone = ui.phone.text().strip()
        if phone:
            phone = self.context.phones.normalized(phone)
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

    def _accept(self) -> None:
        try:
            self.draft()
        except CrmError as exc:
            self.ui.errorLabel.setText(f"<b>Cannot save:</b> {exc}")
            self.ui.errorLabel.setVisible(True)
            return
        self.accept()
