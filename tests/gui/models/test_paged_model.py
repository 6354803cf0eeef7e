"""The paged list model: a search typed on reuses the rows the previous query fetched,
never rows kept from before a change; the count of everyone comes from its own ids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import Qt

from crm_desktop.domain.records import ListQuery, Trash
from crm_desktop.gui.models.paged import Column, PagedTableModel


@dataclass(frozen=True)
class Row:
    id: str
    name: str


class People:
    def __init__(self) -> None:
        self.names = {f"{i:04}": f"Name {i}" for i in range(1, 51)}  # one page
        self.fetched: list[str] = []

    def ids(self, query: ListQuery) -> list[str]:
        return sorted(i for i, name in self.names.items() if query.search in name)

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
