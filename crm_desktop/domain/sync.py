"""Team sharing records and errors (SYNC.md): what a sync round did, an open conflict.

Plain data: the sync package fills them, the faces show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import CrmError


class SyncError(CrmError):
    """Team sharing cannot go on as things are (the message says what to do)."""


class SyncVersionError(SyncError):
    """A file in the team folder comes from a newer crm-desktop."""


class CopiedDataFolderError(SyncError):
    """Two installs share one device id (a copied data folder) and write one device folder."""


class NoTeamFolderError(SyncError):
    """No team folder was given and none is remembered."""


class TeamFolderOfflineError(SyncError):
    """The remembered team folder is not there now (offline, a drive not mounted)."""


@dataclass(frozen=True)
class Quarantine:
    """A device whose files are held back because its clock runs ahead."""

    device_id: str
    minutes_ahead: int

    @property
    def message(self) -> str:
        return (
            f"device {self.device_id} is {self.minutes_ahead:,} minutes ahead of this "
            "computer's clock; its changes wait until its clock is set right"
        )


@dataclass(frozen=True)
class ConflictRecord:
    """Both sides changed one field without seeing each other's change (kind `field`),
    or a row was edited on one device after another deleted it (kind `deleted`, field
    `deleted_at`). The kept side is the value every device shows now."""

    id: str
    kind: str
    entity: str
    row_id: str
    field: str
    kept_value: str | None  # JSON text, as the change log keeps it
    kept_device: str
    kept_hlc: str
    lost_value: str | None
    lost_device: str
    lost_hlc: str


@dataclass(frozen=True)
class SyncReport:
    """What one round did."""

    folder: str
    device_id: str
    sent_files: int = 0
    sent_changes: int = 0
    applied_files: int = 0
    applied_changes: int = 0
    duplicates: int = 0
    waiting_files: int = 0  # short, corrupt or unreadable: not arrived yet
    quarantined: tuple[Quarantine, ...] = ()
    conflicts: int = 0  # open conflicts after the round
    snapshot: str | None = None  # the snapshot this round took
    started_from: str | None = None  # the snapshot this device started from (device/name)
    cleaned_files: int = 0  # own files archived
    compacted_changes: int = 0  # change rows every device has that history compaction removed
    devices: tuple[str, ...] = ()  # the other devices seen
    changes: ChangeSet = field(default_factory=ChangeSet)  # what the applied files changed
