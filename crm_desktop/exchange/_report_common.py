"""What the Excel and PDF report writers share: the atomic write and small value helpers.

Standard library only, so importing a writer module stays cheap.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from crm_desktop.domain.errors import CrmError

# A text starting with one of these is a formula to a spreadsheet (or becomes one when
# the sheet is saved as CSV and opened again); tab and carriage return are on OWASP's list.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A signed phone number or figure ("+49 30 1234567", "-12.5") calls no function and no
# other program even when typed into a cell, so it keeps its look.
_HARMLESS_SIGNED = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?|\+(?=(?:[^0-9]*[0-9]){6})[0-9 ()./-]*")


def neutralise_text(text: str) -> str:
    """A text a spreadsheet will never run: formula-looking text gets a leading apostrophe.

    The apostrophe is part of the stored value (not only Excel's hidden quote-prefix
    style), so the text stays inert when the sheet is copied, saved as CSV or read by
    another program. Signed phone numbers and plain figures are left as they are."""
    if text.startswith(_FORMULA_STARTS) and not _HARMLESS_SIGNED.fullmatch(text):
        return "'" + text
    return text


def local_naive(moment: dt.datetime) -> dt.datetime:
    """The wall-clock time of this machine (spreadsheets have no time zones)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.replace(tzinfo=None, microsecond=0)


def generated_label(moment: dt.datetime) -> str:
    return local_naive(moment).strftime("%Y-%m-%d %H:%M")


def write_atomically(path: Path, write: Callable[[Path], None], what: str) -> None:
    """Run `write(temp_path)` on a temporary file next to `path`, then move it into place.

    A failure part-way leaves neither a half-written `path` nor the temporary file; a
    folder that is missing or read-only raises a `CrmError` naming the file."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise CrmError(f"cannot write the {what} to {path}: it is a folder")
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise CrmError(f"cannot write the {what} to {path}: {_reason(exc)}") from exc
    os.close(handle)
    temp = Path(temp_name)
    try:
        write(temp)
        # mkstemp makes the file private (0600); a report is an ordinary document. (Reading
        # the umask means setting it, which races with other threads, so 0644 it is.)
        with contextlib.suppress(OSError):
            os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as exc:
        _remove(temp)
        reason = _reason(exc)
        if isinstance(exc, PermissionError) and path.exists():
            reason += " (is it open in another program?)"
        raise CrmError(f"cannot write the {what} to {path}: {reason}") from exc
    except BaseException:
        _remove(temp)
        raise


def _remove(temp: Path) -> None:
    with contextlib.suppress(OSError):
        temp.unlink()


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
