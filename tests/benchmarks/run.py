"""Data-layer benchmarks, each against a baseline measured in the same run.

    uv run python -m tests.benchmarks.run [--contacts 100000] [--only insert,search,demo]

1. insert: N contacts (name, e-mail, phone, tag) through `ContactService.create_many`
   versus plain sqlite3 `executemany` writing the same rows into the same schema: the
   contact, e-mail and phone rows, their change records (JSON) and search documents.
   The baseline is the code a person would write by hand against sqlite3, without our
   layers; the ratio is the rate kept by the repository layer (bar: >= 1/3).
2. search: median and p95 latency of `search` (the command palette and `crm-desktop
   search`) and of one page of the contacts list, over realistic queries, on a demo
   database of N contacts; baseline: a LIKE scan of the same names (what SQLite does
   without the index). Bar: p95 under 10 ms at 100,000 contacts.
3. demo: time to generate the demo database of N contacts, with its rate beside the
   baseline's insert rate from (1). Bar: well under a minute at 100,000.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from crm_desktop.bootstrap import open_app
from crm_desktop.domain.records import ContactDraft, EmailEntry, ListQuery, PhoneEntry
from crm_desktop.domain.text import fold, search_text
from crm_desktop.persistence.models import new_id

FIRST = ["Anna", "Jürgen", "Łukasz", "Åsa", "Ayşe", "José", "Camille", "Priya", "Yuki", "Tomáš"]
LAST = [
    "Müller",
    "Núñez",
    "Wójcik",
    "Øvergaard",
    "Yılmaz",
    "Dvořák",
    "Lefèvre",
    "Smith",
    "Tanaka",
    "Sharma",
    "Schäfer",
    "O'Brien",
]
QUERIES = [
    "müller",
    "muller",
    "MÜLLER",
    "schmidt",
    "anna",
    "lukasz",
    "yilmaz",
    "núñez",
    "dvorak",
    "orbit",
    "joinery",
    "gmbh",
    "köln",
    "anna müller",
    "o'brien",
    "sharma",
    "tanaka",
    "zenith solar",
    "novasolar",
    "sophie weiss",
    "head of purch",
    "1701",
]


def drafts(count: int) -> list[ContactDraft]:
    return [
        ContactDraft(
            first_name=FIRST[i % len(FIRST)],
            last_name=f"{LAST[i % len(LAST)]}{i % 9973}",
            emails=(EmailEntry(f"person{i}@example-{i % 500}.com"),),
            phones=(PhoneEntry(f"+49 30 {i:08d}"),),
            tags=("Newsletter",) if i % 3 == 0 else (),
        )
        for i in range(count)
    ]


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def raw_insert(path: Path, items: list[ContactDraft]) -> tuple[float, float]:
    """The hand-written sqlite3 baseline: the same rows (same kind of keys), no layers.
    Returns the seconds spent preparing the rows and the seconds spent writing them."""
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    stamp = "2026-11-22 10:00:00.000000"
    tag_id = new_id()
    contacts, emails, phones, taggings, changes, docs = [], [], [], [], [], []
    seq = 0

    def change(entity: str, row_id: str, values: dict[str, object]) -> None:
        nonlocal seq
        seq += 1
        changes.append(("bench", seq, "0", entity, row_id, "*", json.dumps(values), None))

    for n, d in enumerate(items, start=1):
        cid, eid, pid = new_id(), new_id(), new_id()
        email, phone = d.emails[0].email, d.phones[0].number
        sort_name = fold(f"{d.last_name} {d.first_name}")
        contacts.append((cid, d.first_name, d.last_name, sort_name, email, phone, stamp, stamp))
        change(
            "contacts",
            cid,
            {
                "first_name": d.first_name,
                "last_name": d.last_name,
                "sort_name": sort_name,
                "email": email,
                "phone": phone,
                "created_at": stamp,
            },
        )
        emails.append((eid, cid, email, stamp, stamp))
        change("contact_emails", eid, {"contact_id": cid, "email": email, "created_at": stamp})
        phones.append((pid, cid, phone, stamp, stamp))
        change("contact_phones", pid, {"contact_id": cid, "number": phone, "created_at": stamp})
        if d.tags:
            tid = new_id()
            taggings.append((tid, tag_id, cid, stamp, stamp))
            change("taggings", tid, {"tag_id": tag_id, "target_id": cid, "created_at": stamp})
        docs.append(
            (
                n,
                "contacts",
                cid,
                f"{d.first_name} {d.last_name}",
                1,
                search_text(d.first_name, d.last_name, email, phone),
            )
        )
    prepared = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO tags (id, name, color, created_at, updated_at) "
        "VALUES (?, 'Newsletter', '', ?, ?)",
        (tag_id, stamp, stamp),
    )
    conn.executemany(
        "INSERT INTO contacts (id, first_name, last_name, sort_name, email, phone, created_at, "
        "updated_at, title, city, lead_source, notes, cadence_days) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '', '', '', 0)",
        contacts,
    )
    conn.executemany(
        "INSERT INTO contact_emails (id, contact_id, email, label, position, "
        "created_at, updated_at) VALUES (?, ?, ?, 'work', 0, ?, ?)",
        emails,
    )
    conn.executemany(
        "INSERT INTO contact_phones (id, contact_id, number, label, position, "
        "created_at, updated_at) VALUES (?, ?, ?, 'work', 0, ?, ?)",
        phones,
    )
    conn.executemany(
        "INSERT INTO taggings (id, tag_id, target_id, target_kind, created_at, "
        "updated_at) VALUES (?, ?, ?, 'contact', ?, ?)",
        taggings,
    )
    conn.executemany("INSERT INTO change VALUES (?, ?, ?, ?, ?, ?, ?, ?)", changes)
    conn.executemany(
        "INSERT INTO search_fts (rowid, entity, row_id, title, live, body) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        docs,
    )
    conn.executemany(
        "INSERT INTO search_doc (row_id, docid) VALUES (?, ?)", [(doc[2], doc[0]) for doc in docs]
    )
    conn.execute("COMMIT")
    conn.close()
    return prepared - started, time.perf_counter() - prepared


def bench_insert(root: Path, count: int) -> list[tuple[str, str, str]]:
    items = drafts(count)
    base_app = open_app(root / "raw")
    base_app.close()
    prepare, write = raw_insert(root / "raw" / "crm.sqlite", items)
    raw = prepare + write
    app = open_app(root / "service")
    ours = timed(lambda: app.contacts.create_many(items))
    app.close()
    ratio = raw / ours
    return [
        ("insert: raw sqlite3 executemany", f"{count / raw:,.0f} contacts/s", f"{raw:.2f} s"),
        ("  of which executemany alone", f"{count / write:,.0f} contacts/s", f"{write:.2f} s"),
        ("insert: services (create_many)", f"{count / ours:,.0f} contacts/s", f"{ours:.2f} s"),
        ("insert: rate kept by the layers", f"{ratio:.2f} of raw", "bar >= 0.33"),
        ("  against executemany alone", f"{write / ours:.2f} of raw", ""),
    ]


def demo_database(data_dir: Path | None, folder: Path, contacts: int) -> Path:
    """`data_dir` when one was given, else a demo database of `contacts` made in `folder`."""
    if data_dir is not None:
        return data_dir
    made = folder / "demo"
    app = open_app(made)
    print(f"making a demo database of {contacts:,} contacts...", flush=True)
    app.demo.generate(contacts=contacts, seed=1)
    app.close()
    return made


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def bench_search(root: Path, count: int) -> tuple[list[tuple[str, str, str]], float]:
    app = open_app(root / "demo")
    demo_seconds = timed(lambda: app.demo.generate(contacts=count, seed=1))
    rows: list[tuple[str, str, str]] = []
    for name, fn in (
        ("search (palette / CLI)", lambda q: app.search.search(q, 50)),
        ("contacts list, first page", lambda q: app.contacts.page(ListQuery(search=q), 0, 100)),
    ):
        for q in QUERIES:  # warm the page cache once, as a running app would be
            fn(q)
        samples = []
        for _ in range(5):
            for q in QUERIES:
                samples.append(timed(lambda q=q, fn=fn: fn(q)) * 1000)
        rows.append(
            (
                f"{name}: median / p95",
                f"{statistics.median(samples):.1f} ms",
                f"{percentile(samples, 0.95):.1f} ms",
            )
        )
    conn = sqlite3.connect(app.paths.database)
    samples = []
    for q in QUERIES:
        pattern = f"%{q.split()[0]}%"
        samples.append(
            timed(
                lambda p=pattern: conn.execute(
                    "SELECT id FROM contacts WHERE first_name || ' ' || last_name || ' ' || email "
                    "LIKE ? LIMIT 50",
                    (p,),
                ).fetchall()
            )
            * 1000
        )
    conn.close()
    rows.append(
        (
            "baseline: LIKE scan, median / p95",
            f"{statistics.median(samples):.1f} ms",
            f"{percentile(samples, 0.95):.1f} ms",
        )
    )
    app.close()
    return rows, demo_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--only", default="insert,search,demo")
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    table: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if "insert" in wanted:
            table += bench_insert(root, args.contacts)
        if wanted & {"search", "demo"}:
            search_rows, demo_seconds = bench_search(root, args.contacts)
            if "demo" in wanted:
                table.append(
                    (
                        f"demo: {args.contacts:,} contacts with deals, activities...",
                        f"{demo_seconds:.1f} s",
                        f"{args.contacts / demo_seconds:,.0f} contacts/s",
                    )
                )
            if "search" in wanted:
                table += search_rows
    width = max(len(r[0]) for r in table)
    print(f"\n{'benchmark':<{width}}  {'figure':>18}  {'detail':>16}")
    for name, figure, detail in table:
        print(f"{name:<{width}}  {figure:>18}  {detail:>16}")


if __name__ == "__main__":
    main()
