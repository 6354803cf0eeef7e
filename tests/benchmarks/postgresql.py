"""The same work on SQLite and on PostgreSQL, measured in one run: search latency,
import of a Google-shaped CSV, and the owner's monthly report (PDF and Excel).

    uv run python -m tests.benchmarks.postgresql --server postgresql://postgres@HOST/postgres
        [--contacts 100000] [--report-contacts 20000] [--import-runs 3] [--no-report]

The server URL names a database the benchmark may connect to in order to create (and
drop) its own databases. Bars: search p95 on PostgreSQL under 20 ms at 100,000
contacts; the import on PostgreSQL no slower than on SQLite.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.domain.records import ListQuery
from tests.benchmarks.imports import make_csv
from tests.benchmarks.run import QUERIES, percentile


def _admin(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql)


def _database(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit(("postgresql+psycopg", parts.netloc, "/" + name, "", ""))


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def search_latency(app: AppContext) -> tuple[float, float, float, float]:
    """(median, p95) of the palette search and of the contacts list's first page, ms."""
    results = []
    for fn in (
        lambda q: app.search.search(q, 50),
        lambda q: app.contacts.page(ListQuery(search=q), 0, 100),
    ):
        for q in QUERIES:
            fn(q)  # warm, as a running app is
        samples = [timed(lambda q=q, fn=fn: fn(q)) * 1000 for _ in range(5) for q in QUERIES]
        results += [statistics.median(samples), percentile(samples, 0.95)]
    return results[0], results[1], results[2], results[3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--report-contacts", type=int, default=20_000)
    parser.add_argument("--month", default="2026-11")
    parser.add_argument("--import-runs", type=int, default=3)
    parser.add_argument("--no-report", action="store_true", help="leave out the report")
    args = parser.parse_args()
    suffix = uuid.uuid4().hex[:6]
    names = {kind: f"crm_bench_{kind}_{suffix}" for kind in ("import", "report")}
    table: list[tuple[str, str, str]] = []
    searches: dict[str, tuple[float, float, float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        csv_file = root / "contacts.csv"
        csv_file.write_bytes(make_csv(args.contacts))
        for name in names.values():
            _admin(args.server, f"CREATE DATABASE {name}")
        try:
            import_times: dict[str, list[float]] = {"SQLite": [], "PostgreSQL": []}
            for run in range(args.import_runs):
                # Alternating, so a change of load on a shared machine hits both alike.
                for backend in ("SQLite", "PostgreSQL"):
                    url = None
                    if backend == "PostgreSQL":
                        if run:  # a fresh database for each run
                            _admin(args.server, f"DROP DATABASE {names['import']} WITH (FORCE)")
                            _admin(args.server, f"CREATE DATABASE {names['import']}")
                        url = _database(args.server, names["import"])
                    app = open_app(root / f"import-{backend}-{run}", database_url=url)
                    import_times[backend].append(timed(lambda app=app: app.imports.run(csv_file)))
                    if run == args.import_runs - 1:
                        searches[backend] = search_latency(app)
                    app.close()
            sqlite_runs, pg_runs = import_times["SQLite"], import_times["PostgreSQL"]
            for backend, runs in import_times.items():
                table.append(
                    (
                        f"{backend}: import {args.contacts:,} contacts, median",
                        f"{statistics.median(runs):.2f} s",
                        "runs " + ", ".join(f"{r:.1f}" for r in runs),
                    )
                )
            ratios = [p / s for p, s in zip(pg_runs, sqlite_runs, strict=True)]
            table.append(
                (
                    "import: PostgreSQL / SQLite, median of the runs' ratios",
                    f"{statistics.median(ratios):.2f}",
                    "bar: no slower (<= 1.00)",
                )
            )
            for backend, (pal_med, pal_p95, list_med, list_p95) in searches.items():
                table.append(
                    (f"{backend}: search, median / p95", f"{pal_med:.1f} ms", f"{pal_p95:.1f} ms")
                )
                table.append(
                    (
                        f"{backend}: list search, median / p95",
                        f"{list_med:.1f} ms",
                        f"{list_p95:.1f} ms",
                    )
                )
            for backend in () if args.no_report else ("SQLite", "PostgreSQL"):
                url = _database(args.server, names["report"]) if backend == "PostgreSQL" else None
                app = open_app(root / f"report-{backend}", database_url=url)
                app.demo.generate(contacts=args.report_contacts, seed=1)
                out = root / backend
                out.mkdir()

                def write(app: AppContext = app, out: Path = out, url: str | None = url) -> None:
                    from crm_desktop.cli import main as cli

                    where = ["--data-dir", str(app.paths.data_dir)]
                    if url:
                        where += ["--database-url", url]
                    command = [*where, "report", "monthly", "--month", args.month]
                    command += ["--pdf", str(out / f"m{time.perf_counter_ns()}.pdf")]
                    command += ["--xlsx", str(out / f"m{time.perf_counter_ns()}.xlsx")]
                    with contextlib.redirect_stdout(io.StringIO()):
                        cli(command)

                write()  # the first run of a month
                runs = [timed(write) for _ in range(3)]
                label = f"{backend}: monthly report PDF + Excel ({args.report_contacts:,} contacts)"
                table.append((label, f"{statistics.median(runs):.2f} s", "median of 3"))
                app.close()
        finally:
            for name in names.values():
                _admin(args.server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    width = max(len(r[0]) for r in table)
    print(f"\n{'benchmark':<{width}}  {'figure':>12}  detail")
    for name, figure, detail in table:
        print(f"{name:<{width}}  {figure:>12}  {detail}")


if __name__ == "__main__":
    main()
