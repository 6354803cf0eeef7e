"""Where the data lives (AppPaths), the local preferences, the log file, and the location
safety rule.

The live database must sit on a local disk, never in a synced or network folder: SQLite
over Dropbox or SMB corrupts (SYNC.md). `check_local_folder` refuses such places.
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import os
import sys
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import BinaryIO

from crm_desktop.domain.errors import UnsafeLocationError

APP_NAME = "crm-desktop"
DATA_DIR_ENV = "CRM_DESKTOP_DATA_DIR"
DATABASE_URL_ENV = "CRM_DESKTOP_DATABASE_URL"
LOG_FILE = "crm-desktop.log"
LOG_BYTES, LOG_BACKUPS = 1_000_000, 5  # crm-desktop.log and .1 to .5: at most 6 MB

# Files or folders a sync client leaves in the folders it manages.
_SYNC_MARKERS = (
    ".dropbox",
    ".dropbox.cache",
    ".stfolder",  # Syncthing
    ".stignore",
    ".sync",  # Resilio
    ".tmp.drivedownload",  # Google Drive
    ".tmp.driveupload",
    ".owncloudsync.log",
    ".nextcloudsync.log",
)
# Folder names sync clients create for their root.
_SYNC_NAMES = (
    "dropbox",
    "google drive",
    "my drive",
    "icloud drive",
    "mobile documents",
    "cloudstorage",
    "nextcloud",
    "owncloud",
    "pcloud drive",
    "mega",
    "box sync",
)
_SYNC_PREFIXES = ("onedrive", "dropbox (", "googledrive")
_NETWORK_FS = {
    "nfs",
    "nfs4",
    "cifs",
    "smb",
    "smb2",
    "smb3",
    "smbfs",
    "afpfs",
    "9p",
    "ncpfs",
    "davfs",
    "fuse.sshfs",
    "sshfs",
    "fuse.rclone",
    "fuse.gvfsd-fuse",
    "ceph",
    "glusterfs",
    "fuse.glusterfs",
    "lustre",
    "afs",
    "webdav",
}


@dataclass(frozen=True)
class AppPaths:
    """Every file the app writes on this device: all under one data folder, except the log,
    which goes to the platform's log folder when the data folder is the default one (a
    data folder given by --data-dir or $CRM_DESKTOP_DATA_DIR keeps its own logs/)."""

    data_dir: Path
    log_dir: Path | None = field(default=None)

    @classmethod
    def resolve(cls, data_dir: str | os.PathLike[str] | None = None) -> AppPaths:
        chosen = data_dir or os.environ.get(DATA_DIR_ENV)
        if chosen:
            return cls(Path(chosen).expanduser().resolve())
        import platformdirs  # only for the default folders

        return cls(
            Path(platformdirs.user_data_dir(APP_NAME)).resolve(),
            Path(platformdirs.user_log_dir(APP_NAME)).resolve(),
        )

    @property
    def database(self) -> Path:
        return self.data_dir / "crm.sqlite"

    @property
    def backups(self) -> Path:
        return self.data_dir / "backups"

    @property
    def logs(self) -> Path:
        return self.log_dir or self.data_dir / "logs"

    @property
    def log_file(self) -> Path:
        return self.logs / LOG_FILE

    @property
    def preferences(self) -> Path:
        return self.data_dir / "preferences.json"

    def ensure(self) -> None:
        for folder in (self.data_dir, self.backups, self.logs):
            # A read-only data folder still opens for reading; writing then says why.
            with contextlib.suppress(OSError):
                make_private_dir(folder, tighten=True)


@dataclass(frozen=True)
class Preferences:
    """Per-device preferences with typed defaults (business settings live in the database)."""

    database_url: str = ""
    default_country: str = "DE"
    backups_to_keep: int = 10
    theme: str = "system"
    ics_feed: str = ""  # a calendar file kept up to date for other apps to subscribe to
    keep_running_in_tray: bool = True  # closing the window keeps reminders coming
    # Who works on this device: the owner of new records and whose calendar opens first.
    # Per device, not a business setting: in a team each person has their own.
    user_id: str = ""
    # The team folder this device shares through (empty: not shared); see sync/.
    sync_folder: str = ""
    # Outgoing mail for campaigns (the password is in the system's keyring, never here).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls | ssl | none
    smtp_user: str = ""
    smtp_from: str = ""  # "Name <address>"; default: the user
    smtp_per_minute: int = 30  # throttle: at most this many messages a minute
    # A mailbox read for the timeline (the password is in the system's keyring).
    imap_host: str = ""
    imap_port: int = 993
    imap_security: str = "ssl"  # ssl | starttls | none
    imap_user: str = ""
    imap_folders: str = "INBOX"  # comma-separated
    imap_every_minutes: int = 5  # the window reads it this often (0: only "Check mail now")

    @classmethod
    def load(cls, path: Path) -> Preferences:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {f.name: f.type for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in known} if isinstance(raw, dict) else {}
        try:
            return replace(cls(), **values)
        except TypeError:
            return cls()

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(tmp, path)


def setup_logging(log_file: Path, level: int = logging.INFO) -> Path | None:
    """Log to a rotating file (1 MB x 5); returns the file, or None if it cannot be written
    (a read-only folder must not stop the app). Calling it again moves the log."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "crm_desktop", False)]:
        root.removeHandler(old)
        old.close()
    try:
        make_private_dir(log_file.parent, tighten=True)
        handler = _PrivateLogHandler(
            log_file, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
        )
    except OSError:
        return None
    handler.crm_desktop = True  # type: ignore[attr-defined]
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(process)d %(name)s: %(message)s")
    )
    handler.setLevel(level)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    return log_file


