"""Shared fixtures. Qt runs offscreen; every test gets its own data folder."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_desktop.bootstrap import AppContext, open_app

TODAY = dt.date(2026, 11, 22)


@pytest.fixture(autouse=True)
def neutral_formats() -> Iterator[None]:
    """Each test starts and ends with the neutral formats ("1,234.50 EUR", "17 May 2026"):
    a test of the window as the app starts it takes the machine's locale."""
    from crm_desktop.domain import formatting

    formatting.use_locale("C")
    formatting.use_currency("")
    yield
    formatting.use_locale("C")
    formatting.use_currency("")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def app(data_dir: Path) -> Iterator[AppContext]:
    context = open_app(data_dir)
    yield context
    context.close()


@pytest.fixture
def demo_app(app: AppContext) -> AppContext:
    app.demo.generate(contacts=300, seed=7, today=TODAY)
    return app
