"""The activity editor (ui/activity_editor.ui): type, subject, time, all day, repetition,
time zone, contact, owner, reminder, done with an outcome, notes."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QDateTime, QTime, QTimer
from PySide6.QtWidgets import QMessageBox, QWidget

from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.records import ActivityDraft
from crm_desktop.domain.recurrence import (
    describe,
    join_rule,
    occurrences,
    rule_parts,
    same_rule,
    weekdays_from_words,
    weekdays_in_words,
    zone,
)
from crm_desktop.gui.dialogs.base import FieldError, FormDialog

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext

KINDS = ("call", "meeting", "task", "email", "note")
REPEATS: tuple[tuple[str, str], ...] = (
    ("Does not repeat", ""),
    ("Daily", "DAILY"),
    ("Weekly", "WEEKLY"),
    ("Monthly", "MONTHLY"),
    ("Yearly", "YEARLY"),
)
REMINDERS: tuple[tuple[str, int | None], ...] = (
    ("No reminder", None),
    ("At the start", 0),
    ("5 minutes before", 5),
    ("15 minutes before", 15),
    ("1 hour before", 60),
    ("1 day before", 1440),
)
ZONES = (
    "", "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Warsaw",
    "America/New_York", "America/Chicago", "America/Los_Angeles", "Asia/Tokyo",
    "Australia/Sydney",
)  # fmt: skip


def local_zone_name() -> str:
    """The IANA name of this machine's zone where Qt knows it ("" = UTC)."""
    from PySide6.QtCore import QTimeZone

    name = bytes(QTimeZone.systemTimeZoneId().data()).decode()
    return "" if name in ("UTC", "Etc/UTC") else name


