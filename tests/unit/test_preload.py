"""The window's process imports the core before Qt (`bootstrap.preload`): all of what
`open_app` imports, with the collector paused meanwhile and running again afterwards."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

from crm_desktop import bootstrap


def test_preload_imports_every_module_open_app_imports() -> None:
    source = inspect.getsource(bootstrap.open_app)
    needed = set(re.findall(r"from (crm_desktop\.[\w.]+) import", source))
    preloaded = set(bootstrap._OPEN_APP_MODULES)
    # The engine comes with the database module; everything else must be listed.
    assert needed - preloaded <= {"crm_desktop.persistence.engine"}


def test_preload_leaves_the_collector_running_and_the_core_out_of_its_walks() -> None:
    probe = (
        "import gc; from crm_desktop.bootstrap import preload; preload(); "
        "print('GC', gc.isenabled(), gc.get_freeze_count() > 10_000)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().endswith("GC True True")


def test_preload_in_a_process_with_qt_leaves_the_collector_alone() -> None:
    probe = (
        "import gc, PySide6.QtCore; from crm_desktop.bootstrap import preload; preload(); "
        "print('GC', gc.isenabled(), gc.get_freeze_count())"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().endswith("GC True 0")


def test_the_first_page_of_the_window_needs_nothing_of_the_core_that_preload_leaves(
    tmp_path: Path,
) -> None:
    """Services are made when first used; those the window's first page uses are among
    what `preload` imports, so none is imported after Qt (slower then) before it is shown."""
    probe = (
        "import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from crm_desktop.bootstrap import preload, open_app; preload()\n"
        "before = set(sys.modules)\n"
        "from crm_desktop.gui.app import make_application\n"
        "from crm_desktop.gui.main_window import MainWindow\n"
        "app = make_application(); window = MainWindow(open_app(sys.argv[1]))\n"
        "window.show(); app.processEvents()\n"
        "core = ('crm_desktop.services', 'crm_desktop.persistence', 'crm_desktop.sync', "
        "'sqlalchemy', 'alembic')\n"
        "print('LATE', sorted(m for m in set(sys.modules) - before if m.startswith(core)))\n"
        "window.close()\n"
    )
    bootstrap.open_app(tmp_path).close()  # the schema is made now, not in the probe
    out = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "LATE []"
