"""Snapshots of the team's data (SYNC.md point 5), so a new device starts without the
journal files that clean-up has archived:

    snapshots/<device_id>/<hlc>.sqlite    a `VACUUM INTO` copy of the device's database
    snapshots/<device_id>/<hlc>.json      what it covers: per device, the seq up to which
                                          it holds every change; its size and SHA-256

The database is written first (to a temporary name, then renamed), its description
after it, so a snapshot without a description is not finished. A snapshot whose bytes
don't match its description (still arriving, cut short) is not used. A round takes one
at most once a day (`DAY_MS`), or when asked.

A device that lacks changes no journal file holds any more (they were archived) starts
from the newest whole snapshot: the snapshot's change log is applied through the change
log's apply (this device keeps its own id; the data and conflicts follow from the
changes), then the files after it are replayed as usual.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm_desktop import __version__
from crm_desktop.domain.hlc import ClockDriftError, Timestamp
from crm_desktop.persistence.compaction import compacted, take_horizons
from crm_desktop.persistence.snapshot_file import (
    SnapshotFileError,
    adopt_snapshot,
    is_fresh,
    make_snapshot,
    newest_stamp,
    shared_keys,
    snapshot_horizons,
    snapshot_rows,
    through_seqs,
)
from crm_desktop.persistence.sync_store import SyncStore
from crm_desktop.persistence.uow import UnitOfWorkFactory
from crm_desktop.sync import journal
from crm_desktop.sync.merge import Merger, journal_files, refresh_conflicts
from crm_desktop.sync.transport import Transport

DAY_MS = 24 * 3600 * 1000
SUFFIX, META = ".sqlite", ".json"


@dataclass(frozen=True)
class Snapshot:
    device_id: str
    stamp: str  # the HLC in its name
    covers: dict[str, int]  # per device, every change up to this seq is in it
    size: int
    sha256: str

    @property
    def name(self) -> str:
        return self.stamp + SUFFIX

    @property
    def millis(self) -> int:
        try:
            return Timestamp.parse(self.stamp).millis
        except ValueError:
            return 0


def listed(transport: Transport) -> list[Snapshot]:
    """The finished snapshots in the team folder (a description that reads), newest first.
    Their bytes are not checked here (`fetch` does)."""
    found: list[Snapshot] = []
    for device, name in transport.snapshots():
        if not name.endswith(SUFFIX):
            continue
        stamp = name[: -len(SUFFIX)]
        try:
            meta = json.loads(transport.read_snapshot_bytes(device, stamp + META))
            journal.check_schema(meta)
            covers = {str(k): int(v) for k, v in meta["covers"].items()}
            snapshot = Snapshot(device, stamp, covers, int(meta["size"]), str(meta["sha256"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # not finished, or not arrived yet
        found.append(snapshot)
    return sorted(found, key=lambda s: (s.millis, s.stamp), reverse=True)


def covered(transport: Transport, device: str) -> int:
    """The seq of `device` up to which a finished snapshot present in the folder holds
    every change (its size checked; its bytes are checked by whoever starts from it)."""
    best = 0
    for snapshot in listed(transport):
        seq = snapshot.covers.get(device, 0)
        if seq <= best:
            continue
        try:
            size = transport.snapshot_path(snapshot.device_id, snapshot.name).stat().st_size
        except OSError:
            continue
        if size == snapshot.size:
            best = seq
    return best


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def take(
    uow: UnitOfWorkFactory, transport: Transport, me: str, wall_ms: Callable[[], int], force: bool
) -> str | None:
    """Take a snapshot of this device's data when one is due (none in the folder from the
    last day, and something new since the newest) or when `force`d; remove this device's
    older snapshots. Returns the new snapshot's name, or None."""
    with uow.read() as unit:
        through = through_seqs(unit.session)
    if not through:
        return None  # nothing to cover yet
    present = listed(transport)
    if not force and present:
        newest = present[0]
        if wall_ms() - newest.millis < DAY_MS or all(
            newest.covers.get(d, 0) >= s for d, s in through.items()
        ):
            return None
    stamp = uow.clock.now()
    with tempfile.TemporaryDirectory(prefix="crm-snapshot-") as tmp:
        local = make_snapshot(uow.engine, Path(tmp) / (stamp + SUFFIX))
        meta: dict[str, Any] = {
            "format": journal.FORMAT,
            "schema": journal.SCHEMA,
            "app": __version__,
            "device_id": me,
            "covers": dict(sorted(through.items())),
            "size": local.stat().st_size,
            "sha256": _sha256(local),
        }
        transport.put_snapshot(me, stamp + SUFFIX, local)
    data = (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode()
    transport.put_snapshot_bytes(me, stamp + META, data)
    for old in present:  # this device's older ones: the new one is the newest
        if old.device_id == me:
            transport.remove_snapshot(me, old.stamp + META)
            transport.remove_snapshot(me, old.name)
    return stamp + SUFFIX


def _needed(uow: UnitOfWorkFactory, transport: Transport, me: str, snapshot: Snapshot) -> bool:
    """Whether this device lacks changes of the snapshot that no journal file holds."""
    with uow.read() as unit:
        through = through_seqs(unit.session)
    for device, seq in snapshot.covers.items():
        have = through.get(device, 0)
        if device == me or seq <= have:
            continue
        files = journal_files(transport, device)
        if not files or files[0][1].first > have + 1:
            return True
    return False


def start_from(uow: UnitOfWorkFactory, transport: Transport, me: str, merger: Merger) -> str | None:
    """Start from the newest whole snapshot: a new install takes it as its database (a
    file copy, then its own few changes again); an install with data of its own applies
    the snapshot's changes, only when it lacks changes that only a snapshot holds now.
    Returns the snapshot used (`<device>/<name>`), or None."""
    candidates = listed(transport)
    if not candidates:
        return None
    with uow.read() as unit:
        fresh = is_fresh(unit.session, me)
    if not fresh and not _needed(uow, transport, me, candidates[0]):
        return None
    for snapshot in candidates:
        with tempfile.TemporaryDirectory(prefix="crm-snapshot-") as tmp:
            local = Path(tmp) / snapshot.name
            try:
                shutil.copyfile(transport.snapshot_path(snapshot.device_id, snapshot.name), local)
            except OSError:
                continue  # not arrived yet
            if local.stat().st_size != snapshot.size or _sha256(local) != snapshot.sha256:
                continue  # cut short or still arriving: not used
            try:
                if fresh and _adopt(uow, local, me, merger):
                    return f"{snapshot.device_id}/{snapshot.name}"
                with uow.read() as unit:
                    have = through_seqs(unit.session)
                for rows in snapshot_rows(local, skip=me):
                    fresh_rows = [r for r in rows if r.seq > have.get(r.device_id, 0)]
                    if fresh_rows:
                        merger.apply(fresh_rows)
                _take_horizons(uow, snapshot_horizons(local))
            except (SnapshotFileError, ClockDriftError):
                continue
        return f"{snapshot.device_id}/{snapshot.name}"
    return None


def _take_horizons(uow: UnitOfWorkFactory, horizons: dict[str, int]) -> None:
    """After a snapshot's changes were applied: what its compaction removed was superseded
    by changes it holds, which are here now, so its horizons hold here too."""
    if horizons:
        with uow() as unit:
            take_horizons(unit.session, horizons)
            unit.commit()


def _adopt(uow: UnitOfWorkFactory, local: Path, me: str, merger: Merger) -> bool:
    """Take a snapshot file as this new install's database; False when it is of another
    schema (the caller applies its changes instead)."""
    from crm_desktop.persistence.revision import HEAD_REVISION

    newest_held = newest_stamp(local)
    if newest_held and merger.too_far_ahead(newest_held):
        return False  # applied row by row instead, so a wrong clock is quarantined
    with uow.read() as unit:
        own_horizon = compacted(unit.session).through.get(me, 0)
    adopted = adopt_snapshot(uow.engine, local, me, HEAD_REVISION)
    if adopted is None:
        return False
    own, newest = adopted
    if newest:
        uow.clock.receive(newest)
    if own:
        merger.apply(own)
    # Its own rows are back: those compaction removed here were superseded, so its own
    # horizon holds again (other devices' horizons are the snapshot's).
    _take_horizons(uow, {me: own_horizon} if own_horizon else {})
    with uow() as unit:
        refresh_conflicts(SyncStore(unit.session), shared_keys(unit.session))
        unit.commit()
    return True
