"""Team sharing as a service: one round (seal and write this device's changes, read and
apply the others'), the conflicts list and its resolution, the remembered team folder.

    report = context.sync.round(Path("~/Dropbox/Team CRM"))   # remembered for next time
    for conflict in context.sync.conflicts(): ...
    context.sync.resolve(conflict.id, keep="mine")
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from crm_desktop import __version__
from crm_desktop.config import Preferences
from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.hlc import stamp_floor
from crm_desktop.domain.sync import (
    ConflictRecord,
    CopiedDataFolderError,
    NoTeamFolderError,
    SyncError,
    SyncReport,
    TeamFolderOfflineError,
)
from crm_desktop.persistence.compaction import KEEP, compact, compacted
from crm_desktop.persistence.snapshot_file import through_seqs
from crm_desktop.persistence.sync_store import SyncStore, write_field
from crm_desktop.persistence.uow import UnitOfWorkFactory
from crm_desktop.sync import cleanup, journal, snapshots
from crm_desktop.sync.journal import FileName, IncompleteFileError
from crm_desktop.sync.merge import Merger, journal_files, own_last_seq, scan_own_edits
from crm_desktop.sync.transport import STATE, FolderTransport, Transport

MAX_FILE_ROWS = 20_000  # changes per sealed file
HOUR_MS = 3_600_000  # state.json's "seen" moves by the hour (no rewrite every round)


@dataclass(frozen=True)
class DeviceSeen:
    """A device of the team folder: whose it is and when its files last changed."""

    device_id: str
    person: str  # the user's name; "" when the device has not said who uses it
    last_seen: dt.datetime | None  # UTC; None when nothing of it could be read
    this_device: bool


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class SyncService:
    """Rounds with a team folder; the conflicts they found."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        preferences_file: Path,
        data_dir: Path,
        wall_ms: Callable[[], int] = _wall_ms,
        transport: Callable[[Path], Transport] = FolderTransport,
    ) -> None:
        self._uow = uow_factory
        self._preferences_file = preferences_file
        self._data_dir = data_dir
        self._wall_ms = wall_ms
        self._transport = transport

    @property
    def device_id(self) -> str:
        return self._uow.device_id

    # ---- the team folder ------------------------------------------------------------------

    def folder(self) -> Path | None:
        """The remembered team folder (None: not shared with a team)."""
        chosen = Preferences.load(self._preferences_file).sync_folder
        return Path(chosen) if chosen else None

    def set_folder(self, folder: Path | None) -> None:
        """Remember the team folder (None: stop sharing)."""
        if folder is not None:
            folder = self._check_folder(folder)
        current = Preferences.load(self._preferences_file)
        text = str(folder) if folder is not None else ""
        if current.sync_folder != text:
            replace(current, sync_folder=text).save(self._preferences_file)

    def _check_folder(self, folder: Path, create: bool = True) -> Path:
        folder = folder.expanduser().absolute()
        if not folder.is_dir():
            if not create:
                # A remembered folder that is gone is out of reach (a drive not mounted,
                # a network share offline), not a new team: never made again empty here.
                raise TeamFolderOfflineError(
                    f"the team folder {folder} is not there (offline, or its drive is not "
                    "mounted); edits stay on this computer and go out at the next round"
                )
            if not folder.parent.is_dir():
                raise SyncError(f"the team folder {folder} does not exist")
            folder.mkdir()
        data = self._data_dir.expanduser().absolute()
        if data == folder or folder in data.parents:
            raise SyncError(
                f"this device's data ({data}) is inside the team folder {folder}; "
                "the live database must stay on this computer: choose another team folder"
            )
        return folder

    # ---- a round --------------------------------------------------------------------------

    def round(self, folder: Path | None = None, snapshot: bool = False) -> SyncReport:
        """One round with the team folder (given, else the remembered one; a given one is
        remembered): check this install is the only writer of its place, seal and write
        this device's new changes, apply every whole file of the others, recompute the
        conflicts, write state.json; take a snapshot when one is due (or `snapshot`) and
        archive own files every active device applied (sync/snapshots.py, cleanup.py); a
        device lacking changes only a snapshot holds starts from it. Raises `SyncError`
        (with what to do) when sharing can't go on: a copied data folder, a file of a newer
        crm-desktop."""
        if folder is not None:
            self.set_folder(folder)
        team = self.folder()
        if team is None:
            raise NoTeamFolderError("no team folder: give one with --folder DIR")
        team = self._check_folder(team, create=folder is not None)
        transport = self._transport(team)
        me = self.device_id
        self._check_identity(transport, me)
        sent_files, sent_changes = self._seal(transport, me)
        own = own_last_seq(self._uow)
        merger = Merger(self._uow, self._wall_ms)
        started = snapshots.start_from(self._uow, transport, me, merger)
        merged = merger.merge(transport, me)
        conflicts = scan_own_edits(self._uow, merged.keys, own)
        self._write_state(transport, me)
        taken = snapshots.take(self._uow, transport, me, self._wall_ms, snapshot)
        cleaned = cleanup.clean(transport, me, self._wall_ms)
        compacted_rows = self._compact_if_due(transport, me)
        return SyncReport(
            folder=str(team),
            device_id=me,
            sent_files=sent_files,
            sent_changes=sent_changes,
            applied_files=merged.files,
            applied_changes=merged.changes,
            duplicates=merged.duplicates,
            waiting_files=merged.waiting,
            quarantined=tuple(merged.quarantined),
            conflicts=conflicts,
            devices=tuple(d for d in transport.devices() if d != me),
            changes=merged.changed,
            snapshot=taken,
            started_from=started,
            cleaned_files=cleaned,
            compacted_changes=compacted_rows,
        )

    # ---- history compaction ---------------------------------------------------------------

    def compact(self, keep: dt.timedelta = KEEP) -> int:
        """Remove the change rows every known device has and nobody will read again, older
        than `keep` (persistence/compaction.py); returns how many. With a team folder the
        devices are those of the folder (it must be reachable); without one, this device
        is the only one that knows the rows (also on a server, where every install reads
        the same log)."""
        team = self.folder()
        transport = None if team is None else self._transport(self._check_folder(team, False))
        return self._compact(transport, self.device_id, keep)

    def compact_alone(self) -> int:
        """`compact` for a database no team folder shares (with one, rounds compact); the
        window calls it with its daily backup."""
        return 0 if self.folder() is not None else self._compact(None, self.device_id, KEEP)

    def _compact_if_due(self, transport: Transport, me: str) -> int:
        """A round compacts at most once a day."""
        with self._uow.read() as unit:
            last = compacted(unit.session).at
        now = dt.datetime.fromtimestamp(self._wall_ms() / 1000, dt.UTC)
        try:
            recent = bool(last) and now - dt.datetime.fromisoformat(last) < dt.timedelta(days=1)
        except (ValueError, TypeError):  # a damaged time: compact, and write a good one
            recent = False
        if recent:
            return 0
        return self._compact(transport, me, KEEP)

    def _compact(self, transport: Transport | None, me: str, keep: dt.timedelta) -> int:
        now_ms = self._wall_ms()
        now = dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC)
        with self._uow.read() as unit:
            held = through_seqs(unit.session)
            if self._uow.engine.dialect.name == "sqlite":
                # Its own rows go out in the team folder's files, whose seqs follow each
                # other without a gap: none goes before it is in one (a database shared
                # with nobody yet may be shared later).
                sealed = int(SyncStore(unit.session).get("sealed") or 0)
                held[me] = min(held.get(me, 0), sealed)
        if transport is not None:
            held = cleanup.team_horizon(transport, me, held, now_ms)
        with self._uow() as unit:
            removed = compact(unit.session, held, stamp_floor(now - keep), now)
            unit.commit()
        return removed

    def _check_identity(self, transport: Transport, me: str) -> None:
        """Refuse to go on when another install writes this device's place (a copied data
        folder: two installs, one device id): files or a state there that this database
        did not write."""
        with self._uow.read() as unit:
            store = SyncStore(unit.session)
            mine = store.last_seq(me)
            verified = int(store.get("verified") or 0)
            state = _state(transport, me)
            sealed = state.get("last_sealed") if state else None
            if isinstance(sealed, int) and sealed > mine:
                raise _copied(me, transport)
            checked = verified
            for name, parsed in journal_files(transport, me):
                if parsed.last <= verified:
                    continue
                if parsed.last > mine:
                    raise _copied(me, transport)
                try:
                    written = journal.decode(me, name, transport.read(me, name))
                except (OSError, IncompleteFileError):
                    continue  # still arriving: checked next round
                if list(written.rows) != store.device_rows(me, parsed.first, parsed.last):
                    raise _copied(me, transport)
                checked = max(checked, parsed.last)
        if checked != verified:
            with self._uow() as unit:
                SyncStore(unit.session).put("verified", checked)
                unit.commit()

    def _seal(self, transport: Transport, me: str) -> tuple[int, int]:
        """Write this device's changes not in the folder yet as sealed files."""
        files = sent = 0
        with self._uow.read() as unit:
            store = SyncStore(unit.session)
            sealed = int(store.get("sealed") or 0)
        on_disk = max((f.last for _, f in journal_files(transport, me)), default=0)
        start = max(sealed, on_disk) + 1
        while True:
            with self._uow.read() as unit:
                rows = SyncStore(unit.session).device_rows(me, start, start + MAX_FILE_ROWS - 1)
            if not rows:
                break
            name, data = journal.encode(me, rows)
            transport.write(me, str(name), data)
            with self._uow() as unit:
                SyncStore(unit.session).put("sealed", name.last)
                SyncStore(unit.session).put("verified", name.last)
                unit.commit()
            files, sent, start = files + 1, sent + len(rows), name.last + 1
        return files, sent

    def _write_state(self, transport: Transport, me: str) -> None:
        with self._uow.read() as unit:
            store = SyncStore(unit.session)
            state = {
                "format": journal.FORMAT,
                "schema": journal.SCHEMA,
                "app": __version__,
                "device_id": me,
                "last_sealed": int(store.get("sealed") or 0),
                "applied": self._applied(transport, me, store),
                "user_id": Preferences.load(self._preferences_file).user_id,
                "seen": self._wall_ms() // HOUR_MS * HOUR_MS,
            }
        data = (json.dumps(state, indent=2, sort_keys=True) + "\n").encode()
        try:
            if transport.read(me, STATE) == data:
                return
        except OSError:
            pass
        transport.write(me, STATE, data)

    @staticmethod
    def _applied(transport: Transport, me: str, store: SyncStore) -> dict[str, int]:
        """Per other device, the seq up to which every file was applied here."""
        through: dict[str, int] = {}
        for device in transport.devices():
            if device == me:
                continue
            files = journal_files(transport, device)
            seqs = [s for _, f in files for s in (f.first - 1, f.first, f.last)]
            ends = store.held_seqs(device, seqs)
            last = 0
            for _, parsed in files:  # files before an archived gap came from a snapshot
                gap = parsed.first > last + 1 and parsed.first - 1 not in ends
                if gap or not {parsed.first, parsed.last} <= ends:
                    break
                last = max(last, parsed.last)
            through[device] = last
        return through

    # ---- the devices --------------------------------------------------------------------

    def devices(self) -> list[DeviceSeen]:
        """Every device of the team folder (this one first), its person (from its
        state.json) and when its files last changed; [] when not shared with a team."""
        team = self.folder()
        if team is None or not team.is_dir():
            return []
        transport = self._transport(team)
        with self._uow.read() as unit:
            names = {u.id: u.name for u in unit.users.all()}
        me = self.device_id
        found: list[DeviceSeen] = []
        for device in sorted(set(transport.devices()) | {me}, key=lambda d: (d != me, d)):
            try:
                state = _state(transport, device) or {}
            except SyncError:
                state = {}
            user_id = state.get("user_id") or ""
            if device == me:
                user_id = Preferences.load(self._preferences_file).user_id or user_id
            found.append(
                DeviceSeen(
                    device, names.get(str(user_id), ""), _last_seen(transport, device), device == me
                )
            )
        return found

    # ---- conflicts ------------------------------------------------------------------------

    def conflicts(self) -> list[ConflictRecord]:
        """The open conflicts, after looking at this device's edits since the last round."""
        scan_own_edits(self._uow)
        with self._uow.read() as unit:
            return SyncStore(unit.session).conflicts()

    def conflicts_of(self, entity: str, row_id: str) -> list[ConflictRecord]:
        """The open conflicts of one record (as of the last round), for its badge."""
        if self.folder() is None:
            return []
        with self._uow.read() as unit:
            found = SyncStore(unit.session).conflicts()
        return [c for c in found if c.entity == entity and c.row_id == row_id]

    def conflict_count(self) -> int:
        with self._uow.read() as unit:
            return SyncStore(unit.session).count_conflicts()

    def resolve(self, conflict_id: str, keep: Literal["mine", "theirs"]) -> ChangeSet:
        """Settle a conflict with a new edit of the field: `mine` keeps the value this
        device wrote (or, if neither side was this device, the value shown now), `theirs`
        the other one. The edit travels like any other, so the conflict closes everywhere."""
        if keep not in ("mine", "theirs"):
            raise SyncError("keep 'mine' or 'theirs'")
        scan_own_edits(self._uow)
        with self._uow() as unit:
            store = SyncStore(unit.session)
            record = store.conflict(conflict_id)
            lost_is_mine = record.lost_device == unit.device_id
            take_lost = lost_is_mine == (keep == "mine")
            value = record.lost_value if take_lost else record.kept_value
            write_field(unit, record.entity, record.row_id, record.field, value)
            unit.session.flush()
            changes = unit.commit()
        scan_own_edits(self._uow)
        return changes


def _state(transport: Transport, device: str) -> dict[str, Any] | None:
    try:
        state = json.loads(transport.read(device, STATE))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict):
        return None
    journal.check_schema(state)
    return state


def _last_seen(transport: Transport, device: str) -> dt.datetime | None:
    root = getattr(transport, "root", None)
    if not isinstance(root, Path):
        return None
    try:
        stamps = [p.stat().st_mtime for p in (root / "devices" / device).iterdir()]
    except OSError:
        return None
    return dt.datetime.fromtimestamp(max(stamps), dt.UTC) if stamps else None


def _copied(me: str, transport: Transport) -> CopiedDataFolderError:
    where = getattr(transport, "root", "the team folder")
    return CopiedDataFolderError(
        f"another install uses this device's id ({me}) and writes its files in {where}: "
        "this data folder was copied from another computer. Stop sharing on one of them, "
        "or give this one its own identity (crm-desktop backup FILE, then crm-desktop "
        "restore FILE), then sync again"
    )


__all__ = ["MAX_FILE_ROWS", "DeviceSeen", "FileName", "SyncService"]
