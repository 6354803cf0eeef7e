"""The quick search of `crm-desktop search`: read straight from the database file when its
schema is current, the same hits as the search service; otherwise the usual way."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.cli import main
from crm_desktop.persistence import database
from crm_desktop.services.search import search_file, search_without_opening

# The quick search reads the SQLite file itself: not run against PostgreSQL.
pytestmark = pytest.mark.sqlite_only


@pytest.mark.parametrize("query", ["müller", "muller", "gmbh", "an", "anna m", "zz", " "])
def test_the_file_gives_the_same_hits_as_the_service(demo_app: AppContext, query: str) -> None:
    assert search_file(demo_app.paths.database, query, 20) == demo_app.search.search(query, 20)


def test_an_older_schema_or_no_file_is_left_to_the_usual_way(
    demo_app: AppContext, tmp_path: Path
) -> None:
    assert search_file(tmp_path / "none.sqlite", "müller") is None
    path = demo_app.paths.database
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0002'")
    assert search_file(path, "müller") is None
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (database.HEAD_REVISION,))
    assert search_file(path, "müller")
    assert search_without_opening(demo_app.paths.data_dir, "postgresql://x/y", "a", 5) is None


def test_search_on_a_folder_without_data_says_so_and_makes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(tmp_path / "new"), "search", "anyone"]) == 1
    assert "no database in" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()  # a mistyped --data-dir makes no empty database


def test_a_search_command_imports_only_what_it_needs(demo_app: AppContext) -> None:
    # Not the database layer (SQLAlchemy, Alembic), not the composition root, not the
    # other commands' modules or the records they use, not the default folders' lookup.
    unwanted = [
        "sqlalchemy",
        "alembic",
        "crm_desktop.bootstrap",
        "crm_desktop.cli_campaigns",
        "crm_desktop.cli_segments",
        "crm_desktop.cli_consent",
        "crm_desktop.cli_sync",
        "crm_desktop.cli_server",
        "crm_desktop.domain.records",
        "crm_desktop.domain.reports",
        "platformdirs",
    ]
    probe = (
        "import sys; from crm_desktop.cli import main; "
        f"code = main(['--data-dir', {str(demo_app.paths.data_dir)!r}, 'search', 'müller']); "
        f"loaded = sorted(m for m in {unwanted!r} if m in sys.modules); "
        "print('LOADED', loaded, code)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().endswith("LOADED [] 0")
