"""Duplicate scan benchmark: `DuplicateService.scan` over a 100,000-contact demo database.

    uv run python -m tests.benchmarks.duplicates [--data-dir D] [--contacts 100000] [--runs 3]

Without `--data-dir` a demo database of `--contacts` contacts is made in a temporary
folder first (about 40 s at 100,000; `crm-desktop --data-dir D demo --contacts 100000`
once and `--data-dir D` after that saves the wait). Measures the scan of contacts and of
companies (the service function behind `crm-desktop duplicates` and the scan screen),
beside baselines measured in the same run: a plain SQL GROUP BY over the folded e-mails
(what exact matching alone costs in the database), and a raw sqlite3 read of the rows the
scan looks at. The demo's names repeat (about 400 names for 100,000 people), so the
similar-names step is also timed on 100,000 distinct made-up names with typos planted,
against rapidfuzz comparing every name with every other (extrapolated from a slice).
Bar: the contact scan under 20 s at 100,000 contacts.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.benchmarks.run import demo_database

BAR_SECONDS = 20.0

EMAIL_GROUPS = """
    SELECT lower(trim(e.email)), count(DISTINCT e.contact_id)
    FROM contact_emails e JOIN contacts c ON c.id = e.contact_id
    WHERE e.deleted_at IS NULL AND c.deleted_at IS NULL
    GROUP BY lower(trim(e.email)) HAVING count(DISTINCT e.contact_id) > 1
