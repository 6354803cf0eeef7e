"""Calendar (first part): the agenda of a week and the Today / Overdue list.

Month/week grids with drag to reschedule, reminders and printing arrive with the rest of
the calendar issue; this view already shows recurring activities expanded for the week.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.gui import icons

KIND_COLOURS = {
    "call": "#2f63d4",
    "meeting": "#7b3fc4",
    "task": "#1f8a5b",
    "email": "#c27c0e",
    "note": "#6b7280",
}
KIND_ICONS = {
    "call": "call",
    "meeting": "contacts",
    "task": "followup",
    "email": "palette",
    "note": "note",
}


def _item(occurrence: Any, show_date: bool = False) -> QTreeWidgetItem:
    local = occurrence.start.astimezone()
    when = "all day" if occurrence.all_day else local.strftime("%H:%M")
    if show_date:
        when = local.strftime("%a %d %b ") + ("" if occurrence.all_day else when)
    state = "✓ " if occurrence.done else ""
    repeat = "  ↻" if occurrence.recurring else ""
    item = QTreeWidgetItem(
        [when, f"{state}{occurrence.subject}{repeat}", occurrence.kind.capitalize()]
    )
    item.setIcon(1, icons.get(KIND_ICONS.get(occurrence.kind, "calendar")))
    item.setForeground(2, QColor(KIND_COLOURS.get(occurrence.kind, "#6b7280")))
    item.setData(0, Qt.ItemDataRole.UserRole, occurrence.activity_id)
    return item


class CalendarView(QWidget):
    def __init__(self, context: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.week_start = self._monday(dt.date.today())
        self.previous = QToolButton(self)
        self.previous.setText("◀ Previous week")
        self.previous.setAccessibleName("Previous week")
        self.today_button = QToolButton(self)
        self.today_button.setText("This week")
        self.today_button.setAccessibleName("This week")
        self.next = QToolButton(self)
        self.next.setText("Next week ▶")
        self.next.setAccessibleName("Next week")
        self.title = QLabel(self)
        self.title.setStyleSheet("font-size: 14pt; font-weight: 600;")
        self.owner_filter = QComboBox(self)
        self.owner_filter.setAccessibleName("Filter activities by owner")
        self.kind_filter = QComboBox(self)
        self.kind_filter.setAccessibleName("Filter activities by type")
        self.kind_filter.addItem("All types", None)
        for kind in KIND_COLOURS:
            self.kind_filter.addItem(kind.capitalize(), kind)
        bar = QHBoxLayout()
        for widget in (self.previous, self.today_button, self.next):
            bar.addWidget(widget)
        bar.addWidget(self.title, 1)
        bar.addWidget(self.owner_filter)
        bar.addWidget(self.kind_filter)
        self.agenda = QTreeWidget(self)
        self.agenda.setAccessibleName("Agenda of the week")
        self.agenda.setHeaderLabels(["Time", "Activity", "Type"])
        self.agenda.setColumnWidth(0, 90)
        self.agenda.setColumnWidth(1, 420)
        self.due = QTreeWidget(self)
        self.due.setAccessibleName("Today and overdue")
        self.due.setHeaderLabels(["When", "Activity", "Type"])
        self.due.setColumnWidth(0, 175)
        self.due.setColumnWidth(1, 260)
        splitter = QSplitter(self)
        splitter.addWidget(self.agenda)
        splitter.addWidget(self.due)
        splitter.setSizes([760, 440])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 6)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        self.previous.clicked.connect(lambda: self.go(-7))
        self.next.clicked.connect(lambda: self.go(7))
        self.today_button.clicked.connect(self.this_week)
        self.owner_filter.activated.connect(lambda _i: self.reload())
        self.kind_filter.activated.connect(lambda _i: self.reload())
        self._stale = True
        self.fill_owners()

    @staticmethod
    def _monday(day: dt.date) -> dt.date:
        return day - dt.timedelta(days=day.weekday())

    def fill_owners(self) -> None:
        self.owner_filter.clear()
        self.owner_filter.addItem("All owners", None)
        for user in self.context.users.list():
            self.owner_filter.addItem(user.name, user.id)

    def go(self, days: int) -> None:
        self.week_start += dt.timedelta(days=days)
        self.reload()

    def this_week(self) -> None:
        self.week_start = self._monday(dt.date.today())
        self.reload()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def reload(self) -> None:
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        local = dt.datetime.now().astimezone().tzinfo
        start = dt.datetime.combine(self.week_start, dt.time(), tzinfo=local)
        end = start + dt.timedelta(days=7)
        kind = self.kind_filter.currentData()
        found = self.context.calendar.occurrences(
            start, end, self.owner_filter.currentData(), [kind] if kind else None
        )
        last = self.week_start + dt.timedelta(days=6)
        self.title.setText(f"{self.week_start:%d %b} – {last:%d %b %Y}  ·  {len(found)} activities")
        self.agenda.clear()
        for offset in range(7):
            day = self.week_start + dt.timedelta(days=offset)
            todays = [o for o in found if o.start.astimezone().date() == day]
            count = f"{len(todays)} activit{'y' if len(todays) == 1 else 'ies'}"
            header = QTreeWidgetItem([f"{day:%A %d %B}  ·  {count}", "", ""])
            font = header.font(0)
            font.setBold(True)
            header.setFont(0, font)
            for occurrence in todays:
                header.addChild(_item(occurrence))
            self.agenda.addTopLevelItem(header)
            header.setFirstColumnSpanned(True)  # only takes once the item is in the tree
            header.setExpanded(True)
        today, overdue = self.context.calendar.today_and_overdue()
        keep = self.context.calendar.keep_in_touch()
        self.due.clear()
        for title, items in (
            (f"Today ({len(today)})", today),
            (f"Overdue ({len(overdue)})", overdue[-200:]),
        ):
            group = QTreeWidgetItem([title, "", ""])
            for occurrence in items:
                group.addChild(_item(occurrence, show_date=True))
            self.due.addTopLevelItem(group)
            group.setFirstColumnSpanned(True)
            group.setExpanded(True)
        group = QTreeWidgetItem([f"Keep in touch ({len(keep)})", "", ""])
        for entry in keep[:200]:
            child = QTreeWidgetItem([entry.name, entry.reason, ""])
            child.setIcon(0, icons.get("contacts"))
            child.setData(0, Qt.ItemDataRole.UserRole, entry.contact_id)
            group.addChild(child)
        self.due.addTopLevelItem(group)
        group.setFirstColumnSpanned(True)
        group.setExpanded(True)
