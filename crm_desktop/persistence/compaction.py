"""History compaction: the change rows every known device has and nobody will read again.

A change row is kept for three readers: other devices (until each has applied it), the
history people see (the timelines of contacts, companies and deals with their e-mails,
phones, addresses, roles and tags; the consent ledger; the reports that rebuild a deal
book as of a past day), and undo (the value a field had before an edit). Compaction
removes a row only when none of them needs it:

- every known device has it: its seq is at or below the device's *horizon*, the seq up to
  which every device of the team has applied that device's changes (on a server every
  install writes to directly: the seq up to which it holds all). The caller caps a
  device's own horizon where its rows must still go out (sync/service.py: a SQLite file's
  own rows once they are in the team folder's files);
- it is older than the kept period (`KEEP`, 30 days by default) and superseded: a later
  change of the same field of the same row, also older than the kept period, exists.
  The last change of each field before the kept period stays, so every edit inside the
  period can still be undone and every stamp a merge compares with is still there;
- its history is not shown: rows of the entities above are kept whole, except for fields
  no timeline shows (a board position, the creation time). Rows that made a record (`*`)
  are never removed, nor a device's newest row (its seq continues from it), nor rows of
  a record with an open conflict.

So on the 100,000-contact demo almost nothing goes (its rows made records, which the
timelines show); in a database used for years it is the board drags, pipeline, stage,
setting, template, product, activity and campaign-member edits that pile up.

What was compacted is kept in `local_meta` (`change.compacted`): per device the horizon
(its rows at or below it count as held even where one was removed, so a duplicate
delivery is still skipped and sync does not ask for them again) and the start of the kept
period (an undo of an older edit is refused: the value before it may be gone). A snapshot
carries the key; a device that starts from one takes its horizons (a new install that
takes a snapshot as its database takes its own horizon again only once its own rows are
back in it, or they would be skipped as held).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select, text
from sqlalchemy.orm import Session

from crm_desktop.persistence.changes import last_seqs
from crm_desktop.persistence.dialect import SQLITE, marks
from crm_desktop.persistence.models import Change, LocalMeta
from crm_desktop.persistence.wire import INSERT_FIELD

COMPACTED_KEY = "change.compacted"
KEEP = dt.timedelta(days=30)
# Whose field history people see (timelines, the consent ledger, reports as of a day).
HISTORY_ENTITIES = frozenset(
    {
        "contacts",
        "companies",
        "deals",
        "contact_emails",
        "contact_phones",
        "contact_addresses",
        "contact_roles",
        "taggings",
        "consents",
    }
)
# Fields no timeline shows, even of the entities above.
UNSHOWN_FIELDS = frozenset({"position", "created_at"})
_CHUNK = 500


@dataclass(frozen=True)
class Compacted:
    """What compaction has done on this database so far."""

    through: dict[str, int]  # per device, the horizon compacted up to
    before: str  # the stamp the kept period started at ("" if never compacted)
    removed: int  # rows removed, all runs together
    at: str  # when it last ran (ISO 8601, UTC; "" if never)


def compacted(session: Session) -> Compacted:
    """The compaction facts of this database (empty when it never ran)."""
    value = session.execute(select(LocalMeta.value).where(LocalMeta.key == COMPACTED_KEY))
    return parse(value.scalar())


def parse(text: str | None) -> Compacted:
    """The facts from the key's JSON text (empty for None or a damaged value)."""
    try:
        data: Any = json.loads(text) if text else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    through = data.get("through")
    seqs = {
        str(d): int(s)
        for d, s in (through.items() if isinstance(through, dict) else ())
        if isinstance(s, int)
    }
    return Compacted(
        through=seqs,
        before=str(data.get("before") or ""),
        removed=int(data.get("removed") or 0),
        at=str(data.get("at") or ""),
    )


def _raised(ours: Mapping[str, int], theirs: Mapping[str, int]) -> dict[str, int]:
    """Per device, the higher of two horizons (horizons only grow)."""
    raised = dict(ours)
    for device, seq in theirs.items():
        raised[device] = max(seq, raised.get(device, 0))
    return raised


def _dump(facts: Compacted) -> str:
    return json.dumps(
        {
            "through": dict(sorted(facts.through.items())),
            "before": facts.before,
            "removed": facts.removed,
            "at": facts.at,
        },
        sort_keys=True,
    )


