"""A table model that holds the ordered ids of a query and fetches rows by the page.

Sorting and filtering happen in SQL (the service); the model keeps ~40 bytes per row of
ids and at most a few pages of row records, so 100,000 contacts scroll smoothly.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer

from crm_desktop.domain.records import ListQuery

PAGE_SIZE = 100  # a screenful or two: a search reads about the rows it shows
MAX_PAGES = 40
MAX_RECENT = 4
_DISPLAY = Qt.ItemDataRole.DisplayRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_USER = Qt.ItemDataRole.UserRole

Index = QModelIndex | QPersistentModelIndex
# The first `limit` ids of a query and how many it has in all.
FetchFirst = Callable[[ListQuery, int], tuple[list[str], int]]


@dataclass(frozen=True)
class Column:
    key: str  # sort key understood by the service
    header: str
    value: Callable[[Any], str]
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft


class PagedTableModel(QAbstractTableModel):
    def __init__(
        self,
        columns: Sequence[Column],
        fetch_ids: Callable[[ListQuery], list[str]],
        fetch_rows: Callable[[Sequence[str]], list[Any]],
        parent: Any = None,
        fetch_first: FetchFirst | None = None,
    ) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._aligns = [int(c.align | Qt.AlignmentFlag.AlignVCenter) for c in self._columns]
        self._roles = frozenset({_DISPLAY, _ALIGN, _USER})
        self._current_page = -1
        self._fetch_ids = fetch_ids
        self._fetch_rows = fetch_rows
        self._fetch_first = fetch_first
        self._query = ListQuery()
        self._loaded = False
        self._ids: list[str] = []
        self._unread = 0  # rows counted whose ids are not read yet (see _first_ids)
        # Recent queries' ids: clearing the search box shows the full list at once.
        self._recent: OrderedDict[ListQuery, list[str]] = OrderedDict()
        self._pages: OrderedDict[int, dict[str, Any]] = OrderedDict()
        # The rows the previous query had fetched: a search typed on mostly lists the
        # same people again, and their rows need not be read twice. Not after a change
        # (rows kept on screen then may show what changed elsewhere, a company's name).
        self._previous: dict[str, Any] = {}
        self._pages_current = True

    # ---- queries --------------------------------------------------------------------------

    @property
    def query(self) -> ListQuery:
        return self._query

    def set_query(self, query: ListQuery) -> None:
        self.beginResetModel()
        self._query = query
        self._loaded = True
        ids = self._recent.pop(query, None)
        self._unread = 0
        self._ids = ids if ids is not None else self._first_ids(query)
        self._current_page = -1
        self._remember()
        pages = self._pages.values() if self._pages_current else ()
        self._previous = {i: r for page in pages for i, r in page.items()}
        self._pages_current = True
        self._pages.clear()
        self.endResetModel()

    def _first_ids(self, query: ListQuery) -> list[str]:
        """The ids of `query`; for a list without a search (all 100,000 contacts, say, as
        the window opens) only the first page's and the count, when the model can: the
        rest is read when a row past them is first wanted (`_ids_to`)."""
        if self._fetch_first is None or query.search.strip():
            return self._fetch_ids(query)
        ids, total = self._fetch_first(query, PAGE_SIZE)
        self._unread = total - len(ids)
        return ids

    def _ids_to(self, row: int) -> list[str]:
        """The ids, with those past the first page read if `row` is among them."""
        if row >= len(self._ids) and self._unread:
            ids = self._fetch_ids(self._query)
            if len(ids) != len(self._ids) + self._unread:
                # The data changed in between: the views learn the new count at once.
                QTimer.singleShot(0, self, self._announce_rows)
            self._ids, self._unread = ids, 0
            self._remember()
        return self._ids

    def _announce_rows(self) -> None:
        self.beginResetModel()
        self.endResetModel()

    def _remember(self) -> None:
        """Keep the query's ids among the recent ones once they are all read."""
        if self._unread:
            return
        self._recent[self._query] = self._ids
        while len(self._recent) > MAX_RECENT:
            self._recent.popitem(last=False)

    def set_search(self, text: str) -> None:
        self.set_query(replace(self._query, search=text))

    def refresh(self) -> None:
        """Forget what was fetched (the data changed) and load the current query again."""
        self.invalidate()
        self.set_query(self._query)

    def invalidate(self) -> None:
        """The data changed: the next query is fetched anew."""
        self._recent.clear()
        self._pages.clear()
        self._previous = {}
        self._current_page = -1

    def reload_changed(self, changed: Iterable[str]) -> None:
        """Records changed: when the list still holds the same ids in the same order, only
        the changed rows are fetched again (the view keeps its selection and scroll);
        otherwise the query runs again."""
        self._recent.clear()
        self._previous = {}
        self._pages_current = False
        ids = self._fetch_ids(self._query)
        if ids[: len(self._ids)] != self._ids or len(ids) != len(self._ids) + self._unread:
            self.set_query(self._query)
            return
        self._ids, self._unread = ids, 0
        self._remember()
        wanted = set(changed)
        rows = [row for row, record_id in enumerate(self._ids) if record_id in wanted]
        if not rows:
            return
        for page_no in {row // PAGE_SIZE for row in rows}:  # fetched again when painted
            self._pages.pop(page_no, None)
        self._current_page = -1
        last = self.columnCount() - 1
        for row in rows:
            self.dataChanged.emit(self.index(row, 0), self.index(row, last))

    def count_if_unfiltered(self) -> int | None:
        """How many records there are when the list shows them all (no search, filter,
        segment or Trash; any order), known without a query; else None."""
        if not self._loaded:
            return None
        everyone = replace(self._query, sort=ListQuery.sort, descending=ListQuery.descending)
        return len(self._ids) + self._unread if everyone == ListQuery() else None

    def id_at(self, row: int) -> str:
        return self._ids_to(row)[row]

    def all_ids(self) -> list[str]:
        """Every id the list holds now (its search, filters and order), loaded or not."""
        return list(self._ids_to(len(self._ids)))

    # ---- Qt model interface ---------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids) + self._unread

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self._columns)
        ):
            return self._columns[section].header
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Qt asks each visible cell for a dozen roles on every paint: answer the ones we
        # do not provide first, and cheaply.
        if role not in self._roles or not index.isValid():
            return None
        row = index.row()
        ids = self._ids if row < len(self._ids) else self._ids_to(row)
        if not 0 <= row < len(ids):
            return None
        if role == _DISPLAY:
            record = self._record(row)
            return self._columns[index.column()].value(record) if record is not None else ""
        if role == _ALIGN:
            return self._aligns[index.column()]
        return ids[row]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(self._columns):
            query = replace(
                self._query,
                sort=self._columns[column].key,
                descending=order == Qt.SortOrder.DescendingOrder,
            )
            if not self._loaded:  # the view set its sort indicator before the first load
                self._query = query
            elif query != self._query:
                self.set_query(query)

    # ---- page cache -----------------------------------------------------------------------

    def _record(self, row: int) -> Any:
        page_no = row // PAGE_SIZE
        page = self._pages.get(page_no)
        if page is not None and page_no == self._current_page:
            return page.get(self._ids[row])
        self._current_page = page_no
        if page is None:
            ids = self._ids_to(page_no * PAGE_SIZE + PAGE_SIZE - 1)
            ids = ids[page_no * PAGE_SIZE : (page_no + 1) * PAGE_SIZE]
            previous = self._previous
            page = {i: previous[i] for i in ids if i in previous}
            missing = [i for i in ids if i not in page]
            if missing:
                page.update((r.id, r) for r in self._fetch_rows(missing))
            self._pages[page_no] = page
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page_no)
        return page.get(self._ids[row])
