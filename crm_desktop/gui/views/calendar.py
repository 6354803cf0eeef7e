"""The Calendar section: day, week, month and agenda views of the activities (recurring ones
expanded for the range shown), the Today / Overdue / Keep-in-touch list, filters by owner
and type, printing with a preview. Drag to move or resize, double-click to create or open;
every change is one undoable step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.domain.calendar import CalendarEdit, Occurrence
from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.records import ActivityDraft
from crm_desktop.gui import icons, printing
from crm_desktop.gui.dialogs.activity_editor import (
    ActivityEditorDialog,
    ask_scope,
    local_zone_name,
)
from crm_desktop.gui.views.calendar_grid import (
    KIND_COLOURS,
    MonthGrid,
    TimeGridView,
    day_of,
    midnight,
)

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext
    from crm_desktop.gui.events import EventHub

KIND_ICONS = {
    "call": "call",
    "meeting": "contacts",
    "task": "followup",
    "email": "palette",
    "note": "note",
}
MODES = ("day", "week", "month", "agenda")
ROLE_OCCURRENCE = Qt.ItemDataRole.UserRole + 1


def _item(occurrence: Occurrence, show_date: bool = False) -> QTreeWidgetItem:
    local = occurrence.start.astimezone()
    when = "all day" if occurrence.all_day else local.strftime("%H:%M")
    if show_date:
        when = day_of(occurrence).strftime("%d %b ") + ("" if occurrence.all_day else when)
    state = "✓ " if occurrence.done else ""
    repeat = "  ↻" if occurrence.recurring else ""
    item = QTreeWidgetItem(
        [when, f"{state}{occurrence.subject}{repeat}", occurrence.kind.capitalize()]
    )
    item.setIcon(1, icons.get(KIND_ICONS.get(occurrence.kind, "calendar")))
    item.setForeground(2, QColor(KIND_COLOURS.get(occurrence.kind, "#6b7280")))
    item.setData(0, Qt.ItemDataRole.UserRole, occurrence.activity_id)
    item.setData(0, ROLE_OCCURRENCE, occurrence)
    return item


class CalendarEditCommand(QUndoCommand):
    """An edit already made through the calendar service; undo reverts it exactly, redo
    makes it again."""

    def __init__(
        self,
        text: str,
        context: AppContext,
        hub: EventHub,
        edit: CalendarEdit,
        again: Callable[[], CalendarEdit],
    ):
        super().__init__(text)
        self._context, self._hub, self._edit, self._again = context, hub, edit, again
        self._first = True

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        self._edit = self._again()
        self._hub.changed(self._edit.changes)

    def undo(self) -> None:
        self._hub.changed(self._context.calendar.revert(self._edit))


class CalendarView(QWidget):
    status = Signal(str)

    def __init__(
        self,
        context: AppContext,
        parent: QWidget | None = None,
        hub: EventHub | None = None,
        undo_stack: QUndoStack | None = None,
    ) -> None:
        super().__init__(parent)
        self.context, self.hub, self.undo_stack = context, hub, undo_stack
        self.anchor = dt.date.today()
        self.mode = "week"
        self.found: list[Occurrence] = []
        self.previous = QToolButton(self)
        self.previous.setText("◀")
        self.previous.setAccessibleName("Previous")
        self.today_button = QToolButton(self)
        self.today_button.setText("Today")
        self.today_button.setAccessibleName("Go to today")
        self.next = QToolButton(self)
        self.next.setText("▶")
        self.next.setAccessibleName("Next")
        self.title = QLabel(self)
        self.title.setStyleSheet("font-size: 12pt; font-weight: 600;")
        self.title.setMinimumWidth(0)
        self.mode_buttons = QButtonGroup(self)
        # Two rows, so the bar fits a small screen: where you are, then what is shown.
        top, bar = QHBoxLayout(), QHBoxLayout()
        for widget in (self.previous, self.today_button, self.next):
            top.addWidget(widget)
        top.addWidget(self.title, 1)
        for mode in MODES:
            button = QToolButton(self)
            button.setText(mode.capitalize())
            button.setCheckable(True)
            button.setAccessibleName(f"{mode.capitalize()} view")
            button.setChecked(mode == self.mode)
            self.mode_buttons.addButton(button)
            button.clicked.connect(lambda _c=False, m=mode: self.set_mode(m))
            bar.addWidget(button)
        self.owner_filter = QComboBox(self)
        self.owner_filter.setAccessibleName("Whose calendar")
        self.owner_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.kind_filter = QComboBox(self)
        self.kind_filter.setAccessibleName("Filter activities by type")
        self.kind_filter.addItem("All types", None)
        for kind in KIND_COLOURS:
            self.kind_filter.addItem(kind.capitalize(), kind)
        bar.addStretch(1)
        bar.addWidget(self.owner_filter)
        bar.addWidget(self.kind_filter)
        self.new_button = QToolButton(self)
        self.new_button.setText("New")
        self.new_button.setIcon(icons.get("followup"))
        self.new_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.new_button.setAccessibleName("New activity")
        self.print_button = QToolButton(self)
        self.print_button.setText("Print")
        self.print_button.setIcon(icons.get("print"))
        self.print_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.print_button.setAccessibleName("Print the calendar")
        self.print_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.print_button)
        menu.addAction("Print this view…", lambda: self.preview("view"))
        menu.addAction("Print the agenda…", lambda: self.preview("agenda"))
        self.print_button.setMenu(menu)
        top.addWidget(self.new_button)
        top.addWidget(self.print_button)

        self.grid = TimeGridView(self)
        self.month = MonthGrid(self)
        self.agenda = QTreeWidget(self)
        self.agenda.setAccessibleName("Agenda")
        self.agenda.setHeaderLabels(["Time", "Activity", "Type"])
        self.agenda.setColumnWidth(0, 90)
        self.agenda.setColumnWidth(1, 320)
        self.pages = QStackedWidget(self)
        for page in (self.grid, self.month, self.agenda):
            self.pages.addWidget(page)
        self.due = QTreeWidget(self)
        self.due.setAccessibleName("Today and overdue")
        self.due.setHeaderLabels(["When", "Activity", "Type"])
        # "06 Dec 09:30" whole, after the group's indentation.
        when = self.due.fontMetrics().horizontalAdvance("00 Mmm 00:00") + 40
        self.due.setColumnWidth(0, when)
        self.due.setColumnWidth(1, 190)
        self.due.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        splitter = QSplitter(self)
        splitter.addWidget(self.pages)
        splitter.addWidget(self.due)
        splitter.setStretchFactor(0, 1)
        splitter.setSizes([1000, 250])
        splitter.setChildrenCollapsible(False)
        self.due.setMinimumWidth(160)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 6)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

        self.previous.clicked.connect(lambda: self.step(-1))
        self.next.clicked.connect(lambda: self.step(1))
        self.today_button.clicked.connect(self.go_today)
        self.owner_filter.activated.connect(lambda _i: self.show_range())
        self.kind_filter.activated.connect(lambda _i: self.show_range())
        self.new_button.clicked.connect(lambda: self.create_at(self._default_start(), False))
        for source in (self.grid, self.month):
            source.menu_requested.connect(self.occurrence_menu)
            source.rescheduled.connect(self.reschedule)
            source.create_requested.connect(self.create_at)
            source.open_requested.connect(self.open_occurrence)
        self.month.day_requested.connect(self.show_day)
        self.grid.more_requested.connect(self.show_crowd)
        self.agenda.itemDoubleClicked.connect(self._open_item)
        self.due.itemDoubleClicked.connect(self._open_item)
        self.due.customContextMenuRequested.connect(self._due_menu)
        self._stale = True
        self.fill_owners()

    # ---- range and mode --------------------------------------------------------------------

    @staticmethod
    def _monday(day: dt.date) -> dt.date:
        return day - dt.timedelta(days=day.weekday())

    @property
    def week_start(self) -> dt.date:
        return self._monday(self.anchor)

    def visible_days(self) -> list[dt.date]:
        if self.mode == "day":
            return [self.anchor]
        if self.mode == "month":
            first = self.anchor.replace(day=1)
            start = self._monday(first)
            return [start + dt.timedelta(days=n) for n in range(42)]
        return [self.week_start + dt.timedelta(days=n) for n in range(7)]

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        for button in self.mode_buttons.buttons():
            button.setChecked(button.text().lower() == mode)
        self.pages.setCurrentWidget(
            {"day": self.grid, "week": self.grid, "month": self.month, "agenda": self.agenda}[mode]
        )
        self.show_range()

    def show_day(self, day: dt.date) -> None:
        self.anchor = day
        self.set_mode("day")

    def step(self, direction: int) -> None:
        if self.mode == "day":
            self.anchor += dt.timedelta(days=direction)
        elif self.mode == "month":
            month = self.anchor.month - 1 + direction
            self.anchor = dt.date(self.anchor.year + month // 12, month % 12 + 1, 1)
        else:
            self.anchor += dt.timedelta(days=7 * direction)
        self.show_range()

    def go(self, days: int) -> None:
        self.anchor += dt.timedelta(days=days)
        self.show_range()

    def go_today(self) -> None:
        self.anchor = dt.date.today()
        self.show_range()

    this_week = go_today

    def fill_owners(self) -> None:
        """Whose activities are shown: your own by default ("my calendar"), the whole
        team's, or one colleague's."""
        first, current = self.owner_filter.count() == 0, self.owner_filter.currentData()
        me = self.context.users.me()
        self.owner_filter.clear()
        self.owner_filter.addItem("Everyone", None)
        for user in self.context.users.list():
            mine = me is not None and user.id == me.id
            self.owner_filter.addItem(f"{user.name} (me)" if mine else user.name, user.id)
        chosen = (me.id if me else None) if first else current
        self.owner_filter.setCurrentIndex(max(self.owner_filter.findData(chosen), 0))

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def _title(self, days: list[dt.date]) -> str:
        if self.mode == "day":
            text = f"{self.anchor:%A %d %B %Y}"
        elif self.mode == "month":
            text = f"{self.anchor:%B %Y}"
        else:
            text = f"{days[0]:%d %b} – {days[-1]:%d %b %Y}"
        shown = self.found
        if self.mode == "month":
            shown = [o for o in self.found if day_of(o).month == self.anchor.month]
        count = len(shown)
        return f"{text}  ·  {count} activit{'y' if count == 1 else 'ies'}"

    def reload(self) -> None:
        """Everything again (after a change of the data): the range shown and the
        Today / Overdue / Keep-in-touch list."""
        if not self.isVisible():
            self._stale = True
            return
        self.show_range()
        self._fill_due()

    def show_range(self) -> None:
        """The days shown (after moving through the calendar or changing a filter)."""
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        days = self._fetch()
        if self.mode in ("day", "week"):
            self.grid.set_range(days, self.found)
        elif self.mode == "month":
            self.month.set_month(self.anchor, self.found)
        else:
            self._fill_agenda(days)

    def _fetch(self) -> list[dt.date]:
        """Read the occurrences of the days shown and title them; returns the days."""
        days = self.visible_days()
        self.found = self._occurrences(days)
        self.title.setText(self._title(days))
        return days

    def _occurrences(self, days: list[dt.date]) -> list[Occurrence]:
        """What the days show. All-day activities sit at midnight UTC of their date, which
        can be the evening before in local time: ask a day more on each side and keep
        what is drawn on the days."""
        kind = self.kind_filter.currentData()
        found = self.context.calendar.occurrences(
            midnight(days[0] - dt.timedelta(days=1)),
            midnight(days[-1] + dt.timedelta(days=2)),
            self.owner_filter.currentData(),
            [kind] if kind else None,
        )
        first, last = days[0], days[-1]
        return [o for o in found if first <= day_of(o) <= last]

    def _fill_agenda(self, days: list[dt.date]) -> None:
        self.agenda.clear()
        for day in days:
            todays = [o for o in self.found if day_of(o) == day]
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

    def _fill_due(self) -> None:
        today, overdue = self.context.calendar.today_and_overdue(timezone=local_zone_name())
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

    # ---- edits ------------------------------------------------------------------------------

    def _apply(self, text: str, do: Callable[[], CalendarEdit]) -> CalendarEdit | None:
        """Make an edit now (a refused one shows why and changes nothing), then put it on
        the undo stack."""
        try:
            edit = do()
        except CrmError as exc:
            QMessageBox.warning(self, "Calendar", str(exc))
            return None
        if self.hub is not None:
            self.hub.changed(edit.changes)
        else:
            self.reload()
        if self.undo_stack is not None and self.hub is not None:  # the window gives both
            self.undo_stack.push(CalendarEditCommand(text, self.context, self.hub, edit, do))
        return edit

    def _default_start(self) -> dt.datetime:
        day = self.anchor if self.mode != "month" else max(self.anchor, dt.date.today())
        now = dt.datetime.now()
        hour = now.hour + 1 if day == now.date() else 9
        return dt.datetime(day.year, day.month, day.day, min(hour, 23)).astimezone()

    def show_crowd(self, day: dt.date, occurrences: list[Occurrence], where: Any) -> None:
        """A "+n" strip was clicked: a week shows that day, wide enough for more side by
        side; a day lists them to open one."""
        if self.mode != "day":
            self.show_day(day)
            return
        menu = QMenu(self)
        for occurrence in occurrences:
            local = occurrence.start.astimezone()
            menu.addAction(
                f"{local:%H:%M}  {occurrence.subject}", partial(self.open_occurrence, occurrence)
            )
        menu.exec(where)

    def _scope(self, occurrence: Occurrence, verb: str) -> str | None:
        return ask_scope(self, verb) if occurrence.recurring else "one"

    def reschedule(self, occurrence: Occurrence, start: dt.datetime, end: dt.datetime) -> None:
        scope = self._scope(occurrence, "move")
        if scope is None:
            self.reload()
            return
        calendar = self.context.calendar
        self._apply(
            f"Move {occurrence.subject}",
            lambda: calendar.reschedule(
                occurrence.activity_id, occurrence.start, start, end, scope
            ),
        )

    def create_at(self, start: dt.datetime, all_day: bool) -> None:
        draft = ActivityDraft(
            "meeting" if not all_day else "task",
            "",
            start,
            1440 if all_day else 30,
            all_day=all_day,
            owner_id=self.owner_filter.currentData() or self.context.users.default_owner_id(),
        )
        dialog = ActivityEditorDialog(self.context, draft, parent=self)
        if dialog.exec():
            new = dialog.draft()
            self._apply(f"New {new.kind}", lambda: self.context.calendar.create(new))

    def open_occurrence(self, occurrence: Occurrence) -> None:
        record = self.context.calendar.get(occurrence.activity_id)
        draft = record.draft
        if occurrence.recurring:  # edit the occurrence clicked on, not the first one
            draft = replace(draft, start=occurrence.start)
        dialog = ActivityEditorDialog(
            self.context, draft, occurrence.activity_id, record.contact_name, self
        )
        if not dialog.exec():
            return
        new = dialog.draft()
        scope = self._scope(occurrence, "change") if new.rrule or occurrence.recurring else "one"
        if scope is None:
            return
        when = occurrence.start if occurrence.recurring else None
        self._apply(
            f"Edit {new.subject}",
            lambda: self.context.calendar.edit(occurrence.activity_id, when, new, scope),
        )

    def open_activity(self, activity_id: str) -> None:
        """The editor of an activity known by its id (a record's timeline, its next
        activity): a series opens at its first occurrence."""
        try:
            draft = self.context.calendar.get(activity_id).draft
        except CrmError as exc:
            QMessageBox.warning(self, "Calendar", str(exc))
            return
        end = draft.start + dt.timedelta(minutes=draft.minutes)
        occurrence = Occurrence(
            activity_id, draft.kind, draft.subject, draft.start, end, draft.all_day,
            draft.done, bool(draft.rrule),
        )  # fmt: skip
        self.open_occurrence(occurrence)

    def complete(self, occurrence: Occurrence) -> None:
        outcome, ok = QInputDialog.getText(
            self, "Done", f"Outcome of “{occurrence.subject}” (shown on the timelines):"
        )
        if not ok:
            return
        when = occurrence.start if occurrence.recurring else None
        self._apply(
            f"Done: {occurrence.subject}",
            lambda: self.context.calendar.complete(occurrence.activity_id, when, outcome),
        )

    def _open_item(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        occurrence = item.data(0, ROLE_OCCURRENCE)
        if occurrence is not None:
            self.open_occurrence(occurrence)

    def _due_menu(self, pos: Any) -> None:
        item = self.due.itemAt(pos)
        occurrence = item.data(0, ROLE_OCCURRENCE) if item else None
        if occurrence is not None:
            self.occurrence_menu(occurrence, self.due.viewport().mapToGlobal(pos))

    def occurrence_menu(self, occurrence: Occurrence, where: Any) -> None:
        """Right-click on an activity: open, done with an outcome, delete."""
        menu = QMenu(self)
        menu.addAction("Open…", lambda: self.open_occurrence(occurrence))
        if not occurrence.done:
            menu.addAction("Done…", lambda: self.complete(occurrence))
        menu.addSeparator()
        menu.addAction("Delete…", lambda: self.delete(occurrence))
        menu.exec(where)

    def delete(self, occurrence: Occurrence) -> None:
        """Delete an activity, or one occurrence of a series (undoable)."""
        if occurrence.recurring:
            scope = ask_scope(self, "delete")
            if scope is None:
                return
        else:
            scope = "all"
        calendar = self.context.calendar
        if scope == "one":
            self._apply(
                f"Skip {occurrence.subject}",
                lambda: calendar.delete(occurrence.activity_id, occurrence.start),
            )
        elif scope == "following":
            self._apply(
                f"End {occurrence.subject}",
                lambda: calendar.end_series(occurrence.activity_id, occurrence.start),
            )
        else:
            self._apply(
                f"Delete {occurrence.subject}", lambda: calendar.delete(occurrence.activity_id)
            )

    # ---- printing -------------------------------------------------------------------------

    def preview(self, what: str) -> None:
        printing.preview(self, "Print the calendar", lambda p: self.print_to(p, what))

    def print_pdf(self, path: str, what: str = "view") -> None:
        """The same pages as the print preview, written to a PDF file."""
        printing.to_pdf(path, lambda p: self.print_to(p, what))

    def agenda_html(self) -> str:
        days = self.visible_days()
        rows = []
        for day in days:
            todays = [o for o in self.found if day_of(o) == day]
            if self.mode == "month" and day.month != self.anchor.month:
                continue
            rows.append(f"<h3>{day:%A %d %B %Y}</h3>")
            if not todays:
                rows.append("<p style='color:#6b7280'>Nothing planned.</p>")
                continue
            rows.append("<table width='100%' cellspacing='0' cellpadding='3'>")
            for o in todays:
                local = o.start.astimezone()
                when = "all day" if o.all_day else f"{local:%H:%M}–{o.end.astimezone():%H:%M}"
                state = "✓ " if o.done else ""
                rows.append(
                    f"<tr><td width='18%'>{when}</td><td width='62%'>{state}{escape(o.subject)}"
                    f"</td><td>{o.kind.capitalize()}</td></tr>"
                )
            rows.append("</table>")
        business = escape(self.context.settings.get("business_name") or "")
        return (
            f"<h1>{escape(self.title.text())}</h1><p>{business} · printed "
            f"{dt.datetime.now():%Y-%m-%d %H:%M}</p>{''.join(rows)}"
        )

    def print_to(self, printer: Any, what: str = "view") -> None:
        if self._stale or not self.found:
            self._fetch()  # the view itself is still drawn when it is next shown
        if what == "agenda" or self.mode == "agenda":
            printing.print_html(printer, self.agenda_html())
            return
        printing.a4(printer, landscape=True, margin_mm=10)
        painter = QPainter(printer)
        page = printer.pageLayout().paintRectPixels(printer.resolution())
        page = QRect(0, 0, page.width(), page.height())
        font = painter.font()
        font.setPointSize(14)
        font.setBold(True)
        painter.setFont(font)
        title_height = painter.fontMetrics().height() * 2
        painter.drawText(
            QRect(0, 0, page.width(), title_height), Qt.AlignmentFlag.AlignLeft, self.title.text()
        )
        target = page.adjusted(0, title_height, 0, 0)
        if self.mode == "month":
            self.month.render_month(painter, target)
        else:
            if self.grid.columns.days != self.visible_days():
                self.grid.set_range(self.visible_days(), self.found)
            self.grid.render_hours(painter, target, 6, 22)
        painter.end()
