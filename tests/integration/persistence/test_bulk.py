"""The bulk path (`UnitOfWork.insert_rows`) writes the same search documents and change
records as reading the rows back would; records touched otherwise in the same unit of work
are read back."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.records import ContactDraft, EmailEntry, ListQuery, PhoneEntry, RoleEntry
from crm_desktop.persistence.changes import encode_value
from crm_desktop.persistence.models import (
    Company,
    Contact,
    ContactEmail,
    Deal,
    Pipeline,
    Stage,
)
from crm_desktop.persistence.records_map import insert_contacts
from crm_desktop.persistence.search import SearchIndex
from tests.conftest import TODAY
from tests.databases import connect

# About the SQLite file and its writer thread: not run against PostgreSQL.
pytestmark = pytest.mark.sqlite_only


def search_docs(path: Path) -> dict[str, tuple[str, str, int, str]]:
    with sqlite3.connect(path) as conn:
        return {
            row_id: (entity, title, live, body)
            for entity, row_id, title, live, body in conn.execute(
                "SELECT entity, row_id, title, live, body FROM search_fts"
            )
        }


def rebuilt_docs(app: AppContext) -> dict[str, tuple[str, str, int, str]]:
    with app.uow() as uow:
        assert uow.search is not None
        uow.search.rebuild()
        uow.commit()
    return search_docs(app.paths.database)


def test_bulk_documents_equal_the_documents_read_back(app: AppContext) -> None:
    app.demo.generate(contacts=400, seed=3, today=TODAY)
    bulk = search_docs(app.paths.database)
    assert len(bulk) > 400
    assert rebuilt_docs(app) == bulk


def fts_check(path: Path) -> None:
    """FTS5's own check that its index and content agree (raises if not)."""
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO search_fts(search_fts) VALUES('integrity-check')")


