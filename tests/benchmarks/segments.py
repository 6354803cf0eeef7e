"""Segment count benchmark: `SegmentService.count` (the builder's live count, the CLI's
`segments`) over a demo database.

    uv run python -m tests.benchmarks.segments [--data-dir D] [--contacts 100000] [--runs 7]

Without `--data-dir` a demo database of `--contacts` contacts is made in a temporary
folder first. Each segment's count is timed (median of `--runs`) beside the floor measured
in the same run: a plain `SELECT count(*) FROM contacts WHERE deleted_at IS NULL` through
sqlite3, what no filter can beat. Bar: every segment but RFM under 200 ms at 100,000
contacts; the ratio to the floor is printed so a slower machine reads the same.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.benchmarks.run import demo_database

BAR_MS = 200.0
SEGMENTS: list[tuple[str, dict[str, Any]]] = [
    ("city is Berlin", {"field": "city", "op": "is", "value": "Berlin"}),
    (
        "tag VIP or open deal",
        {
            "any": [
                {"field": "tag", "op": "has", "value": "VIP"},
                {"field": "open_deals", "op": ">=", "value": 1},
            ]
        },
    ),
    (
        "2+ orders, last in 365 days, newsletter consent",
        {
            "all": [
                {"field": "orders", "op": ">=", "value": 2},
                {"field": "last_order", "op": "in_last_days", "value": 365},
                {"field": "consent", "purpose": "newsletter", "op": "granted"},
            ]
        },
    ),
    ("spent over 1,000", {"field": "total_spend", "op": ">", "value": 1000}),
    (
        "age 30-45, birthday in 30 days",
        {
            "all": [
                {"field": "age", "op": "between", "value": [30, 45]},
                {"field": "birthday", "op": "in_next_days", "value": 30},
            ]
        },
    ),
    ("no activity in 90 days", {"field": "last_activity", "op": "not_in_last_days", "value": 90}),
    (
        "country Germany, not tagged VIP",
        {
            "all": [
                {"field": "country", "op": "is", "value": "Germany"},
                {"field": "tag", "op": "has_not", "value": "VIP"},
            ]
        },
    ),
    (
        "RFM class At risk or Can't lose",
        {"field": "rfm", "op": "in", "value": ["At risk", "Can't lose"]},
    ),
]


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def bench(data_dir: Path, runs: int) -> list[tuple[str, str, str, str]]:
    from crm_desktop.bootstrap import open_app
    from crm_desktop.domain.segments import parse_filter

    app = open_app(data_dir)
    conn = sqlite3.connect(app.paths.database)
    floor, total = timed(
        lambda: conn.execute("SELECT count(*) FROM contacts WHERE deleted_at IS NULL").fetchone(),
        runs,
    )
    table = [
        ("floor: sqlite3 count(*)", f"{floor * 1000:.1f} ms", f"{total[0]:,}", "1 x"),
    ]
    worst = 0.0
    for name, data in SEGMENTS:
        group = parse_filter(data)
        app.segments.count(group)  # the first count also compiles the statement
        seconds, count = timed(lambda g=group: app.segments.count(g), runs)
        if not name.startswith("RFM"):
            worst = max(worst, seconds)
        table.append((name, f"{seconds * 1000:.1f} ms", f"{count:,}", f"{seconds / floor:.0f} x"))
    conn.close()
    app.close()
    verdict = "PASS" if worst * 1000 < BAR_MS else "FAIL"
    table.append(("slowest (RFM aside)", f"{worst * 1000:.1f} ms", f"bar {BAR_MS:.0f} ms", verdict))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an existing (demo) database to use")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = demo_database(args.data_dir, Path(tmp), args.contacts)
        table = bench(data_dir, args.runs)
    width = max(len(r[0]) for r in table)
    print(f"\n{'segment':<{width}}  {'count time':>10}  {'contacts':>10}  {'/ floor':>8}")
    for name, figure, count, ratio in table:
        print(f"{name:<{width}}  {figure:>10}  {count:>10}  {ratio:>8}")


if __name__ == "__main__":
    main()
