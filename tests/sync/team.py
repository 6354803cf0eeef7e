"""A simulated team for the folder tests: devices with data folders of their own (made by
the app's own bootstrap) and, for each, its own copy of the team folder, as Dropbox or
Syncthing keeps one per computer. A mover copies files between the copies late, out of
order, twice, cut short first, or also under a sync client's conflicted-copy name."""

from __future__ import annotations

import random
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.domain.sync import SyncReport
from crm_desktop.persistence.models import SYNCED_TABLES

TEMPLATE_SKIP = shutil.ignore_patterns("logs", "backups", "*-wal", "*-shm")


def make_template(folder: Path) -> Path:
    """A migrated, empty data folder to copy devices from (a migration takes a second)."""
    context = open_app(folder)
    with context.database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    context.close()
    return folder


def device_id(number: int) -> str:
    return f"{number:08d}-0000-4000-8000-000000000000"


def open_device(template: Path, folder: Path, device: str) -> AppContext:
    """A device made from the template with an id of its own."""
    shutil.copytree(template, folder, ignore=TEMPLATE_SKIP)
    with sqlite3.connect(folder / "crm.sqlite") as conn:
        conn.execute("UPDATE local_meta SET value = ? WHERE key = 'device_id'", (device,))
    conn.close()
    return open_app(folder)


def snapshot(context: AppContext) -> dict[str, Any]:
    """Every synced row (without the local edit time), every field clock, the change log
    and the open conflicts: what must agree on every device."""
    tables: dict[str, Any] = {}
    with context.database.engine.connect() as conn:
        for name in sorted(SYNCED_TABLES):
            rows = conn.execute(text(f"SELECT * FROM {name} ORDER BY id")).mappings()
            tables[name] = [{k: v for k, v in r.items() if k != "updated_at"} for r in rows]
        tables["clocks"] = sorted(
            tuple(r)
            for r in conn.execute(
                text("SELECT entity, row_id, field, max(hlc) FROM change GROUP BY 1, 2, 3")
            )
        )
        tables["log"] = sorted(
            tuple(r)
            for r in conn.execute(
                text("SELECT device_id, seq, hlc, entity, row_id, field, value FROM change")
            )
        )
    tables["conflicts"] = context.sync.conflicts()
    return tables


@dataclass
class Member:
    context: AppContext
    team: Path  # this device's copy of the team folder

    @property
    def device_id(self) -> str:
        return self.context.database.device_id

    def sync(self) -> SyncReport:
        return self.context.sync.round(self.team)

    def place(self, device: str, kind: str = "devices") -> Path:
        """A device's place in this copy of the team folder (`devices` or `snapshots`)."""
        return self.team / "crm-sync" / "v1" / kind / device


class Team:
    """Devices and the mover between their team folder copies."""

    def __init__(self, template: Path, root: Path, size: int) -> None:
        self.members: list[Member] = []
        for number in range(size):
            context = open_device(template, root / f"dev{number}", device_id(number + 1))
            team = root / f"team{number}"
            team.mkdir()
            self.members.append(Member(context, team))

    def close(self) -> None:
        for member in self.members:
            member.context.close()

    def pending(self) -> list[tuple[Member, Member, str]]:
        """(from, to, file name) of every file not yet whole at its destination (a
        snapshot's files named `snapshots/<name>`; archived files stay where they are)."""
        found: list[tuple[Member, Member, str]] = []
        for source in self.members:
            for kind, prefix in (("devices", ""), ("snapshots", "snapshots/")):
                place = source.place(source.device_id, kind)
                if not place.is_dir():
                    continue
                for path in sorted(place.iterdir()):
                    if path.name.startswith(".") or path.is_dir():
                        continue
                    for target in self.members:
                        if target is source:
                            continue
                        there = target.place(source.device_id, kind) / path.name
                        if not there.exists() or there.read_bytes() != path.read_bytes():
                            found.append((source, target, prefix + path.name))
        return found

    @staticmethod
    def where(member: Member, device: str, name: str) -> Path:
        """The path of a file `pending` names, in a member's copy of the team folder."""
        if name.startswith("snapshots/"):
            return member.place(device, "snapshots") / name.removeprefix("snapshots/")
        return member.place(device) / name

    def move(self, rnd: random.Random, count: int) -> None:
        """Deliver up to `count` random files, some of them cut short (whole later), some
        also as a conflicted copy, some twice."""
        for source, target, pending in self._pick(rnd, count):
            data = self.where(source, source.device_id, pending).read_bytes()
            path = self.where(target, source.device_id, pending)
            there, name = path.parent, path.name
            there.mkdir(parents=True, exist_ok=True)
            roll = rnd.random()
            if roll < 0.2:
                (there / name).write_bytes(data[: rnd.randrange(len(data))])
            elif roll < 0.3:
                (there / f"{name} (conflicted copy 2026-11-24)").write_bytes(data)
                (there / name.replace(".jsonl", ".sync-conflict-1.jsonl")).write_bytes(data)
            else:
                (there / name).write_bytes(data)

    def _pick(self, rnd: random.Random, count: int) -> list[tuple[Member, Member, str]]:
        pending = self.pending()
        rnd.shuffle(pending)
        return pending[:count]

    def flush(self) -> None:
        """Every file whole everywhere."""
        for source, target, name in self.pending():
            there = self.where(target, source.device_id, name)
            there.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.where(source, source.device_id, name), there)

    def settle(self) -> None:
        """Rounds and deliveries until every device has everything."""
        for _ in range(2):
            for member in self.members:
                member.sync()
            self.flush()
        for member in self.members:
            member.sync()


@contextmanager
def temporary_team(template: Path, size: int) -> Iterator[Team]:
    """A team of `size` devices in a temporary folder, closed and removed afterwards."""
    with tempfile.TemporaryDirectory() as root:
        team = Team(template, Path(root), size)
        try:
            yield team
        finally:
            team.close()
