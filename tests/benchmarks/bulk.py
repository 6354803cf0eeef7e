"""Bulk edit benchmark: tag 5,000 of 100,000 contacts and undo it, each as one step.

    uv run python -m tests.benchmarks.bulk [--contacts 100000] [--selected 5000]

Fills a database with N contacts through the bulk insert path (`create_many`, as in
run.py), then times, median of several rounds, `BulkService.tag` of a selection and
`BulkService.undo` of it (and the same for `set_owner`), each one transaction with its
change records. Baseline, measured in the same run on the same database: the raw sqlite3
statements a person would write for the same rows (INSERT of the taggings; UPDATE of
their deleted_at; UPDATE of the owners), without change records or layers. Bar: each
operation under 1 s at 100,000 contacts.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from crm_desktop.bootstrap import open_app
from crm_desktop.domain.records import ListQuery
from crm_desktop.persistence.models import new_id
from tests.benchmarks.run import drafts

ROUNDS = 5
STAMP = "2026-11-22 10:00:00.000000"


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def raw_tag_and_undo(database: Path, ids: list[str]) -> tuple[float, float]:
    """The hand-written sqlite3 baseline: one INSERT per tagging, then one UPDATE of
    their deleted_at, each in one transaction (no change records, no search upkeep)."""
    conn = sqlite3.connect(database, isolation_level=None)
    tag_id = new_id()
    conn.execute(
        "INSERT INTO tags (id, name, color, created_at, updated_at) VALUES (?, ?, '', ?, ?)",
        (tag_id, f"raw {tag_id[-6:]}", STAMP, STAMP),
    )
    rows = [(new_id(), tag_id, i, STAMP, STAMP) for i in ids]

    def tag() -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO taggings (id, tag_id, target_id, target_kind, created_at, updated_at) "
            "VALUES (?, ?, ?, 'contact', ?, ?)",
            rows,
        )
        conn.execute("COMMIT")

    def undo() -> None:
        conn.execute("BEGIN IMMEDIATE")
        for start in range(0, len(rows), 900):
            part = [r[0] for r in rows[start : start + 900]]
            conn.execute(
                f"UPDATE taggings SET deleted_at = ?, updated_at = ? "
                f"WHERE id IN ({', '.join('?' * len(part))})",
                (STAMP, STAMP, *part),
            )
        conn.execute("COMMIT")

    seconds = timed(tag), timed(undo)
    conn.close()
    return seconds


def raw_owner(database: Path, ids: list[str], owner: str) -> float:
    conn = sqlite3.connect(database, isolation_level=None)

    def update() -> None:
        conn.execute("BEGIN IMMEDIATE")
        for start in range(0, len(ids), 900):
            part = ids[start : start + 900]
            conn.execute(
                f"UPDATE contacts SET owner_id = ?, updated_at = ? "
                f"WHERE id IN ({', '.join('?' * len(part))})",
                (owner, STAMP, *part),
            )
        conn.execute("COMMIT")

    seconds = timed(update)
    conn.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--selected", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = open_app(Path(tmp) / "data")
        fill = timed(lambda: app.contacts.create_many(drafts(args.contacts)))
        all_ids = app.contacts.ids(ListQuery())
        step = max(1, len(all_ids) // args.selected)
        users = [app.users.create(name).id for name in ("Ada", "Grace")]
        database = app.paths.database
        samples: dict[str, list[float]] = {k: [] for k in ("tag", "undo", "owner", "owner undo")}
        base: dict[str, list[float]] = {k: [] for k in ("tag", "undo", "owner")}
        for n in range(ROUNDS):
            # A different selection each round, spread over the whole list.
            ids = all_ids[n % step :: step][: args.selected]
            started = time.perf_counter()
            result = app.bulk.tag("contacts", ids, f"Fair {n}")
            samples["tag"].append(time.perf_counter() - started)
            assert result.count == len(ids)
            samples["undo"].append(timed(lambda r=result: app.bulk.undo(r.undo)))
            started = time.perf_counter()
            owned = app.bulk.set_owner("contacts", ids, users[n % 2])
            samples["owner"].append(time.perf_counter() - started)
            samples["owner undo"].append(timed(lambda r=owned: app.bulk.undo(r.undo)))
            raw_tag, raw_undo = raw_tag_and_undo(database, ids)
            base["tag"].append(raw_tag)
            base["undo"].append(raw_undo)
            base["owner"].append(raw_owner(database, ids, users[(n + 1) % 2]))
        app.close()
    table = [(f"fill: {args.contacts:,} contacts (create_many)", f"{fill:.1f} s", "")]
    for key, label in (
        ("tag", "tag"),
        ("undo", "undo of the tag"),
        ("owner", "set owner"),
        ("owner undo", "undo of the owner"),
    ):
        ours = statistics.median(samples[key])
        raw = statistics.median(base["owner" if key.startswith("owner") else key])
        table.append(
            (
                f"{label}: {args.selected:,} contacts, median of {ROUNDS}",
                f"{ours * 1000:.0f} ms",
                f"raw {raw * 1000:.0f} ms, x{ours / raw:.1f}",
            )
        )
    width = max(len(r[0]) for r in table)
    print(f"\n{'benchmark':<{width}}  {'figure':>10}  {'baseline (raw sqlite3)':>24}")
    for name, figure, detail in table:
        print(f"{name:<{width}}  {figure:>10}  {detail:>24}")
    print("bar: each under 1,000 ms")


if __name__ == "__main__":
    main()
