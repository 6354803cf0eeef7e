"""E-mail as files: one RFC 5322 message (.eml, opened by any mail program) per member,
and a CSV of recipients with their merged subject and body for another mail tool."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Iterable
from email.message import EmailMessage
from email.policy import SMTP
from typing import IO

from crm_desktop.domain.campaigns import Message
from crm_desktop.exchange.tabular import write_csv


def build_message(
    message: Message, sender: str, when: dt.datetime, campaign: str = ""
) -> EmailMessage:
    """The e-mail of one rendered message (plain text, UTF-8)."""
    mail = EmailMessage(policy=SMTP)
    mail["From"] = sender
    mail["To"] = email.utils.formataddr((message.to_name, message.to_email))
    mail["Subject"] = message.subject
    mail["Date"] = email.utils.format_datetime(when)
    domain = sender.rsplit("@", 1)[-1].strip(">") if "@" in sender else "crm-desktop.invalid"
    mail["Message-ID"] = email.utils.make_msgid(domain=domain)
    if campaign:
        mail["X-Campaign"] = campaign
    mail.set_content(message.body)
    return mail


def eml_bytes(mail: EmailMessage) -> bytes:
    return mail.as_bytes()


def write_mail_csv(stream: IO[bytes], messages: Iterable[Message]) -> int:
    """Recipients with their merged subject and body, for another mail tool's mail merge."""
    rows = [[m.to_email, m.to_name, m.subject, m.body] for m in messages]
    write_csv(stream, ["email", "name", "subject", "body"], rows)
    return len(rows)
