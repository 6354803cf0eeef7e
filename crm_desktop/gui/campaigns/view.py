"""The campaigns screen: campaigns on the left; the chosen one's figures, its members
(with why some are left out) and the message a member gets, with the actions."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.domain.campaigns import CAMPAIGN_PURPOSES, CHANNELS, CampaignRecord, Message
from crm_desktop.domain.formatting import format_date, format_money
from crm_desktop.gui import icons
from crm_desktop.gui.campaigns.models import MembersTableModel
from crm_desktop.gui.views.detail import esc

MARKS = ("responded", "converted", "bounced", "sent", "targeted")


class CampaignsView(QWidget):
    """Widgets only; the controller fills them and answers the requests."""

    campaign_chosen = Signal(str)
    member_chosen = Signal(str)
    new_requested = Signal()
    build_requested = Signal()
    send_eml_requested = Signal()
    send_csv_requested = Signal()
    send_smtp_requested = Signal()
    mark_requested = Signal(str)  # status
    mail_settings_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Campaigns")
        self.new_button = QPushButton(icons.get("add"), "New campaign…", self)
        self.title = QLabel(self)
        self.title.setObjectName("campaignTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.facts = QLabel(self)
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.build_button = QPushButton(icons.get("segment"), "Take members from segment", self)
        self.send_button = QToolButton(self)
        self.send_button.setText("Send")
        self.send_button.setIcon(icons.get("export"))
        self.send_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.send_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.send_button.setAccessibleName("Send the campaign")
        send_menu = QMenu(self)
        send_menu.addAction("As .eml files to a folder…").triggered.connect(
            lambda _c=False: self.send_eml_requested.emit()
        )
        send_menu.addAction("As a CSV for another mail tool…").triggered.connect(
            lambda _c=False: self.send_csv_requested.emit()
        )
        send_menu.addAction("Through the mail server (SMTP)").triggered.connect(
            lambda _c=False: self.send_smtp_requested.emit()
        )
        send_menu.addSeparator()
        send_menu.addAction("Mail server settings…").triggered.connect(
            lambda _c=False: self.mail_settings_requested.emit()
        )
        self.send_button.setMenu(send_menu)
        self.mark_button = QToolButton(self)
        self.mark_button.setText("Mark member")
        self.mark_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        mark_menu = QMenu(self)
        for status in MARKS:
            mark_menu.addAction(status.capitalize()).triggered.connect(
                lambda _c=False, s=status: self.mark_requested.emit(s)
            )
        self.mark_button.setMenu(mark_menu)
        self.model = MembersTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Campaign members")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        for index, width in enumerate((150, 190, 80)):
            self.table.setColumnWidth(index, width)
        self.preview = QTextBrowser(self)
        self.preview.setAccessibleName("Message preview")
        self.preview.setMinimumWidth(200)

        left = QWidget(self)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.list, 1)
        column.addWidget(self.new_button)
        right = QWidget(self)
        body = QVBoxLayout(right)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.title)
        body.addWidget(self.facts)
        actions = QHBoxLayout()
        actions.addWidget(self.build_button)
        actions.addWidget(self.send_button)
        actions.addWidget(self.mark_button)
        actions.addStretch(1)
        body.addLayout(actions)
        lower = QSplitter(Qt.Orientation.Horizontal, right)
        lower.addWidget(self.table)
        lower.addWidget(self.preview)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        body.addWidget(lower, 1)
        splitter = QSplitter(self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([230, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 6)
        layout.addWidget(splitter)

        self.list.currentItemChanged.connect(
            lambda item, _old: self.campaign_chosen.emit(
                str(item.data(Qt.ItemDataRole.UserRole)) if item else ""
            )
        )
        self.table.selectionModel().currentRowChanged.connect(
            lambda index, _old: self.member_chosen.emit(
                str(self.model.data(index, Qt.ItemDataRole.UserRole) or "")
            )
        )
        self.new_button.clicked.connect(lambda _c=False: self.new_requested.emit())
        self.build_button.clicked.connect(lambda _c=False: self.build_requested.emit())
        self.show_campaign(None)

    def set_campaigns(self, records: list[CampaignRecord], current: str | None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for r in records:
            sent = r.members.get("sent", 0) + r.members.get("responded", 0)
            item = QListWidgetItem(f"{r.name}\n{r.channel} · {r.purpose or '—'} · {sent} sent")
            item.setData(Qt.ItemDataRole.UserRole, r.id)
            self.list.addItem(item)
            if r.id == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def current_member(self) -> str | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return str(self.model.data(index, Qt.ItemDataRole.UserRole))

    def show_campaign(self, record: CampaignRecord | None) -> None:
        for widget in (self.build_button, self.send_button, self.mark_button):
            widget.setEnabled(record is not None)
        if record is None:
            self.title.setText("No campaign chosen")
            self.facts.setText("Choose a campaign, or make one from a saved segment.")
            self.model.set_members([])
            self.preview.clear()
            return
        self.title.setText(record.name)
        counts = ", ".join(f"{n} {s}" for s, n in sorted(record.members.items())) or "none yet"
        days = " – ".join(format_date(d) for d in (record.started_on, record.ended_on) if d)
        roi = f" · ROI {record.roi:.0%}" if record.roi is not None else ""
        self.facts.setText(
            f"{esc(record.channel)} · purpose <b>{esc(record.purpose or 'none')}</b>"
            f" · segment <b>{esc(record.segment_name or 'none')}</b>"
            + (f" · {esc(days)}" if days else "")
            + f"<br>Members: {esc(counts)}"
            f"<br>Cost {format_money(record.cost_cents, record.currency)}"
            f" · revenue {format_money(record.revenue_cents, record.currency)}{roi}"
        )

    def show_message(self, message: Message | None, reason: str = "") -> None:
        if message is None:
            self.preview.clear()
            return
        note = f"<p style='color:#b05000'>Left out: {esc(reason)}</p>" if reason else ""
        address = "<br>".join(esc(line) for line in message.address)
        self.preview.setHtml(
            f"{note}<p><b>To:</b> {esc(message.to_name)} &lt;{esc(message.to_email)}&gt;"
            + (f"<br>{address}" if address else "")
            + f"<br><b>Subject:</b> {esc(message.subject)}</p>"
            f"<pre style='white-space:pre-wrap;font-family:inherit'>{esc(message.body)}</pre>"
        )


class CampaignDialog(QDialog):
    """A new campaign: name, segment, purpose, channel, dates, cost, message."""

    def __init__(self, segments: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New campaign")
        self.setMinimumWidth(520)
        self.name = QLineEdit(self)
        self.segment = _combo(self, [(name, sid) for sid, name in segments])
        self.purpose = _combo(self, [(p.replace("_", " "), p) for p in CAMPAIGN_PURPOSES])
        self.channel = _combo(self, [(c, c) for c in CHANNELS])
        self.start = QDateEdit(self)
        self.start.setCalendarPopup(True)
        self.start.setDate(self.start.date().currentDate())
        self.cost = QDoubleSpinBox(self)
        self.cost.setRange(0, 10_000_000)
        self.cost.setDecimals(2)
        self.subject = QLineEdit(self)
        self.subject.setPlaceholderText("e.g. News for {{first_name}}")
        self.body = QPlainTextEdit(self)
        self.body.setPlainText("Dear {{first_name|customer}},\n\n\n{{owner}}\n{{business}}\n")
        self.error = QLabel(self)
        self.error.setStyleSheet("color:#d64545")
        form = QFormLayout()
        for label, widget in (
            ("Name", self.name),
            ("Segment", self.segment),
            ("Consent purpose", self.purpose),
            ("Channel", self.channel),
            ("Starts", self.start),
            ("Cost", self.cost),
            ("Subject", self.subject),
            ("Message", self.body),
        ):
            form.addRow(label, widget)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)


def _combo(parent: QWidget, items: list[tuple[str, str]]) -> QComboBox:
    combo = QComboBox(parent)
    for text, data in items:
        combo.addItem(text, data)
    return combo
