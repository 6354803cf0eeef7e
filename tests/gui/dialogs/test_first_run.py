"""First run: the wizard names the business, sets the currency and the first user."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QWizard

from crm_desktop.bootstrap import AppContext
from crm_desktop.config import Preferences
from crm_desktop.domain.records import ListQuery
from crm_desktop.gui.app import first_run
from crm_desktop.gui.dialogs.first_run import FirstRunWizard


@pytest.mark.parametrize("with_demo", [False, True])
def test_first_run_wizard(
    app: AppContext, qtbot: Any, monkeypatch: pytest.MonkeyPatch, with_demo: bool
) -> None:
    assert app.settings.is_first_run()

    def fake_exec(wizard: FirstRunWizard) -> int:
        qtbot.addWidget(wizard)
        wizard.business.setText("Bäckerei Sonnenschein")
        wizard.currency.setCurrentText("CHF")
        wizard.your_name.setText("Lena Graf")
        wizard.demo.setChecked(with_demo)
        return QWizard.DialogCode.Accepted

    monkeypatch.setattr(FirstRunWizard, "exec", fake_exec)
    assert first_run(app)
    assert not app.settings.is_first_run()
    assert app.settings.get("business_name") == "Bäckerei Sonnenschein"
    assert app.settings.get("currency") == "CHF"
    assert "Lena Graf" in [u.name for u in app.users.list()]
    assert (app.contacts.count(ListQuery()) > 0) is with_demo
    me = app.users.me()
    assert me is not None and me.name == "Lena Graf"
    assert app.users.default_owner_id() == me.id
    # The next start (a new context) still knows who works on this device.
    assert Preferences.load(app.paths.preferences).user_id == me.id
    pipelines = app.pipeline.pipelines()
    assert pipelines, "a first deal needs a pipeline"
    assert [p.name for p in pipelines].count("Sales") == 1
    kinds = {s.kind for s in pipelines[0].stages}
    assert kinds == {"open", "won", "lost"}
    assert app.pipeline.reasons("lost") and app.pipeline.reasons("won")


def test_cancelling_the_wizard_changes_nothing(
    app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FirstRunWizard, "exec", lambda _w: QWizard.DialogCode.Rejected)
    assert not first_run(app)
    assert app.settings.is_first_run()


def test_cancelling_leaves_no_owner_and_no_pipeline(
    app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FirstRunWizard, "exec", lambda _w: QWizard.DialogCode.Rejected)
    assert not first_run(app)
    assert app.users.me() is None
    assert app.pipeline.pipelines() == []
