"""Reading other devices' sealed files and merging them (SYNC.md point 6), one file per
transaction through the change log's apply (`UnitOfWork.apply`, as
`ChangeLogService.apply` does); then the conflicts of the rows they touched.

A file that can't be read whole is "not arrived yet" and waits for a later round. A
device whose files are stamped more than five minutes ahead of this computer's clock is
quarantined: none of its files are applied and the user is told. A file of a newer
format stops the round (`SyncVersionError`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from crm_desktop.domain.changes import ApplyResult, ChangeRow, ChangeSet
from crm_desktop.domain.hlc import MAX_DRIFT_MS, ClockDriftError, Timestamp
from crm_desktop.domain.sync import Quarantine, SyncVersionError
from crm_desktop.persistence.sync_store import SyncStore
from crm_desktop.persistence.uow import UnitOfWorkFactory
from crm_desktop.persistence.wire import UnknownEntityError
from crm_desktop.sync.conflicts import row_conflicts
from crm_desktop.sync.journal import FileName, IncompleteFileError, decode
from crm_desktop.sync.transport import Transport


@dataclass
class Merged:
    files: int = 0
    changes: int = 0
    duplicates: int = 0
    waiting: int = 0
    quarantined: list[Quarantine] = field(default_factory=list)
    changed: ChangeSet = field(default_factory=ChangeSet)
    keys: set[tuple[str, str]] = field(default_factory=set)  # rows whose conflicts were redone


def journal_files(transport: Transport, device_id: str) -> list[tuple[str, FileName]]:
    """A device's sealed files by their first seq (anything else in its place ignored)."""
    found = [(n, parsed) for n in transport.names(device_id) if (parsed := FileName.parse(n))]
    return sorted(found, key=lambda item: (item[1].first, item[1].last))


def held(uow: UnitOfWorkFactory, device_id: str, files: list[tuple[str, FileName]]) -> set[int]:
    """Which of the first and last seqs of these files this device holds."""
    ends = sorted({s for _, f in files for s in (f.first, f.last)})
    with uow.read() as unit:
        return SyncStore(unit.session).held_seqs(device_id, ends)


class Merger:
    """One pass over the other devices' places in the team folder."""

    def __init__(self, uow: UnitOfWorkFactory, wall_ms: Callable[[], int]) -> None:
        self._uow = uow
        self._wall_ms = wall_ms

    def too_far_ahead(self, stamp: str) -> bool:
        """Whether a stamp is further ahead of this computer's clock than a clock may be."""
        return Timestamp.parse(stamp).millis - self._wall_ms() > MAX_DRIFT_MS

    def merge(self, transport: Transport, me: str) -> Merged:
        merged = Merged()
        for device in transport.devices():
            if device != me:
                self._device(transport, device, merged)
        return merged

    def _device(self, transport: Transport, device: str, merged: Merged) -> None:
        files = journal_files(transport, device)
        have = held(self._uow, device, files)
        for name, parsed in files:
            if parsed.first in have and parsed.last in have:
                continue
            try:
                journal = decode(device, name, transport.read(device, name))
            except (OSError, IncompleteFileError):
                merged.waiting += 1  # not arrived yet: a later round retries
                continue
            ahead = Timestamp.parse(journal.newest_stamp).millis - self._wall_ms()
            if ahead > MAX_DRIFT_MS:
                merged.quarantined.append(Quarantine(device, ahead // 60_000))
                return
            try:
                result = self.apply(journal.rows)
            except ClockDriftError:
                merged.quarantined.append(Quarantine(device, ahead // 60_000))
                return
            except UnknownEntityError as exc:
                raise SyncVersionError(f"{exc} (a file of device {device})") from exc
            merged.files += 1
            merged.changes += result.stored
            merged.duplicates += result.duplicates
            merged.changed = merged.changed | result.changes
            merged.keys.update((r.entity, r.row_id) for r in journal.rows)

    def apply(self, rows: Sequence[ChangeRow]) -> ApplyResult:
        """Apply a batch of another device's rows as `ChangeLogService.apply` does, with the
        conflicts of the rows it touches recomputed in the same transaction (a crash
        between the two can't leave a conflict unseen)."""
        with self._uow() as unit:
            applied = unit.apply(rows)
            if applied.stored:
                refresh_conflicts(SyncStore(unit.session), {(r.entity, r.row_id) for r in rows})
            changes = unit.commit()
        return ApplyResult(applied.stored, applied.duplicates, applied.pending, changes)


def refresh_conflicts(store: SyncStore, keys: set[tuple[str, str]]) -> None:
    """Recompute the open conflicts of these rows from every change of them held."""
    if not keys:
        return
    changes = store.row_changes(keys)
    records = [
        record
        for key in sorted(keys)
        for record in row_conflicts(key[0], key[1], changes.get(key, []))
    ]
    store.replace_conflicts(keys, records)


def own_last_seq(uow: UnitOfWorkFactory) -> int:
    with uow.read() as unit:
        return SyncStore(unit.session).last_seq(unit.device_id)


def scan_own_edits(
    uow: UnitOfWorkFactory, done: AbstractSet[tuple[str, str]] = frozenset(), done_upto: int = 0
) -> int:
    """Recompute the conflicts of the rows this device edited since the last scan (an
    edit after seeing the kept value settles a conflict); returns how many are open.
    `done`: rows recomputed already with every own edit up to seq `done_upto`."""
    with uow() as unit:
        store = SyncStore(unit.session)
        scanned = int(store.get("scanned_own") or 0)
        last = store.last_seq(unit.device_id)
        if last > scanned:
            keys = store.touched_since(unit.device_id, scanned)
            if done and done_upto > scanned:
                later = store.touched_since(unit.device_id, done_upto)
                keys = (keys - done) | later
            refresh_conflicts(store, keys)
            store.put("scanned_own", last)
        count = store.count_conflicts()
        unit.commit()
    return count
