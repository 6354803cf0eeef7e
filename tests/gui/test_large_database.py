"""The window opens on a 100,000-contact database and stays usable (no timing asserted
here: the figures are in tests/benchmarks/window.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.domain.records import ListQuery
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.tasks import SyncRunner


@pytest.fixture(scope="module")
def big_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    context = open_app(Path(tmp_path_factory.mktemp("big")) / "data")
    context.demo.generate(contacts=100_000, seed=5, today=dt.date(2026, 11, 22))
    yield context
    context.close()


@pytest.mark.timeout(600)
def test_window_opens_on_100k_contacts(big_app: AppContext, qtbot: Any) -> None:
    window = MainWindow(big_app, SyncRunner())
    qtbot.addWidget(window)
    window.show()
    model = window.contacts.contacts_model
    assert model.rowCount() == 100_000
    last = model.data(model.index(99_999, 0))  # the last page is fetched on demand
    assert last
    window.contacts_view.search.setText("müller")
    window.contacts_view.apply_filters()
    expected = big_app.contacts.count(ListQuery(search="müller"))
    assert 0 < model.rowCount() == expected
    window.sidebar.setCurrentRow(2)  # the board is built when shown
    # Open deals only: won and lost ones are shown when asked for.
    assert sum(len(c.cards_data()) for c in window.pipeline_view.columns) > 5_000