class _PrivateLogHandler(logging.handlers.RotatingFileHandler):
    """The log names customers: each log file is created readable by this user only."""

    def _open(self):  # type: ignore[no-untyped-def]
        os.close(os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        make_private(Path(self.baseFilename))
        return super()._open()


def synced_folder_reason(folder: Path) -> str | None:
    """Why this folder is managed by a sync client or a network share, or None if local."""
    folder = folder.expanduser().absolute()
    text = str(folder)
    if text.startswith(("\\\\", "//")):
        return f"{text} is a network path"
    for part in (folder, *folder.parents):
        name = part.name.casefold()
        if name in _SYNC_NAMES or name.startswith(_SYNC_PREFIXES):
            return f"{text} is inside the synced folder {part}"
        for marker in _SYNC_MARKERS:
            try:
                if (part / marker).exists():
                    return f"{text} is inside a folder kept by a sync client ({part / marker})"
            except OSError:
                continue
    fstype = _filesystem_type(folder)
    if fstype and fstype.casefold() in _NETWORK_FS:
        return f"{text} is on a network file system ({fstype})"
    return None


def check_local_folder(folder: Path) -> None:
    """Raise UnsafeLocationError if the live database must not live in this folder."""
    reason = synced_folder_reason(folder)
    if reason:
        raise UnsafeLocationError(
            f"refusing to keep the live database here: {reason}. Keep the data folder on "
            "a local disk and share through a team folder instead (crm-desktop sync)."
        )


def _filesystem_type(folder: Path) -> str | None:
    if sys.platform.startswith("linux"):
        return _linux_mount_type(folder)
    if sys.platform == "win32":
        return _windows_drive_type(folder)
    return None


def _linux_mount_type(folder: Path) -> str | None:
    try:
        lines = Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    best, best_type = "", None
    target = str(folder)
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1].replace("\\040", " ")
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) > len(best):
            best, best_type = mount, parts[2]
    return best_type


def _windows_drive_type(folder: Path) -> str | None:  # pragma: no cover - Windows only
    import ctypes

    drive = folder.drive + "\\"
    kind = ctypes.windll.kernel32.GetDriveTypeW(drive)  # type: ignore[attr-defined]
    return "smb" if kind == 4 else None  # DRIVE_REMOTE


# ---- files private to the user -------------------------------------------------------------
# The database, its backups and the logs hold the customer base: other local users must
# not read them. Files are created 0600 and folders 0700 (POSIX; Windows keeps a user's
# profile folders private by default).
PRIVATE_FILE_MODE, PRIVATE_DIR_MODE = 0o600, 0o700


def make_private_dir(folder: Path, tighten: bool = False) -> Path:
    """Create `folder` (and missing parents) readable by this user only. `tighten`: a
    folder that exists is made private too (the app's own folders, which hold data; never
    a folder the user chose for a file)."""
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if os.name == "posix" and tighten:
        with contextlib.suppress(OSError):  # not ours, or read-only: leave it as it is
            if folder.stat().st_mode & 0o077:
                folder.chmod(PRIVATE_DIR_MODE)
    return folder


def private_file(path: Path) -> BinaryIO:
    """A new file (it must not exist) open for writing, readable by this user only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    return os.fdopen(fd, "wb")


def make_private(path: Path) -> None:
    """Take away other users' access to a file that exists (e.g. made by SQLite)."""
    if os.name == "posix":
        with contextlib.suppress(OSError):
            if path.stat().st_mode & 0o077:
                path.chmod(PRIVATE_FILE_MODE)


def local_timezone() -> str:
    """The IANA name of this computer's time zone ("" when it cannot be told: UTC).
    Floating times in imported calendars are read in it, as the calendar shows them."""
    from crm_desktop.domain.zones import is_iana, resolve

    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:  # pragma: no cover - no such file on Windows
        pass
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import time

        candidates.append(resolve(time.tzname[0]) or "")
    for name in candidates:
        if name and is_iana(name):
            resolved = resolve(name)
            return "" if resolved in (None, "UTC") else resolved
    return ""
