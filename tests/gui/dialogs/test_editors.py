"""The contact, company and activity editors driven by the keyboard as a user does:
Escape cancels (and asks first when something was typed), Enter and Ctrl+Enter save,
focus starts in the first field, a refused save shows the field's tab, and Save does
not move when a warning appears."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDateEdit, QDialog, QDialogButtonBox, QPushButton

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import ActivityDraft, ContactDraft, EmailEntry, ListQuery
from crm_desktop.domain.text import birthday_text
from crm_desktop.gui.dialogs import base
from crm_desktop.gui.dialogs.activity_editor import ActivityEditorDialog
from crm_desktop.gui.dialogs.company_editor import CompanyEditorDialog
from crm_desktop.gui.dialogs.contact_editor import ContactEditorDialog

CTRL = Qt.KeyboardModifier.ControlModifier


class Discard:
    """Stands in for the "Discard changes?" question: records each time it is asked and
    answers with `answers` (keep editing when none is left)."""

    def __init__(self) -> None:
        self.asked = 0
        self.answers: list[bool] = []

    def __call__(self, _parent: Any) -> bool:
        self.asked += 1
        return self.answers.pop(0) if self.answers else False


@pytest.fixture(autouse=True)
def discard(monkeypatch: pytest.MonkeyPatch) -> Discard:
    stand_in = Discard()
    monkeypatch.setattr(base, "ask_discard", stand_in)
    return stand_in


def shown(qtbot: Any, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def save_button(dialog: QDialog) -> QPushButton:
    button: QPushButton = dialog.ui.buttons.button(QDialogButtonBox.StandardButton.Save)
    return button


# ---- one dialog, not a dialog inside a dialog ------------------------------------------------


@pytest.mark.parametrize("make", ["contact", "company", "activity"])
def test_escape_closes_the_editor_itself(
    app: AppContext, qtbot: Any, discard: Discard, make: str
) -> None:
    dialog = shown(qtbot, _editor(app, make))
    assert dialog.findChildren(QDialog) == []  # the form's widgets live in this dialog
    QTest.keyClick(dialog.focusWidget(), Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert discard.asked == 0  # nothing typed: nothing to ask


@pytest.mark.parametrize("make", ["contact", "company", "activity"])
def test_focus_starts_in_the_first_field(app: AppContext, qtbot: Any, make: str) -> None:
    dialog = shown(qtbot, _editor(app, make))
    first = {"contact": "firstName", "company": "name", "activity": "subject"}[make]
    assert dialog.focusWidget() is getattr(dialog.ui, first)


def test_escape_after_typing_asks_and_keeps_the_text_unless_discarded(
    app: AppContext, qtbot: Any, discard: Discard
) -> None:
    dialog = shown(qtbot, ContactEditorDialog(app))
    QTest.keyClicks(dialog.ui.firstName, "Greta")
    QTest.keyClick(dialog.ui.firstName, Qt.Key.Key_Escape)
    assert discard.asked == 1
    assert dialog.isVisible() and dialog.ui.firstName.text() == "Greta"  # kept editing

    discard.answers.append(True)
    QTest.keyClick(dialog.ui.firstName, Qt.Key.Key_Escape)
    assert discard.asked == 2
    assert not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_cancel_button_asks_too(app: AppContext, qtbot: Any, discard: Discard) -> None:
    dialog = shown(qtbot, CompanyEditorDialog(app))
    QTest.keyClicks(dialog.ui.name, "Nordwind")
    dialog.ui.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert discard.asked == 1 and dialog.isVisible()


# ---- Enter and Ctrl+Enter save -------------------------------------------------------------------


def test_enter_saves_even_after_add_email_and_add_phone_were_clicked(
    app: AppContext, qtbot: Any
) -> None:
    dialog = shown(qtbot, ContactEditorDialog(app))
    QTest.keyClicks(dialog.ui.firstName, "Greta")
    dialog.ui.tabs.setCurrentWidget(dialog.ui.emailsPage)
    for button, typed in (
        (dialog.ui.addEmails, "greta@lind.example"),
        (dialog.ui.addPhones, "+49 30 1234567"),
    ):
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
        assert not button.isDefault() and not button.autoDefault()
        cell = dialog.focusWidget()  # the new row's cell, open for typing
        QTest.keyClicks(cell, typed)
        QTest.keyClick(cell, Qt.Key.Key_Return)  # Enter finishes the cell ...
        qtbot.waitUntil(lambda c=cell: dialog.focusWidget() is not c)
        assert dialog.isVisible()
    assert save_button(dialog).isDefault()
    QTest.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)  # ... and then saves
    assert dialog.result() == QDialog.DialogCode.Accepted
    draft = dialog.draft()
    assert draft.emails == (EmailEntry("greta@lind.example", "work"),)
    assert [p.label for p in draft.phones] == ["mobile"]


def test_enter_in_a_field_saves_the_company(app: AppContext, qtbot: Any) -> None:
    dialog = shown(qtbot, CompanyEditorDialog(app))
    QTest.keyClicks(dialog.ui.name, "Nordwind GmbH")
    QTest.keyClick(dialog.ui.name, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.draft().name == "Nordwind GmbH"


@pytest.mark.parametrize("make", ["contact", "company", "activity"])
def test_ctrl_enter_saves_from_the_notes(app: AppContext, qtbot: Any, make: str) -> None:
    dialog = shown(qtbot, _editor(app, make))
    first = {"contact": "firstName", "company": "name", "activity": "subject"}[make]
    QTest.keyClicks(getattr(dialog.ui, first), "Weekly check")
    notes = dialog.ui.notes
    if make == "contact":
        dialog.ui.tabs.setCurrentWidget(dialog.ui.notesPage)
    QTest.keyClicks(notes, "Met at the fair")
    QTest.keyClick(notes, Qt.Key.Key_Return)  # a plain Enter is a new line here
    assert dialog.isVisible()
    QTest.keyClick(notes, Qt.Key.Key_Return, CTRL)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.draft().notes == "Met at the fair\n"


# ---- refused saves ------------------------------------------------------------------------------


def test_a_bad_email_brings_its_tab_to_the_front(app: AppContext, qtbot: Any) -> None:
    dialog = shown(qtbot, ContactEditorDialog(app))
    QTest.keyClicks(dialog.ui.firstName, "Bad")
    dialog.ui.addEmails.click()
    dialog.ui.emailsTable.item(0, 1).setText("not-an-address")
    dialog.ui.tabs.setCurrentWidget(dialog.ui.detailsPage)
    QTest.keyClick(dialog.ui.firstName, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.ui.tabs.currentWidget() is dialog.ui.emailsPage
    assert dialog.focusWidget() is dialog.ui.emailsTable
    assert "not a valid e-mail address" in dialog.ui.errorLabel.text()
    assert dialog.ui.errorLabel.isVisible()
    # the message goes once the user types again: it never points at a fixed field
    QTest.keyClicks(dialog.ui.firstName, "x")
    assert not dialog.ui.errorLabel.isVisible()


def test_a_missing_name_points_at_the_name(app: AppContext, qtbot: Any) -> None:
    dialog = shown(qtbot, ContactEditorDialog(app))
    dialog.ui.tabs.setCurrentWidget(dialog.ui.notesPage)
    QTest.keyClick(dialog.ui.notes, Qt.Key.Key_Return, CTRL)
    assert dialog.ui.tabs.currentWidget() is dialog.ui.detailsPage
    assert dialog.focusWidget() is dialog.ui.firstName
    assert "needs a name" in dialog.ui.errorLabel.text()


def test_save_does_not_move_when_the_duplicate_warning_shows(app: AppContext, qtbot: Any) -> None:
    app.contacts.create(
        ContactDraft(first_name="Wilhelmina", emails=(EmailEntry("w@oosterhuis.example"),))
    )
    dialog = shown(qtbot, ContactEditorDialog(app))
    before = save_button(dialog).mapTo(dialog, save_button(dialog).rect().topLeft())
    QTest.keyClicks(dialog.ui.firstName, "Wilhelmina")
    dialog.ui.addEmails.click()
    dialog.ui.emailsTable.item(0, 1).setText("W@Oosterhuis.example")
    dialog.check_duplicates()
    assert dialog.ui.duplicateWarning.isVisible()
    dialog.ui.errorLabel.setText("<b>Cannot save:</b> " + "a long reason " * 30)
    dialog.ui.errorLabel.setVisible(True)
    qtbot.waitUntil(lambda: dialog.layout().geometry().isValid())
    dialog.layout().activate()
    after = save_button(dialog).mapTo(dialog, save_button(dialog).rect().topLeft())
    assert after == before


# ---- dates are picked, and a birthday may have no year -----------------------------------------


def test_birthday_is_a_date_picker_and_without_a_year_reads_17_may(
    app: AppContext, qtbot: Any
) -> None:
    draft = ContactDraft(first_name="Ada", birthday=dt.date(1604, 5, 17))
    dialog = shown(qtbot, ContactEditorDialog(app, draft))
    birthday = dialog.ui.birthday
    assert isinstance(birthday, QDateEdit) and birthday.calendarPopup()
    assert dialog.ui.birthdayNoYear.isChecked()
    assert birthday.text() == "17 May" and "1604" not in birthday.text()
    assert dialog.draft().birthday == dt.date(1604, 5, 17)
    assert not dialog.is_modified()

    dialog.ui.birthdayNoYear.setChecked(False)
    birthday.setValue(dt.date(1980, 5, 17))
    assert birthday.text() == "17 May 1980"
    assert dialog.draft().birthday == dt.date(1980, 5, 17)
    assert birthday_text(dt.date(1604, 5, 17)) == "17 May"


def test_an_empty_birthday_stays_empty_until_picked(app: AppContext, qtbot: Any) -> None:
    dialog = shown(qtbot, ContactEditorDialog(app, ContactDraft(first_name="Ada")))
    birthday = dialog.ui.birthday
    assert birthday.value() is None and dialog.draft().birthday is None
    QTest.keyClick(birthday, Qt.Key.Key_Up)  # the first step starts from today
    assert birthday.value() == dt.date.today()
    birthday.lineEdit().selectAll()
    QTest.keyClick(birthday, Qt.Key.Key_Delete)
    assert birthday.value() is None


def test_a_saved_contact_keeps_its_yearless_birthday(app: AppContext, qtbot: Any) -> None:
    saved = app.contacts.create(ContactDraft(first_name="Ada", birthday=dt.date(1604, 2, 29)))
    record = app.contacts.get(saved.id)
    dialog = shown(qtbot, ContactEditorDialog(app, record.to_draft(), saved.id))
    assert dialog.ui.birthday.text() == "29 February"
    QTest.keyClick(dialog.ui.firstName, Qt.Key.Key_Return)
    assert dialog.draft().birthday == dt.date(1604, 2, 29)
    assert app.contacts.ids(ListQuery()) == [saved.id]


# ---- helpers -----------------------------------------------------------------------------------


def _editor(app: AppContext, make: str) -> QDialog:
    if make == "contact":
        return ContactEditorDialog(app)
    if make == "company":
        return CompanyEditorDialog(app)
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    return ActivityEditorDialog(app, ActivityDraft(kind="call", subject="", start=start))


def test_contact_editor_shows_and_keeps_what_address_books_hold(
    app: AppContext, qtbot: Any
) -> None:
    """Name parts, a job title without a company, department, role, anniversary and
    websites are on the "Name & more" page and come back in the draft as they were."""
    draft = ContactDraft(
        first_name="John",
        last_name="Doe",
        prefix="Mr.",
        middle_name="Richter James",
        suffix="Sr.",
        nickname="Jack",
        formatted_name="Mr. John R. J. Doe Sr.",
        job_title="Consultant",
        department="Research",
        role="Adviser",
        anniversary=dt.date(2001, 6, 9),
        websites=("https://doe.example", "https://blog.doe.example"),
        emails=(EmailEntry("john@doe.example", ""),),
    )
    dialog = shown(qtbot, ContactEditorDialog(app, draft))
    titles = [dialog.ui.tabs.tabText(i) for i in range(dialog.ui.tabs.count())]
    assert "Name && mo&re" in titles
    assert dialog._more["middle_name"].text() == "Richter James"
    assert dialog.ui.jobTitle.text() == "Consultant"
    assert dialog.websites.toPlainText().splitlines() == list(draft.websites)
    dialog._more["nickname"].setText("Johnny")
    kept = dialog.draft()
    assert kept == replace(draft, nickname="Johnny")  # the untyped e-mail stays untyped
