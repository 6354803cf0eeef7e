"""Detail panels: a record's fields, quick actions and its timeline (newest first)."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

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


def _button(text: str, icon: str, accessible: str) -> QPushButton:
    button = QPushButton(icons.get(icon), text)
    button.setAccessibleName(accessible)
    return button


class DetailPanel(QWidget):
    """Header, a block of facts, action buttons and a timeline list."""

    action_requested = Signal(str, str)  # (action name, record id)

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
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.facts.setOpenExternalLinks(True)
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
        self.empty = QLabel("Select a record to see its details and timeline.", self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(self.empty)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.facts)
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
            *self.buttons.values(),
        ]
        self.clear()

    def _emit(self, name: str) -> None:
        if self.record_id:
            self.action_requested.emit(name, self.record_id)

    def clear(self) -> None:
        self.record_id = None
        for widget in self._content:
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
        self.subtitle.setText(subtitle)
        rows = "".join(
            f"<tr><td style='padding-right:12px;color:gray'>{html.escape(k)}</td><td>{v}</td></tr>"
            for k, v in facts
            if v
        )
        self.facts.setText(f"<table>{rows}</table>")
        self.timeline.clear()
        for entry in timeline:
            when = entry.at.astimezone().strftime("%Y-%m-%d %H:%M")
            text = f"{when}  ·  {entry.title}"
            if entry.detail:
                text += f"\n{entry.detail}"
            icon = _KIND_ICON[entry.kind]
            if entry.kind is TimelineKind.ACTIVITY:
                icon = _ACTIVITY_ICON.get(entry.title.split(" ", 1)[0], "call")
            item = QListWidgetItem(icons.get(icon), text)
            self.timeline.addItem(item)
        if not timeline:
            self.timeline.addItem("Nothing has happened yet.")

    def set_actions_enabled(self, enabled: bool) -> None:
        for button in self.buttons.values():
            button.setEnabled(enabled)


def esc(value: Any) -> str:
    return html.escape(str(value)) if value else ""
