"""Export benchmark: a fixed sheet of N contacts (the import benchmark's Google-like CSV)
imported into an empty database, then exported, each format against a floor measured in
the same run on the export's own output.

    uv run python -m tests.benchmarks.exports [--rows 20000] [--runs 5]

1. CSV: `ExportService.contacts` to .csv, against a plain rewrite of its own output with
   the csv module (read with csv.reader, written with csv.writer: no database, no
   formatting). Bar: at most 3x at 20,000 contacts.
2. xlsx: the same to .xlsx, against its output's rows written by openpyxl's write-only
   mode without any formatting.
3. vCard: the same to .vcf, beside the CSV export.

Start-up is excluded: the database is open before the clock starts. Each run times the
export and its floor back to back; the table gives the medians of the times and of the
ratios.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from crm_desktop.bootstrap import open_app
from tests.benchmarks.imports import make_csv


def seconds(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def rewrite_csv(source: Path, target: Path) -> None:
    with (
        source.open(encoding="utf-8-sig", newline="") as inp,
        target.open("w", encoding="utf-8-sig", newline="") as out,
    ):
        csv.writer(out, lineterminator="\r\n").writerows(csv.reader(inp))


def rewrite_xlsx(source: Path, target: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Contacts")
    with source.open(encoding="utf-8-sig", newline="") as inp:
        for row in csv.reader(inp):
            sheet.append(row)
    book.save(target)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    count, runs = args.rows, args.runs
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sheet = root / "sheet.csv"
        sheet.write_bytes(make_csv(count))
        app = open_app(root / "data")
        assert app.imports.run(sheet).created == count
        out = {ext: root / f"out.{ext}" for ext in ("csv", "xlsx", "vcf")}
        for path in out.values():
            app.exports.contacts(path)  # warm: the database's pages in the cache
        # On a shared machine the load changes from second to second: each run times the
        # export and its floor one after the other, and the ratios are taken run by run.
        samples: dict[str, list[float]] = {}
        for _ in range(runs):
            times = {
                "floor_csv": seconds(lambda: rewrite_csv(out["csv"], root / "floor.csv")),
                "csv": seconds(lambda: app.exports.contacts(out["csv"])),
                "vcf": seconds(lambda: app.exports.contacts(out["vcf"])),
                "floor_xlsx": seconds(lambda: rewrite_xlsx(out["csv"], root / "floor.xlsx")),
                "xlsx": seconds(lambda: app.exports.contacts(out["xlsx"])),
            }
            times["csv_ratio"] = times["csv"] / times["floor_csv"]
            times["vcf_ratio"] = times["vcf"] / times["floor_csv"]
            times["xlsx_ratio"] = times["xlsx"] / times["floor_xlsx"]
            for key, value in times.items():
                samples.setdefault(key, []).append(value)
        app.close()
    m = {key: statistics.median(values) for key, values in samples.items()}
    rows = [
        ("floor: csv rewrite of the CSV output", f"{m['floor_csv']:.3f} s", ""),
        ("export to CSV", f"{m['csv']:.3f} s", f"{m['csv_ratio']:.1f}x the floor (bar 3x)"),
        ("floor: openpyxl write-only rewrite", f"{m['floor_xlsx']:.3f} s", ""),
        ("export to xlsx", f"{m['xlsx']:.3f} s", f"{m['xlsx_ratio']:.1f}x its floor"),
        ("export to vCard", f"{m['vcf']:.3f} s", f"{m['vcf_ratio']:.1f}x the CSV floor"),
    ]
    print(f"\n{'benchmark (' + format(count, ',') + ' contacts)':<44} {'figure':>12}  detail")
    for name, figure, detail in rows:
        print(f"{name:<44} {figure:>12}  {detail}")


if __name__ == "__main__":
    main()
