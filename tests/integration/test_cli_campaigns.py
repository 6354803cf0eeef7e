"""`campaign create|members|preview|send|status`, `campaigns`, `mail-settings` on demo
data: one .eml per eligible member, none for a contact without consent."""

from __future__ import annotations

import email
import json
import sqlite3
from email import policy
from pathlib import Path

import pytest

from crm_desktop.bootstrap import open_app
from crm_desktop.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def granted(database: Path, purpose: str) -> set[str]:
    """E-mail addresses whose newest consent entry for the purpose is a grant."""
    latest: dict[str, str] = {}
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT c.email, k.status FROM consents k JOIN contacts c ON c.id = k.contact_id "
            "WHERE k.purpose = ? AND k.deleted_at IS NULL ORDER BY k.recorded_at, k.id",
            (purpose,),
        )
        for address, status in rows:
            latest[address] = status
    return {a for a, s in latest.items() if s == "granted"}


def test_send_eml_writes_one_file_per_eligible_member(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "d")
    assert run(capsys, "--data-dir", data, "demo", "--contacts", "300", "--seed", "4")[0] == 0
    spec = tmp_path / "buyers.json"
    spec.write_text('{"field": "orders", "op": ">=", "value": 1}', encoding="utf-8")
    assert (
        run(capsys, "--data-dir", data, "segment", "save", "Buyers", "--filter", str(spec))[0] == 0
    )
    body = tmp_path / "body.txt"
    body.write_text("Dear {{first_name|customer}},\nthanks for {{last_order}}.\n", encoding="utf-8")
    code, out, _ = run(
        capsys,
        "--data-dir",
        data,
        "campaign",
        "create",
        "Thanks",
        "--segment",
        "Buyers",
        "--purpose",
        "newsletter",
        "--subject",
        "Thank you, {{first_name}}",
        "--body-file",
        str(body),
        "--cost",
        "150",
        "--start",
        "2026-11-01",
    )
    assert code == 0, out
    code, out, _ = run(capsys, "--data-dir", data, "--json", "campaign", "members", "thanks")
    members = json.loads(out)
    assert code == 0 and members["targeted"] > 0 and members["excluded"] > 0
    assert all(m["reason"] for m in members["members"] if m["status"] == "excluded")
    targeted = {m["email"] for m in members["members"] if m["status"] == "targeted"}
    database = Path(data) / "crm.sqlite"
    assert targeted <= granted(database, "newsletter")
    outbox = tmp_path / "outbox"
    code, out, _ = run(
        capsys, "--data-dir", data, "campaign", "send", "Thanks", "--eml", str(outbox)
    )
    assert code == 0 and f"Sent {len(targeted)}" in out
    files = list(outbox.glob("*.eml"))
    assert len(files) == len(targeted)
    sent_to = set()
    for f in files:
        parsed = email.message_from_bytes(f.read_bytes(), policy=policy.default)
        sent_to.add(parsed["To"].addresses[0].addr_spec)
        assert parsed["Subject"].startswith("Thank you, ")
    assert sent_to == targeted
    assert not sent_to - granted(database, "newsletter")  # nobody without consent
    code, out, _ = run(capsys, "--data-dir", data, "--json", "campaigns")
    thanks = next(c for c in json.loads(out) if c["name"] == "Thanks")
    assert thanks["members"]["sent"] == len(targeted) and thanks["cost_cents"] == 150_00
    code, out, _ = run(
        capsys, "--data-dir", data, "campaign", "send", "Thanks", "--eml", str(outbox)
    )
    assert code == 0 and "Sent 0" in out and len(list(outbox.glob("*.eml"))) == len(targeted)
    someone = sorted(targeted)[0]
    code, out, _ = run(capsys, "--data-dir", data, "campaign", "preview", "Thanks", someone)
    assert code == 0 and f"<{someone}>" in out and "Dear " in out
    code, out, _ = run(
        capsys, "--data-dir", data, "campaign", "status", "Thanks", someone, "responded"
    )
    assert code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("campaign", "members", "Nope"), "no campaign named 'Nope'"),
        (("campaign", "create", "X", "--segment", "Nope"), "no segment named 'Nope'"),
        (("campaign", "send", "Nope", "--smtp"), "no campaign named"),
        (("mail-settings", "--port", "0", "--host", "h"), "a host name and a port"),
        (("mail-read",), "no mailbox set"),
        (("imap-settings", "--host", "h", "--user", "u", "--port", "0"), "a host, a port"),
    ],
)
def test_campaign_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    open_app(tmp_path / "d").close()  # a data folder with a database, and nothing in it
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "d"), *args)
    assert code == 1 and message in err and err.count("\n") == 1
