"""Sync benchmark: two devices, offline for a while, 10,000 edits on each side, one round each.

    uv run python -m tests.benchmarks.sync [--edits 10000] [--contacts 2000] [--runs 3]

Both start from the same contacts (synced through one team folder). Then each device
edits two fields of its contacts, `--edits` changes in all, the notes to values of its
own (so both sides edit the same fields: conflicts). Timed: device A's round (seal its
edits into files), device B's round (seal its own, read, check and apply A's files one
per transaction, recompute the conflicts of every row touched), A's round (the same
the other way). Baseline, in the same run, on a copy of B's database taken before its
round: `ChangeLogService.apply` of A's rows in one call (no files, no conflicts).
Bar: a merge of 10,000 edits on each side under 3 s.

    uv run python -m tests.benchmarks.sync --join 100000

A new device joins a team of that many contacts: device A fills its database, takes a
snapshot into the team folder in its round; device B, a fresh install, joins in one
round (loads the snapshot, then the files after it). Baseline in the same run: copying
A's database file (the least a join could cost). Bar: under 30 s at 100,000 contacts.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any


def _edit(context: Any, edits: int, tag: str) -> None:
    from crm_desktop.persistence.models import Contact

    with context.uow() as uow:
        contacts = uow.repository(Contact).all()
        for n in range(edits // 2):
            contact = contacts[n % len(contacts)]
            contact.notes = f"{tag} note {n}"
            contact.last_name = f"{tag}{n}"
            if n % len(contacts) == len(contacts) - 1:
                uow.session.flush()
        uow.commit()


def _checkpoint(context: Any) -> None:
    with context.database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def run_once(edits: int, contacts: int) -> dict[str, float]:
    from crm_desktop.bootstrap import open_app
    from crm_desktop.domain.records import ContactDraft

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        team = root / "team"
        team.mkdir()
        a, b = open_app(root / "a"), open_app(root / "b")
        a.contacts.create_many(
            [ContactDraft(first_name=f"First{i}", last_name=f"Last{i}") for i in range(contacts)]
        )
        a.sync.round(team)
        b.sync.round(team)
        a.sync.round(team)
        _edit(a, edits, "a")
        _edit(b, edits, "b")
        seen = b.changelog.last_seqs()
        rows = a.changelog.rows(after=seen)
        _checkpoint(b)
        shutil.copytree(root / "b", root / "baseline", ignore=shutil.ignore_patterns("logs"))
        figures: dict[str, float] = {}
        started = time.perf_counter()
        sent = a.sync.round(team)
        figures["A seals"] = time.perf_counter() - started
        started = time.perf_counter()
        merged_b = b.sync.round(team)
        figures["B seals + merges A"] = time.perf_counter() - started
        started = time.perf_counter()
        merged_a = a.sync.round(team)
        figures["A merges B"] = time.perf_counter() - started
        assert sent.sent_changes == len(rows) == merged_b.applied_changes
        assert merged_a.applied_changes == merged_b.sent_changes
        assert merged_a.conflicts == merged_b.conflicts > 0
        figures["conflicts"] = merged_a.conflicts
        baseline = open_app(root / "baseline")
        started = time.perf_counter()
        baseline.changelog.apply(rows)
        figures["baseline: apply A's rows"] = time.perf_counter() - started
        for context in (a, b, baseline):
            context.close()
        return figures


def join_once(contacts: int) -> dict[str, float]:
    from crm_desktop.bootstrap import open_app
    from crm_desktop.domain.records import ContactDraft, EmailEntry

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        team = root / "team"
        team.mkdir()
        a = open_app(root / "a")
        a.contacts.create_many(
            [
                ContactDraft(
                    first_name=f"First{i}",
                    last_name=f"Last{i}",
                    emails=(EmailEntry(f"person{i}@example.com"),),
                )
                for i in range(contacts)
            ]
        )
        figures: dict[str, float] = {}
        started = time.perf_counter()
        a.sync.round(team, snapshot=True)
        figures["A's round with a snapshot"] = time.perf_counter() - started
        _checkpoint(a)
        started = time.perf_counter()
        shutil.copyfile(a.paths.database, root / "copy.sqlite")
        figures["baseline: copy A's database"] = time.perf_counter() - started
        a.close()
        b = open_app(root / "b")
        started = time.perf_counter()
        b.sync.round(team)
        figures["B joins (one round)"] = time.perf_counter() - started
        from crm_desktop.domain.records import ListQuery

        assert b.contacts.count(ListQuery()) == contacts
        b.close()
        return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=10_000)
    parser.add_argument("--contacts", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--join", type=int, default=0, help="time a join of this many contacts")
    args = parser.parse_args(argv)
    if args.join:
        figures = join_once(args.join)
        base = figures["baseline: copy A's database"]
        print(f"Join: a new device joins a team of {args.join:,} contacts")
        for key, value in figures.items():
            print(f"{key:<32}{value:>10.2f} s{value / base:>10.1f}x baseline")
        return
    runs = [run_once(args.edits, args.contacts) for _ in range(args.runs)]
    medians = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    base = medians["baseline: apply A's rows"]
    print(
        f"Sync: {args.edits:,} edits on each of two devices, {args.contacts:,} contacts, "
        f"median of {args.runs} runs"
    )
    print(f"{'step':<28}{'seconds':>10}{'x baseline':>12}")
    for key, value in medians.items():
        if key == "conflicts":
            print(f"{'open conflicts after':<28}{int(value):>10,}")
            continue
        print(f"{key:<28}{value:>10.3f}{value / base:>12.2f}")


if __name__ == "__main__":
    main()
