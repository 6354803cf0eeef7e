"""Window benchmarks on a large database (run after `crm-desktop demo`):

    uv run python -m tests.benchmarks.window --data-dir D [--runs 5] [--former DIR]

- cold start: a new process each run, from interpreter start to the main window shown
  with its first page of contacts painted; median of the runs (bar: <= 0.8 s at 100k),
  beside the baseline of a process that only imports PySide6 and shows an empty window;
  also the processor time the process had used by then (interpreter start included),
  which a loaded machine stretches far less than the wall-clock time;
- idle memory: resident set size of that process once the work deferred past the first
  paint is done (bar: 150 MB);
- search keystroke: typing one more letter into the contacts search, from the query to the
  repainted first page, median and p95 (bar: p95 <= 30 ms), and the GUI thread's
  processor time for it.

The runs alternate (empty window, then ours) so that both meet the same load. `--former
DIR` adds a third process to each round: the same probe on another checkout of the code
(say `git archive` of an earlier commit unpacked in DIR), to measure a change on a loaded
machine against the code before it, in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable

PROBE = r"""
import os, sys, time, json
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
started = time.perf_counter()
mode, data_dir = sys.argv[1], sys.argv[2]
if mode != "baseline":  # as the command line starts the window: the core before Qt
    from crm_desktop.bootstrap import preload
    preload()
from PySide6.QtWidgets import QApplication, QMainWindow
if mode == "baseline":
    app = QApplication([])
    window = QMainWindow(); window.resize(1280, 800); window.show(); app.processEvents()
    opened, cpu = time.perf_counter() - started, time.process_time()
    result = {"open": opened, "cpu": cpu}
else:
    from crm_desktop.bootstrap import open_app
    from crm_desktop.gui.app import make_application
    from crm_desktop.gui.main_window import MainWindow
    app = make_application()
    context = open_app(data_dir)
    window = MainWindow(context)
    window.show(); window.contacts_view.table.repaint(); app.processEvents()
    opened, cpu = time.perf_counter() - started, time.process_time()
    # The work deferred past the first paint (reminders) runs before the user types.
    while not window.settled:
        app.processEvents(); time.sleep(0.01)
    view, samples, cpu_samples = window.contacts_view, [], []
    for word in ("mu", "mul", "mull", "mulle", "muller", "an", "ann", "anna", "sch", "schm",
                 "schmi", "schmid", "schmidt", "ko", "koh", "kohl", "kohle", "kohler"):
        t, c = time.perf_counter(), time.thread_time()
        view.search.setText(word); view.apply_filters(); view.table.repaint(); app.processEvents()
        samples.append((time.perf_counter() - t) * 1000)
        cpu_samples.append((time.thread_time() - c) * 1000)
    result = {"open": opened, "cpu": cpu, "keys": samples, "keys_cpu": cpu_samples}
with open("/proc/self/status") as status:
    rss = next(int(l.split()[1]) for l in status if l.startswith("VmRSS"))
result["rss_mb"] = rss / 1024
print(json.dumps(result))
"""


# An installed app starts from compiled bytecode; some shells (and CI) set
# PYTHONDONTWRITEBYTECODE, which would make every run compile the whole of SQLAlchemy and
# PySide6's Python parts from source. Compile once, then measure with bytecode allowed.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def compile_bytecode(former: str | None) -> None:
    import sqlalchemy

    import crm_desktop

    roots = {
        os.path.dirname(os.path.dirname(sqlalchemy.__file__)),
        os.path.dirname(os.path.dirname(crm_desktop.__file__)),
    }
    if former:
        roots.add(os.path.join(former, "crm_desktop"))
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", *sorted(roots)],
        check=False,
        capture_output=True,
        env=ENV,
    )


def run(mode: str, data_dir: str, source: str | None = None) -> dict:
    """One probe process; `source`: the checkout whose crm_desktop it imports (else this
    one). The probe runs from that folder, as `-c` puts the current folder first."""
    env = ENV if source is None else {**ENV, "PYTHONPATH": source}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode, data_dir],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=source,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def keys_p95(results: list[dict], key: str = "keys") -> str:
    keys = sorted(k for r in results for k in r[key])
    return f"{statistics.median(keys):.0f} / {keys[int(0.95 * (len(keys) - 1))]:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--former", help="another checkout to measure in the same rounds")
    args = parser.parse_args()
    compile_bytecode(args.former)
    base: list[dict] = []
    ours: list[dict] = []
    former: list[dict] = []
    for _ in range(args.runs):
        base.append(run("baseline", args.data_dir))
        ours.append(run("window", args.data_dir))
        if args.former:
            former.append(run("window", args.data_dir, args.former))

    def median(results: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in results)

    def was(figure: Callable[[list[dict]], str]) -> str:
        """The former code's figure, when it ran (`--former`)."""
        return f"; former code: {figure(former)}" if former else ""

    rows = [
        (
            "cold start to window, median",
            f"{median(ours, 'open'):.2f} s",
            f"empty Qt window: {median(base, 'open'):.2f} s; bar 0.8 s"
            + was(lambda r: f"{median(r, 'open'):.2f} s"),
        ),
        (
            "processor time to window, median",
            f"{median(ours, 'cpu'):.2f} s",
            f"empty Qt window: {median(base, 'cpu'):.2f} s"
            + was(lambda r: f"{median(r, 'cpu'):.2f} s"),
        ),
        (
            "idle memory (RSS)",
            f"{median(ours, 'rss_mb'):.0f} MB",
            f"empty Qt window: {median(base, 'rss_mb'):.0f} MB; bar 150"
            + was(lambda r: f"{median(r, 'rss_mb'):.0f} MB"),
        ),
        ("search keystroke, median / p95", keys_p95(ours), "bar p95 30 ms" + was(keys_p95)),
        (
            "its processor time (GUI thread)",
            keys_p95(ours, "keys_cpu"),
            was(lambda r: keys_p95(r, "keys_cpu")).lstrip("; "),
        ),
    ]
    for name, figure, detail in rows:
        print(f"{name:<32} {figure:>14}   {detail}")
    ratio = median(ours, "open") / median(base, "open")
    print(f"cold start / empty Qt window: {ratio:.1f}x", end="")
    if former:
        print(f" (former code: {median(former, 'open') / median(base, 'open'):.1f}x)")
    else:
        print()


if __name__ == "__main__":
    main()
