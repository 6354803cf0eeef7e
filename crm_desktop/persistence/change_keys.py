"""The keys of SQLite's compact change log (migration 0011): a device's small key, the
entity codes and the packed clock stamp, for the app's own writes into `change_log`. The
`change` view decodes them; its INSTEAD OF triggers do the same for other writes."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from sqlalchemy import Connection

# A packable stamp: 13 hex digits of milliseconds below 2**44, 4 of the counter, then the
# row's own device (what the migration's SQL accepts too).
_PACKABLE = re.compile(r"00[0-9a-f]{11}-[0-9a-f]{4}-")
_FIRST_FREE_CODE = 1000  # codes below are fixed by the migration


class CompactKeys:
    """One device's key and the entity codes, read once per unit of work."""

    def __init__(self, device: int, device_id: str, codes: dict[str, int]) -> None:
        self.device = device
        self._codes = codes
        self.pack = _packer(device_id)

    @classmethod
    def read(cls, connection: Connection, device_id: str) -> CompactKeys:
        connection.exec_driver_sql(
            "INSERT OR IGNORE INTO change_devices (id) VALUES (?)", (device_id,)
        )
        key = connection.exec_driver_sql(
            "SELECT key FROM change_devices WHERE id = ?", (device_id,)
        ).scalar_one()
        rows = connection.exec_driver_sql("SELECT name, code FROM change_entities").all()
        return cls(int(key), device_id, {str(name): int(code) for name, code in rows})

    def codes(self, connection: Connection, names: set[str]) -> dict[str, int]:
        """The codes of these entities, a new one given to a name not seen before."""
        for name in names - self._codes.keys():
            top = connection.exec_driver_sql("SELECT max(code) FROM change_entities").scalar()
            code = max(_FIRST_FREE_CODE, int(top or 0) + 1)
            connection.exec_driver_sql(
                "INSERT INTO change_entities (code, name) VALUES (?, ?)", (code, name)
            )
            self._codes[name] = code
        return self._codes


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