def _store(session: Session, facts: Compacted) -> None:
    row = session.get(LocalMeta, COMPACTED_KEY)
    if row is None:
        session.add(LocalMeta(key=COMPACTED_KEY, value=_dump(facts)))
    else:
        row.value = _dump(facts)


def take_horizons(session: Session, through: Mapping[str, int]) -> None:
    """Hold these horizons too (a snapshot's, after its changes were applied here)."""
    facts = compacted(session)
    raised = _raised(facts.through, through)
    if raised != facts.through:
        _store(session, Compacted(raised, facts.before, facts.removed, facts.at))


def compact(session: Session, horizon: Mapping[str, int], before: str, now: dt.datetime) -> int:
    """Remove the change rows every known device has (`horizon`: per device, the seq up
    to which every device has its rows) that nobody will read again (module docstring),
    among those stamped before `before`; returns how many. Horizons only grow: a device
    whose files were archived keeps the horizon it reached."""
    facts = compacted(session)
    reach = _raised(facts.through, horizon)
    doomed = _superseded(session, reach, before)
    _remove(session, doomed)
    _store(
        session,
        Compacted(
            through=reach,
            before=max(before, facts.before),
            removed=facts.removed + len(doomed),
            at=now.astimezone(dt.UTC).isoformat(timespec="seconds"),
        ),
    )
    return len(doomed)


def _superseded(session: Session, reach: Mapping[str, int], before: str) -> list[tuple[str, int]]:
    """(device, seq) of the rows to remove."""
    stmt = select(
        Change.entity, Change.row_id, Change.field, Change.hlc, Change.seq, Change.device_id
    ).where(
        Change.field != INSERT_FIELD,
        or_(Change.entity.not_in(sorted(HISTORY_ENTITIES)), Change.field.in_(UNSHOWN_FIELDS)),
        Change.hlc < before,
    )
    fields: dict[tuple[str, str, str], list[tuple[str, int, str]]] = defaultdict(list)
    for entity, row_id, field, hlc, seq, device in session.execute(stmt):
        fields[(entity, row_id, field)].append((hlc, seq, device))
    if not fields:
        return []
    newest = last_seqs(session)
    open_conflicts = session.execute(text("SELECT entity, row_id FROM sync_conflict"))
    conflicted = {(entity, row_id) for entity, row_id in open_conflicts}
    doomed: list[tuple[str, int]] = []
    for (entity, row_id, _field), versions in fields.items():
        if len(versions) < 2 or (entity, row_id) in conflicted:
            continue
        versions.sort()
        for _hlc, seq, device in versions[:-1]:  # the last before the kept period stays
            if seq <= reach.get(device, 0) and seq != newest.get(device):
                doomed.append((device, seq))
    return doomed


def _remove(session: Session, rows: Iterable[tuple[str, int]]) -> None:
    by_device: dict[str, list[int]] = defaultdict(list)
    for device, seq in rows:
        by_device[device].append(seq)
    connection = session.connection()
    for device, unsorted in by_device.items():
        seqs = sorted(unsorted)
        for start in range(0, len(seqs), _CHUNK):
            chunk = seqs[start : start + _CHUNK]
            if connection.dialect.name == SQLITE:  # the compact log itself (0011)
                connection.exec_driver_sql(
                    "DELETE FROM change_log WHERE device = (SELECT key FROM change_devices "
                    f"WHERE id = ?) AND seq IN ({marks(SQLITE, len(chunk))})",
                    (device, *chunk),
                )
            else:
                session.execute(
                    delete(Change).where(Change.device_id == device, Change.seq.in_(chunk))
                )


def log_health(
    totals: Iterable[tuple[str, int, int]],
    facts: Compacted,
    count_above: Callable[[str, int], int],
) -> tuple[list[str], str]:
    """`doctor`'s reading of the change log: the devices whose seqs have a gap above their
    compaction horizon (below it, compaction removed rows every device has), and the
    words when there is none. `totals` is (device, rows, highest seq) per device;
    `count_above(device, seq)` counts a device's rows above a seq."""
    totals = list(totals)
    bad = []
    for device, count, top in totals:
        horizon = min(facts.through.get(device, 0), top)
        above = count_above(device, horizon) if horizon else count
        if above != top - horizon:
            bad.append(device)
    words = f"{sum(n for _, n, _ in totals)} changes from {len(totals)} devices, no gaps"
    if facts.at:
        words += f"; history compacted {facts.at[:10]} ({facts.removed:,} old rows removed)"
    return bad, words