def ask_scope(parent: QWidget | None, verb: str) -> str | None:
    """For an occurrence of a series: change only this one, this and the following, or
    all of them? None when the user cancels."""
    box = QMessageBox(parent)
    box.setWindowTitle(f"{verb.capitalize()} a repeating activity")
    box.setText(f"{verb.capitalize()} only this occurrence, this and the following ones, or all?")
    one = box.addButton("Only this one", QMessageBox.ButtonRole.AcceptRole)
    following = box.addButton("This and following", QMessageBox.ButtonRole.AcceptRole)
    every = box.addButton("All occurrences", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return {id(one): "one", id(following): "following", id(every): "all"}.get(
        id(box.clickedButton())
    )


class ActivityEditorDialog(FormDialog):
    def __init__(
        self,
        context: AppContext,
        draft: ActivityDraft,
        activity_id: str | None = None,
        contact_name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "activity_editor", "Edit activity" if activity_id else "New activity", context, parent
        )
        self.activity_id = activity_id
        self._recurring = bool(draft.rrule)
        ui = self.ui
        for kind in KINDS:
            ui.kind.addItem(kind.capitalize(), kind)
        for label, freq in REPEATS:
            ui.repeat.addItem(label, freq)
        for label, minutes in REMINDERS:
            ui.reminder.addItem(label, minutes)
        for name in ZONES:
            ui.timezone.addItem(name or "UTC", name)
        self.fill_owners(ui.owner)
        ui.contact.addItem("(nobody)", None)
        if draft.contact_id:
            ui.contact.addItem(contact_name or "(contact)", draft.contact_id)
            ui.contact.setCurrentIndex(1)
        self._search = QTimer(self)
        self._search.setSingleShot(True)
        self._search.setInterval(250)
        self._search.timeout.connect(self._find_contacts)
        ui.contact.lineEdit().textEdited.connect(lambda _t: self._search.start())
        ui.repeat.currentIndexChanged.connect(lambda _i: self._update_repeat())
        ui.allDay.toggled.connect(lambda _on: self._update_repeat())
        ui.done.toggled.connect(lambda _on: self._update_repeat())
        self._load(draft)
        self.first_field = ui.subject
        self.connect_buttons()

    def _load(self, draft: ActivityDraft) -> None:
        ui = self.ui
        ui.kind.setCurrentIndex(max(ui.kind.findData(draft.kind), 0))
        ui.subject.setText(draft.subject)
        zone_name = draft.timezone if draft.rrule or draft.timezone else local_zone_name()
        try:
            shown_in = zone(zone_name) if zone_name else None
        except CrmError:
            shown_in = None
        # An all-day activity's date is the date its start is written with.
        local = draft.start if draft.all_day else draft.start.astimezone(shown_in)
        ui.start.setDateTime(
            QDateTime(QDate(local.year, local.month, local.day), QTime(local.hour, local.minute))
        )
        ui.minutes.setValue(draft.minutes)
        ui.allDay.setChecked(draft.all_day)
        parts = rule_parts(draft.rrule)
        ui.repeat.setCurrentIndex(max(ui.repeat.findData(parts.get("FREQ", "")), 0))
        ui.interval.setValue(int(parts.get("INTERVAL", "1") or 1))
        ui.weekdays.setText(weekdays_in_words(parts.get("BYDAY", "")))
        ui.count.setValue(int(parts.get("COUNT", "0") or 0))
        self._until = parts.get("UNTIL", "")
        if ui.timezone.findData(zone_name) < 0:
            ui.timezone.addItem(zone_name or "UTC", zone_name)
        ui.timezone.setCurrentIndex(ui.timezone.findData(zone_name))
        owner = ui.owner.findData(draft.owner_id)
        ui.owner.setCurrentIndex(max(owner, 0))
        reminder = ui.reminder.findData(draft.reminder_minutes)
        ui.reminder.setCurrentIndex(reminder if reminder >= 0 else 3)
        ui.done.setChecked(draft.done)
        ui.outcome.setText(draft.outcome)
        ui.notes.setPlainText(draft.notes)
        self._base = draft
        if draft.rrule:
            ui.seriesLabel.setText(f"Repeats {describe(draft.rrule)}.")
            ui.seriesLabel.setVisible(True)
        self._update_repeat()

    def _update_repeat(self) -> None:
        ui = self.ui
        repeating = bool(ui.repeat.currentData())
        for widget in (ui.interval, ui.count, ui.weekdays):
            widget.setEnabled(repeating)
        ui.weekdays.setEnabled(ui.repeat.currentData() == "WEEKLY")
        ui.minutes.setEnabled(not ui.allDay.isChecked())
        ui.outcome.setEnabled(ui.done.isChecked())

    def _find_contacts(self) -> None:
        combo = self.ui.contact
        text = combo.currentText().strip()
        if len(text) < 2:
            return
        hits = [h for h in self.context.search.search(text, limit=30) if h.entity == "contact"]
        current = combo.currentData()
        combo.blockSignals(True)
        while combo.count() > 1:
            combo.removeItem(1)
        for hit in hits[:15]:
            combo.addItem(f"{hit.title} · {hit.subtitle}" if hit.subtitle else hit.title, hit.id)
        combo.setEditText(text)
        combo.blockSignals(False)
        if current is not None and combo.findData(current) < 0:
            combo.setCurrentIndex(0)
        combo.showPopup()

    def rule(self) -> str:
        """The repetition as the form shows it, on top of the series' own rule: parts the
        form has no field for (BYDAY=1TU of a monthly rule, BYMONTH, WKST ...) stay."""
        ui = self.ui
        freq = ui.repeat.currentData()
        if not freq:
            return ""
        base = self._base.rrule
        parts = rule_parts(base) if base else {}
        if parts.get("FREQ") != freq:  # another frequency: the old BY... parts don't fit
            parts = {}
        parts["FREQ"] = freq
        if ui.interval.value() > 1:
            parts["INTERVAL"] = str(ui.interval.value())
        else:
            parts.pop("INTERVAL", None)
        if freq == "WEEKLY":
            try:
                days = weekdays_from_words(ui.weekdays.text())
            except CrmError as exc:
                raise FieldError(ui.weekdays, str(exc)) from exc
            if days:
                parts["BYDAY"] = days
            else:
                parts.pop("BYDAY", None)
        if ui.count.value():
            parts["COUNT"] = str(ui.count.value())
            parts.pop("UNTIL", None)
        else:
            parts.pop("COUNT", None)
        rule = join_rule(parts)
        return base if base and same_rule(rule, base) else rule

    def zone_name(self) -> str:
        ui = self.ui
        name = ui.timezone.currentData()
        if name is None or ui.timezone.currentText() != ui.timezone.itemText(
            ui.timezone.currentIndex()
        ):
            name = ui.timezone.currentText().strip()
        return "" if name == "UTC" else str(name)

    def draft(self) -> ActivityDraft:
        ui = self.ui
        if not ui.subject.text().strip():
            raise FieldError(ui.subject, "an activity needs a subject")
        all_day = ui.allDay.isChecked()
        zone_name = "" if all_day else self.zone_name()  # all day: dates, not times
        qt = ui.start.dateTime()
        # The time typed is a time in the zone chosen (this machine's zone by default).
        try:
            tz = zone(zone_name) if zone_name else None
        except CrmError as exc:
            raise FieldError(ui.timezone, str(exc)) from exc
        wall = dt.datetime(
            qt.date().year(), qt.date().month(), qt.date().day(), qt.time().hour(),
            qt.time().minute(),
        )  # fmt: skip
        start = wall.replace(tzinfo=tz) if tz is not None else wall.astimezone()
        minutes = ui.minutes.value()
        if all_day:  # kept at midnight UTC of their date, whole days long
            start = dt.datetime(wall.year, wall.month, wall.day, tzinfo=dt.UTC)
            days = max(round(self._base.minutes / 1440), 1) if self._base.all_day else 1
            minutes = days * 1440
        contact_id = ui.contact.currentData()
        if ui.contact.currentText().strip() in ("", "(nobody)"):
            contact_id = None
        done = ui.done.isChecked()
        return ActivityDraft(
            kind=ui.kind.currentData(),
            subject=ui.subject.text().strip(),
            start=start,
            minutes=minutes,
            all_day=all_day,
            timezone=zone_name,
            rrule=self.rule(),
            notes=ui.notes.toPlainText(),
            reminder_minutes=ui.reminder.currentData(),
            owner_id=ui.owner.currentData(),
            contact_id=contact_id,
            company_id=self._base.company_id if contact_id == self._base.contact_id else None,
            deal_id=self._base.deal_id,
            done=done,
            outcome=ui.outcome.text().strip() if done else "",
        )

    def check(self) -> None:
        draft = self.draft()
        try:
            zone(draft.timezone)
        except CrmError as exc:
            raise FieldError(self.ui.timezone, str(exc)) from exc
        if draft.rrule:
            try:
                occurrences(draft.start, draft.rrule, (), draft.start, draft.start, draft.timezone)
            except CrmError as exc:
                raise FieldError(self.ui.weekdays, str(exc)) from exc
