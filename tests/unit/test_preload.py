"""The window's process imports the core before Qt (`bootstrap.preload`): all of what
`open_app` imports, with the collector paused meanwhile and running again afterwards."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys

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
