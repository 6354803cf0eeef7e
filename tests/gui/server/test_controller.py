"""On a shared PostgreSQL server, a change someone else commits reaches the open window
by itself (the server's notification, not a timer) and the selection stays."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.tasks import SyncRunner
from tests import databases
from tests.conftest import TODAY

pytestmark = pytest.mark.skipif(databases.server_url() is None, reason="no PostgreSQL server given")


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[tuple[AppContext, AppContext]]:
    url = databases.new_database()
    mine = open_app(tmp_path / "mine", database_url=url)
    mine.demo.generate(contacts=40, seed=2, today=TODAY)
    theirs = open_app(tmp_path / "theirs", database_url=url)
    yield mine, theirs
    theirs.close()
    mine.close()
    databases.drop_database(url)


def test_a_colleagues_edit_appears_and_the_selection_stays(
    shared: tuple[AppContext, AppContext], qtbot: Any
) -> None:
    mine, theirs = shared
    window = MainWindow(mine, SyncRunner())
    qtbot.addWidget(window)

    try:
        model = window.contacts.contacts_model
        view = window.contacts_view
        view.table.selectRow(2)
        chosen = model.id_at(2)
        draft = theirs.contacts.get(chosen).to_draft()
        theirs.contacts.update(chosen, replace(draft, last_name="Zwölfer-Changed"))
        qtbot.waitUntil(
            lambda: any(
                "Zwölfer-Changed" in str(model.index(r, c).data())
                for r in range(model.rowCount())
                for c in range(model.columnCount())
            ),
            timeout=30_000,
        )
        selected = view.table.selectionModel().selectedRows()
        assert [model.id_at(i.row()) for i in selected] == [chosen]
    finally:
        window.server.stop()