@pytest.mark.parametrize("content_writable", [True, False])
def test_the_trash_flags_documents_as_a_rebuild_would(
    app: AppContext, content_writable: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The flag is set in FTS5's content table, or (an SQLite in defensive mode) by FTS5.
    from crm_desktop.persistence import search

    monkeypatch.setattr(search, "_content_writable", lambda _conn: content_writable)
    app.demo.generate(contacts=200, seed=4, today=TODAY)
    ids = app.contacts.ids(ListQuery())
    name = app.contacts.get(ids[0]).last_name
    hits = {h.id for h in app.search.search(name)}
    assert ids[0] in hits
    app.bulk.delete("contacts", ids[:150])
    docs = search_docs(app.paths.database)
    assert sum(1 for d in docs.values() if d[0] == "contacts" and d[2] == 0) == 150
    assert rebuilt_docs(app) == docs
    fts_check(app.paths.database)
    assert ids[0] not in {h.id for h in app.search.search(name)}
    app.bulk.restore("contacts", ids[:100])
    docs = search_docs(app.paths.database)
    assert rebuilt_docs(app) == docs
    fts_check(app.paths.database)
    assert ids[0] in {h.id for h in app.search.search(name)}


def test_a_record_changed_after_its_bulk_insert_is_read_back(app: AppContext) -> None:
    with app.uow() as uow:
        company_id = "0190e1c2-0000-7000-8000-000000000001"
        uow.insert_rows(Company, [{"id": company_id, "name": "Nordlicht GmbH"}])
        ids = insert_contacts(
            uow,
            [
                ContactDraft(
                    first_name="Jürgen",
                    last_name="Weiß",
                    emails=(EmailEntry("jw@nordlicht.example"),),
                    phones=(PhoneEntry("+49 30 5550101"),),
                    roles=(RoleEntry(company_id, "Buyer"),),
                ),
                ContactDraft(first_name="Zofia", last_name="Nowak"),
            ],
        )
        pipeline_id, stage_id = (
            "0190e1c2-0000-7000-8000-000000000003",
            "0190e1c2-0000-7000-8000-000000000004",
        )
        uow.insert_rows(Pipeline, [{"id": pipeline_id, "name": "Sales"}])
        uow.insert_rows(
            Stage, [{"id": stage_id, "pipeline_id": pipeline_id, "name": "Lead", "position": 0}]
        )
        deal_id = "0190e1c2-0000-7000-8000-000000000002"
        uow.insert_rows(
            Deal,
            [
                {
                    "id": deal_id,
                    "title": "Fleet upgrade",
                    "pipeline_id": pipeline_id,
                    "stage_id": stage_id,
                    "company_id": company_id,
                }
            ],
        )
        # Edits through the ORM in the same unit of work: a rename, a new e-mail, a delete.
        company = uow.session.get(Company, company_id)
        assert company is not None
        company.name = "Polarlicht GmbH"
        uow.session.add(ContactEmail(contact_id=ids[1], email="zofia@kolo.example"))
        contact = uow.session.get(Contact, ids[0])
        assert contact is not None
        contact.city = "Köln"
        uow.commit()
    docs = search_docs(app.paths.database)
    assert "polarlicht" in docs[ids[0]][3] and "koln" in docs[ids[0]][3]
    assert "weiss" in docs[ids[0]][3] and "5550101" in docs[ids[0]][3]
    assert "zofia@kolo.example" in docs[ids[1]][3]
    assert docs[company_id][1] == "Polarlicht GmbH"
    assert docs[deal_id][1] == "Fleet upgrade" and "polarlicht" in docs[deal_id][3]
    assert rebuilt_docs(app) == docs


def test_bulk_change_values_are_compact_json_of_the_set_fields(app: AppContext) -> None:
    ids = app.contacts.create_many(
        [ContactDraft(first_name="Łukasz", last_name='O"Brien', emails=(EmailEntry("l@x.pl"),))]
    ).ids("contacts")
    (contact_id,) = ids
    with connect(app) as conn:
        (value,) = conn.execute(
            "SELECT value FROM change WHERE row_id = ? AND field = '*'", (contact_id,)
        ).fetchone()
    record = json.loads(value)
    assert record["first_name"] == "Łukasz" and record["last_name"] == 'O"Brien'
    assert "notes" not in record and "id" not in record and "updated_at" not in record
    assert record["created_at"].endswith("Z") and "T" in record["created_at"]
    assert value == encode_value(record)  # compact, not ASCII-escaped


def test_encode_value_matches_json_dumps() -> None:
    import datetime as dt

    for value in (
        {"a": 'Jürgen "J" \n\u2028', "b": 1, "c": None, "d": True, "e": 1.5, "f": [1, "x"]},
        {"day": dt.date(2020, 1, 2), "at": dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.UTC)},
        'ü"\\',
        5,
        None,
        False,
    ):
        expected = json.dumps(
            value,
            ensure_ascii=False,
            separators=(",", ":"),
            default=lambda v: (
                v.isoformat().replace("+00:00", "") + "Z"
                if isinstance(v, dt.datetime)
                else v.isoformat()
            ),
        )
        expected = expected.replace('03:04:05Z"', '03:04:05.000000Z"')
        assert encode_value(value) == expected


def test_search_index_uses_one_docid_counter(app: AppContext) -> None:
    with app.uow() as uow:
        assert isinstance(uow.search, SearchIndex)
    app.contacts.create_many([ContactDraft(first_name=f"P{i}", last_name="X") for i in range(30)])
    app.contacts.create_many([ContactDraft(first_name=f"Q{i}", last_name="Y") for i in range(30)])
    with connect(app) as conn:
        docids = [d for (d,) in conn.execute("SELECT docid FROM search_doc ORDER BY docid")]
        rowids = [r for (r,) in conn.execute("SELECT rowid FROM search_fts ORDER BY rowid")]
    assert docids == rowids == list(range(1, 61))


def autocheckpoint(app: AppContext) -> int:
    with app.uow.read() as uow:
        return int(uow.session.connection().exec_driver_sql("PRAGMA wal_autocheckpoint").scalar())


def test_bulk_batches_are_checkpointed_by_the_time_create_many_returns(app: AppContext) -> None:
    before = autocheckpoint(app)
    app.contacts.create_many(
        [ContactDraft(first_name=f"P{i}", last_name="X") for i in range(60)], batch=20
    )
    assert not [t for t in threading.enumerate() if t.name == "wal-checkpoint"]
    with connect(app) as conn:
        _busy, log, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert log == done  # every frame is in the database file already
    assert autocheckpoint(app) == before  # the connection's setting is back


def test_a_rolled_back_bulk_unit_of_work_starts_no_checkpoint(app: AppContext) -> None:
    before = autocheckpoint(app)
    with app.uow() as uow:
        uow.checkpoint_in_background()
        insert_contacts(uow, [ContactDraft(first_name="Gone")])
    assert not [t for t in threading.enumerate() if t.name == "wal-checkpoint"]
    assert autocheckpoint(app) == before
    assert app.contacts.count(ListQuery()) == 0


