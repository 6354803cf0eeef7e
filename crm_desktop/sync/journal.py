"""Sealed journal files: one device's change rows `first..last`, never modified once written.

    <first>-<last>.jsonl.gz       (seqs zero-padded to 12 digits, so names sort)

Inside the gzip, one line each, every line `<crc32, 8 hex> <JSON>`:
- a header: format, schema version, device, first and last seq, app version;
- one row per change: [seq, hlc, entity, row_id, field, value, base_hlc];
- a trailer: the count of rows and the SHA-256 of every line before it.

A file that is short, corrupt or disagrees with its name is "not arrived yet"
(`IncompleteFileError`): the caller retries later and never applies part of it. A file
from a newer schema raises `SyncVersionError`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crm_desktop import __version__
from crm_desktop.domain.changes import ChangeRow
from crm_desktop.domain.sync import SyncVersionError

FORMAT = "crm-desktop-sync"
SCHEMA = 1  # the journal's format; raise it when a reader of this version can't read a file
FILE_PATTERN = re.compile(r"^(\d{12})-(\d{12})\.jsonl\.gz$")


class IncompleteFileError(ValueError):
    """A journal file that is not whole (yet): short, corrupt, or not what its name says."""


@dataclass(frozen=True)
class FileName:
    first: int
    last: int

    def __str__(self) -> str:
        return f"{self.first:012d}-{self.last:012d}.jsonl.gz"

    @classmethod
    def parse(cls, name: str) -> FileName | None:
        """The seq range of a journal file's name; None for anything else (conflicted
        copies, temporary and lock files, state.json)."""
        match = FILE_PATTERN.match(name)
        if match is None:
            return None
        first, last = int(match[1]), int(match[2])
        return cls(first, last) if 1 <= first <= last else None


@dataclass(frozen=True)
class Journal:
    device_id: str
    name: FileName
    rows: tuple[ChangeRow, ...]
    app: str = ""

    @property
    def newest_stamp(self) -> str:
        return max(row.hlc for row in self.rows)


def _line(payload: Any) -> bytes:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return b"%08x " % zlib.crc32(text) + text + b"\n"


def encode(device_id: str, rows: Sequence[ChangeRow]) -> tuple[FileName, bytes]:
    """A sealed file of consecutive change rows of one device: its name and its bytes
    (the same rows give the same bytes)."""
    if not rows:
        raise ValueError("a journal file holds at least one change")
    name = FileName(rows[0].seq, rows[-1].seq)
    if [r.seq for r in rows] != list(range(name.first, name.last + 1)):
        raise ValueError("a journal file holds consecutive seqs")
    header = {
        "format": FORMAT,
        "schema": SCHEMA,
        "device": device_id,
        "first": name.first,
        "last": name.last,
        "app": __version__,
    }
    lines = [_line(header)]
    for r in rows:
        if r.device_id != device_id:
            raise ValueError("a journal file holds one device's changes")
        lines.append(_line([r.seq, r.hlc, r.entity, r.row_id, r.field, r.value, r.base_hlc]))
    digest = hashlib.sha256(b"".join(lines)).hexdigest()
    lines.append(_line({"count": len(rows), "sha256": digest}))
    return name, gzip.compress(b"".join(lines), compresslevel=6, mtime=0)


def _parse_line(line: bytes) -> Any:
    if len(line) < 10 or line[8:9] != b" ":
        raise IncompleteFileError("a line without its checksum")
    try:
        crc = int(line[:8], 16)
    except ValueError:
        raise IncompleteFileError("a line without its checksum") from None
    text = line[9:]
    if zlib.crc32(text) != crc:
        raise IncompleteFileError("a line's checksum does not match")
    try:
        return json.loads(text)
    except ValueError:
        raise IncompleteFileError("a line is not JSON") from None


def _lines(data: bytes) -> list[bytes]:
    try:
        text = gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:
        raise IncompleteFileError(f"not a whole gzip file ({exc})") from None
    if not text.endswith(b"\n"):
        raise IncompleteFileError("the file is cut short")
    return text[:-1].split(b"\n")


def check_schema(header: Any) -> None:
    """Stop at a file of a newer journal schema (this app can't read it)."""
    schema = header.get("schema") if isinstance(header, dict) else None
    if isinstance(schema, int) and schema > SCHEMA:
        raise SyncVersionError(
            f"the team folder holds changes in format {schema} from crm-desktop "
            f"{header.get('app', '(newer)')}; this is crm-desktop {__version__} (format "
            f"{SCHEMA}): update crm-desktop to go on sharing"
        )


def decode(device_id: str, file_name: str, data: bytes) -> Journal:
    """The rows of a whole sealed file of `device_id`, or `IncompleteFileError`."""
    name = FileName.parse(file_name)
    if name is None:
        raise IncompleteFileError(f"{file_name} is not a journal file name")
    lines = _lines(data)
    header = _parse_line(lines[0])
    check_schema(header)
    if len(lines) < 3:
        raise IncompleteFileError("the file is cut short")
    trailer = _parse_line(lines[-1])
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise IncompleteFileError("not a crm-desktop journal")
    if (header.get("device"), header.get("first"), header.get("last")) != (
        device_id,
        name.first,
        name.last,
    ):
        raise IncompleteFileError(f"{file_name} does not hold what its name says")
    body = b"".join(line + b"\n" for line in lines[:-1])
    if (
        not isinstance(trailer, dict)
        or trailer.get("count") != len(lines) - 2
        or trailer.get("sha256") != hashlib.sha256(body).hexdigest()
    ):
        raise IncompleteFileError("the file's count or SHA-256 does not match")
    rows: list[ChangeRow] = []
    for number, line in enumerate(lines[1:-1]):
        fields = _parse_line(line)
        try:
            seq, hlc, entity, row_id, field, value, base = fields
        except (TypeError, ValueError):
            raise IncompleteFileError("a row of the wrong shape") from None
        if seq != name.first + number:
            raise IncompleteFileError("the rows' seqs do not follow the name")
        rows.append(ChangeRow(device_id, seq, hlc, entity, row_id, field, value, base))
    if len(rows) != name.last - name.first + 1:
        raise IncompleteFileError("the file holds fewer rows than its name says")
    return Journal(device_id, name, tuple(rows), str(header.get("app", "")))
