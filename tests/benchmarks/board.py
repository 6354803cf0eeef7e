"""Pipeline board benchmark: 5,000 open deals in 8 stages.

    uv run python -m tests.benchmarks.board

Measures the board's reload (service query + cards + painting of the visible columns),
median of several runs, beside the baseline of the raw sqlite3 SELECT of the same deals.
Bar: under 300 ms.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    from crm_desktop.bootstrap import open_app
    from crm_desktop.domain.records import ContactDraft
    from crm_desktop.gui.app import make_application
    from crm_desktop.gui.views.pipeline import PipelineView
    from crm_desktop.persistence.models import Deal, new_id

    app = make_application()
    with tempfile.TemporaryDirectory() as tmp:
        context = open_app(Path(tmp) / "data")
        stages = [(f"Stage {i + 1}", 10 + i * 10, 14, "open") for i in range(8)]
        pipeline_id = context.pipeline.create_pipeline("Big", stages).id
        stage_ids = [s.id for s in context.pipeline.pipelines()[0].stages]
        contact = context.contacts.create(ContactDraft(first_name="Board", last_name="Test")).id
        with context.uow() as uow:
            uow.insert_rows(
                Deal,
                [
                    {
                        "id": new_id(),
                        "title": f"Deal {i}",
                        "pipeline_id": pipeline_id,
                        "stage_id": stage_ids[i % 8],
                        "position": i // 8,
                        "value_cents": 1_000_00 + i,
                        "contact_id": contact,
                    }
                    for i in range(5000)
                ],
            )
            uow.commit()
        view = PipelineView(context)
        view.resize(1600, 900)
        view.show()
        app.processEvents()
        samples = []
        for _ in range(7):
            started = time.perf_counter()
            view.reload()
            view.repaint()
            app.processEvents()
            samples.append((time.perf_counter() - started) * 1000)
        conn = sqlite3.connect(context.paths.database)
        raw = []
        for _ in range(7):
            started = time.perf_counter()
            conn.execute(
                "SELECT d.*, c.first_name, c.last_name FROM deals d LEFT JOIN contacts "
                "c ON c.id = d.contact_id WHERE d.pipeline_id = ? ORDER BY stage_id, "
                "position",
                (pipeline_id,),
            ).fetchall()
            raw.append((time.perf_counter() - started) * 1000)
        conn.close()
        cards = sum(c.cards.count() for c in view.columns)
        print(
            f"board reload, {cards} cards in {len(view.columns)} columns: "
            f"median {statistics.median(samples):.0f} ms (max {max(samples):.0f} ms); "
            f"raw SELECT baseline {statistics.median(raw):.0f} ms; bar 300 ms"
        )
        context.close()


if __name__ == "__main__":
    main()