def _counts(app: AppContext) -> tuple[int, ...]:
    with connect(app) as conn:
        return tuple(
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("contacts", "contact_emails", "change", "search_fts", "search_doc")
        )


def _drafts(count: int, prefix: str = "P") -> list[ContactDraft]:
    return [
        ContactDraft(
            first_name=f"{prefix}{i}",
            last_name="Müller",
            emails=(EmailEntry(f"{prefix.lower()}{i}@example.de"),),
            phones=(PhoneEntry(f"+49 30 {i:06d}"),),
        )
        for i in range(count)
    ]


def test_bulk_inserts_run_in_the_background_and_reads_wait_for_them(
    app: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crm_desktop.persistence import bulk

    monkeypatch.setattr(bulk, "_ROWS_PER_STATEMENT", 7)  # many statements per INSERT
    interval = sys.getswitchinterval()
    with app.uow() as uow:
        insert_contacts(uow, _drafts(50))
        assert uow._pipe is not None  # the INSERTs went to the background writer
        assert sys.getswitchinterval() <= interval
        # A read in the same transaction sees every row written before it.
        count = uow.session.connection().exec_driver_sql("SELECT count(*) FROM contact_emails")
        assert count.scalar_one() == 50
        insert_contacts(uow, _drafts(20, "Q"))
        uow.commit()
    assert sys.getswitchinterval() == interval  # put back when the pipe closed
    assert not [t for t in threading.enumerate() if t.name == "bulk-writer"]
    assert _counts(app) == (70, 70, 70 * 3, 70, 70)
    with connect(app) as conn:
        seqs = [s for (s,) in conn.execute("SELECT seq FROM change ORDER BY rowid")]
    assert seqs == list(range(1, 211))  # written in several parts, numbered without gaps
    assert rebuilt_docs(app) == search_docs(app.paths.database)


def test_change_seq_goes_on_across_orm_and_background_writes(app: AppContext) -> None:
    app.contacts.create(ContactDraft(first_name="First"))
    with connect(app) as conn:
        (before,) = conn.execute("SELECT max(seq) FROM change").fetchone()
    with app.uow() as uow:
        uow.contacts.add(Contact(first_name="Orm", last_name="One", sort_name="one orm"))
        uow.session.flush()  # captured before the bulk rows
        insert_contacts(uow, _drafts(10))
        uow.contacts.add(Contact(first_name="Orm", last_name="Two", sort_name="two orm"))
        uow.commit()
    with connect(app) as conn:
        seqs = [s for (s,) in conn.execute("SELECT seq FROM change ORDER BY seq")]
    assert seqs == list(range(1, before + 2 + 10 * 3 + 1))


def test_a_background_insert_that_fails_leaves_nothing(app: AppContext) -> None:
    import sqlalchemy.exc

    app.contacts.create_many(_drafts(5))
    before = _counts(app)
    with pytest.raises(sqlalchemy.exc.IntegrityError), app.uow() as uow:
        insert_contacts(uow, _drafts(30, "Q"))
        # An e-mail of a contact that does not exist: the foreign key fails in the
        # background writer, after good rows were written in the same transaction.
        uow.insert_rows(ContactEmail, [{"contact_id": "no-such-contact", "email": "x@y.z"}])
        insert_contacts(uow, _drafts(30, "R"))
        uow.commit()
    assert _counts(app) == before
    assert not [t for t in threading.enumerate() if t.name == "bulk-writer"]
    # The database takes the next unit of work as usual.
    app.contacts.create_many(_drafts(3, "S"))
    assert _counts(app)[0] == before[0] + 3


def test_an_error_while_rows_are_written_in_the_background_leaves_nothing(
    app: AppContext,
) -> None:
    before = _counts(app)
    with pytest.raises(RuntimeError), app.uow() as uow:
        insert_contacts(uow, _drafts(40))
        raise RuntimeError("the caller fails half-way")
    assert _counts(app) == before
    assert app.contacts.count(ListQuery()) == 0


def test_new_ids_are_uuid7_and_unique() -> None:
    import uuid

    from crm_desktop.persistence.models import new_id, uuid7

    ids = [new_id() for _ in range(100_000)]
    assert len(set(ids)) == len(ids)
    for text in ids[:1000]:
        parsed = uuid.UUID(text)
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122 and str(parsed) == text
    millis = int(ids[-1].replace("-", "")[:12], 16)
    assert abs(millis - time.time() * 1000) < 60_000

    # The fast formatting is the reference layout, bit for bit.
    class Fixed:
        bits = 0
        ms = 0

        def getrandbits(self, _k: int) -> int:
            return self.bits

        def time_ns(self) -> int:
            return self.ms * 1_000_000

    fixed, rng = Fixed(), random.Random(5)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("crm_desktop.persistence.models._random", fixed)
        mp.setattr("crm_desktop.persistence.models.time.time_ns", fixed.time_ns)
        for _ in range(2000):
            fixed.ms, fixed.bits = rng.getrandbits(48), rng.getrandbits(74)
            assert new_id() == uuid7(fixed.ms, fixed.bits)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_process_makes_other_ids_than_its_parent() -> None:
    from crm_desktop.persistence.models import new_id

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.write(write, "".join(new_id()[-17:] for _ in range(5)).encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 1000).decode()
    os.waitpid(pid, 0)
    parent = "".join(new_id()[-17:] for _ in range(5))
    assert child and child != parent


def _search_text_joined(*parts: str | None) -> str:
    """`search_text` as first written: the joined text folded at once."""
    from crm_desktop.domain.text import _GERMAN, fold

    joined = " ".join(p for p in parts if p)
    folded = fold(joined)
    if joined.isascii():
        return folded
    extra = [
        g
        for w in joined.split()
        if not w.isascii()
        for g in (fold(w.casefold().translate(_GERMAN)),)
        if g != fold(w)
    ]
    return f"{folded} {' '.join(extra)}" if extra else folded


_TRICKY = list("aZ 1\tx\nß\u00a0\u2002\u0301\u0308ÄüÖΣςİıǅﬁ①é½Łø")


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.text(st.sampled_from(_TRICKY), max_size=8), st.text(max_size=6)),
        max_size=6,
    )
)
def test_search_text_part_by_part_equals_folding_the_joined_text(
    parts: list[str | None],
) -> None:
    from crm_desktop.domain.text import search_text

    assert search_text(*parts) == _search_text_joined(*parts)


