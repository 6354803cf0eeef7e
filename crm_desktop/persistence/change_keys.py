"""The keys of SQLite's compact change log (migrations 0011 and 0012): the devices' small
keys, the entity codes, the packed clock stamps, the row ids as 16 bytes and the values
with their usual keys shortened, for the app's own writes into `change_log` (its own rows
and the rows it applies). The `change` view decodes them; its INSTEAD OF triggers do the
same for other writes (keeping row ids and values as given: the view reads both forms)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Connection

from crm_desktop.domain.changes import ChangeRow

# A packable stamp: 13 hex digits of milliseconds below 2**44, 4 of the counter, then the
# row's own device (what the migration's SQL accepts too).
_PACKABLE = re.compile(r"00[0-9a-f]{11}-[0-9a-f]{4}-")
_FIRST_FREE_CODE = 1000  # codes below are fixed by the migration
INSERT_SQL = (
    "INSERT INTO change_log (device, seq, hlc, entity, row_id, field, value, ref1, ref2, "
    "base_hlc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_UUID_MIDDLE = re.compile(r"-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-")

# The value's usual pieces, each stored as one control character (1 for the first): the
# view puts them back (migration 0012 writes the same list into its SQL, so it never
# changes; a new list needs a new migration, and 20 is as deep as SQLite parses the nested
# `replace` calls of a view). JSON text holds no raw control character (its strings escape
# them), so the shortened form is read back exactly; a value holding one anyway is stored
# as given.
VALUE_PIECES = (
    '"created_at":"20',
    '"contact_id":"',
    '"company_id":"',
    '"position":',
    '"label":"',
    '"first_name":"',
    '"last_name":"',
    '"cadence_days":',
    '"email":"',
    '"number":"',
    '"tag_id":"',
    '"target_id":"',
    '"target_kind":"',
    '"name":"',
    '"notes":"',
    '"title":"',
    '"owner_id":"',
    '"deal_id":"',
    '"stage_id":"',
    '"status":"',
)
_SHORT = tuple((piece, chr(code)) for code, piece in enumerate(VALUE_PIECES, start=1))
# The first two ids in the usual form in an object's JSON are stored apart, as 16 bytes
# each (`ref1`, `ref2`), and stand in the text as these two control characters.
REF_MARKS = (chr(len(VALUE_PIECES) + 1), chr(len(VALUE_PIECES) + 2))


# The pieces each entity's objects are shortened with (numbers in VALUE_PIECES, from 1):
# those of its fields when migration 0012 was written, which writes the same table into
# the view's SQL, one branch of its decoding per entity, so that a row is put back with
# a few `replace` calls and not all of them (a third of the time). Fixed like the list:
# a field added later whose key is a piece stays written out. An entity not listed
# (another app's) is shortened with every piece, and the view's other branch reads it.
ENTITY_PIECES: dict[str, tuple[int, ...]] = {
    "users": (1, 9, 14),
    "companies": (1, 9, 14, 15, 17),
    "contacts": (1, 3, 6, 7, 8, 9, 15, 16, 17),
    "contact_emails": (1, 2, 4, 5, 9),
    "contact_phones": (1, 2, 4, 5, 10),
    "contact_addresses": (1, 2, 4, 5),
    "contact_roles": (1, 2, 3, 4, 16),
    "tags": (1, 14),
    "taggings": (1, 11, 12, 13),
    "custom_fields": (1, 4, 13, 14),
    "custom_values": (1, 12),
    "pipelines": (1, 4, 14),
    "stages": (1, 4, 14),
    "reasons": (1, 4, 5),
    "products": (1, 14),
    "campaigns": (1, 14, 20),
    "deals": (1, 2, 3, 4, 16, 17, 19, 20),
    "deal_items": (1, 4, 18),
    "deal_stage_history": (1, 18),
    "activities": (1, 2, 3, 15, 17, 18),
    "orders": (1, 2, 3, 10, 18),
    "consents": (1, 2, 20),
    "segments": (1, 14),
    "campaign_members": (1, 2, 20),
    "forecast_snapshots": (1,),
    "forecast_snapshot_lines": (1, 17, 18, 19),
    "settings": (1,),
}


@cache
def pieces_of(entity: str) -> tuple[tuple[str, str], ...]:
    """The pieces (and their characters) that an object of this entity is shortened with."""
    numbers = ENTITY_PIECES.get(entity)
    if numbers is None:
        return _SHORT
    return tuple(_SHORT[n - 1] for n in numbers)


# How JSON writes a string (the C version where there is one): what the app's encoder
# does with every string (`changes.encode_value`).
_escape: Callable[[str], str] = getattr(json.encoder, "c_encode_basestring", None) or (
    json.encoder.py_encode_basestring
)


@cache
def _key_forms(entity: str) -> dict[str, tuple[str, str | None, str]]:
    """Per key: how it is written (its piece's character, or its JSON and a colon), the
    start of the value's JSON its piece takes too (`"`, `"20`, nothing; None: no piece),
    and the key's JSON with a colon. Filled in with other keys as they come."""
    forms: dict[str, tuple[str, str | None, str]] = {}
    for piece, code in pieces_of(entity):
        key = piece[1 : piece.index('"', 1)]
        forms[key] = (code, piece[len(key) + 3 :], piece[: len(key) + 3])
    return forms


def compact_object(
    values: Mapping[str, Any], entity: str, encode: Callable[[Any], str]
) -> tuple[bytes | str | None, bytes | None, bytes | None]:
    """`compact_value` of `encode(values)` (a new row's object, every field at once),
    made from the object itself: each value encoded alone, its key written as its piece
    where it has one, and the first two values that are ids in the usual form taken out,
    without reading the text again for pieces and ids (a bulk import makes one a row).
    The view reads back `encode(values)` exactly: the encoder writes an object as its
    keys' and values' own texts joined, and escapes every control character."""
    forms = _key_forms(entity)
    parts: list[str] = []
    refs: list[bytes | None] = []
    for key, value in values.items():
        form = forms.get(key)
        if form is None:
            if type(key) is not str:  # an object of another shape: the usual way
                return compact_value(encode(values), pieces_of(entity))
            head = _escape(key) + ":"
            form = forms[key] = (head, None, head)
        kind = type(value)
        if kind is str:
            if len(value) == 36 and len(refs) < 2 and _UUID.fullmatch(value):
                text = '"' + REF_MARKS[len(refs)] + '"'  # an id needs no escaping
                refs.append(bytes.fromhex(value.replace("-", "")))
            else:
                text = _escape(value)
        elif kind is int:
            text = repr(value)
        else:
            text = encode(value)
        start = form[1]
        if start is not None and text.startswith(start):
            parts.append(form[0] + text[len(start) :])
        else:
            parts.append(form[2] + text)
    refs += [None] * (2 - len(refs))
    return ("{" + ",".join(parts) + "}").encode(), refs[0], refs[1]


def compact_row_id(row_id: str) -> bytes | str:
    """A row id in the usual form (a lower-case UUID) as its 16 bytes; another as given."""
    if len(row_id) == 36 and _UUID.fullmatch(row_id):
        return bytes.fromhex(row_id.replace("-", ""))
    return row_id


def _ids(value: str) -> list[int]:
    """Where the first two ids in the usual form start in the text, as `finditer` of
    `_UUID` would find them, but faster: by the middle of an id, which starts with "-"."""
    found: list[int] = []
    floor = at = 0
    while len(found) < 2:
        middle = _UUID_MIDDLE.search(value, at)
        if middle is None:
            break
        start = middle.start() - 8
        if start >= floor and _UUID.fullmatch(value, start, start + 36):
            found.append(start)
            floor = at = start + 36
        else:
            at = middle.start() + 1
    return found


def compact_value(
    value: str | None, pieces: tuple[tuple[str, str], ...] = _SHORT
) -> tuple[bytes | str | None, bytes | None, bytes | None]:
    """An object's JSON with its usual pieces shortened and its first two ids in the
    usual form taken out, as bytes (the view tells the shortened form by its type), and
    those ids as 16 bytes each (None where there are fewer); any other value as given
    (also an object holding a character that is not printable: a control character
    there would be read back as a piece)."""
    if not value or value[0] != "{" or not value.isprintable():
        return value, None, None
    for piece, code in pieces:
        if piece in value:
            value = value.replace(piece, code)
    starts = _ids(value)
    if not starts:
        return value.encode(), None, None
    refs: list[bytes | None] = [None, None]
    parts = []
    done = 0
    for n, start in enumerate(starts):
        refs[n] = bytes.fromhex(value[start : start + 36].replace("-", ""))
        parts += [value[done:start], REF_MARKS[n]]
        done = start + 36
    parts.append(value[done:])
    return "".join(parts).encode(), refs[0], refs[1]


class CompactKeys:
    """Device keys and entity codes of one database, read once per unit of work."""

    def __init__(self, codes: dict[str, int]) -> None:
        self._codes = codes
        self._devices: dict[str, int] = {}
        self._packers: dict[str, Callable[[str], int | str]] = {}

    @classmethod
    def read(cls, connection: Connection) -> CompactKeys:
        rows = connection.exec_driver_sql("SELECT name, code FROM change_entities").all()
        return cls({str(name): int(code) for name, code in rows})

    def device(self, connection: Connection, device_id: str) -> int:
        """The device's key, given when it is new here."""
        key = self._devices.get(device_id)
        if key is None:
            sql = "INSERT OR IGNORE INTO change_devices (id) VALUES (?)"
            connection.exec_driver_sql(sql, (device_id,))
            sql = "SELECT key FROM change_devices WHERE id = ?"
            key = self._devices[device_id] = int(
                connection.exec_driver_sql(sql, (device_id,)).scalar_one()
            )
        return key

    def codes(self, connection: Connection, names: Iterable[str]) -> dict[str, int]:
        """The codes of these entities, a new one given to a name not seen before."""
        for name in set(names) - self._codes.keys():
            top = connection.exec_driver_sql("SELECT max(code) FROM change_entities").scalar()
            code = max(_FIRST_FREE_CODE, int(top or 0) + 1)
            connection.exec_driver_sql(
                "INSERT INTO change_entities (code, name) VALUES (?, ?)", (code, name)
            )
            self._codes[name] = code
        return self._codes

    def packer(self, device_id: str) -> Callable[[str], int | str]:
        """Packs the stamps of one device's rows (see `_packer`)."""
        pack = self._packers.get(device_id)
        if pack is None:
            pack = self._packers[device_id] = _packer(device_id)
        return pack

    def store(self, connection: Connection, rows: Sequence[ChangeRow]) -> None:
        """Insert change rows of any devices as received (an apply)."""
        codes = self.codes(connection, {r.entity for r in rows})
        devices = {d: self.device(connection, d) for d in {r.device_id for r in rows}}
        packed = [
            (devices[r.device_id], r.seq, self.packer(r.device_id)(r.hlc), codes[r.entity],
             compact_row_id(r.row_id), r.field, *compact_value(r.value, pieces_of(r.entity)),
             r.base_hlc)
            for r in rows
        ]  # fmt: skip
        connection.exec_driver_sql(INSERT_SQL, packed)


def _packer(device_id: str) -> Callable[[str], int | str]:
    suffix = "-" + device_id  # the stamp's tail after the counter

    @lru_cache(maxsize=1024)
    def pack(stamp: str) -> int | str:
        """The stamp as one integer (milliseconds << 16 | counter) when it is this
        device's and of the usual form; else the stamp itself."""
        if stamp[18:] != suffix or not _PACKABLE.match(stamp):
            return stamp
        return int(stamp[:13], 16) << 16 | int(stamp[14:18], 16)

    return pack
