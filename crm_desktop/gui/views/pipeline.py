"""The pipeline board: one column per stage, deal cards dragged between them."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QDropEvent, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm_desktop.domain.formatting import format_date, format_money, pluralise
from crm_desktop.domain.pipeline import BoardColumn, BoardFilter, DealCard
from crm_desktop.domain.vocabulary import DEFAULT_CURRENCY
from crm_desktop.gui import icons
from crm_desktop.gui.models.record_lists import DealTableModel

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext

CARD_ROLE = Qt.ItemDataRole.UserRole + 1
DEAL_MIME = "application/x-crm-desktop-deal"
CARD_HEIGHT = 104
COLUMN_WIDTH = 250


class CardDelegate(QStyledItemDelegate):
    """Paints a deal card: title, company, value, close date, owner, days in stage."""

    def sizeHint(
        self,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QSize:
        return QSize(option.rect.width(), CARD_HEIGHT)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        card: DealCard | None = index.data(CARD_ROLE)
        if card is None:
            return
        palette = option.palette
        rect = option.rect.adjusted(4, 3, -4, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(
            QPen(
                palette.highlight().color() if selected else palette.mid().color(),
                1.5 if selected else 1,
            )
        )
        painter.setBrush(palette.base())
        painter.drawRoundedRect(rect, 6, 6)
        if card.rotting:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#d64545"))
            painter.drawRoundedRect(QRect(rect.left(), rect.top(), 4, rect.height()), 2, 2)
        inner = rect.adjusted(10, 6, -8, -6)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(palette.text().color())
        metrics = painter.fontMetrics()
        painter.drawText(
            QRect(inner.left(), inner.top(), inner.width() - 34, 18),
            Qt.AlignmentFlag.AlignLeft,
            metrics.elidedText(card.title, Qt.TextElideMode.ElideRight, inner.width() - 34),
        )
        painter.setFont(option.font)
        metrics = painter.fontMetrics()
        muted = palette.placeholderText().color()
        who = " · ".join(p for p in (card.company_name, card.contact_name) if p)
        painter.setPen(muted)
        painter.drawText(
            QRect(inner.left(), inner.top() + 20, inner.width(), 18),
            Qt.AlignmentFlag.AlignLeft,
            metrics.elidedText(who, Qt.TextElideMode.ElideRight, inner.width()),
        )
        painter.setPen(palette.text().color())
        painter.setFont(bold)
        line3 = QRect(inner.left(), inner.top() + 40, inner.width(), 18)
        painter.drawText(
            line3, Qt.AlignmentFlag.AlignLeft, format_money(card.value_cents, card.currency)
        )
        painter.setFont(option.font)
        painter.setPen(muted)
        close = format_date(card.expected_close, short=True) or "no close date"
        painter.drawText(line3, Qt.AlignmentFlag.AlignRight, close)
        days = f"{pluralise(card.days_in_stage, 'day')} in stage"
        if card.rotting:
            days = f"⚠ {days}: rotting"
        painter.setPen(QColor("#d64545") if card.rotting else muted)
        painter.drawText(
            QRect(inner.left(), inner.top() + 60, inner.width(), 18),
            Qt.AlignmentFlag.AlignLeft,
            days,
        )
        # Owner initials in a small round badge, top right.
        badge = QRect(inner.right() - 24, inner.top() - 1, 24, 24)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#dbe5fb"))
        painter.drawEllipse(badge)
        painter.setPen(QColor("#2f4f9e"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, card.owner_initials or "–")
        painter.restore()


class CardList(QListWidget):
    """A column's cards. Drops are announced, not performed: the board reloads from the
    service, so what is shown is always what was saved."""

    card_dropped = Signal(str, str, int)  # deal id, stage id, index
    drop_hover = Signal(bool)  # a dragged card is over this column (or has left it)

    def __init__(self, stage_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stage_id = stage_id
        self.setItemDelegate(CardDelegate(self))
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setUniformItemSizes(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSpacing(0)

    def mimeTypes(self) -> list[str]:
        return [DEAL_MIME]

    def mimeData(self, items: Any) -> QMimeData:
        data = QMimeData()
        if items:
            data.setData(DEAL_MIME, str(items[0].data(Qt.ItemDataRole.UserRole)).encode())
        return data

    def dragEnterEvent(self, event: Any) -> None:
        if event.mimeData().hasFormat(DEAL_MIME):
            event.acceptProposedAction()
            self.drop_hover.emit(True)
        else:
            event.ignore()

    def dragLeaveEvent(self, event: Any) -> None:
        super().dragLeaveEvent(event)
        self.drop_hover.emit(False)

    def dragMoveEvent(self, event: Any) -> None:
        if event.mimeData().hasFormat(DEAL_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_hover.emit(False)
        if not event.mimeData().hasFormat(DEAL_MIME):
            event.ignore()
            return
        deal_id = bytes(event.mimeData().data(DEAL_MIME).data()).decode()
        target = self.itemAt(event.position().toPoint())
        index = self.row(target) if target is not None else self.count()
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
        self.card_dropped.emit(deal_id, self.stage_id, index)

    def set_cards(self, cards: tuple[DealCard, ...]) -> None:
        self.clear()
        for card in cards:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, card.id)
            item.setData(CARD_ROLE, card)
            item.setToolTip(
                f"{card.title}\n{card.company_name}\n"
                f"{format_money(card.value_cents, card.currency)} at "
                f"{card.probability} %\nOwner: {card.owner_name}"
            )
            item.setData(
                Qt.ItemDataRole.AccessibleTextRole,
                f"{card.title}, {format_money(card.value_cents, card.currency)}",
            )
            self.addItem(item)


def deals_text(count: int) -> str:
    return pluralise(count, "deal")


class KanbanColumn(QFrame):
    def __init__(self, column: BoardColumn, currency: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kanbanColumn")
        self.setFixedWidth(COLUMN_WIDTH)
        self.stage = column.stage
        self.drop_highlighted = False
        self.header = QLabel(self)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.cards = CardList(column.stage.id, self)
        self.cards.setAccessibleName(f"Deals in {column.stage.name}")
        self.cards.drop_hover.connect(self.set_drop_highlight)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 8, 6, 6)
        layout.addWidget(self.header)
        layout.addWidget(self.cards, 1)
        self.show_column(column, currency)

    def cards_data(self) -> tuple[DealCard, ...]:
        return self._data.cards

    @Slot(bool)
    def set_drop_highlight(self, on: bool) -> None:
        """Mark the column a dragged card would land in."""
        self.drop_highlighted = on
        if on:
            color = self.palette().highlight().color()
            tint = QColor(color)
            tint.setAlpha(28)
            self.setStyleSheet(
                f"QFrame#kanbanColumn {{ border: 2px solid {color.name()}; border-radius: 6px;"
                f" background: rgba({tint.red()}, {tint.green()}, {tint.blue()}, 28); }}"
            )
        else:
            self.setStyleSheet("")

    def show_column(self, column: BoardColumn, currency: str, closed_hidden: bool = False) -> None:
        self._data = column
        self.stage = column.stage
        kind = {"won": " ✓", "lost": " ✗"}.get(column.stage.kind, "")
        title = (
            f"<b>{column.stage.name}{kind}</b> <span style='color:gray'>"
            f"{column.stage.probability} %</span><br>"
        )
        if closed_hidden and column.stage.kind != "open":
            # Hidden, not empty: the column stays a place to drop a deal that closed.
            self.header.setText(
                f"{title}<span style='color:gray'>Drop a deal here to mark it "
                f"{column.stage.kind}</span><br>&nbsp;"
            )
        else:
            self.header.setText(
                f"{title}{deals_text(column.count)} · "
                f"{format_money(column.total_cents, currency)}<br>"
                f"<span style='color:gray'>weighted "
                f"{format_money(column.weighted_cents, currency)}</span>"
            )
        self.cards.set_cards(column.cards)


class PipelineView(QWidget):
    """Board for one pipeline with owner, close-date and text filters."""

    move_requested = Signal(str, str, int)  # deal id, stage id, index
    open_requested = Signal(str)  # deal id
    new_requested = Signal(str)  # pipeline id
    series_requested = Signal(str)  # deal id: plan a follow-up series for it

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.pipeline_choice = QComboBox(self)
        self.pipeline_choice.setAccessibleName("Pipeline")
        self.owner_filter = QComboBox(self)
        self.owner_filter.setAccessibleName("Filter deals by owner")
        self.text_filter = QLineEdit(self)
        self.text_filter.setPlaceholderText("Filter deals by title, company, contact…")
        self.text_filter.setClearButtonEnabled(True)
        self.text_filter.setAccessibleName("Filter deals")
        self.close_filter = QComboBox(self)
        self.close_filter.setAccessibleName("Filter by expected close")
        for label, days in (
            ("Any close date", None),
            ("Closing in 30 days", 30),
            ("Closing in 90 days", 90),
        ):
            self.close_filter.addItem(label, days)
        # Won and lost deals would fill the board within months: hidden unless asked for.
        self.show_closed = QCheckBox("Show won and lost", self)
        self.show_closed.setToolTip("Show the deals already won or lost on the board")
        self.show_closed.setAccessibleName("Show won and lost deals")
        self.board_button = QToolButton(self)
        self.board_button.setText("Board")
        self.list_button = QToolButton(self)
        self.list_button.setText("List")
        self.new_button = QToolButton(self)
        self.new_button.setText("New deal")
        self.new_button.setIcon(icons.get("add"))
        self.new_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.new_button.setAccessibleName("New deal")
        self.new_button.clicked.connect(self.request_new)
        for button in (self.board_button, self.list_button):
            button.setCheckable(True)
            button.setAutoExclusive(True)
            button.setAccessibleName(f"Show deals as a {button.text().lower()}")
        self.board_button.setChecked(True)
        # Two rows, so the bar fits a small screen: what is shown, then how it is filtered.
        for combo in (self.pipeline_choice, self.owner_filter, self.close_filter):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setMinimumContentsLength(8)
        bar = QVBoxLayout()
        top, bottom = QHBoxLayout(), QHBoxLayout()
        top.addWidget(self.pipeline_choice)
        top.addWidget(self.board_button)
        top.addWidget(self.list_button)
        top.addStretch(1)
        top.addWidget(self.new_button)
        bottom.addWidget(self.text_filter, 1)
        for widget in (self.owner_filter, self.close_filter, self.show_closed):
            bottom.addWidget(widget)
        bar.addLayout(top)
        bar.addLayout(bottom)
        self.list_model = DealTableModel(context.deals, self)
        self.table = QTableView(self)
        self.table.setModel(self.list_model)
        self.table.setAccessibleName("Deals list")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(5, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setDefaultSectionSize(130)
        self.table.doubleClicked.connect(
            lambda index: self.open_requested.emit(self.list_model.id_at(index.row()))
        )
        self.columns_host = QWidget(self)
        self.columns_layout = QHBoxLayout(self.columns_host)
        self.columns_layout.setContentsMargins(0, 0, 0, 0)
        self.columns_layout.setSpacing(8)
        self.columns_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.columns_host)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.empty_state = self._empty_state()
        board_page = QWidget(self)
        board_layout = QVBoxLayout(board_page)
        board_layout.setContentsMargins(0, 0, 0, 0)
        board_layout.addWidget(self.empty_state)
        board_layout.addWidget(scroll, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 6)
        layout.addLayout(bar)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(board_page)
        self.pages.addWidget(self.table)
        layout.addWidget(self.pages, 1)
        self.board_button.toggled.connect(lambda on: self._show(0 if on else 1))
        self.columns: list[KanbanColumn] = []
        self._stale = True
        self.pipeline_choice.activated.connect(lambda _i: self.reload())
        self.owner_filter.activated.connect(lambda _i: self.reload())
        self.close_filter.activated.connect(lambda _i: self.reload())
        self.show_closed.toggled.connect(lambda _on: self.reload())
        self.text_filter.textChanged.connect(lambda _t: self.reload())
        self._choices_stale = True  # the pipelines and owners are read when first shown

    def choices_changed(self) -> None:
        """The pipelines or users changed: read them again when the board is next shown."""
        self._choices_stale = True

    def _empty_state(self) -> QFrame:
        """What an empty board says: what a deal is, and the button to make the first."""
        box = QFrame(self)
        box.setObjectName("emptyState")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        title = QLabel("<b>No deals here yet</b>", box)
        text = QLabel(
            "A deal is a sale you are working on. Add one, then drag its card from stage "
            "to stage as it moves on; drop it on Won or Lost when it closes.",
            box,
        )
        text.setWordWrap(True)
        self.empty_new_button = QPushButton(icons.get("add"), "New deal", box)
        self.empty_new_button.setAccessibleName("New deal")
        self.empty_new_button.clicked.connect(self.request_new)
        layout = QHBoxLayout(box)
        words = QVBoxLayout()
        words.addWidget(title)
        words.addWidget(text)
        layout.addLayout(words, 1)
        layout.addWidget(self.empty_new_button, 0, Qt.AlignmentFlag.AlignVCenter)
        box.hide()
        return box

    @Slot()
    def request_new(self) -> None:
        self.new_requested.emit(self.pipeline_choice.currentData())

    def fill_choices(self) -> None:
        self._choices_stale = False
        current = self.pipeline_choice.currentData()
        self.pipeline_choice.clear()
        pipelines = self.context.pipeline.pipelines()
        if not pipelines:  # an older database without one: there must be a place for deals
            self.context.pipeline.ensure_default()
            pipelines = self.context.pipeline.pipelines()
        for pipeline in pipelines:
            self.pipeline_choice.addItem(pipeline.name, pipeline.id)
        self.pipeline_choice.setCurrentIndex(max(self.pipeline_choice.findData(current), 0))
        self.owner_filter.clear()
        self.owner_filter.addItem("All owners", None)
        for user in self.context.users.list():
            self.owner_filter.addItem(user.name, user.id)

    def filters(self) -> BoardFilter:
        days = self.close_filter.currentData()
        return BoardFilter(
            owner_id=self.owner_filter.currentData(),
            text=self.text_filter.text(),
            close_before=dt.date.today() + dt.timedelta(days=days) if days else None,
            include_closed=self.show_closed.isChecked(),
        )

    def _show(self, page: int) -> None:
        self.pages.setCurrentIndex(page)
        self.reload()

    def showing_list(self) -> bool:
        return self.pages.currentIndex() == 1

    def selected_deal_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.list_model.id_at(r) for r in rows]

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def reload(self) -> None:
        """Show the current data; while the board is hidden, only remember to (a board of
        20,000 deals is not built at start-up for nobody)."""
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        if self._choices_stale:
            self.fill_choices()
        if self.showing_list():
            self.list_model.invalidate()
            self.list_model.set_query(
                replace(
                    self.list_model.query,
                    search=self.text_filter.text(),
                    owner_id=self.owner_filter.currentData(),
                )
            )
            return
        pipeline_id = self.pipeline_choice.currentData()
        if pipeline_id is None:
            return
        filters = self.filters()
        board = self.context.pipeline.board(pipeline_id, filters)
        currency = self.context.settings.get("currency") or DEFAULT_CURRENCY
        narrowed = bool(filters.text or filters.owner_id or filters.close_before)
        self.empty_state.setVisible(not narrowed and not any(c.cards for c in board))
        hidden = not filters.include_closed
        if [c.stage.id for c in self.columns] != [c.stage.id for c in board]:
            for column in self.columns:
                column.setParent(None)
                column.deleteLater()
            self.columns = []
            for index, data in enumerate(board):
                column = KanbanColumn(data, currency, self.columns_host)
                column.show_column(data, currency, hidden)
                column.cards.card_dropped.connect(self.move_requested)
                column.cards.itemDoubleClicked.connect(
                    lambda item: self.open_requested.emit(item.data(Qt.ItemDataRole.UserRole))
                )
                column.cards.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
                column.cards.customContextMenuRequested.connect(
                    lambda pos, cards=column.cards: self._card_menu(cards, pos)
                )
                self.columns_layout.insertWidget(index, column)
                self.columns.append(column)
        else:
            for column, data in zip(self.columns, board, strict=True):
                column.show_column(data, currency, hidden)

    def column(self, stage_name: str) -> KanbanColumn:
        return next(c for c in self.columns if c.stage.name == stage_name)

    def _card_menu(self, cards: QListWidget, pos: Any) -> None:
        item = cards.itemAt(pos)
        if item is None:
            return
        deal_id = item.data(Qt.ItemDataRole.UserRole)
        menu = QMenu(self)
        menu.addAction("Open…", lambda: self.open_requested.emit(deal_id))
        menu.addAction("Plan follow-up series…", lambda: self.series_requested.emit(deal_id))
        menu.exec(cards.viewport().mapToGlobal(pos))
