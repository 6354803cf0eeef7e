"""The paged list model: a search typed on reuses the rows the previous query fetched,
never rows kept from before a change; the count of everyone comes from its own ids; a
list without a search reads its first page's ids and its count, the rest when wanted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import Qt

from crm_desktop.domain.records import ListQuery, Trash
from crm_desktop.gui.models.paged import PAGE_SIZE, Column, PagedTableModel


@dataclass(frozen=True)
class Row:
    id: str
    name: str


class People:
    def __init__(self) -> None:
        self.names = {f"{i:04}": f"Name {i}" for i in range(1, 51)}  # one page
        self.fetched: list[str] = []
        self.firsts = 0

    def ids(self, query: ListQuery) -> list[str]:
        return sorted(i for i, name in self.names.items() if query.search in name)

    def first(self, query: ListQuery, limit: int) -> tuple[list[str], int]:
        self.firsts += 1
        ids = self.ids(query)
        return ids[:limit], len(ids)

    def rows(self, ids: Sequence[str]) -> list[Row]:
        self.fetched += ids
        return [Row(i, self.names[i]) for i in ids]


def model(people: People) -> PagedTableModel:
    found = PagedTableModel([Column("name", "Name", lambda r: r.name)], people.ids, people.rows)
    found.set_query(ListQuery())
    return found


def names(list_model: PagedTableModel, rows: int) -> list[Any]:
    return [list_model.data(list_model.index(r, 0)) for r in range(rows)]


def test_a_narrower_search_reuses_the_rows_already_fetched() -> None:
    people = People()
    shown = model(people)
    assert names(shown, 2) == ["Name 1", "Name 2"]
    people.fetched.clear()
    shown.set_search("Name 1")  # every row it shows was fetched for everyone
    assert names(shown, 3) == ["Name 1", "Name 10", "Name 11"]
    assert people.fetched == []


def test_rows_from_before_a_change_are_read_again() -> None:
    people = People()
    shown = model(people)
    names(shown, 2)
    people.names["0010"] = "Name 10 (renamed)"
    shown.reload_changed([])  # a change elsewhere: the same ids, no row named
    people.fetched.clear()
    shown.set_search("Name 1")
    assert names(shown, 2) == ["Name 1", "Name 10 (renamed)"]
    assert "0010" in people.fetched


def test_the_count_of_everyone_comes_from_the_list_when_it_shows_everyone() -> None:
    shown = model(People())
    assert shown.count_if_unfiltered() == 50
    shown.sort(0, Qt.SortOrder.DescendingOrder)  # in any order
    assert shown.count_if_unfiltered() == 50
    shown.set_search("Name 1")
    assert shown.count_if_unfiltered() is None
    shown.set_query(replace(ListQuery(), trash=Trash.ONLY))
    assert shown.count_if_unfiltered() is None


class Counted(People):
    """People whose every full read of the ids is counted."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.names = {f"{i:04}": f"Name {i}" for i in range(1, count + 1)}
        self.full_reads = 0

    def ids(self, query: ListQuery) -> list[str]:
        self.full_reads += 1
        return super().ids(query)

    def first(self, query: ListQuery, limit: int) -> tuple[list[str], int]:
        self.full_reads -= 1  # its own read of the ids stands for the two SQL queries
        return super().first(query, limit)


def first_page_model(people: Counted) -> PagedTableModel:
    found = PagedTableModel(
        [Column("name", "Name", lambda r: r.name)], people.ids, people.rows, None, people.first
    )
    found.set_query(ListQuery())
    return found


def test_everyone_shows_the_first_page_without_reading_every_id() -> None:
    people = Counted(3 * PAGE_SIZE)
    shown = first_page_model(people)
    assert shown.rowCount() == 3 * PAGE_SIZE and shown.count_if_unfiltered() == 3 * PAGE_SIZE
    assert names(shown, 2) == ["Name 1", "Name 2"] and shown.id_at(PAGE_SIZE - 1) == "0100"
    assert people.full_reads == 0
    assert shown.data(shown.index(PAGE_SIZE, 0)) == f"Name {PAGE_SIZE + 1}"  # read now
    assert people.full_reads == 1
    assert shown.all_ids() == sorted(people.names) and people.full_reads == 1


def test_a_search_reads_all_its_ids_and_clearing_it_reads_the_first_page_again() -> None:
    people = Counted(3 * PAGE_SIZE)
    shown = first_page_model(people)
    shown.set_search("Name 2")
    assert (people.firsts, people.full_reads) == (1, 1)
    assert shown.rowCount() == len(people.ids(ListQuery(search="Name 2")))
    shown.set_search("")
    assert people.firsts == 2 and shown.rowCount() == 3 * PAGE_SIZE


def test_a_change_to_a_list_read_in_part_keeps_it_unless_its_ids_changed() -> None:
    people = Counted(2 * PAGE_SIZE)
    shown = first_page_model(people)
    names(shown, 2)
    people.names["0002"] = "Name 2 (renamed)"
    people.fetched.clear()
    shown.reload_changed(["0002"])  # the same ids in the same order: all read now
    assert people.firsts == 1 and shown.id_at(2 * PAGE_SIZE - 1) == f"{2 * PAGE_SIZE:04}"
    assert names(shown, 2) == ["Name 1", "Name 2 (renamed)"] and "0002" in people.fetched
    del people.names["0001"]
    shown.reload_changed(["0001"])  # an id went: the list is queried again
    assert people.firsts == 2 and shown.rowCount() == 2 * PAGE_SIZE - 1


def test_ids_read_after_a_change_are_announced_as_a_new_list(qtbot: Any) -> None:
    people = Counted(2 * PAGE_SIZE)
    shown = first_page_model(people)
    people.names["0000"] = "Name 0"  # someone new, before the rest is read
    with qtbot.waitSignal(shown.modelReset):
        assert shown.id_at(PAGE_SIZE + 1) == f"{PAGE_SIZE + 1:04}"  # the list as it is now
    assert shown.rowCount() == 2 * PAGE_SIZE + 1
