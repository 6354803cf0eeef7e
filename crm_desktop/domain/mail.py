"""E-mail records: what logging a message did, the IMAP and SMTP settings, a mailbox read."""

from __future__ import annotations

import dataclasses

from crm_desktop.domain.changes import ChangeSet


@dataclasses.dataclass(frozen=True)
class LoggedMail:
    subject: str
    contacts: tuple[str, ...]  # logged on these contacts
    already: bool  # on the timeline before: nothing new was logged
    responded: tuple[str, ...]  # campaign ids marked responded
    changes: ChangeSet


@dataclasses.dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: str  # ssl | starttls | none
    user: str
    folders: tuple[str, ...]
    every_minutes: int = 5  # read by the window this often (0: only by hand)

    @property
    def configured(self) -> bool:
        return bool(self.host and self.user)


@dataclasses.dataclass(frozen=True)
class ImapResult:
    read: int  # new messages looked at
    logged: int  # logged on a contact's timeline
    unknown: int  # no known contact among the addresses
    responses: int  # campaign members marked responded


@dataclasses.dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str
    sender: str
    per_minute: int
