"""`crm-desktop --self-test`: proves an installed copy works on this machine.

In a temporary folder it opens a new database (running every migration), saves and
searches a contact, adds a little demo data, renders the main window offscreen, writes a
PDF and an Excel report through the report service and checks both files, and takes a
backup. One line per step with its time; exit 0, or 1 naming the step that failed.
Nothing outside the temporary folder is touched, so it is safe on a user's machine.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import platform
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from crm_desktop import __version__

log = logging.getLogger(__name__)


@dataclass
class _State:
    folder: Path
    context: Any = None
    contact_id: str = ""
    files: dict[str, Path] = field(default_factory=dict)

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
            self.context = None


def _open_database(state: _State) -> str:
    from crm_desktop.bootstrap import open_app

    state.context = open_app(state.folder / "data")
    checks = {c.name: c for c in state.context.maintenance.doctor()}
    failed = [f"{c.name}: {c.detail}" for c in checks.values() if not c.ok]
    if failed:
        raise RuntimeError("; ".join(failed))
    return f"new database, migrations run: {checks['schema'].detail}"


def _save_contact(state: _State) -> str:
    from crm_desktop.domain.records import ContactDraft, EmailEntry

    draft = ContactDraft(
        first_name="Zoë",
        last_name="Müller-Selftest",
        emails=(EmailEntry("zoe.mueller@example.com"),),
        notes="made by crm-desktop --self-test",
    )
    state.contact_id = state.context.contacts.create(draft).id
    saved = state.context.contacts.get(state.contact_id)
    if saved.last_name != draft.last_name or saved.emails[0].email != draft.emails[0].email:
        raise RuntimeError(f"read back {saved.display_name!r}, not what was saved")
    return f"saved and read back {saved.display_name}"


def _search(state: _State) -> str:
    hits = state.context.search.search("mueller selftest")
    if not any(h.id == state.contact_id for h in hits):
        raise RuntimeError(f"'mueller selftest' did not find the contact ({len(hits)} hits)")
    return f"'mueller selftest' found it among {len(hits)} hits"


def _demo_data(state: _State) -> str:
    summary = state.context.demo.generate(contacts=20, seed=1)
    return f"{summary.contacts} contacts, {summary.deals} deals, {summary.activities} activities"


def _window(state: _State) -> str:
    from crm_desktop.gui import icons
    from crm_desktop.gui.app import make_application
    from crm_desktop.gui.dialogs.contact_editor import ContactEditorDialog
    from crm_desktop.gui.main_window import MainWindow
    from crm_desktop.gui.tasks import SyncRunner

    app = make_application()
    if icons.get("contacts").isNull():  # SVG icons: resources/ and Qt's SVG plugins
        raise RuntimeError("the icons cannot be found or drawn")
    window = MainWindow(state.context, SyncRunner())
    try:
        window.resize(1100, 700)
        rows = window.contacts.contacts_model.rowCount()
        picture = window.grab()
        if picture.isNull() or picture.width() < 100:
            raise RuntimeError("the window rendered as an empty picture")
        path = state.folder / "window.png"
        if not picture.save(str(path)):
            raise RuntimeError(f"could not save the rendered window to {path}")
        if rows < 21:
            raise RuntimeError(f"the contacts list shows {rows} rows, expected 21")
        # A Designer form (ui/ loaded with QUiLoader) filled with the saved contact.
        record = state.context.contacts.get(state.contact_id)
        editor = ContactEditorDialog(state.context, record.to_draft(), state.contact_id, window)
        if editor.grab().isNull():
            raise RuntimeError("the contact editor's form did not render")
        editor.close()
    finally:
        window.save_layout = lambda: None  # type: ignore[method-assign]
        window.close()
        window.deleteLater()
        app.processEvents()
    return (
        f"{picture.width()}x{picture.height()} on {app.platformName()}, {rows} contacts "
        "listed, contact editor form loaded"
    )


def _report(state: _State) -> str:
    from crm_desktop.domain.reports import ReportFilter

    today = dt.date.today()
    filters = ReportFilter(start=today - dt.timedelta(days=365), end=today)
    reports = state.context.reports
    pdf, xlsx = state.folder / "dashboard.pdf", state.folder / "dashboard.xlsx"
    reports.export(reports.document(filters, "dashboard"), pdf_path=pdf, xlsx_path=xlsx)
    data = pdf.read_bytes() if pdf.exists() else b""
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise RuntimeError(f"{pdf} is not a complete PDF ({len(data)} bytes)")
    if not zipfile.is_zipfile(xlsx):
        raise RuntimeError(f"{xlsx} is not an Excel workbook (not a zip file)")
    with zipfile.ZipFile(xlsx) as book:
        names = set(book.namelist())
        broken = book.testzip()
    if "xl/workbook.xml" not in names or broken is not None:
        raise RuntimeError(f"{xlsx} is not a readable Excel workbook")
    return f"PDF {len(data) // 1024} KB, Excel {xlsx.stat().st_size // 1024} KB"


def _backup(state: _State) -> str:
    path = state.context.maintenance.backup()
    listed = state.context.maintenance.backups()
    if path not in listed or path.stat().st_size == 0:
        raise RuntimeError(f"the backup {path} is missing or empty")
    return f"{path.name} ({path.stat().st_size // 1024} KB)"


STEPS: tuple[tuple[str, Callable[[_State], str]], ...] = (
    ("open database", _open_database),
    ("save contact", _save_contact),
    ("search", _search),
    ("demo data", _demo_data),
    ("window", _window),
    ("report", _report),
    ("backup", _backup),
)


def _use_offscreen_without_display() -> None:
    """Render offscreen when there is no display (a server, CI, a container)."""
    unix = not sys.platform.startswith(("win", "darwin"))
    if unix and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def process_age() -> float | None:
    """Seconds since this process started (Linux; None elsewhere): the start-up cost
    before any of our code ran, including a bundle's unpacking and Python's start."""
    try:
        stat = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - int(stat[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def run(out: TextIO | None = None) -> int:
    """Run every step; returns the exit code (0 when all passed)."""
    out = out or sys.stdout
    _use_offscreen_without_display()
    age = process_age()
    started = f", started {age:.2f} s ago" if age is not None else ""
    frozen = " (bundle)" if getattr(sys, "frozen", False) else ""
    print(
        f"crm-desktop {__version__}{frozen} self-test on {platform.system()}, "
        f"Python {platform.python_version()}{started}",
        file=out,
        flush=True,
    )
    begun = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="crm-desktop-selftest-") as tmp:
        state = _State(Path(tmp))
        try:
            for name, step in STEPS:
                t0 = time.perf_counter()
                try:
                    detail = step(state)
                except Exception as exc:
                    took = time.perf_counter() - t0
                    print(f"FAIL {name:<14} {took:6.2f} s  {type(exc).__name__}: {exc}", file=out)
                    log.exception("self-test step %r failed", name)
                    traceback.print_exc(file=sys.stderr)
                    print(f"self-test FAILED at step: {name}", file=out, flush=True)
                    return 1
                took = time.perf_counter() - t0
                print(f"ok   {name:<14} {took:6.2f} s  {detail}", file=out, flush=True)
        finally:
            state.close()
    total = time.perf_counter() - begun
    print(f"self-test passed: {len(STEPS)} steps in {total:.2f} s", file=out, flush=True)
    log.info("self-test passed in %.2f s", total)
    return 0
