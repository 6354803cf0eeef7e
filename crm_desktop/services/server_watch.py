"""Other people's changes on a shared PostgreSQL server, as they commit.

The window calls `wait` on a thread of its own (the server wakes it: LISTEN/NOTIFY) and
`poll` on the GUI thread when woken: the change rows after those already seen, as a
ChangeSet that the views reload by id, keeping their selection.
"""

from __future__ import annotations

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.persistence.notify import ChangeListener
from crm_desktop.persistence.uow import UnitOfWorkFactory


class ServerWatch:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow = uow_factory
        self._listener = ChangeListener(uow_factory.engine)
        self._seen: dict[str, int] | None = None

    def start(self) -> None:
        """Listen from now on; what is in the database now counts as seen."""
        self._listener.start()
        with self._uow.read() as uow:
            self._seen = uow.changelog.last_seqs()

    def wait(self, timeout: float) -> bool:
        """Block until the server announces changes (True) or `timeout` seconds pass."""
        return self._listener.wait(timeout)

    def poll(self) -> ChangeSet:
        """The records changed since the last poll (own changes included)."""
        with self._uow.read() as uow:
            if self._seen is None:
                self._seen = uow.changelog.last_seqs()
                return ChangeSet()
            rows = uow.changelog.rows(self._seen, None)
        seen = self._seen
        for row in rows:
            seen[row.device_id] = max(seen.get(row.device_id, 0), row.seq)
        return ChangeSet.from_pairs((row.entity, row.row_id) for row in rows)

    def close(self) -> None:
        self._listener.close()
