"""Command line of segments: `segments`, `segment save|show|delete`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crm_desktop.cli_edits import emit
from crm_desktop.domain.segments import filter_to_json

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext

EXIT_OK = 0


def add_parsers(sub: Any) -> None:
    """The sub-commands of this module, on the command line's parser."""
    sub.add_parser("segments", help="list the saved segments with how many contacts each holds")
    segment = sub.add_parser("segment", help="save, show or delete a segment")
    verbs = segment.add_subparsers(dest="verb", metavar="VERB", required=True)
    save = verbs.add_parser("save", help="save a filter (JSON, see the README) under a name")
    save.add_argument("name")
    save.add_argument("--filter", type=Path, required=True, metavar="FILE.json")
    show = verbs.add_parser("show", help="a segment's filter (JSON) and count")
    show.add_argument("name")
    delete = verbs.add_parser("delete", help="move a segment to the Trash (contacts stay)")
    delete.add_argument("name")


def _segments(context: AppContext, args: argparse.Namespace) -> int:
    records = context.segments.list(counts=True)
    payload = [
        {"id": r.id, "name": r.name, "contacts": r.count, "filter": filter_to_json(r.filter)}
        for r in records
    ]
    width = max((len(r.name) for r in records), default=0)
    lines = [f"{r.name:<{width}}  {r.count or 0:>8,}  {r.description}" for r in records]
    emit(args, payload, "\n".join(lines) if lines else "no segments yet")
    return EXIT_OK


def _segment(context: AppContext, args: argparse.Namespace) -> int:
    service = context.segments
    if args.verb == "save":
        from crm_desktop.services.segments import read_filter_file

        group = read_filter_file(args.filter)
        saved = service.save(args.name, group)
        count = service.count(group)
        emit(
            args,
            {"id": saved.id, "name": args.name.strip(), "contacts": count},
            f"Segment {args.name.strip()} saved: {count:,} contacts",
        )
        return EXIT_OK
    record = service.find(args.name)
    if args.verb == "delete":
        service.delete([record.id])
        emit(args, {"deleted": record.id}, f"Segment {record.name} moved to the Trash")
        return EXIT_OK
    count = service.count(record.filter)
    emit(
        args,
        {
            "id": record.id,
            "name": record.name,
            "contacts": count,
            "filter": filter_to_json(record.filter),
        },
        f"{record.name}: {count:,} contacts\n{record.description}",
    )
    return EXIT_OK


COMMANDS: dict[str, Callable[[Any, argparse.Namespace], int]] = {
    "segments": _segments,
    "segment": _segment,
}
