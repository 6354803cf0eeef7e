"""Monthly report benchmark: the owner's monthly report as PDF and Excel.

    uv run python -m tests.benchmarks.report [--data-dir D] [--contacts 100000] [--runs 5]

Without `--data-dir` a demo database of `--contacts` contacts (20 % as many deals) is
made in a temporary folder first. Measures `ReportService.export_monthly` (the service
function behind `crm-desktop report monthly --pdf F --xlsx F`): the first run (it also
imports the writers) and the median of the next ones, split into the document (the deals
rebuilt as of the month's end and the other reads) and the two writers, with the CPU time
of the process beside the wall time (on a machine that other jobs keep busy the wall
time says little); beside the baseline of a raw sqlite3 SELECT of every deal, measured in
the same run. Bar: under 5 s at 100,000 contacts / 20,000 deals.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.benchmarks.run import demo_database

BAR_SECONDS = 5.0


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def cpu_timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process: every thread)."""
    started, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - started, time.process_time() - cpu


def last_month() -> str:
    return (dt.date.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


def bench(data_dir: Path, month: str, runs: int, out: Path) -> list[tuple[str, str, str]]:
    from crm_desktop.bootstrap import open_app
    from crm_desktop.exchange.report_pdf import write_pdf
    from crm_desktop.exchange.report_xlsx import write_xlsx

    app = open_app(data_dir)
    pdf, xlsx = out / "monthly.pdf", out / "monthly.xlsx"
    first, doc = timed(lambda: app.reports.export_monthly(month, pdf, xlsx))
    totals, cpus, docs, excel, paper = [], [], [], [], []
    for _ in range(runs):
        wall, cpu = cpu_timed(lambda: app.reports.export_monthly(month, pdf, xlsx))
        totals.append(wall)
        cpus.append(cpu)
        seconds, doc = timed(lambda: app.reports.monthly(month))
        docs.append(seconds)
        excel.append(timed(lambda d=doc: write_xlsx(d, xlsx))[0])
        paper.append(timed(lambda d=doc: write_pdf(d, pdf))[0])
    conn = sqlite3.connect(app.paths.database)
    deals = conn.execute("SELECT count(*) FROM deals").fetchone()[0]
    contacts = conn.execute("SELECT count(*) FROM contacts").fetchone()[0]
    raw = [timed(lambda: conn.execute("SELECT * FROM deals").fetchall())[0] for _ in range(runs)]
    conn.close()
    app.close()
    total = statistics.median(totals)
    baseline = statistics.median(raw)
    rows = doc.raw.rows if doc.raw else ()
    return [
        ("database", f"{contacts:,} contacts", f"{deals:,} deals"),
        (f"monthly report {month}: PDF + Excel, first run", f"{first:.2f} s", "imports writers"),
        (f"  median of {runs} runs", f"{total:.2f} s", f"bar {BAR_SECONDS:.0f} s"),
        ("  CPU time of those runs (median)", f"{statistics.median(cpus):.2f} s", ""),
        ("  of which the document (queries)", f"{statistics.median(docs):.2f} s", ""),
        ("  of which the Excel writer", f"{statistics.median(excel):.2f} s", ""),
        ("  of which the PDF writer", f"{statistics.median(paper):.2f} s", ""),
        ("  sections / raw rows", f"{len(doc.sections)}", f"{len(rows):,}"),
        ("baseline: raw SELECT * FROM deals", f"{baseline * 1000:.0f} ms", ""),
        ("report / baseline", f"{total / baseline:.0f} x", ""),
        ("verdict", "PASS" if total < BAR_SECONDS else "FAIL", ""),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an existing (demo) database to use")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--month", default=last_month())
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data_dir = demo_database(args.data_dir, root, args.contacts)
        table = bench(data_dir, args.month, args.runs, root)
    width = max(len(r[0]) for r in table)
    print(f"\n{'benchmark':<{width}}  {'figure':>16}  {'detail':>14}")
    for name, figure, detail in table:
        print(f"{name:<{width}}  {figure:>16}  {detail:>14}")


if __name__ == "__main__":
    main()
