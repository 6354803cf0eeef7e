"""First run: business name, currency, your name; start empty or with demo data."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from crm_desktop.domain.vocabulary import CURRENCIES


class FirstRunWizard(QWizard):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to crm-desktop")
        self.business = QLineEdit()
        self.business.setAccessibleName("Business name")
        self.currency = QComboBox()
        self.currency.addItems(list(CURRENCIES))
        self.currency.setAccessibleName("Currency")
        self.your_name = QLineEdit()
        self.your_name.setAccessibleName("Your name")
        self.your_name.setToolTip(
            "You will own the contacts, deals and activities you add, and the calendar "
            "opens on yours."
        )
        about = QWizardPage()
        about.setTitle("Your business")
        about.setSubTitle("Everything stays on this computer. You can change it later in Settings.")
        form = QFormLayout(about)
        form.addRow("&Business name", self.business)
        form.addRow("&Currency", self.currency)
        form.addRow("&Your name", self.your_name)
        about.registerField("business*", self.business)
        about.registerField("you*", self.your_name)
        start = QWizardPage()
        start.setTitle("How would you like to start?")
        start.setSubTitle(
            "A Sales pipeline (Lead, Qualified, Proposal, Negotiation, Won, Lost) is ready "
            "for your first deal; change it any time in Settings."
        )
        self.empty = QRadioButton("Start with an empty CRM")
        self.demo = QRadioButton("Explore with demo data (500 contacts, deals, activities)")
        self.empty.setChecked(True)
        box = QVBoxLayout(start)
        box.addWidget(self.empty)
        box.addWidget(self.demo)
        box.addWidget(QLabel("Joining a team folder arrives with team sharing."))
        self.addPage(about)
        self.addPage(start)
