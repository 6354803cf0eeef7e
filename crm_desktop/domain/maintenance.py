"""Records of the data folder's care: backups and restores."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RestoreResult:
    safety_backup: Path | None  # the data before the restore; None if there was none
    device_id: str


@dataclass(frozen=True)
class BackupInfo:
    """One backup in the backups folder, as the Restore dialog lists it."""

    path: Path
    taken_at: dt.datetime  # local time, from the file name (or its modification time)
    size: int  # bytes
    reason: str  # manual, daily, pre-migration, before-restore...


@dataclass(frozen=True)
class Check:
    """One finding of `doctor`: what was checked, whether it passed, and in plain words
    what it found and what to do about it."""

    name: str
    ok: bool
    detail: str
    advice: str = ""
