"""Apply benchmark: 10,000 change rows from another device.

    uv run python -m tests.benchmarks.apply [--changes 10000] [--runs 5]

Device A makes contacts (each with an e-mail and a phone: three rows created) and then
edits two fields of as many of them as it takes to reach the number of changes. Device
B, a fresh database, applies all of A's rows in one call (`ChangeLogService.apply`:
duplicate check, per-field clocks, typed decoding, data, derived columns, search index).
Baseline, in the same run on a copy of the same fresh database: raw sqlite3 storing the
same change rows and writing their values blindly (an INSERT per created row, an UPDATE
per edited field; no merge, no decoding, no search, no derived columns).
Bar: under 1 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any


def _make_changes(folder: Path, changes: int) -> list[Any]:
    from crm_desktop.bootstrap import open_app
    from crm_desktop.domain.records import ContactDraft, EmailEntry, PhoneEntry
    from crm_desktop.persistence.models import Contact

    source = open_app(folder)
    people = changes * 3 // 10 // 3  # 30 % of the rows create people, 70 % edit them
    drafts = [
        ContactDraft(
            first_name=f"First{i}",
            last_name=f"Last{i}",
            emails=(EmailEntry(f"p{i}@example.org", "work"),),
            phones=(PhoneEntry(f"+4930{i:07d}", "mobile"),),
        )
        for i in range(people)
    ]
    source.contacts.create_many(drafts)
    have = len(source.changelog.rows())
    edits = (changes - have) // 2
    with source.uow() as uow:
        contacts = uow.repository(Contact).all()
        for n in range(edits):
            contact = contacts[n % len(contacts)]
            contact.notes = f"note {n}"
            contact.last_name = f"Edited{n}"
            if n % len(contacts) == len(contacts) - 1:
                uow.session.flush()  # the next round edits the same rows again
        uow.commit()
    rows = source.changelog.rows()
    source.close()
    return rows


def _baseline(database: Path, rows: list[Any]) -> float:
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO change (device_id, seq, hlc, entity, row_id, field, value, base_hlc)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (r.device_id, r.seq, r.hlc, r.entity, r.row_id, r.field, r.value, r.base_hlc)
            for r in rows
        ],
    )
    inserts: dict[tuple[str, tuple[str, ...]], list[tuple[Any, ...]]] = defaultdict(list)
    updates: dict[tuple[str, str], list[tuple[Any, str]]] = defaultdict(list)
    filler: dict[str, dict[str, Any]] = {}  # a NOT NULL column left out: 0 or ""
    for r in rows:
        if r.field == "*":
            if r.entity not in filler:
                info = conn.execute(f"PRAGMA table_info({r.entity})").fetchall()
                filler[r.entity] = {
                    name: 0 if kind.upper() in ("INTEGER", "BIGINT", "BOOLEAN") else ""
                    for _, name, kind, notnull, _, _ in info
                    if notnull and name != "id"
                }
            values = {**filler[r.entity], "updated_at": r.hlc, **json.loads(r.value)}
            keys = ("id", *sorted(values))
            inserts[(r.entity, keys)].append((r.row_id, *(values[k] for k in keys[1:])))
        else:
            updates[(r.entity, r.field)].append((json.loads(r.value), r.row_id))
    conn.execute("PRAGMA defer_foreign_keys=ON")
    for (table, keys), values in inserts.items():
        marks = ", ".join("?" for _ in keys)
        conn.executemany(f"INSERT INTO {table} ({', '.join(keys)}) VALUES ({marks})", values)
    for (table, field), values in updates.items():
        conn.executemany(f"UPDATE {table} SET {field} = ? WHERE id = ?", values)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from crm_desktop.bootstrap import open_app

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = _make_changes(root / "a", args.changes)
        fresh = open_app(root / "fresh")  # migrated, empty: copied for every run
        assert fresh.database.path is not None
        template = fresh.database.path
        with fresh.database.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        fresh.close()
        ours: list[float] = []
        raw: list[float] = []
        for run in range(args.runs):
            folder = root / f"b{run}"
            folder.mkdir()
            shutil.copy(template, folder / template.name)
            target = open_app(folder)
            started = time.perf_counter()
            result = target.changelog.apply(rows)
            ours.append(time.perf_counter() - started)
            assert result.stored == len(rows) and result.pending == 0
            target.close()
            copy = root / f"raw{run}.sqlite"
            shutil.copy(template, copy)
            raw.append(_baseline(copy, rows))
        median, baseline = statistics.median(ours), statistics.median(raw)
        print(f"apply of {len(rows):,} change rows from another device ({args.runs} runs)")
        print(f"{'':32} {'median':>9} {'best':>9}")
        print(f"{'ChangeLogService.apply':32} {median:8.3f}s {min(ours):8.3f}s")
        print(f"{'raw sqlite3, blind writes':32} {baseline:8.3f}s {min(raw):8.3f}s")
        print(f"ratio: {median / baseline:.1f} x the raw baseline; bar: under 1 s")


if __name__ == "__main__":
    main()
