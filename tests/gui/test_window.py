"""The window opens on real data; the list model passes Qt's model tester."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import ListQuery
from crm_desktop.gui.app import MainWindow
from crm_desktop.gui.models.contacts import CompanyTableModel, ContactTableModel


def test_contact_model_passes_the_model_tester(demo_app: AppContext, qtmodeltester: Any) -> None:
    model = ContactTableModel(demo_app.contacts)
    model.set_query(ListQuery())
    qtmodeltester.check(model)
    assert model.rowCount() == 300


def test_company_model_passes_the_model_tester(demo_app: AppContext, qtmodeltester: Any) -> None:
    model = CompanyTableModel(demo_app.companies)
    model.set_query(ListQuery())
    qtmodeltester.check(model)


def test_sorting_by_a_header_sorts_in_sql(demo_app: AppContext) -> None:
    model = ContactTableModel(demo_app.contacts)
    model.set_query(ListQuery())
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert model.query.sort == "name" and model.query.descending
    first = model.data(model.index(0, 0))
    expected = demo_app.contacts.rows(
        demo_app.contacts.ids(ListQuery(sort="name", descending=True))[:1]
    )[0].display_name
    assert first == expected


def test_window_search_as_you_type(demo_app: AppContext, qtbot: Any) -> None:
    window = MainWindow(demo_app)
    qtbot.addWidget(window)
    view = window.contacts_view
    # QTest types ASCII keys only (a non-ASCII key click aborts offscreen); the search
    # folds accents, so typing "muller" must find every Müller.
    qtbot.keyClicks(view.search, "muller")
    qtbot.waitUntil(lambda: window.contacts_model.query.search == "muller", timeout=3000)
    model = window.contacts_model
    expected = demo_app.contacts.count(ListQuery(search="müller"))
    assert 0 < model.rowCount() == expected < 300
    names = [model.data(model.index(r, 0)) for r in range(model.rowCount())]
    assert names and all("Müller" in n for n in names)


def test_sections_switch_views(demo_app: AppContext, qtbot: Any) -> None:
    window = MainWindow(demo_app)
    qtbot.addWidget(window)
    window.sidebar.setCurrentRow(1)
    assert window.stack.currentWidget() is window.companies_view
    window.sidebar.setCurrentRow(2)
    assert isinstance(window.stack.currentWidget(), QLabel)
