"""Command line: team sharing through a synced folder.

    crm-desktop sync --folder ~/Dropbox/Team-CRM     # create or join; remembered
    crm-desktop sync [--json]                        # one round with the remembered folder
    crm-desktop sync --snapshot                      # ... and a snapshot now
    crm-desktop conflicts [--json]                   # open conflicts
    crm-desktop conflicts resolve ID --keep mine|theirs
    crm-desktop compact [--keep-days 30] [--json]     # old history every device has

A round that found a device with a wrong clock exits 3 (partial); a copied data folder
or a file of a newer crm-desktop exits 1 with one line saying what to do (cli.main).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crm_desktop.cli_edits import emit, whole_number
from crm_desktop.domain.sync import ConflictRecord

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext

EXIT_OK, EXIT_PARTIAL = 0, 3
_NOT_DAYS = "not a number of days from 0 to 36500: {text!r}"


def add_parsers(sub: Any) -> None:
    """The sub-commands of this module, on the command line's parser."""
    sync = sub.add_parser("sync", help="one round with the team folder (send, receive, merge)")
    sync.add_argument("--folder", type=Path, help="the team folder (created or joined; remembered)")
    sync.add_argument(
        "--snapshot", action="store_true", help="also take a snapshot now (else at most daily)"
    )
    _json(sync)
    conflicts = sub.add_parser("conflicts", help="list open conflicts, or resolve one")
    _json(conflicts)
    verbs = conflicts.add_subparsers(dest="verb", metavar="VERB")
    resolve = verbs.add_parser("resolve", help="keep one side of a conflict (a new edit)")
    resolve.add_argument("id", help="the conflict's id (its first characters will do)")
    resolve.add_argument("--keep", choices=("mine", "theirs"), required=True)
    _json(resolve)
    compact = sub.add_parser(
        "compact",
        help="remove old change rows every device has and no timeline, undo or report "
        "reads (a sync round does it daily)",
    )
    compact.add_argument(
        "--keep-days",
        type=whole_number(0, 36_500, _NOT_DAYS, _NOT_DAYS),
        default=30,
        metavar="N",
        help="keep the whole history of the last N days (default 30)",
    )
    _json(compact)


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )


def _sync(context: AppContext, args: argparse.Namespace) -> int:
    report = context.sync.round(args.folder, snapshot=args.snapshot)
    payload = {
        f.name: getattr(report, f.name)
        for f in dataclasses.fields(report)
        if f.name not in ("changes", "quarantined")
    }
    payload["changed"] = {k: len(v) for k, v in sorted(report.changes.changed.items())}
    payload["quarantined"] = [
        {"device_id": q.device_id, "minutes_ahead": q.minutes_ahead, "message": q.message}
        for q in report.quarantined
    ]
    lines = [
        f"Team folder {report.folder} ({len(report.devices)} other devices)",
        f"  sent      {report.sent_changes:,} changes in {report.sent_files} files",
        f"  applied   {report.applied_changes:,} changes from {report.applied_files} files"
        + (f" ({report.duplicates:,} already here)" if report.duplicates else ""),
        f"  conflicts {report.conflicts} open",
    ]
    if report.conflicts:
        lines.append("See them with: crm-desktop conflicts")
    if report.started_from:
        lines.append(f"  started   from snapshot {report.started_from}")
    if report.snapshot:
        lines.append(f"  snapshot  {report.snapshot}")
    if report.cleaned_files:
        lines.append(f"  archived  {report.cleaned_files} own files every device has")
    if report.compacted_changes:
        lines.append(f"  compacted {report.compacted_changes:,} old change rows every device has")
    if report.waiting_files:
        lines.append(f"  waiting   {report.waiting_files} files not arrived whole yet")
    emit(args, payload, "\n".join(lines))
    for quarantine in report.quarantined:
        print(f"crm-desktop: {quarantine.message}", file=sys.stderr)
    return EXIT_PARTIAL if report.quarantined else EXIT_OK


def _payload(record: ConflictRecord, me: str) -> dict[str, Any]:
    return {**dataclasses.asdict(record), "mine": me in (record.kept_device, record.lost_device)}


def _describe(record: ConflictRecord, me: str) -> list[str]:
    def who(device: str) -> str:
        return "this device" if device == me else f"device {device[:8]}"

    if record.kind == "deleted":
        what = f"deleted by {who(record.kept_device)}, edited by {who(record.lost_device)} after"
        return [f"{record.id}  {record.entity} {record.row_id}: {what}"]
    return [
        f"{record.id}  {record.entity} {record.row_id} {record.field}",
        f"    kept: {record.kept_value}  ({who(record.kept_device)})",
        f"    lost: {record.lost_value}  ({who(record.lost_device)})",
    ]


def _conflicts(context: AppContext, args: argparse.Namespace) -> int:
    me = context.sync.device_id
    if getattr(args, "verb", None) == "resolve":
        changes = context.sync.resolve(args.id, args.keep)
        payload = {"resolved": args.id, "keep": args.keep, "changed": {
            k: sorted(v) for k, v in changes.changed.items()
        }}  # fmt: skip
        emit(args, payload, f"Conflict {args.id} resolved: kept {args.keep}")
        return EXIT_OK
    records = context.sync.conflicts()
    lines = [f"{len(records)} open conflicts"]
    for record in records:
        lines += _describe(record, me)
    if records:
        lines.append("Resolve with: crm-desktop conflicts resolve ID --keep mine|theirs")
    emit(args, [_payload(r, me) for r in records], "\n".join(lines))
    return EXIT_OK


def _compact(context: AppContext, args: argparse.Namespace) -> int:
    removed = context.sync.compact(dt.timedelta(days=args.keep_days))
    emit(
        args,
        {"removed": removed, "keep_days": args.keep_days},
        f"History compacted: {removed:,} old change rows removed (every device has them; "
        f"timelines and the last {args.keep_days} days kept whole)",
    )
    return EXIT_OK


COMMANDS: dict[str, Callable[[Any, argparse.Namespace], int]] = {
    "sync": _sync,
    "conflicts": _conflicts,
    "compact": _compact,
}
