"""E-mail records: what logging a message on the timeline did."""

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
