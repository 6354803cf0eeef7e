"""Start-up benchmark: a cold `crm-desktop search` against a process that opens the same
database with sqlite3 and runs the same full-text query (run after `crm-desktop demo`):

    uv run python -m tests.benchmarks.startup --data-dir D [--runs 9]

Each run starts a new interpreter for each of the two, one after the other, from
compiled bytecode (as an installed app starts; see window.py); the table gives the
median times and the median of the run-by-run ratios. Bar: at most 4x the floor.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.benchmarks.window import ENV, compile_bytecode

FLOOR = r"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
rows = conn.execute(
    "SELECT entity, row_id, title FROM search_fts WHERE search_fts MATCH ? AND live = 1 LIMIT 400",
    ('"' + sys.argv[2] + '"',),
).fetchall()
print(len(rows))
"""
QUERY = "muller"


def seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=ENV)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    compile_bytecode()
    database = str(Path(args.data_dir) / "crm.sqlite")
    floor_cmd = [sys.executable, "-c", FLOOR, database, QUERY]
    # The command as installed: the console script the package declares.
    script = Path(sys.executable).parent / "crm-desktop"
    ours_cmd = [str(script), "--data-dir", args.data_dir, "search", QUERY]
    seconds(ours_cmd)  # the first run may write bytecode and warm the file cache
    floors, ours, ratios = [], [], []
    for _ in range(args.runs):
        floor = seconds(floor_cmd)
        mine = seconds(ours_cmd)
        floors.append(floor)
        ours.append(mine)
        ratios.append(mine / floor)
    rows = [
        ("floor: sqlite3 open and query", f"{statistics.median(floors) * 1000:.0f} ms", ""),
        (
            "crm-desktop search (cold)",
            f"{statistics.median(ours) * 1000:.0f} ms",
            f"{statistics.median(ratios):.1f}x the floor (bar 4x)",
        ),
    ]
    for name, figure, detail in rows:
        print(f"{name:<32} {figure:>10}   {detail}")


if __name__ == "__main__":
    main()
