"""Kill -9 in the middle of a stream of saves loses no committed save and corrupts nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from crm_desktop.bootstrap import open_app

WRITER = """
import sys
from crm_desktop.bootstrap import open_app
from crm_desktop.domain.records import ContactDraft, EmailEntry
app = open_app(sys.argv[1])
for i in range(100_000):
    saved = app.contacts.create(ContactDraft(first_name=f"Crash{i}", last_name="Test",
                                             emails=(EmailEntry(f"c{i}@example.com"),)))
    print(saved.id, flush=True)  # printed only after the commit returned
"""


def test_kill_9_mid_stream_loses_no_committed_save(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data)], stdout=subprocess.PIPE, text=True
    )
    committed: list[str] = []
    assert proc.stdout is not None
    while len(committed) < 150:
        line = proc.stdout.readline()
        assert line, "the writer stopped on its own"
        committed.append(line.strip())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL

    app = open_app(data)
    try:
        for contact_id in committed:
            assert app.contacts.get(contact_id).first_name.startswith("Crash")
        checks = {c.name: c for c in app.maintenance.doctor()}
        assert checks["integrity"].ok, checks["integrity"].detail
        assert checks["change log"].ok, checks["change log"].detail
        assert checks["search index"].ok, checks["search index"].detail
    finally:
        app.close()
