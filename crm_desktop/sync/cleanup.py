"""Clean-up of a device's own sealed files (SYNC.md point 10).

A file moves to the device's `archive/` folder only once (1) every active other device's
state.json says it applied the file, and (2) a finished snapshot in the folder covers it
(so a device that joins later, or comes back after a long time, can start from it). A
device whose state.json was last written more than `INACTIVE_MS` ago (30 days) is not
active and does not hold clean-up back; a state.json without a time counts as active.
Only a device moves its own files, so clean-up needs no locks. Snapshots are not
removed here (a device replaces only its own older ones, after writing a newer one).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from crm_desktop.sync.merge import journal_files
from crm_desktop.sync.snapshots import covered
from crm_desktop.sync.transport import STATE, Transport

INACTIVE_MS = 30 * 24 * 3600 * 1000


def _state(transport: Transport, device: str) -> dict[str, Any] | None:
    try:
        state = json.loads(transport.read(device, STATE))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _active_applied(transport: Transport, me: str, now_ms: int) -> dict[str, dict[str, int]]:
    """Per active other device, what its state.json says it applied of each device. A
    device without a readable state.json has not started and is not waited for: it
    starts from a snapshot."""
    found: dict[str, dict[str, int]] = {}
    for device in transport.devices():
        if device == me:
            continue
        state = _state(transport, device)
        if state is None:
            continue
        seen = state.get("seen")
        if isinstance(seen, int) and now_ms - seen > INACTIVE_MS:
            continue
        applied = state.get("applied")
        found[device] = {
            str(d): s
            for d, s in (applied.items() if isinstance(applied, dict) else ())
            if isinstance(s, int)
        }
    return found


def applied_by_all(transport: Transport, me: str, now_ms: int) -> int | None:
    """The seq of `me` that every active other device has applied (None: no other active
    device)."""
    applied = _active_applied(transport, me, now_ms)
    return min((seqs.get(me, 0) for seqs in applied.values()), default=None)


def team_horizon(
    transport: Transport, me: str, held: Mapping[str, int], now_ms: int
) -> dict[str, int]:
    """Per device, the seq up to which every known active device has its changes: this
    one holds them up to `held`, each other one says in its state.json what it applied
    (a device has all of its own). History compaction removes nothing above it."""
    applied = _active_applied(transport, me, now_ms)
    return {
        device: min(
            [seq, *(seqs.get(device, 0) for other, seqs in applied.items() if other != device)]
        )
        for device, seq in held.items()
    }


def clean(transport: Transport, me: str, wall_ms: Callable[[], int]) -> int:
    """Archive this device's sealed files that every active device applied (at least one
    other) and a snapshot covers; returns how many were moved."""
    files = journal_files(transport, me)
    if not files:
        return 0
    applied = applied_by_all(transport, me, wall_ms())
    if applied is None:
        return 0  # alone: the files are only for devices yet to come, keep them
    limit = min(applied, covered(transport, me))
    moved = 0
    for name, parsed in files:
        if parsed.last > limit:
            break
        transport.archive(me, name)
        moved += 1
    return moved
