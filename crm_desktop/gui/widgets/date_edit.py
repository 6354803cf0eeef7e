"""Date fields picked from a calendar: an optional date ("no date" is a value too) and a
birthday whose year may be unknown (kept as year 1604, shown as "17 May")."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCalendarWidget, QDateEdit, QWidget

from crm_desktop.domain.text import YEARLESS

_NONE = QDate(1600, 1, 1)  # stands for "no date" (shown as a dash); below 1604 (no year)
_CLEARING = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)


class OptionalDateEdit(QDateEdit):
    """A QDateEdit with a calendar popup whose value may be None. Empty, it shows "–";
    a key, an arrow or the popup starts from today; Delete on the whole text empties it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setMinimumDate(_NONE)
        self.setSpecialValueText("–")
        self.setDisplayFormat("d MMM yyyy")
        calendar = QCalendarWidget(self)
        calendar.setGridVisible(False)
        self.setCalendarWidget(calendar)
        calendar.installEventFilter(self)
        self.setDate(_NONE)

    # ---- the value -----------------------------------------------------------------------

    def value(self) -> dt.date | None:
        if self.date() == _NONE:
            return None
        day = self.date()
        return dt.date(day.year(), day.month(), day.day())

    def setValue(self, day: dt.date | None) -> None:
        self.setDate(_NONE if day is None else QDate(day.year, day.month, day.day))

    def is_empty(self) -> bool:
        return self.date() == _NONE

    def _start_value(self) -> QDate:
        return QDate.currentDate()

    # ---- starting from today instead of 1752 ---------------------------------------------

    def stepBy(self, steps: int) -> None:
        if self.is_empty():
            self.setDate(self._start_value())
            return
        super().stepBy(steps)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        line = self.lineEdit()
        if event.key() in _CLEARING and (self.is_empty() or line.selectedText() == line.text()):
            self.setDate(_NONE)
            return
        if self.is_empty() and event.text().isdigit():
            self.setDate(self._start_value())
            self.setSelectedSection(QDateEdit.Section.DaySection)
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and self.is_empty():
            start = self._start_value()
            calendar = self.calendarWidget()
            calendar.setCurrentPage(start.year(), start.month())
        return super().eventFilter(watched, event)


class BirthdayEdit(OptionalDateEdit):
    """A birthday; with `set_year_known(False)` the year is not asked, kept as 1604 and
    not shown ("17 May")."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._year_known = True
        self.dateChanged.connect(self._keep_yearless)

    def year_known(self) -> bool:
        return self._year_known

    def set_year_known(self, known: bool) -> None:
        self._year_known = known
        self.setDisplayFormat("d MMM yyyy" if known else "d MMMM")
        if not self.is_empty():
            day = self.date()
            if known and day.year() == YEARLESS:
                self.setDate(QDate(QDate.currentDate().year() - 30, day.month(), day.day()))
            else:
                self._keep_yearless(day)

    def setValue(self, day: dt.date | None) -> None:
        super().setValue(day)
        self.set_year_known(day is None or day.year != YEARLESS)

    def _keep_yearless(self, day: QDate) -> None:
        if not self._year_known and day != _NONE and day.year() != YEARLESS:
            self.setDate(QDate(YEARLESS, day.month(), day.day()))

    def _start_value(self) -> QDate:
        today = QDate.currentDate()
        return today if self._year_known else QDate(YEARLESS, today.month(), today.day())
