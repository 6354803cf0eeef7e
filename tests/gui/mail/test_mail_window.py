"""E-mail in the window, against a real IMAP server on loopback (dovecot, as in
tests/integration/test_imap.py): the account set in Settings › E-mail account (reached
from the Tools menu) with the folders loaded from the server and the password in the
keyring; "Check mail now" off the GUI thread puts mails on the timelines and marks a
reply to a campaign; the window reads by itself every few minutes; a refused password
is one line in the status bar."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt

from crm_desktop.bootstrap import AppContext
from crm_desktop.domain.mail import ImapSettings
from crm_desktop.domain.records import ContactDraft, EmailEntry, TimelineKind
from crm_desktop.domain.segments import parse_filter
from crm_desktop.gui.host import SETTINGS
from crm_desktop.gui.main_window import MainWindow
from crm_desktop.gui.tasks import SyncRunner
from crm_desktop.gui.views.settings_mail import MailAccountBox
from crm_desktop.services.imap import KEYRING_SERVICE
from tests.integration.services.test_campaigns import MemoryKeyring, memory_keyring  # noqa: F401
from tests.integration.services.test_imap import DOVECOT, deliver, dovecot  # noqa: F401

needs_dovecot = pytest.mark.skipif(
    DOVECOT is None, reason="dovecot (dovecot-imapd) is not installed"
)


@pytest.fixture
def ada(app: AppContext) -> str:
    """Ada, a member of the campaign "News", which was sent to her."""
    ada = app.contacts.create(
        ContactDraft(
            first_name="Ada",
            last_name="Mail",
            emails=(EmailEntry("ada@example.com"),),
            tags=("Club",),
        )
    ).id
    app.consents.record(ada, "newsletter")
    app.segments.save("Club", parse_filter({"field": "tag", "op": "has", "value": "Club"}))
    campaign = app.campaigns.create("News", "Club", subject="News").id
    app.campaigns.build_members(campaign)
    app.campaigns.set_status(campaign, ada, "sent")
    return ada


@pytest.fixture
def window(app: AppContext, qtbot: Any) -> Iterator[MainWindow]:
    win = MainWindow(app, SyncRunner())
    qtbot.addWidget(win)
    win.show()
    yield win
    win.mail.stop()


def _account(window: MainWindow) -> MailAccountBox:
    window.mail_account_action.trigger()  # Tools > E-mail account…
    assert window.sidebar.currentRow() == SETTINGS
    return window.settings_view.mail


def _mails(app: AppContext, contact_id: str) -> list[str]:
    return [
        e.title
        for e in app.timeline.timeline("contacts", contact_id, 50)
        if e.kind is TimelineKind.ACTIVITY
    ]


@needs_dovecot
def test_set_the_account_pick_folders_and_check_mail_now(
    window: MainWindow,
    app: AppContext,
    ada: str,
    dovecot: int,  # noqa: F811
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    deliver(dovecot, "Ada Mail <ada@example.com>", "Re: News")
    deliver(dovecot, "Ada Mail <ada@example.com>", "Invoice copy", folder="Archive")
    deliver(dovecot, "stranger@example.net", "Spam offer")
    box = _account(window)
    box.host.setText("127.0.0.1")
    box.security.setCurrentIndex(box.security.findData("none"))
    box.port.setValue(dovecot)
    box.user.setText("shop")
    box.password.setText("s3cret")
    box.load_button.click()  # on the window's runner: off the GUI thread in use
    names = [box.folders.item(i).text() for i in range(box.folders.count())]
    assert names == ["INBOX", "Archive"]
    assert box.chosen_folders() == ("INBOX",)
    box.folders.item(1).setCheckState(Qt.CheckState.Checked)
    box.every.setValue(5)
    box.save_button.click()
    assert box.result.text() == "E-mail account saved."
    assert memory_keyring.store[(KEYRING_SERVICE, "shop@127.0.0.1")] == "s3cret"
    assert "s3cret" not in app.paths.preferences.read_text(encoding="utf-8")
    assert app.imap.settings().folders == ("INBOX", "Archive")
    assert box.password.placeholderText().endswith("empty: unchanged")

    window.check_mail_action.trigger()  # Tools > Check mail now
    expected = "3 new mails, 2 on timelines, 1 campaign response"
    assert window.mail.label.text().endswith(expected)
    assert box.result.text().endswith(expected)  # the settings say it too
    mails = _mails(app, ada)
    assert any("Re: News" in m for m in mails) and any("Invoice copy" in m for m in mails)
    member = next(m for m in app.campaigns.members(app.campaigns.find("News")))
    assert member.status == "responded"
    box.check_button.click()  # again: nothing new, nothing twice
    assert window.mail.label.text().endswith("0 new mails")
    assert len(_mails(app, ada)) == len(mails)


@needs_dovecot
def test_the_window_reads_by_itself_every_few_minutes(
    app: AppContext,
    ada: str,
    dovecot: int,  # noqa: F811
    memory_keyring: MemoryKeyring,  # noqa: F811
    qtbot: Any,
) -> None:
    app.imap.save_settings(
        ImapSettings("127.0.0.1", dovecot, "none", "shop", ("INBOX",), every_minutes=3),
        "s3cret",
    )
    deliver(dovecot, "ada@example.com", "First")
    window = MainWindow(app, SyncRunner())
    qtbot.addWidget(window)
    window.settle()  # the window is up: a read now, then every 3 minutes
    assert window.mail.timer.isActive() and window.mail.timer.interval() == 3 * 60_000
    assert any("First" in m for m in _mails(app, ada))
    deliver(dovecot, "ada@example.com", "Second")
    window.mail.timer.timeout.emit()  # three minutes later
    assert any("Second" in m for m in _mails(app, ada))
    box = _account(window)
    box.every.setValue(0)  # only by hand
    box.save_button.click()
    assert not window.mail.timer.isActive()
    window.mail.stop()


@needs_dovecot
def test_a_refused_password_is_one_line_not_a_crash(
    window: MainWindow,
    app: AppContext,
    dovecot: int,  # noqa: F811
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    app.imap.save_settings(ImapSettings("127.0.0.1", dovecot, "none", "shop", ("INBOX",)), "wrong")
    window.check_mail_action.trigger()
    assert window.mail.label.text() == (
        "Mail not read: the mailbox 127.0.0.1 refused the user shop and password"
    )
    assert not window.mail.running
    box = _account(window)
    box.load_button.click()
    assert box.result.text().startswith("Folders not loaded: the mailbox 127.0.0.1 refused")


def test_without_an_account_check_mail_says_where_to_set_one(window: MainWindow) -> None:
    window.check_mail_action.trigger()
    assert window.mail.label.text() == ("No e-mail account: set one in Settings › E-mail account")
    window.settle()
    assert not window.mail.timer.isActive()


def test_the_keyring_refusing_the_password_is_said_in_the_settings(
    window: MainWindow, app: AppContext
) -> None:
    box = _account(window)  # the tests' keyring backend refuses everything
    box.host.setText("imap.example.com")
    box.user.setText("shop")
    box.password.setText("s3cret")
    box.save_button.click()
    assert "keyring" in box.result.text()
    assert "s3cret" not in app.paths.preferences.read_text(encoding="utf-8")
