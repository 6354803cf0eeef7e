"""What only a PostgreSQL server has: moving up to it, a backup down from it, many writers
numbering the change log, accounts enforced by the server, passwords in the keyring,
change notifications, and ids compared byte by byte (migration 0015). Skipped unless
CRM_DESKTOP_TEST_DATABASE_URL names a server; the rest of the integration suite runs on
both databases through the `app` fixture."""

from __future__ import annotations

import io
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from keyring.backend import KeyringBackend

from crm_desktop.bootstrap import AppContext, open_app
from crm_desktop.cli import main
from crm_desktop.domain.errors import DatabaseError, PermissionDenied
from crm_desktop.domain.records import CompanyDraft, ContactDraft, EmailEntry, ListQuery, RoleEntry
from crm_desktop.persistence import accounts, database
from crm_desktop.persistence.engine import create_db_engine, remember_password
from tests import databases
from tests.conftest import TODAY

pytestmark = [
    pytest.mark.sqlite_only,  # each test makes the databases it needs itself
    pytest.mark.skipif(databases.server_url() is None, reason="no PostgreSQL server given"),
]


@pytest.fixture
def server_db() -> Iterator[str]:
    url = databases.new_database()
    yield url
    databases.drop_database(url)


def _counts(app: AppContext) -> dict[str, int]:
    with databases.connect(app) as conn:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("contacts", "companies", "deals", "activities", "orders", "change")
        }


def test_move_to_copies_everything_with_its_history(tmp_path: Path, server_db: str) -> None:
    local = open_app(tmp_path / "local")
    try:
        local.demo.generate(contacts=150, seed=3, today=TODAY)
        result = local.maintenance.move_to(server_db)
        before = _counts(local)
        hits = sorted(h.id for h in local.search.search("müller", 50))
    finally:
        local.close()
    assert result.counts["contacts"] == 150
    server = open_app(tmp_path / "server", database_url=server_db)
    try:
        assert _counts(server) == before
        assert sorted(h.id for h in server.search.search("müller", 50)) == hits
        checks = {c.name: c.ok for c in server.maintenance.doctor()}
        assert all(checks.values()), checks
    finally:
        server.close()


def test_move_to_refuses_a_database_in_use(tmp_path: Path, server_db: str) -> None:
    first = open_app(tmp_path / "a")
    first.contacts.create(ContactDraft(first_name="Ada", last_name="Lovelace"))
    first.maintenance.move_to(server_db)
    with pytest.raises(DatabaseError, match="already holds"):
        first.maintenance.move_to(server_db)
    first.close()


def test_backup_of_a_server_database_opens_offline(tmp_path: Path, server_db: str) -> None:
    server = open_app(tmp_path / "s", database_url=server_db)
    server.demo.generate(contacts=80, seed=5, today=TODAY)
    counts = _counts(server)
    backup = server.maintenance.backup(tmp_path / "copy.sqlite")
    server.close()
    folder = tmp_path / "offline"
    folder.mkdir()
    backup.rename(folder / "crm.sqlite")
    offline = open_app(folder)
    try:
        assert _counts(offline) == counts
        assert (
            offline.contacts.count(ListQuery(search="müller"))
            == len(offline.search.search("müller", 500))
            or offline.contacts.count(ListQuery()) == 80
        )
        assert all(c.ok for c in offline.maintenance.doctor())
    finally:
        offline.close()


