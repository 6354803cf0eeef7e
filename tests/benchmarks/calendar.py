"""Calendar month view benchmark: 2,000 activities in one month (plus a few repeating
ones expanded for the range).

    uv run python -m tests.benchmarks.calendar

Measures showing the month (service query + expansion + layout + painting), median
of several runs, beside the baseline of the raw sqlite3 SELECT of the same rows, and the
painting alone. Bar: under 200 ms.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    from crm_desktop.bootstrap import open_app
    from crm_desktop.domain.records import ActivityDraft
    from crm_desktop.gui.app import make_application
    from crm_desktop.gui.views.calendar import CalendarView
    from crm_desktop.persistence.models import Activity, new_id

    app = make_application()
    rng = random.Random(1)
    today = dt.date.today()
    first = today.replace(day=1)
    with tempfile.TemporaryDirectory() as tmp:
        context = open_app(Path(tmp) / "data")
        kinds = ("call", "meeting", "task", "email", "note")
        rows = []
        for i in range(2000):
            day = first + dt.timedelta(days=rng.randrange(28))
            start = dt.datetime(day.year, day.month, day.day, 8 + rng.randrange(10)).astimezone()
            rows.append(
                {
                    "id": new_id(),
                    "kind": kinds[i % 5],
                    "subject": f"Activity {i} with a customer",
                    "starts_at": start.astimezone(dt.UTC),
                    "ends_at": (start + dt.timedelta(minutes=30)).astimezone(dt.UTC),
                    "done": i % 3 == 0,
                }
            )
        with context.uow() as uow:
            uow.insert_rows(Activity, rows)
            uow.commit()
        for n in range(5):  # and a few repeating ones
            context.calendar.create(
                ActivityDraft(
                    "meeting",
                    f"Weekly {n}",
                    dt.datetime(first.year, first.month, 1, 9 + n).astimezone(),
                    rrule="FREQ=WEEKLY",
                )
            )
        view = CalendarView(context)
        view.resize(1360, 820)
        view.show()
        view.set_mode("month")
        app.processEvents()
        samples, paints, full = [], [], []
        for _ in range(9):
            started = time.perf_counter()
            view.show_range()
            view.month.repaint()
            app.processEvents()
            samples.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            view.reload()
            view.month.repaint()
            app.processEvents()
            full.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            view.month.repaint()
            paints.append((time.perf_counter() - started) * 1000)
        conn = sqlite3.connect(context.paths.database)
        raw = []
        for _ in range(9):
            started = time.perf_counter()
            conn.execute(
                "SELECT * FROM activities WHERE starts_at >= ? AND starts_at < ? "
                "AND deleted_at IS NULL",
                (f"{first - dt.timedelta(days=7)}", f"{first + dt.timedelta(days=42)}"),
            ).fetchall()
            raw.append((time.perf_counter() - started) * 1000)
        conn.close()
        shown = len(view.found)
        print(
            f"month view reload, {shown} occurrences in the 6 weeks shown: "
            f"median {statistics.median(samples):.0f} ms (max {max(samples):.0f} ms); "
            f"painting alone {statistics.median(paints):.1f} ms; with the Today/Overdue "
            f"list {statistics.median(full):.0f} ms; "
            f"raw SELECT baseline {statistics.median(raw):.1f} ms; bar 200 ms"
        )
        context.close()


if __name__ == "__main__":
    main()
