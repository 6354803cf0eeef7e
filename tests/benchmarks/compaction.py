"""History compaction benchmark: the 2,000-contact demo, then a year of everyday work that
nobody reads back as history (activities rescheduled before they are done, cards dragged
along the board, stages and settings retouched) through the services, as the window does
it; then a compaction with every row counting as old, as a round makes it once every
other device of the team has applied them. Prints the change rows and the file's
bytes (a `VACUUM INTO` copy, so free pages don't count) before and after, and the
compaction's time against reading the whole change log once (the floor: compaction must
at least look at the log) in the same run.

    uv run python -m tests.benchmarks.compaction [--contacts 2000] [--rounds 4]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import tempfile
import time
from pathlib import Path

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.persistence.backups import backup_to
from tests.integration.persistence.test_compaction import compact_everything_old


def _size(app: AppContext, folder: Path, name: str) -> int:
    target = folder / name
    backup_to(app.database.engine, target)
    return target.stat().st_size


def _rows(app: AppContext) -> int:
    with app.database.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM change_log").scalar_one())


def _work(app: AppContext, rounds: int) -> int:
    """Everyday edits whose history no timeline shows; returns how many service calls."""
    calls = 0
    pipeline = app.pipeline.pipelines()[0]
    open_stages = [s for s in pipeline.stages if s.kind == "open"]
    board = app.pipeline.board(pipeline.id)
    cards = [card.id for column in board if column.stage.kind == "open" for card in column.cards]
    cards = cards[:400]
    for turn in range(rounds):
        for number, deal in enumerate(cards):
            stage = open_stages[(number + turn) % len(open_stages)]
            app.pipeline.move(deal, stage.id, 0)
            calls += 1
        for stage in open_stages:
            app.pipeline.update_stage(
                stage.id, f"{stage.name} {turn}", stage.probability, stage.rotting_days
            )
            calls += 1
        app.settings.set("business_name", f"Lindenhof {turn}")
        calls += 1
    start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    for number in range(300):
        when = start + dt.timedelta(days=number % 60, hours=9)
        call = app.calendar.schedule("call", f"Call {number}", when).id
        for _moved in range(rounds - 1):  # moved a few times before it happens
            later = when + dt.timedelta(days=1)
            app.calendar.reschedule(call, when, later, later + dt.timedelta(minutes=30))
            when = later
        app.calendar.complete(call, outcome="reached")
        calls += rounds + 1
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = open_app(folder / "data")
        app.demo.generate(args.contacts, seed=1)
        demo_rows = _rows(app)
        calls = _work(app, args.rounds)
        rows, size = _rows(app), _size(app, folder, "before.sqlite")
        started = time.perf_counter()
        with sqlite3.connect(app.database.path) as conn:  # type: ignore[arg-type]
            conn.execute("SELECT * FROM change").fetchall()
        floor = time.perf_counter() - started
        started = time.perf_counter()
        removed = compact_everything_old(app)  # as a round, once every device has them
        took = time.perf_counter() - started
        after_rows, after = _rows(app), _size(app, folder, "after.sqlite")
        app.close()
    print(f"demo of {args.contacts:,} contacts: {demo_rows:,} change rows")
    print(f"after {calls:,} everyday edits: {rows:,} change rows, {size / 1e6:.1f} MB")
    print(
        f"compacted: {removed:,} rows removed -> {after_rows:,} rows, {after / 1e6:.1f} MB "
        f"({100 * (size - after) / size:.0f}% smaller)"
    )
    print(f"compaction {took:.2f} s = {took / floor:.1f}x reading the whole log ({floor:.2f} s)")


if __name__ == "__main__":
    main()
