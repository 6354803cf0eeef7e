"""Files written whole or not at all: written next to their target, then moved into
place, so a failure never leaves half a file (exports, e-mails, letters, data exports)."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from crm_desktop.domain.errors import CrmError, DiskFullError, ReadOnlyError


def write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Run `write(stream)` on a temporary file next to `path`, then move it into place;
    a failure removes the temporary file and raises a `CrmError` naming `path`."""
    path = path.expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise CrmError(f"cannot write {path}: no folder {folder}")
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise _write_error(path, exc) from exc
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _write_error(path: Path, exc: OSError) -> CrmError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(f"cannot write {path}: the disk is full; nothing was written")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ReadOnlyError(f"cannot write {path}: the folder is read-only")
    return CrmError(f"cannot write {path}: {exc.strerror or exc}")