def test_a_writer_that_cannot_use_the_connection_fails_the_drain_instead_of_hanging() -> None:
    import sqlite3

    import pytest

    from crm_desktop.persistence.bulk import StatementPipe

    connection = sqlite3.connect(":memory:")  # bound to this thread (check_same_thread)
    connection.execute("CREATE TABLE t (x INTEGER)")
    pipe = StatementPipe(connection)
    with pytest.raises(sqlite3.ProgrammingError):  # at the next submit or the drain
        pipe.submit("INSERT INTO t (x) VALUES (?)", [(1,), (2,)])
        pipe.drain()
    pipe.close()
    assert connection.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_an_interrupted_drain_waits_for_the_running_statement_then_raises() -> None:
    import sqlite3
    import threading

    import pytest

    from crm_desktop.persistence.bulk import StatementPipe

    connection = sqlite3.connect(":memory:", check_same_thread=False)
    connection.execute("CREATE TABLE t (x INTEGER)")
    pipe = StatementPipe(connection)
    started, release = threading.Event(), threading.Event()
    original = pipe._execute

    def slow(sql: str, rows: list[tuple[int]]) -> None:
        started.set()
        release.wait(5)
        original(sql, rows)

    pipe._execute = slow  # type: ignore[method-assign]
    pipe.submit("INSERT INTO t (x) VALUES (?)", [(1,)])
    pipe.submit("INSERT INTO t (x) VALUES (?)", [(2,)])
    started.wait(5)
    calls = {"n": 0}
    condition = pipe._jobs.all_tasks_done
    real_wait = condition.wait

    def interrupted_wait(timeout: float | None = None) -> bool:
        calls["n"] += 1
        if calls["n"] == 1:
            release.set()
            raise KeyboardInterrupt
        return real_wait(timeout)

    condition.wait = interrupted_wait  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        pipe.drain()
    assert pipe._jobs.unfinished_tasks == 0  # the running one finished, the next dropped
    condition.wait = real_wait  # type: ignore[method-assign]
    pipe.close()
    assert connection.execute("SELECT count(*) FROM t").fetchone() == (1,)
