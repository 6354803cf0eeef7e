"""Two real processes on two data folders share one team folder through the command
line, and edit the same contact at the same time (one field to the same value, one to
different values): after two rounds each, both export the same contacts and both list
the one conflict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

EDIT = """
import sys
from dataclasses import replace
from crm_desktop.bootstrap import open_app
from crm_desktop.domain.records import ListQuery
app = open_app(sys.argv[1])
sys.stdout.write("ready\\n"); sys.stdout.flush()
sys.stdin.readline()  # both processes edit once both are ready
contact_id = app.contacts.ids(ListQuery())[0]
draft = app.contacts.get(contact_id).to_draft()
app.contacts.update(contact_id, replace(draft, lead_source="Trade fair", notes=sys.argv[2]))
app.close()
"""


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "crm_desktop", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


def test_two_processes_editing_one_contact_agree(tmp_path: Path) -> None:
    team = tmp_path / "Dropbox" / "Team-CRM"
    team.mkdir(parents=True)
    anna, ben = tmp_path / "anna", tmp_path / "ben"
    source = tmp_path / "one.csv"
    source.write_text("First Name,Last Name,E-mail 1 - Value\nMaria,Lindner,maria@example.com\n")
    assert _cli("--data-dir", str(anna), "import", "contacts", str(source)).returncode == 0
    for folder in (anna, ben):  # anna creates the team, ben joins and receives Maria
        done = _cli("--data-dir", str(folder), "sync", "--folder", str(team))
        assert done.returncode == 0, done.stderr
    # Both edit Maria at the same moment, in two processes of their own.
    editors = [
        subprocess.Popen(
            [sys.executable, "-c", EDIT, str(folder), note],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for folder, note in ((anna, "Called by Anna"), (ben, "Called by Ben"))
    ]
    for editor in editors:
        assert editor.stdout is not None and editor.stdout.readline() == "ready\n"
    for editor in editors:
        assert editor.stdin is not None
        editor.stdin.write("go\n")
        editor.stdin.flush()
    for editor in editors:
        assert editor.wait(timeout=300) == 0
        for pipe in (editor.stdin, editor.stdout):
            if pipe is not None:
                pipe.close()
    for _ in range(2):
        for folder in (anna, ben):
            done = _cli("--data-dir", str(folder), "sync")
            assert done.returncode == 0, done.stderr
    exports = []
    for folder in (anna, ben):
        target = tmp_path / f"{folder.name}.csv"
        assert _cli("--data-dir", str(folder), "export", "contacts", str(target)).returncode == 0
        exports.append(target.read_text(encoding="utf-8-sig"))
    assert exports[0] == exports[1]
    assert "Trade fair" in exports[0]
    lists = []
    for folder in (anna, ben):
        listed = _cli("--data-dir", str(folder), "--json", "conflicts")
        assert listed.returncode == 0, listed.stderr
        lists.append(json.loads(listed.stdout))
    conflicts = [lists[0], lists[1]]
    for found in conflicts:
        records = found if isinstance(found, list) else found.get("conflicts", [])
        assert len(records) == 1, found
        assert records[0]["field"] == "notes"
