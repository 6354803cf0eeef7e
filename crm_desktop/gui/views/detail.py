"""Detail panels: a record's fields, quick actions and its timeline (newest first)."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.domain.formatting import format_date, format_datetime
from crm_desktop.domain.records import TimelineEntry, TimelineKind
from crm_desktop.gui import icons

_KIND_ICON = {
    TimelineKind.ACTIVITY: "call",
    TimelineKind.DEAL: "deal",
    TimelineKind.ORDER: "reports",
    TimelineKind.CONSENT: "note",
    TimelineKind.CHANGE: "edit",
}


_ACTIVITY_ICON = {
    "Call": "call",
    "Note": "note",
    "Meeting": "contacts",
    "Email": "palette",
    "Task": "followup",
}


# Links inside the app: crm:<kind>/<id>, kind one of contact, company, deal, activity.
LINK_SCHEME = "crm:"
# The timeline entries that open something: (kind of link, tooltip).
_OPENS = {
    TimelineKind.ACTIVITY: ("activity", "Double-click or press Enter to open this activity"),
    TimelineKind.DEAL: ("deal", "Double-click or press Enter to open this deal"),
}
LINK_ROLE = Qt.ItemDataRole.UserRole + 1


def link(kind: str, record_id: str, text: str) -> str:
    """An HTML link that opens a record of the app (a contact, company, deal, activity)."""
    return f"<a href='{LINK_SCHEME}{kind}/{html.escape(record_id)}'>{html.escape(text)}</a>"


def _button(text: str, icon: str, accessible: str) -> QPushButton:
    button = QPushButton(icons.get(icon), text)
    button.setAccessibleName(accessible)
    return button


class DetailPanel(QWidget):
    """Header, a block of facts, action buttons and a timeline list."""

    action_requested = Signal(str, str)  # (action name, record id)
    open_requested = Signal(str, str)  # (contact | company | deal | activity, record id)

    def __init__(self, actions: list[tuple[str, str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record_id: str | None = None
        self.title = QLabel(self)
        self.title.setObjectName("detailTitle")
        self.title.setStyleSheet("font-size: 18pt; font-weight: 600;")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle = QLabel(self)
        self.subtitle.setStyleSheet("color: palette(placeholder-text);")
        self.facts = QLabel(self)
        self.facts.setWordWrap(True)
        self.trash_note = QLabel(
            "In the Trash: restore it (Edit › Restore from Trash) to work with it again.", self
        )
        self.trash_note.setWordWrap(True)
        for label in (self.subtitle, self.facts):
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
            label.linkActivated.connect(self.follow_link)
        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for name, text, icon in actions:
            button = _button(text, icon, text)
            button.clicked.connect(lambda _c=False, n=name: self._emit(n))
            buttons.addWidget(button)
            self.buttons[name] = button
        buttons.addStretch(1)
        self.timeline = QListWidget(self)
        self.timeline.setAccessibleName("Timeline")
        self.timeline.setWordWrap(True)
        self.timeline.setAlternatingRowColors(True)
        self.timeline.itemActivated.connect(self._open_entry)
        self.empty = QLabel("Select a record to see its details and timeline.", self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(self.empty)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.facts)
        layout.addWidget(self.trash_note)
        layout.addLayout(buttons)
        timeline_label = QLabel("<b>Timeline</b>", self)
        layout.addWidget(timeline_label)
        layout.addWidget(self.timeline, 1)
        self._content = [
            self.title,
            self.subtitle,
            self.facts,
            timeline_label,
            self.timeline,
        ]
        self.clear()

    def _emit(self, name: str) -> None:
        if self.record_id:
            self.action_requested.emit(name, self.record_id)

    @Slot(str)
    def follow_link(self, url: str) -> None:
        """A link in the facts: a record of the app opens in the app, the rest (mailto:,
        a website) in the system's program."""
        if url.startswith(LINK_SCHEME):
            kind, _slash, record_id = url.removeprefix(LINK_SCHEME).partition("/")
            self.open_requested.emit(kind, record_id)
        else:
            QDesktopServices.openUrl(QUrl(url))

    def _open_entry(self, item: QListWidgetItem) -> None:
        target = item.data(LINK_ROLE)
        if target:
            self.open_requested.emit(*target)

    def clear(self) -> None:
        self.record_id = None
        for widget in (*self._content, *self.buttons.values(), self.trash_note):
            widget.setVisible(False)
        self.empty.setVisible(True)

    def show_record(
        self,
        record_id: str,
        title: str,
        subtitle: str,
        facts: list[tuple[str, str]],
        timeline: list[TimelineEntry],
        deleted: bool = False,
    ) -> None:
        self.record_id = record_id
        self.empty.setVisible(False)
        for widget in self._content:
            widget.setVisible(True)
        self.title.setText(title + ("  (in Trash)" if deleted else ""))
        # A record in the Trash has nothing to act on until it is restored.
        for button in self.buttons.values():
            button.setVisible(not deleted)
        self.trash_note.setVisible(deleted)
        self.subtitle.setText(subtitle)
        rows = "".join(
            f"<tr><td style='padding-right:12px;color:gray'>{html.escape(k)}</td><td>{v}</td></tr>"
            for k, v in facts
            if v
        )
        self.facts.setText(f"<table>{rows}</table>")
        self.timeline.clear()
        for entry in timeline:
            self.timeline.addItem(self._entry_item(entry))
        if not timeline:
            self.timeline.addItem("Nothing has happened yet.")

    def _entry_item(self, entry: TimelineEntry) -> QListWidgetItem:
        # An order has a date, no time (kept as midnight UTC of that date).
        order = entry.kind is TimelineKind.ORDER
        when = format_date(entry.at.date()) if order else format_datetime(entry.at)
        text = f"{when}  ·  {entry.title}"
        if entry.detail:
            text += f"\n{entry.detail}"
        icon = _KIND_ICON[entry.kind]
        if entry.kind is TimelineKind.ACTIVITY:
            icon = _ACTIVITY_ICON.get(entry.title.split(" ", 1)[0], "call")
        item = QListWidgetItem(icons.get(icon), text)
        opens = _OPENS.get(entry.kind)
        if opens and entry.ref_id:
            item.setData(LINK_ROLE, (opens[0], entry.ref_id))
            item.setToolTip(opens[1])
            item.setForeground(self.palette().link())
        return item

    def set_actions_enabled(self, enabled: bool) -> None:
        for button in self.buttons.values():
            button.setEnabled(enabled)


def esc(value: Any) -> str:
    return html.escape(str(value)) if value else ""
