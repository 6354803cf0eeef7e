"""The keys of SQLite's compact change log (migrations 0011 and 0012): the devices' small
keys, the entity codes, the packed clock stamps, the row ids as 16 bytes and the values
with their usual keys shortened, for the app's own writes into `change_log` (its own rows
and the rows it applies). The `change` view decodes them; its INSTEAD OF triggers do the
same for other writes (keeping row ids and values as given: the view reads both forms)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from sqlalchemy import Connection

from crm_desktop.domain.changes import ChangeRow

# A packable stamp: 13 hex digits of milliseconds below 2**44, 4 of the counter, then the
# row's own device (what the migration's SQL accepts too).
_PACKABLE = re.compile(r"00[0-9a-f]{11}-[0-9a-f]{4}-")
_FIRST_FREE_CODE = 1000  # codes below are fixed by the migration
INSERT_SQL = (
    "INSERT INTO change_log (device, seq, hlc, entity, row_id, field, value, base_hlc) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CONTROL = re.compile(r"[\x00-\x1f]")

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


def compact_row_id(row_id: str) -> bytes | str:
    """A row id in the usual form (a lower-case UUID) as its 16 bytes; another as given."""
    if len(row_id) == 36 and _UUID.fullmatch(row_id):
        return bytes.fromhex(row_id.replace("-", ""))
    return row_id


def compact_value(value: str | None) -> bytes | str | None:
    """An object's JSON with its usual pieces shortened, as bytes (the view tells the
    shortened form by its type); any other value as given."""
    if not value or value[0] != "{" or _CONTROL.search(value):
        return value
    for piece, code in _SHORT:
        if piece in value:
            value = value.replace(piece, code)
    return value.encode()


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
             compact_row_id(r.row_id), r.field, compact_value(r.value), r.base_hlc)
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
