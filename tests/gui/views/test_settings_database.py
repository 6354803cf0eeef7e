"""Settings › Database: the page says which database this device opens, tries a server
before switching to it, keeps the password out of the preferences file."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.gui.views.settings_database import DatabaseBox
from tests import databases


@pytest.fixture
def box(app: AppContext, qtbot: Any) -> DatabaseBox:
    widget = DatabaseBox(app)
    qtbot.addWidget(widget)
    return widget


def test_the_page_names_the_local_file(box: DatabaseBox, app: AppContext) -> None:
    assert str(app.database.path) in box.current.text()


def test_a_bad_address_is_one_clear_line(box: DatabaseBox, app: AppContext) -> None:
    box.url.setText("mysql://someone@host/crm")
    box.use.click()
    assert box.result.text().startswith("a server address starts with postgresql://")
    assert "\n" not in box.result.text()
    box.url.setText("postgresql://nobody@127.0.0.1:1/crm")
    box.test.click()
    assert box.result.text().startswith("cannot connect to postgresql+psycopg://nobody@")
    assert (
        not app.paths.preferences.exists()
        or "database_url" not in json.loads(app.paths.preferences.read_text())
        or not json.loads(app.paths.preferences.read_text())["database_url"]
    )


@pytest.mark.skipif(databases.server_url() is None, reason="no PostgreSQL server given")
def test_a_server_is_tried_then_chosen_without_its_password(
    box: DatabaseBox, app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept: list[tuple[str, str]] = []
    monkeypatch.setattr(
        "crm_desktop.services.databases.remember_password", lambda u, p: kept.append((u, p))
    )
    url = databases.new_database()
    try:
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        box.url.setText(plain)
        box.password.setText("not-in-a-file")
        box.test.click()
        assert box.result.text().startswith("PostgreSQL ")
        assert "a crm-desktop database" in box.result.text()
        box.use.click()
        saved = json.loads(app.paths.preferences.read_text())
        assert saved["database_url"].startswith("postgresql+psycopg://")
        assert "not-in-a-file" not in app.paths.preferences.read_text()
        assert kept and kept[0][1] == "not-in-a-file"
        box.local.click()
        assert json.loads(app.paths.preferences.read_text())["database_url"] == ""
    finally:
        databases.drop_database(url)
