"""The bulk path (`UnitOfWork.insert_rows`) writes the same search documents and change
records as reading the rows back would; records touched otherwise in the same unit of work
are read back."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

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
from crm_desktop.persistence.search import SearchIndex
from crm_desktop.services.contacts import ContactService
from tests.conftest import TODAY


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


def test_a_record_changed_after_its_bulk_insert_is_read_back(app: AppContext) -> None:
    with app.uow() as uow:
        company_id = "0190e1c2-0000-7000-8000-000000000001"
        uow.insert_rows(Company, [{"id": company_id, "name": "Nordlicht GmbH"}])
        ids = ContactService.insert_drafts(
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
    with sqlite3.connect(app.paths.database) as conn:
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
    with sqlite3.connect(app.paths.database) as conn:
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
    with sqlite3.connect(app.paths.database) as conn:
        _busy, log, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert log == done  # every frame is in the database file already
    assert autocheckpoint(app) == before  # the connection's setting is back


def test_a_rolled_back_bulk_unit_of_work_starts_no_checkpoint(app: AppContext) -> None:
    before = autocheckpoint(app)
    with app.uow() as uow:
        uow.checkpoint_in_background()
        ContactService.insert_drafts(uow, [ContactDraft(first_name="Gone")])
    assert not [t for t in threading.enumerate() if t.name == "wal-checkpoint"]
    assert autocheckpoint(app) == before
    assert app.contacts.count(ListQuery()) == 0
