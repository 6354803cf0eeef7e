"""Change notifications of a PostgreSQL server (LISTEN crm_changes).

Every committed insert into the change log notifies the channel (migration 0009). A
listener holds one connection of its own, outside the pool, in autocommit, and blocks in
`wait` until a notification comes or the timeout passes; reading what changed is the
caller's business (the change log after the seqs it has seen).
"""

from __future__ import annotations

import contextlib
import threading

from sqlalchemy import Engine

CHANNEL = "crm_changes"


class ChangeListener:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: object | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        import psycopg

        self.close()  # a second start listens on a new connection, not two
        url = self._engine.url
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
        conn.execute(f"LISTEN {CHANNEL}")
        self._conn = conn

    def wait(self, timeout: float) -> bool:
        """True when at least one notification came within `timeout` seconds (all that
        came are taken); False after the timeout or when the listener is closed."""
        conn = self._conn
        if conn is None:
            return False
        got = False
        try:
            for _ in conn.notifies(timeout=timeout, stop_after=1):  # type: ignore[attr-defined]
                got = True
            if got:  # take the others that came at the same time
                for _ in conn.notifies(timeout=0.01):  # type: ignore[attr-defined]
                    pass
        except Exception:
            return got
        return got

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                conn.close()  # type: ignore[attr-defined]
