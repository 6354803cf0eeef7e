"""E-mail as files: one RFC 5322 message (.eml, opened by any mail program) per member,
a CSV of recipients with their merged subject and body for another mail tool, and the
facts of an .eml file dropped on a contact."""

from __future__ import annotations

import datetime as dt
import email
import email.utils
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.policy import SMTP
from typing import IO

from crm_desktop.domain.campaigns import Message
from crm_desktop.domain.errors import ValidationError
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


@dataclass(frozen=True)
class MailFacts:
    """What the timeline keeps of an e-mail file."""

    message_id: str
    subject: str
    sender: str  # address
    sender_name: str
    recipients: tuple[str, ...]  # to and cc addresses
    when: dt.datetime | None
    text: str
    in_reply_to: str


def read_eml(data: bytes) -> MailFacts:
    """The facts of an RFC 5322 message (.eml); the plain text part, else the HTML part
    with its tags removed. A file that is no e-mail is a ValidationError."""
    parsed = email.message_from_bytes(data, policy=policy.default)
    if not (parsed["From"] or parsed["To"]) or not parsed.keys():
        raise ValidationError("this file is not an e-mail (no From or To header)")
    name, sender = email.utils.parseaddr(str(parsed["From"] or ""))
    recipients = tuple(
        addr.lower()
        for _n, addr in email.utils.getaddresses(
            [str(v) for v in (parsed.get_all("To") or []) + (parsed.get_all("Cc") or [])]
        )
        if addr
    )
    try:
        when = email.utils.parsedate_to_datetime(str(parsed["Date"])) if parsed["Date"] else None
    except (TypeError, ValueError):
        when = None
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    body = parsed.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        try:
            text = str(body.get_content())
        except (LookupError, ValueError):
            text = ""
        if body.get_content_type() == "text/html":
            text = re.sub(r"<[^>]+>", " ", text)
            text = re.sub(r"[ \t]+", " ", html.unescape(text))
    return MailFacts(
        str(parsed["Message-ID"] or "").strip(),
        str(parsed["Subject"] or "").strip(),
        sender.lower(),
        name,
        recipients,
        when,
        text.strip(),
        str(parsed["In-Reply-To"] or "").strip(),
    )