"""
SCAN_READS = (
    "SELECT id, first_name, last_name, created_at FROM contacts WHERE deleted_at IS NULL",
    "SELECT contact_id, email FROM contact_emails WHERE deleted_at IS NULL",
    "SELECT contact_id, number FROM contact_phones WHERE deleted_at IS NULL",
    "SELECT contact_id, company_id FROM contact_roles WHERE deleted_at IS NULL",
)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def made_up_names(count: int, seed: int = 1) -> tuple[list[str], list[tuple[int, int]]]:
    """`count` distinct "first last" names, 1 % of them a copy of another with one letter
    changed; returns the names and the (original, copy) index pairs planted."""
    rng = random.Random(seed)
    firsts = [
        "anna", "lukas", "sophie", "felix", "lea", "jose", "lucia", "maria", "emma", "oliver",
        "james", "amelia", "priya", "arjun", "yuki", "kenji", "tomas", "lucie", "zofia",
        "pawel", "ingrid", "astrid", "mehmet", "zeynep", "camille", "noe", "helene",
    ]  # fmt: skip
    syllables = [
        "ber", "bach", "berg", "brand", "dorf", "feld", "hau", "hof", "kamp", "kirch", "land",
        "lin", "mann", "mei", "mer", "nau", "ro", "sand", "sch", "stein", "tal", "wald", "wer",
        "win", "zel", "ko", "la", "mi", "nu", "sa", "ta", "vi", "do", "re", "fa",
    ]  # fmt: skip
    names: set[str] = set()
    while len(names) < count * 0.99:
        last = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        names.add(f"{rng.choice(firsts)} {last}")
    result = sorted(names)
    planted = []
    for original in rng.sample(range(len(result)), count - len(result)):
        name = result[original]
        at = rng.randrange(len(name))
        typo = name[:at] + rng.choice("aeiouy") + name[at + 1 :]
        if typo not in names and " " in typo.strip():
            names.add(typo)
            result.append(typo)
            planted.append((original, len(result) - 1))
    return result, planted


def similar_names_step(count: int) -> list[tuple[str, str, str]]:
    from rapidfuzz import fuzz, process

    from crm_desktop.domain.matching import Pairs
    from crm_desktop.services.duplicates import NAME_THRESHOLD, DuplicateService

    names, planted = made_up_names(count)
    keys = [" ".join(sorted(n.split())) for n in names]
    pairs = Pairs()
    seconds, _ = timed(lambda: DuplicateService._similar_names(pairs, keys, names))
    found = len(pairs.found)
    # Recall: planted typos similar enough to pair, and how many of them the blocks found.
    due = [(a, b) for a, b in planted if fuzz.ratio(keys[a], keys[b]) >= NAME_THRESHOLD]
    caught = sum(1 for pair in due if pair in pairs.found)
    # Every name against every other: time a slice of names and scale up.
    rows = keys[:200]
    slice_seconds, _ = timed(
        lambda: [
            process.extract(k, keys, scorer=fuzz.ratio, score_cutoff=NAME_THRESHOLD, limit=None)
            for k in rows
        ]
    )
    everything = slice_seconds * len(keys) / len(rows) / 2  # half: each pair once
    return [
        (f"similar names, {len(keys):,} distinct names (blocked)", f"{seconds:.2f} s", ""),
        ("  pairs found / typos planted", f"{found:,}", f"{len(planted):,}"),
        ("  planted typos >= threshold / found", f"{len(due):,}", f"{caught:,}"),
        ("  baseline: every name with every other", f"{everything:.0f} s", "estimated"),
        ("  blocked / every pair", f"{seconds / everything:.3f}", ""),
    ]


def bench(data_dir: Path, runs: int) -> list[tuple[str, str, str]]:
    from crm_desktop.bootstrap import open_app

    app = open_app(data_dir)
    first, groups = timed(lambda: app.duplicates.scan("contacts"))
    scans = [timed(lambda: app.duplicates.scan("contacts"))[0] for _ in range(runs)]
    companies = [timed(lambda: app.duplicates.scan("companies")) for _ in range(runs)]
    conn = sqlite3.connect(app.paths.database)
    contacts = conn.execute("SELECT count(*) FROM contacts WHERE deleted_at IS NULL").fetchone()
    company_count = conn.execute("SELECT count(*) FROM companies").fetchone()[0]
    sql = [timed(lambda: conn.execute(EMAIL_GROUPS).fetchall()) for _ in range(runs)]
    reads = [
        timed(lambda: [conn.execute(q).fetchall() for q in SCAN_READS])[0] for _ in range(runs)
    ]
    conn.close()
    app.close()
    scan = statistics.median(scans)
    baseline = statistics.median(s for s, _ in sql)
    email_groups = len(sql[0][1])
    records = sum(len(g.ids) for g in groups)
    by_reason: dict[str, int] = {}
    for group in groups:
        for pair in group.pairs:
            for reason in pair.reasons:
                label = reason.split(" ")[1] if reason.startswith("same ") else "similar"
                by_reason[label] = by_reason.get(label, 0) + 1
    company_groups = companies[0][1]
    return [
        ("database", f"{contacts[0]:,} contacts", f"{company_count:,} companies"),
        ("scan contacts, first run", f"{first:.2f} s", ""),
        (f"  median of {runs} runs", f"{scan:.2f} s", f"bar {BAR_SECONDS:.0f} s"),
        ("  groups / contacts in them", f"{len(groups):,}", f"{records:,}"),
        (
            "  pairs: e-mail / phone / company / name",
            " / ".join(f"{by_reason.get(k, 0):,}" for k in ("e-mail", "phone", "company")),
            f"{by_reason.get('similar', 0) + by_reason.get('name', 0):,}",
        ),
        ("baseline: SQL GROUP BY folded e-mail", f"{baseline:.2f} s", f"{email_groups:,} groups"),
        ("baseline: raw read of the scanned rows", f"{statistics.median(reads):.2f} s", ""),
        ("scan / GROUP BY", f"{scan / baseline:.1f} x", ""),
        (
            "scan companies, median",
            f"{statistics.median(s for s, _ in companies):.2f} s",
            f"{len(company_groups):,} groups",
        ),
        *similar_names_step(int(contacts[0])),
        ("verdict", "PASS" if scan < BAR_SECONDS else "FAIL", ""),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an existing (demo) database to use")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = demo_database(args.data_dir, Path(tmp), args.contacts)
        table = bench(data_dir, args.runs)
    width = max(len(r[0]) for r in table)
    print(f"\n{'benchmark':<{width}}  {'figure':>18}  {'detail':>16}")
    for name, figure, detail in table:
        print(f"{name:<{width}}  {figure:>18}  {detail:>16}")


if __name__ == "__main__":
    main()
