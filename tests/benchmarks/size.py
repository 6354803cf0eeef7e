"""Size benchmark: the fixed 20,000-contact sheet (`imports.make_csv(20000)`, Google-shaped)
imported through the command line, `crm-desktop --data-dir D import contacts FILE`, into an
empty folder; then the database's bytes per contact, the change log's share of the file
(dbstat, as `doctor` prints it) and the import's time.

    uv run python -m tests.benchmarks.size [--rows 20000] [--repeat 3] [--former REV]

The import time is a ratio against the former code measured in the same run: `--former`
names a git revision (default: the merge base with main), whose files are exported to a
temporary folder (`git archive`, no worktree) and run by this interpreter, alternating
with this checkout's runs; medians of `--repeat` runs each. Without git, the floor is
reading the CSV alone. Bars: at most 3 KiB per contact, the change log at most a third
of the file, the import no slower than the former code.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

from crm_desktop.persistence.space import sqlite_space
from tests.benchmarks.imports import make_csv

ROOT = Path(__file__).resolve().parents[2]


def _import(code: Path, sheet: Path, folder: Path) -> float:
    """Seconds of one `crm-desktop import contacts` of the sheet, run from `code`."""
    # `-m` puts the working folder first on the path: run from the code's own folder.
    env = {**os.environ, "PYTHONPATH": str(code)}
    command = [sys.executable, "-m", "crm_desktop", "--data-dir", str(folder)]
    started = time.perf_counter()
    subprocess.run([*command, "import", "contacts", str(sheet)], env=env, check=True,
                   cwd=code, stdout=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - started


def _parts(folder: Path) -> dict[str, int]:
    conn = sqlite3.connect(folder / "crm.sqlite")
    try:
        parts = sqlite_space(conn)
    finally:
        conn.close()
    if parts is None:
        raise SystemExit("this SQLite has no dbstat: sizes cannot be measured")
    return parts


def _former(rev: str, into: Path) -> Path | None:
    """The former code's files (its `crm_desktop` package) exported from git."""
    try:
        if rev == "merge-base":
            rev = subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout.strip()  # fmt: skip
        archive = subprocess.run(["git", "archive", rev, "crm_desktop"], cwd=ROOT, check=True,
                                 capture_output=True).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--former", default="merge-base", help="a git revision")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sheet = root / "contacts.csv"
        sheet.write_bytes(make_csv(args.rows))
        former = _former(args.former, root / "former")
        now_times: list[float] = []
        former_times: list[float] = []
        parts: dict[str, dict[str, int]] = {}
        for run in range(args.repeat):
            for name, code, times in (("now", ROOT, now_times), ("former", former, former_times)):
                if code is None:
                    continue
                folder = root / f"{name}-{run}"
                times.append(_import(code, sheet, folder))
                parts[name] = _parts(folder)
        floor = None
        if former is None:
            from crm_desktop.exchange import tabular

            started = time.perf_counter()
            tabular.read_csv(sheet.read_bytes())
            floor = time.perf_counter() - started
    _report(args.rows, sheet_bytes=len(make_csv(args.rows)), parts=parts, now=now_times,
            former=former_times, floor=floor)  # fmt: skip


def _report(
    rows: int,
    sheet_bytes: int,
    parts: dict[str, dict[str, int]],
    now: list[float],
    former: list[float],
    floor: float | None,
) -> None:
    print(f"\n{rows:,} contacts, sheet {sheet_bytes / 1e6:.1f} MB; medians of {len(now)} runs")
    for name, found in parts.items():
        total = sum(found.values())
        share = found["change log"] / total
        print(f"{name:<7} {total / 1e6:6.1f} MB  {total / rows / 1024:5.2f} KiB per contact "
              f"(bar 3)  change log {share:5.1%} (bar 33%)  "
              + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in found.items() if v))  # fmt: skip
    took = statistics.median(now)
    print(f"import  {took:6.2f} s now", end="")
    if former:
        was = statistics.median(former)
        print(f", {was:.2f} s former: {took / was:.2f} of the former time (bar 1.00)")
        pairs = ", ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(now, former, strict=False))
        print(f"        each run, now/former: {pairs} s")
    elif floor:
        print(f", {took / floor:.1f} times reading the CSV alone ({floor:.2f} s)")


if __name__ == "__main__":
    main()