def test_many_writers_number_the_change_log_without_gaps(tmp_path: Path, server_db: str) -> None:
    people = [open_app(tmp_path / f"p{i}", database_url=server_db) for i in range(3)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(people))

    def work(app: AppContext, who: int) -> None:
        try:
            start.wait()
            for n in range(15):
                app.contacts.create(ContactDraft(first_name=f"W{who}", last_name=f"N{n}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(a, i)) for i, a in enumerate(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with databases.connect(people[0]) as conn:
        seqs = [r[0] for r in conn.execute("SELECT seq FROM change ORDER BY seq").fetchall()]
        devices = conn.execute("SELECT count(DISTINCT device_id) FROM change").fetchone()[0]
    assert devices == 1  # the server is one device of the change log
    assert seqs == list(range(1, len(seqs) + 1))  # gap-free, none taken twice
    assert people[0].contacts.count(ListQuery()) == 45
    for app in people:
        app.close()


def _drop_role(name: str) -> None:
    databases._admin_execute(f'DROP ROLE IF EXISTS "{name}"')


def test_a_member_may_edit_records_but_not_pipelines(tmp_path: Path, server_db: str) -> None:
    owner = open_app(tmp_path / "owner", database_url=server_db)
    owner.pipeline.ensure_default()
    login = f"member_{uuid.uuid4().hex[:8]}"
    accounts.add_user(owner.database.engine, login, "s3cret pass")
    admin_role, member_role = accounts.group_roles(owner.database.engine.url.database or "")
    as_member = owner.database.engine.url.set(username=login, password="s3cret pass")
    member = open_app(tmp_path / "member", database_url=as_member.render_as_string(False))
    try:
        saved = member.contacts.create(ContactDraft(first_name="Mia", last_name="Member"))
        assert member.contacts.get(saved.id).last_name == "Member"
        with pytest.raises(PermissionDenied, match="only an admin"):
            member.pipeline.create_pipeline("Mine now")
        assert [p.name for p in owner.pipeline.pipelines()] == ["Sales"]
        with databases.connect(owner) as conn:
            author = conn.execute(
                "SELECT author FROM change WHERE row_id = ? LIMIT 1", (saved.id,)
            ).fetchone()[0]
        assert author == login  # the change log says who changed what
    finally:
        member.close()
        owner.close()
        databases.drop_database(server_db)
        for role in (login, admin_role, member_role):
            _drop_role(role)


class _MemoryKeyring(KeyringBackend):
    """keyring's own backend interface, holding secrets in memory for the test."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


def test_a_password_comes_from_the_keyring_never_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring

    memory = _MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(memory)
    try:
        remember_password("postgresql://anna@db.example:6543/crm", "kept-safe")
        engine = create_db_engine("postgresql://anna@db.example:6543/crm")
        assert engine.url.password == "kept-safe"
        assert engine.url.drivername == "postgresql+psycopg"
        engine.dispose()
    finally:
        keyring.set_keyring(previous)
    for stored in tmp_path.rglob("*"):
        assert "kept-safe" not in stored.read_text(errors="ignore") if stored.is_file() else True


def test_others_changes_are_announced(tmp_path: Path, server_db: str) -> None:
    watcher = open_app(tmp_path / "w", database_url=server_db)
    writer = open_app(tmp_path / "x", database_url=server_db)
    try:
        watch = watcher.server_watch
        assert watch is not None
        watch.start()
        assert watch.poll().changed == {}
        saved = writer.contacts.create(ContactDraft(first_name="Nora", last_name="Notify"))
        assert watch.wait(timeout=30)  # woken by the server, not by a timer
        changes = watch.poll()
        assert saved.id in changes.changed["contacts"]
        assert watch.poll().changed == {}  # each change announced once
    finally:
        watcher.close()
        writer.close()


def test_monthly_report_is_the_same_on_both_databases(
    tmp_path: Path, server_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    def report(*where: str) -> Any:
        day = TODAY.isoformat()
        demo = [*where, "demo", "--contacts", "400", "--seed", "9", "--today", day]
        assert main(demo) == 0
        capsys.readouterr()
        assert main([*where, "--json", "report", "monthly", "--month", "2026-10"]) == 0
        payload = json.loads(capsys.readouterr().out)
        payload.pop("generated", None)
        payload.pop("generated_at", None)
        return payload

    on_sqlite = report("--data-dir", str(tmp_path / "lite"))
    on_server = report("--data-dir", str(tmp_path / "srv"), "--database-url", server_db)
    assert on_server == on_sqlite


def test_command_line_moves_up_and_adds_a_person(
    tmp_path: Path,
    server_db: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local = ["--data-dir", str(tmp_path / "local")]
    assert main([*local, "demo", "--contacts", "60", "--seed", "4"]) == 0
    capsys.readouterr()
    assert main([*local, "move-to", server_db, "--switch"]) == 0
    out = capsys.readouterr().out
    assert "every count checked" in out and "contacts" in out
    saved = json.loads((tmp_path / "local" / "preferences.json").read_text())
    assert saved["database_url"].startswith("postgresql+psycopg://")
    # The same folder now opens the server (the preference), and an admin adds a person.
    login = f"cli_{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr("sys.stdin", io.StringIO("pw-of-the-person\n"))
    assert main([*local, "server", "add-user", login, "--password-stdin"]) == 0
    assert f"{login} can sign in as a member" in capsys.readouterr().out
    assert main([*local, "--json", "search", "müller"]) == 0
    assert isinstance(json.loads(capsys.readouterr().out), list)
    databases.drop_database(server_db)
    admin_role, member_role = accounts.group_roles(server_db.rsplit("/", 1)[1])
    for role in (login, admin_role, member_role):
        _drop_role(role)


# ---- ids in byte order (migration 0015) -----------------------------------------------

_ID_COLUMNS = """
SELECT a.attrelid::regclass::text || '.' || a.attname, coalesce(c.collname, 'default')
FROM pg_attribute AS a
JOIN pg_class AS t ON t.oid = a.attrelid AND t.relkind = 'r'
JOIN pg_namespace AS n ON n.oid = t.relnamespace AND n.nspname = 'public'
LEFT JOIN pg_collation AS c ON c.oid = a.attcollation
WHERE a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'varchar'::regtype
  AND a.atttypmod = 40
"""
_FOREIGN_KEYS = "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated"


def _collations(app: AppContext) -> dict[str, str]:
    with databases.connect(app) as conn:
        return dict(conn.execute(_ID_COLUMNS).fetchall())


def _seen(app: AppContext) -> tuple[object, ...]:
    return (
        sorted(h.id for h in app.search.search("fjord", 50)),
        app.contacts.ids(ListQuery(search="kowalczyk")),
        app.contacts.ids(ListQuery()),
    )


def test_ids_compare_byte_by_byte_and_an_older_database_upgrades(
    tmp_path: Path, server_db: str
) -> None:
    app = open_app(tmp_path / "a", database_url=server_db)
    company = app.companies.create(CompanyDraft(name="Fjordlicht AS")).id
    app.contacts.create_many(
        [
            ContactDraft(
                first_name=f"Ola{n}",
                last_name="Kowalczyk",
                emails=(EmailEntry(f"ola{n}@fjord.example"),),
                roles=(RoleEntry(company, "Buyer"),),
            )
            for n in range(12)
        ]
    )
    columns = _collations(app)
    assert {"contacts.id", "contact_roles.company_id", "change.row_id"} <= columns.keys()
    assert set(columns.values()) == {"C"}
    with databases.connect(app) as conn:
        ids = [i for (i,) in conn.execute("SELECT id FROM contacts ORDER BY id").fetchall()]
        keys = conn.execute(_FOREIGN_KEYS).fetchone()
    assert ids == sorted(ids)  # byte order, as SQLite's
    seen = _seen(app)
    with app.database.engine.connect() as connection, connection.begin():
        config = database._alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0013")
    assert set(_collations(app).values()) == {"default"}
    with databases.connect(app) as conn:  # a report of the business's own
        conn.execute("CREATE VIEW buyers AS SELECT c.id, c.first_name FROM contacts AS c")
    app.close()
    again = open_app(tmp_path / "b", database_url=server_db)
    try:
        assert database.current_revision(again.database.engine) == database.HEAD_REVISION
        after = _collations(again)
        assert after.pop("contacts.id") == "default"  # the view's: left as it was
        assert set(after.values()) == {"C"}
        with databases.connect(again) as conn:
            assert conn.execute(_FOREIGN_KEYS).fetchone() == keys
        with pytest.raises(psycopg.errors.ForeignKeyViolation), databases.connect(again) as conn:
            conn.execute(
                "INSERT INTO contact_emails (id, contact_id, email, label, position, "
                "created_at, updated_at) VALUES (?, ?, 'x@y.example', '', 0, now(), now())",
                (str(uuid.uuid4()), str(uuid.uuid4())),
            )
        assert _seen(again) == seen
        assert len(seen[0]) == 13 and len(seen[1]) == 12
    finally:
        again.close()
