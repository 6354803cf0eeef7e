"""Reading a mailbox for the timeline, against a real IMAP server on loopback: Debian's
dovecot, started here with a configuration of its own in a temporary folder (CI installs
the dovecot-imapd package; without it these tests are skipped)."""

from __future__ import annotations

import imaplib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.errors import CrmError
from crm_desktop.domain.mail import ImapSettings
from crm_desktop.domain.records import ContactDraft, EmailEntry, TimelineKind
from tests.integration.services.test_campaigns import MemoryKeyring, memory_keyring  # noqa: F401

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)
pytestmark = pytest.mark.skipif(DOVECOT is None, reason="dovecot (dovecot-imapd) is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def dovecot() -> Iterator[int]:
    # Not under pytest's temporary folder: its parents are private to us, and dovecot's
    # processes run as the dovecot user when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix="crm-dovecot-"))
    root.chmod(0o755)
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir(parents=True)
    port = _free_port()
    user = "dovecot" if os.getuid() == 0 else str(os.getuid())
    (root / "passwd").write_text("shop:{PLAIN}s3cret\n", encoding="utf-8")
    (root / "dovecot.conf").write_text(
        f"""protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = crm-test-{port}
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={user} gid={user} home={root}/mail/%u
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""",
        encoding="utf-8",
    )
    if os.getuid() == 0:
        shutil.chown(root / "mail", "dovecot", "dovecot")
    config = str(root / "dovecot.conf")
    # Without -F the master binds its listeners, then goes to the background: when the
    # command returns, the port answers.
    subprocess.run([DOVECOT, "-c", config], check=True, timeout=60)
    try:
        yield port
    finally:
        subprocess.run([DOVECOT, "-c", config, "stop"], check=False, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def deliver(port: int, sender: str, subject: str, folder: str = "INBOX") -> None:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "shop@example.org"
    mail["Subject"] = subject
    mail["Message-ID"] = f"<{subject.replace(' ', '-')}@example.org>"
    mail.set_content("Hello from the mailbox")
    conn = imaplib.IMAP4("127.0.0.1", port)
    try:
        conn.login("shop", "s3cret")
        if folder != "INBOX":
            conn.create(folder)
        conn.append(folder, None, None, mail.as_bytes())
    finally:
        conn.logout()


def test_new_messages_with_known_contacts_land_on_their_timeline(
    app: AppContext,
    dovecot: int,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    ada = app.contacts.create(
        ContactDraft(first_name="Ada", last_name="Mail", emails=(EmailEntry("ada@example.com"),))
    ).id
    deliver(dovecot, "Ada Mail <ada@example.com>", "Order question")
    deliver(dovecot, "stranger@example.net", "Spam offer")
    app.imap.save_settings(ImapSettings("127.0.0.1", dovecot, "none", "shop", ("INBOX",)), "s3cret")
    assert "s3cret" not in app.paths.preferences.read_text(encoding="utf-8")
    result = app.imap.read()
    assert (result.read, result.logged, result.unknown) == (2, 1, 1)
    titles = [
        e.title
        for e in app.timeline.timeline("contacts", ada, 20)
        if e.kind is TimelineKind.ACTIVITY
    ]
    assert any("Order question" in t for t in titles)
    # only new messages the next time
    assert app.imap.read().read == 0
    deliver(dovecot, "ada@example.com", "Second question")
    again = app.imap.read()
    assert (again.read, again.logged) == (1, 1)


def test_a_wrong_password_is_one_clear_error(
    app: AppContext,
    dovecot: int,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    app.imap.save_settings(ImapSettings("127.0.0.1", dovecot, "none", "shop", ("INBOX",)), "nope")
    with pytest.raises(CrmError, match="refused the user shop"):
        app.imap.read()
