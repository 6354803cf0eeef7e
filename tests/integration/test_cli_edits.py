"""The command line's bulk edits and quick actions (cli_edits.py): one service call each,
--json output, one error line and a non-zero exit for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm_desktop.bootstrap import open_app
from crm_desktop.cli import main
from crm_desktop.domain.records import ContactDraft, EmailEntry, ListQuery


def run(capsys: pytest.CaptureFixture[str], data: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "d"
    app = open_app(folder)
    app.users.create("Grace Hopper")
    for first, last in (("Anna", "Müller"), ("Jan", "Müller"), ("Ada", "Lovelace")):
        email = EmailEntry(f"{first.lower()}@example.com")
        app.contacts.create(ContactDraft(first_name=first, last_name=last, emails=(email,)))
    app.pipeline.create_pipeline("Sales")
    app.pipeline.add_reason("won", "Best price")
    app.close()
    return folder


def test_tag_untag_owner_by_search(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    code, out, err = run(capsys, data, "--json", "contacts", "tag", "VIP", "--search", "müller")
    assert code == 0, err
    payload = json.loads(out)
    assert (payload["operation"], payload["selected"], payload["changed"]) == ("tag", 2, 2)

    code, out, _ = run(capsys, data, "contacts", "tag", "vip", "--tagged", "VIP")
    assert code == 0 and "2 already so" in out

    code, out, _ = run(capsys, data, "contacts", "owner", "grace hopper", "--tagged", "VIP")
    assert code == 0 and out.startswith("Give 2 contacts to Grace Hopper")

    code, out, _ = run(capsys, data, "--json", "contacts", "untag", "VIP", "--search", "anna")
    assert code == 0 and json.loads(out)["changed"] == 1
    app = open_app(data)
    tagged = app.contacts.ids(ListQuery(tag="VIP"))
    owners = {app.contacts.get(i).owner_id for i in app.contacts.ids(ListQuery(search="müller"))}
    app.close()
    assert len(tagged) == 1 and len(owners) == 1 and None not in owners


def test_delete_and_restore_ids_from_stdin(
    capsys: pytest.CaptureFixture[str], data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = open_app(data)
    ids = app.contacts.ids(ListQuery(search="müller"))
    app.close()
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(ids) + "\n"))
    code, out, _ = run(capsys, data, "contacts", "delete", "--ids", "-")
    assert code == 0 and out.startswith("Move 2 contacts to the Trash")
    code, out, _ = run(capsys, data, "contacts", "restore", "--search", "müller")
    assert code == 0 and out.startswith("Restore 2 contacts from the Trash")


def test_quick_actions_and_a_new_deal(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    code, out, err = run(
        capsys, data, "--json", "log-call", "ada@example.com", "Wants a quote", "--minutes", "20"
    )
    assert code == 0, err
    call = json.loads(out)["id"]
    code, _, _ = run(capsys, data, "note", "Lovelace", "Prefers e-mail")
    assert code == 0
    code, _, _ = run(capsys, data, "follow-up", "Ada", "Send the quote", "--days", "2")
    assert code == 0
    code, out, err = run(
        capsys, data, "--json", "deals", "new", "Engines", "--contact", "Ada", "--value", "1200.50"
    )
    assert code == 0, err
    deal = json.loads(out)["id"]
    code, out, err = run(
        capsys, data, "deals", "stage", "Won", "--ids", deal, "--reason", "best price"
    )
    assert code == 0 and out.startswith("Move 1 deal to Won"), err

    app = open_app(data)
    record = app.deals.get(deal)
    calls = app.calendar.get(call).draft
    titles = [e.title for e in app.timeline.timeline("contacts", record.draft.contact_id or "", 20)]
    app.close()
    assert (record.draft.value_cents, record.status, record.reason) == (120050, "won", "Best price")
    assert (calls.kind, calls.minutes, calls.outcome) == ("call", 20, "Wants a quote")
    assert "Note (done): Prefers e-mail" in titles
    assert "Task (planned): Send the quote" in titles


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("contacts", "tag", "VIP", "--ids", "nope"), 1, "nope is in the Trash or unknown"),
        (("contacts", "owner", "Nobody Here", "--search", "ada"), 1, "no user named"),
        (("contacts", "tag", "VIP", "--search", "zzz"), 1, "no contacts match"),
        (("log-call", "Müller", "Hello"), 1, "2 contacts match"),
        (("deals", "stage", "Won", "--search", "x"), 1, "no deals match"),
        (("follow-up", "Ada", "--due", "tomorrow"), 2, "YYYY-MM-DD HH:MM"),
        (("contacts", "delete"), 2, "one of the arguments"),
        (("deals", "new", "X", "--value", "-5"), 2, "amount"),
    ],
)
def test_bad_input_is_one_line_and_an_exit_code(
    capsys: pytest.CaptureFixture[str], data: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    if code == 2:
        with pytest.raises(SystemExit) as exc:
            main(["--data-dir", str(data), *args])
        assert exc.value.code == 2
        assert message in capsys.readouterr().err
        return
    got, out, err = run(capsys, data, *args)
    assert got == code and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
