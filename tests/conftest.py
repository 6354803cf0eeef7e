"""Shared fixtures. Qt runs offscreen; every test gets its own data folder."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# No test reaches the machine's keyring: keyring's own "fail" backend, unless a test sets
# an in-memory one itself.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_desktop.bootstrap import AppContext, open_app
from tests import databases

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


_BOTH_DATABASES = ("tests/integration/",)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The integration and service tests that use `app` run on SQLite and, when
    CRM_DESKTOP_TEST_DATABASE_URL names a PostgreSQL server, on PostgreSQL too."""
    if "database_url" not in metafunc.fixturenames:
        return
    where = Path(str(metafunc.definition.fspath)).as_posix()
    both = databases.server_url() is not None and any(part in where for part in _BOTH_DATABASES)
    if both and metafunc.definition.get_closest_marker("sqlite_only") is None:
        metafunc.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for the data folder's SQLite file, or the URL of a fresh PostgreSQL database."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield None
        return
    url = databases.new_database()
    yield url
    databases.drop_database(url)


@pytest.fixture(scope="session", autouse=True)
def _drop_template_database() -> Iterator[None]:
    yield
    if databases.server_url() is not None:
        databases.drop_template()


@pytest.fixture
def app(data_dir: Path, database_url: str | None) -> Iterator[AppContext]:
    context = open_app(data_dir, database_url=database_url)
    yield context
    context.close()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database file, made and migrated once per test session (`fast_app`)."""
    folder = tmp_path_factory.mktemp("migrated") / "data"
    open_app(folder).close()
    return folder / "crm.sqlite"


@pytest.fixture
def fast_app(data_dir: Path, migrated_database: Path) -> Iterator[AppContext]:
    """The app over an empty SQLite database, for fast service tests: a copy of
    `migrated_database`, so nothing is created or migrated here (`app` does both, on
    each database the tests run on). Every copy has the template's device id."""
    data_dir.mkdir(parents=True)
    shutil.copyfile(migrated_database, data_dir / migrated_database.name)
    context = open_app(data_dir)
    yield context
    context.close()


@pytest.fixture
def demo_app(app: AppContext) -> AppContext:
    app.demo.generate(contacts=300, seed=7, today=TODAY)
    return app
