"""Where journal files travel: an interface, and the synced-folder implementation.

Only a device writes in its own place, so no transport relies on locks. The change rows
are the wire format: a server transport would implement the same few calls.

    <team folder>/crm-sync/v1/devices/<device_id>/<first>-<last>.jsonl.gz
                                                 /state.json
                                                 /archive/<first>-<last>.jsonl.gz
                             /snapshots/<device_id>/<stamp>.sqlite
                                                   /<stamp>.json   (what it covers)
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from pathlib import Path
from typing import Protocol

STATE = "state.json"
_DEVICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Transport(Protocol):
    """Files per device: list, read, write whole (atomically), remove."""

    def devices(self) -> list[str]:
        """The devices with a place in the team folder."""
        ...

    def names(self, device_id: str) -> list[str]:
        """Every file name in a device's place (unfiltered: the reader picks)."""
        ...

    def read(self, device_id: str, name: str) -> bytes:
        """A file's bytes; OSError if it can't be read (not there, a placeholder)."""
        ...

    def write(self, device_id: str, name: str, data: bytes) -> None:
        """Write a file whole: readers see the old file, or none, or all of the new one."""
        ...

    def remove(self, device_id: str, name: str) -> None: ...

    def put_snapshot(self, device_id: str, name: str, source: Path) -> None:
        """Copy a local file into the snapshots place, whole."""
        ...

    def snapshots(self) -> list[tuple[str, str]]:
        """(device id, name) of the snapshots present."""
        ...

    def snapshot_path(self, device_id: str, name: str) -> Path:
        """A local path to read a snapshot from."""
        ...

    def put_snapshot_bytes(self, device_id: str, name: str, data: bytes) -> None:
        """Write a small file (a snapshot's description) beside the snapshots, whole."""
        ...

    def read_snapshot_bytes(self, device_id: str, name: str) -> bytes:
        """A file beside the snapshots; OSError if it can't be read."""
        ...

    def remove_snapshot(self, device_id: str, name: str) -> None:
        """Remove a file of a device's snapshots place."""
        ...

    def archive(self, device_id: str, name: str) -> None:
        """Move a file of a device's place into its `archive/` folder."""
        ...


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":  # directories can't be opened for fsync there
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(target: Path, data: bytes) -> None:
    """Write `data` to a temporary name beside `target`, fsync it, rename it into place
    and fsync the folder: a power cut leaves the old file or the new one, never a part."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(target.parent)


class FolderTransport:
    """A team folder kept by Dropbox, OneDrive, Google Drive, Syncthing or a network share."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.root = folder / "crm-sync" / "v1"

    def _device(self, device_id: str) -> Path:
        if not _DEVICE.match(device_id):
            raise ValueError(f"not a device id: {device_id!r}")
        return self.root / "devices" / device_id

    def devices(self) -> list[str]:
        place = self.root / "devices"
        try:
            return sorted(p.name for p in place.iterdir() if p.is_dir() and _DEVICE.match(p.name))
        except OSError:
            return []

    def names(self, device_id: str) -> list[str]:
        try:
            return sorted(p.name for p in self._device(device_id).iterdir())
        except OSError:
            return []

    def read(self, device_id: str, name: str) -> bytes:
        return (self._device(device_id) / name).read_bytes()

    def write(self, device_id: str, name: str, data: bytes) -> None:
        write_atomically(self._device(device_id) / name, data)

    def remove(self, device_id: str, name: str) -> None:
        (self._device(device_id) / name).unlink(missing_ok=True)

    def put_snapshot(self, device_id: str, name: str, source: Path) -> None:
        target = self.root / "snapshots" / self._device(device_id).name / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with (
            tempfile.NamedTemporaryFile(
                dir=target.parent, prefix=f".{name}.", suffix=".tmp", delete=False
            ) as handle,
            source.open("rb") as src,
        ):
            tmp = Path(handle.name)
            try:
                while chunk := src.read(1 << 20):
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        os.replace(tmp, target)
        _fsync_dir(target.parent)

    def snapshots(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        try:
            owners = sorted((self.root / "snapshots").iterdir())
        except OSError:
            return []
        for owner in owners:
            if owner.is_dir() and _DEVICE.match(owner.name):
                found += [
                    (owner.name, p.name)
                    for p in sorted(owner.iterdir())
                    if p.suffix == ".sqlite" and not p.name.startswith(".")
                ]
        return found

    def snapshot_path(self, device_id: str, name: str) -> Path:
        return self.root / "snapshots" / self._device(device_id).name / name

    def put_snapshot_bytes(self, device_id: str, name: str, data: bytes) -> None:
        write_atomically(self.snapshot_path(device_id, name), data)

    def read_snapshot_bytes(self, device_id: str, name: str) -> bytes:
        return self.snapshot_path(device_id, name).read_bytes()

    def remove_snapshot(self, device_id: str, name: str) -> None:
        self.snapshot_path(device_id, name).unlink(missing_ok=True)

    def archive(self, device_id: str, name: str) -> None:
        place = self._device(device_id)
        target = place / "archive" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(place / name, target)
        _fsync_dir(target.parent)
        _fsync_dir(place)
