"""Import benchmark: N CSV rows (a Google-like export: names, e-mail, phone, company,
tags) through `ImportService.run`, duplicate checks included, against baselines measured
in the same run.

    uv run python -m tests.benchmarks.imports [--rows 100000]

1. reading alone: the CSV decoded, its delimiter detected and parsed (`tabular.read_csv`).
2. `ContactService.create_many` of the same contacts (names, e-mail, phone, company
   role, tags, notes), drafts and companies prepared in advance: the bulk path alone,
   without reading, mapping, duplicate checks or company linking.
3. the import into an empty database (bar: under 15 s at 100,000 rows).
4. the same file again into that database: every row is a duplicate of a stored contact
   (the duplicate check against 100,000 contacts; nothing to write).
5. undoing the import: every contact and company it made goes to the Trash, against the
   import's own time (bar: at most a quarter of it at 20,000 rows).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import tempfile
import time
from pathlib import Path

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.domain.records import ContactDraft, EmailEntry, ListQuery, PhoneEntry, RoleEntry
from crm_desktop.exchange import tabular
from crm_desktop.persistence.models import Company, new_id

FIRST = ["Anna", "Jürgen", "Łukasz", "Åsa", "Ayşe", "José", "Camille", "Priya", "Yuki", "Tomáš"]
LAST = ["Müller", "Núñez", "Wójcik", "Øvergaard", "Yılmaz", "Schmidt", "Dubois", "Rossi"]
HEADERS = ["First Name", "Last Name", "E-mail 1 - Value", "Phone 1 - Value",
           "Organization Name", "Labels", "Notes"]  # fmt: skip


def make_csv(rows: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for n in range(rows):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        writer.writerow(
            [
                first,
                last,
                f"{first.lower()}.{n}@example-{n % 97}.com",
                f"+49 30 {n:08d}",
                f"Firma {n // 8} GmbH",
                "* myContacts ::: Kunden" if n % 3 == 0 else "* myContacts",
                "Met at the fair, line one\nline two" if n % 50 == 0 else "",
            ]
        )
    return out.getvalue().encode("utf-8")


def same_contacts(app: AppContext, count: int) -> list[ContactDraft]:
    """The contacts the import makes of `make_csv`'s rows, as drafts, their companies
    already in the database (written here, not timed)."""
    companies = {n: new_id() for n in range(count // 8 + 1)}
    with app.uow() as uow:
        rows = [{"id": cid, "name": f"Firma {n} GmbH"} for n, cid in companies.items()]
        uow.insert_rows(Company, rows)
        uow.commit()
    rng = random.Random(1)
    drafts = []
    for n in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        drafts.append(
            ContactDraft(
                first_name=first,
                last_name=last,
                emails=(EmailEntry(f"{first.lower()}.{n}@example-{n % 97}.com"),),
                phones=(PhoneEntry(f"+49 30 {n:08d}", "work"),),
                roles=(RoleEntry(companies[n // 8]),),
                tags=("Kunden",) if n % 3 == 0 else (),
                notes="Met at the fair, line one\nline two" if n % 50 == 0 else "",
            )
        )
    return drafts


def timed(fn: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()  # type: ignore[operator]
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    count = args.rows
    data = make_csv(count)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "contacts.csv"
        path.write_bytes(data)
        read_seconds, sheet = timed(lambda: tabular.read_csv(data))
        assert len(sheet.rows) == count  # type: ignore[attr-defined]

        base = open_app(root / "base")
        drafts = same_contacts(base, count)
        bulk_seconds, _ = timed(lambda: base.contacts.create_many(drafts))
        base.close()

        app = open_app(root / "import")
        import_seconds, result = timed(lambda: app.imports.run(path))
        assert result.created == count, result  # type: ignore[attr-defined]
        again_seconds, again = timed(lambda: app.imports.run(path))
        assert again.skipped == count, again  # type: ignore[attr-defined]
        undo_seconds, _ = timed(lambda: app.imports.undo(result.batch_id))  # type: ignore[attr-defined]
        assert app.contacts.count(ListQuery()) == 0
        app.close()
    rows = [
        ("read CSV alone (decode, sniff, parse)", f"{count / read_seconds:,.0f} rows/s",
         f"{read_seconds:.2f} s"),
        ("create_many of prepared drafts", f"{count / bulk_seconds:,.0f} rows/s",
         f"{bulk_seconds:.2f} s"),
        ("import into an empty database", f"{count / import_seconds:,.0f} rows/s",
         f"{import_seconds:.2f} s (bar 15 s)"),
        ("  against create_many", f"{bulk_seconds / import_seconds:.2f} of its rate", ""),
        ("same file again: all duplicates", f"{count / again_seconds:,.0f} rows/s",
         f"{again_seconds:.2f} s"),
        ("undo of the import (all to the Trash)", f"{count / undo_seconds:,.0f} rows/s",
         f"{undo_seconds:.2f} s"),
        ("  against the import", f"{undo_seconds / import_seconds:.2f} of its time",
         "(bar 0.25)"),
    ]  # fmt: skip
    print(f"\n{'benchmark (' + format(count, ',') + ' rows)':<44} {'figure':>20}  detail")
    for name, figure, detail in rows:
        print(f"{name:<44} {figure:>20}  {detail}")


if __name__ == "__main__":
    main()
