"""Command line: no sub-command opens the window; sub-commands per ARCHITECTURE.md.

Bad input and expected failures print one line on stderr and exit non-zero, never a
traceback. `--json` makes the output machine-readable.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crm_desktop import __version__
from crm_desktop.cli_edits import emit
from crm_desktop.config import (
    DATABASE_URL_ENV,
    AppPaths,
    Preferences,
    setup_logging,
    synced_folder_reason,
)
from crm_desktop.domain.errors import (
    AlreadyDoneError,
    CrmError,
    DamagedDatabaseError,
    DatabaseBusyError,
    DiskFullError,
    ReadOnlyError,
)

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext
    from crm_desktop.domain.maintenance import Check, RestoreResult
    from crm_desktop.domain.search import SearchHit

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
# Expected failures a script may want to tell apart (README, "Exit codes").
EXIT_DAMAGED, EXIT_BUSY, EXIT_DISK_FULL, EXIT_READ_ONLY, EXIT_ALREADY = 4, 5, 6, 7, 8
_EXIT_CODES: tuple[tuple[type[CrmError], int], ...] = (
    (DamagedDatabaseError, EXIT_DAMAGED),
    (DatabaseBusyError, EXIT_BUSY),
    (DiskFullError, EXIT_DISK_FULL),
    (ReadOnlyError, EXIT_READ_ONLY),
    (AlreadyDoneError, EXIT_ALREADY),
)
log = logging.getLogger("crm_desktop.cli")
DUPLICATE_REASONS_SHOWN = 10  # per group; --json has them all


# The commands of the other cli_* modules (their `add_parsers` and `COMMANDS`): a command
# imports its own module only, not those of the others (tests/integration/test_cli.py
# checks this table against the modules).
_COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "crm_desktop.cli_edits": ("companies", "contacts", "deals", "follow-up", "log-call", "note"),
    "crm_desktop.cli_sync": ("compact", "conflicts", "sync"),
    "crm_desktop.cli_server": ("move-to", "server"),
    "crm_desktop.cli_segments": ("segment", "segments"),
    "crm_desktop.cli_reports": ("report",),
    "crm_desktop.cli_consent": ("anonymise", "consent"),
    "crm_desktop.cli_campaigns": (
        "automation", "campaign", "campaigns", "imap-settings", "log-email", "mail-read",
        "mail-settings",
    ),
}  # fmt: skip
_MODULE_OF = {command: module for module, names in _COMMAND_MODULES.items() for command in names}


def _global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        help="folder of this device's data (default: the "
        "platform's user data folder, or $CRM_DESKTOP_DATA_DIR)",
    )
    parser.add_argument(
        "--database-url",
        help="use a PostgreSQL server instead of the local "
        "file, e.g. postgresql+psycopg://user@host/crm",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check that this installation works (in a temporary folder) and exit",
    )


def command_of(argv: Sequence[str]) -> str | None:
    """The command the arguments name (read as the parser reads them), or None when they
    name none or a command nobody knows (then every command's parser is built)."""
    first = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    _global_options(first)
    first.add_argument("command", nargs="?")
    first.add_argument("rest", nargs=argparse.REMAINDER)
    try:
        found, _unknown = first.parse_known_args(argv)
    except argparse.ArgumentError:  # the full parser says what is wrong
        return None
    command = found.command
    return command if command in _COMMANDS or command in _MODULE_OF else None


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of the global options and `command` only (the
    other commands' modules are not imported)."""
    parser = argparse.ArgumentParser(
        prog="crm-desktop",
        description="A local-first desktop CRM. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"crm-desktop {__version__}")
    _global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    if command is None or command in _COMMANDS:
        _core_parsers(sub)
    for module, names in _COMMAND_MODULES.items():
        if command is None or command in names:
            importlib.import_module(module).add_parsers(sub)
    return parser


def _core_parsers(sub: Any) -> None:
    demo = sub.add_parser("demo", help="fill the database with realistic demo data")
    demo.add_argument("--contacts", type=_positive, default=500)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        default=None,
        help="the day the data is generated around (default: today)",
    )

    search = sub.add_parser("search", help="print matching contacts, companies and deals")
    search.add_argument("text")
    search.add_argument("--limit", type=_positive, default=50)

    backup = sub.add_parser("backup", help="write a backup (default: into the backups folder)")
    backup.add_argument("file", nargs="?", type=Path)
    restore = sub.add_parser("restore", help="replace the data with a backup")
    restore.add_argument("file", type=Path)
    sub.add_parser("doctor", help="check the database's integrity")
    for verb in ("import", "export"):
        parser_ = sub.add_parser(
            verb, help=f"{verb} contacts or companies (CSV, Excel, vCard) or the calendar (.ics)"
        )
        what = parser_.add_subparsers(dest="what", metavar="WHAT", required=True)
        calendar = what.add_parser("calendar", help=f"{verb} activities as iCalendar")
        calendar.add_argument("file", type=Path)
        for noun in ("contacts", "companies"):
            records = what.add_parser(noun, help=f"{verb} {noun}: .csv, .xlsx or .vcf")
            records.add_argument("file", type=Path)
            if verb == "import":
                _import_options(records, noun)
            elif noun == "contacts":
                records.add_argument(
                    "--segment", metavar="NAME", help="only the contacts of a saved segment"
                )
        if verb == "import":
            undo = what.add_parser("undo", help="take back a whole import (by its batch id)")
            undo.add_argument("batch")
    duplicates = sub.add_parser("duplicates", help="list likely duplicates with the reasons")
    duplicates.add_argument("--kind", choices=("contacts", "companies"), default="contacts")
    duplicates.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    shots = sub.add_parser("screenshot", help="render each main view to PNG and exit")
    shots.add_argument("outdir", type=Path)


def _import_options(parser: argparse.ArgumentParser, noun: str) -> None:
    parser.add_argument("--format", choices=("csv", "xlsx", "vcard"), help="default: by extension")
    parser.add_argument(
        "--preset",
        choices=("auto", "google", "outlook", "thunderbird", "crm", "generic"),
        default="auto",
        help="whose export the columns come from (default: detected)",
    )
    parser.add_argument(
        "--on-duplicate",
        choices=("skip", "update", "create"),
        default="skip",
        help="a row matching a record by e-mail or phone (default: skip)",
    )
    parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")
    if noun == "contacts":
        parser.add_argument(
            "--kind",
            choices=("auto", "contacts", "companies"),
            default="auto",
            help="a sheet of companies is detected; say so here to be sure",
        )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


# Commands that may make the database of a data folder that has none: the others say the
# folder has no data (a mistyped --data-dir) instead of making an empty one.
CREATING_COMMANDS = frozenset({"demo", "import", "restore", "sync"})


def missing_database(args: argparse.Namespace) -> str | None:
    """What is wrong when a command that needs data is run on a folder without any."""
    if args.command in CREATING_COMMANDS or args.database_url:
        return None
    if os.environ.get(DATABASE_URL_ENV):
        return None
    paths = AppPaths.resolve(args.data_dir)
    if paths.database.exists() or synced_folder_reason(paths.data_dir):
        return None  # (a synced folder is refused with its own reason when opened)
    if paths.preferences.exists() and Preferences.load(paths.preferences).database_url:
        return None  # the data is on a server
    return (
        f"no database in {paths.data_dir} (check --data-dir; `crm-desktop demo` or "
        "`crm-desktop import` make one, and so does the window on its first start)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser(command_of(argv)).parse_args(argv)
    if args.command is not None and not args.self_test:
        problem = missing_database(args)
        if problem is not None:  # before the log is set up: nothing is made in the folder
            print(f"crm-desktop: {problem}", file=sys.stderr)
            return EXIT_ERROR
    log_file = setup_logging(AppPaths.resolve(args.data_dir).log_file)
    log.info("crm-desktop %s: %s", __version__, args.command or "window")
    if args.self_test:
        from crm_desktop.selftest import run

        return run()
    if args.command is None:
        from crm_desktop.bootstrap import preload

        preload()  # before Qt: see `preload`
        from crm_desktop.gui.app import run_window

        return run_window(args.data_dir, args.database_url, log_file)
    handler = _handler(args.command)
    try:
        if args.command in _RECOVERY_COMMANDS:
            code = _run_recovery(args)
            if code is not None:
                return code
        quick = _QUICK.get(args.command)
        if quick is not None and (done := quick(args)) is not None:
            return done
        return _run(handler, args)
    except CrmError as exc:
        return _failed(args, exc)
    except KeyboardInterrupt:
        print("crm-desktop: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from crm_desktop.services.maintenance import expected_failure

        known = expected_failure(exc)  # locked, disk full, read-only, damaged mid-command
        if known is not None:
            log.warning("%s failed", args.command, exc_info=True)
            return _failed(args, known)
        # a bug: the traceback goes to the log, one line to the user
        log.exception("%s failed", args.command)
        where = f"; details in {log_file}" if log_file else ""
        print(f"crm-desktop: unexpected error: {exc}{where}", file=sys.stderr)
        return EXIT_ERROR


def _handler(command: str) -> Callable[[AppContext, argparse.Namespace], int]:
    found = _COMMANDS.get(command)
    if found is not None:
        return found
    commands: dict[str, Callable[[AppContext, argparse.Namespace], int]]
    commands = importlib.import_module(_MODULE_OF[command]).COMMANDS
    return commands[command]


def _run(handler: Callable[[AppContext, argparse.Namespace], int], args: argparse.Namespace) -> int:
    from crm_desktop.bootstrap import open_app

    context = open_app(args.data_dir, args.database_url)
    try:
        code = handler(context, args)
        if context.database.read_only:  # said once, after what could still be done
            print(
                f"crm-desktop: note: the data folder {context.paths.data_dir} is read-only; "
                "search and export work, changes cannot be saved",
                file=sys.stderr,
            )
        return code
    finally:
        context.close()


def _failed(args: argparse.Namespace, exc: CrmError) -> int:
    log.warning("%s: %s", args.command, exc)
    print(f"crm-desktop: {exc}", file=sys.stderr)
    return next((code for kind, code in _EXIT_CODES if isinstance(exc, kind)), EXIT_ERROR)


def _run_recovery(args: argparse.Namespace) -> int | None:
    """`doctor` and `restore` of the local database work without opening it: it may be
    damaged. None for a server database (run as any command)."""
    from crm_desktop.bootstrap import open_recovery

    recovery = open_recovery(args.data_dir, args.database_url)
    if recovery is None or (args.command == "doctor" and not recovery.database.exists()):
        return None
    if args.command == "restore":
        result = recovery.restore(args.file)
        _print_restored(args, result)
        return EXIT_OK
    return _print_checks(args, str(recovery.database), recovery.doctor())


_emit = emit


def _demo(context: AppContext, args: argparse.Namespace) -> int:
    started = time.perf_counter()
    summary = context.demo.generate(args.contacts, args.seed, args.today)
    seconds = round(time.perf_counter() - started, 2)
    payload = {**dataclasses.asdict(summary), "seconds": seconds}
    _emit(
        args,
        payload,
        f"Demo data: {summary.contacts} contacts, {summary.companies} companies, "
        f"{summary.deals} deals, {summary.activities} activities, {summary.orders} orders, "
        f"{summary.users} users in {seconds} s",
    )
    return EXIT_OK


def _search(context: AppContext, args: argparse.Namespace) -> int:
    _print_hits(args, context.search.search(args.text, args.limit))
    return EXIT_OK


def _quick_search(args: argparse.Namespace) -> int | None:
    """The search read straight from a current database file (None: open the app)."""
    from crm_desktop.services.search import search_without_opening

    hits = search_without_opening(args.data_dir, args.database_url, args.text, args.limit)
    if hits is None:
        return None
    _print_hits(args, hits)
    return EXIT_OK


def _print_hits(args: argparse.Namespace, hits: Sequence[SearchHit]) -> None:
    payload = [
        {"type": h.entity, "id": h.id, "title": h.title, "subtitle": h.subtitle} for h in hits
    ]
    lines = [f"{h.entity:<8} {h.title:<32} {h.subtitle}" for h in hits]
    _emit(args, payload, "\n".join(lines) if lines else "no matches")


def _backup(context: AppContext, args: argparse.Namespace) -> int:
    path = context.maintenance.backup(args.file)
    _emit(args, {"backup": str(path)}, f"Backup written to {path}")
    return EXIT_OK


def _restore(context: AppContext, args: argparse.Namespace) -> int:
    _print_restored(args, context.maintenance.restore(args.file))
    return EXIT_OK


def _print_restored(args: argparse.Namespace, result: RestoreResult) -> None:
    kept = (
        f" The data before the restore is kept in {result.safety_backup}"
        if result.safety_backup
        else ""
    )
    _emit(
        args,
        {
            "restored": str(args.file),
            "safety_backup": str(result.safety_backup) if result.safety_backup else None,
            "device_id": result.device_id,
        },
        f"Restored {args.file}.{kept}",
    )


def _doctor(context: AppContext, args: argparse.Namespace) -> int:
    return _print_checks(args, context.database_label, context.maintenance.doctor())


def _print_checks(args: argparse.Namespace, label: str, checks: list[Check]) -> int:
    """One line per finding, with what to do; exit 4 when anything failed."""
    payload = {
        "database": label,
        "checks": [dataclasses.asdict(c) for c in checks],
        "ok": all(c.ok for c in checks),
    }
    lines = [f"Database: {label}"] + [
        f"  {'ok  ' if c.ok else 'FAIL'} {c.name:<14} {c.detail}"
        + (f". What to do: {c.advice}" if c.advice and not c.ok else "")
        for c in checks
    ]
    _emit(args, payload, "\n".join(lines))
    return EXIT_OK if payload["ok"] else EXIT_DAMAGED


def _import(context: AppContext, args: argparse.Namespace) -> int:
    if args.what == "undo":
        context.imports.undo(args.batch)
        _emit(args, {"undone": args.batch}, f"Import {args.batch} undone")
        return EXIT_OK
    if args.what in ("contacts", "companies"):
        return _import_records(context, args)
    from crm_desktop.domain.formatting import pluralise

    summary = context.calendar.import_ics(args.file)
    payload = {
        "created": summary.created,
        "updated": summary.updated,
        "moved_occurrences": summary.moved,
        "cancelled_occurrences": summary.cancelled,
        "tasks": summary.tasks,
        "problems": list(summary.problems),
        "notes": list(summary.notes),
        "not_used": list(summary.not_used),
    }
    head = "Imported" if summary.imported or not summary.problems else "Nothing imported from"
    lines = [
        f"{head} {args.file}: {summary.created} created, {summary.updated} updated, "
        f"{len(summary.problems)} not imported"
    ]
    if summary.moved or summary.cancelled:
        lines.append(
            f"  series exceptions: {pluralise(summary.moved, 'moved occurrence')}, "
            f"{pluralise(summary.cancelled, 'cancelled occurrence')}"
        )
    if summary.tasks:
        lines.append(f"  {pluralise(summary.tasks, 'to-do')} imported as tasks")
    lines += [f"  note: {note}" for note in summary.notes]
    if summary.not_used:
        lines.append(f"  not used: {', '.join(summary.not_used)}")
    _emit(args, payload, "\n".join(lines))
    for problem in summary.problems:
        print(f"crm-desktop: {problem}", file=sys.stderr)
    return summary.exit_code


def _import_records(context: AppContext, args: argparse.Namespace) -> int:
    from crm_desktop.domain.formatting import pluralise

    kind = "companies" if args.what == "companies" else args.kind
    result = context.imports.run(
        args.file,
        preset=args.preset,
        on_duplicate=args.on_duplicate,
        dry_run=args.dry_run,
        format=args.format,
        kind=kind,
    )
    payload = {
        "file": str(args.file),
        "kind": result.kind,
        "created": result.created,
        "updated": result.updated,
        "skipped": result.skipped,
        "unchanged": result.unchanged,
        "companies_created": result.companies_created,
        "errors": [{"line": line, "reason": reason} for line, reason in result.errors],
        "warnings": [{"line": line, "reason": reason} for line, reason in result.warnings],
        "not_used": list(result.not_used),
        "batch_id": result.batch_id,
        "dry_run": result.dry_run,
    }
    head = "Dry run of" if result.dry_run else "Imported"
    text = (
        f"{head} {result.kind} from {args.file}: {result.created} created, "
        f"{result.updated} updated, {result.skipped} skipped as duplicates, "
        f"{result.unchanged} unchanged, {len(result.errors)} not imported"
    )
    lines = [text]
    if result.companies_created:
        lines.append(
            f"  {pluralise(result.companies_created, 'company')} created for the company column"
        )
    lines += [f"  line {line}: {reason}" for line, reason in result.errors]
    lines += [f"  line {line} (imported, {reason})" for line, reason in result.warnings]
    if result.not_used:
        lines.append(f"  not used: {', '.join(result.not_used)}")
    if result.batch_id:
        lines.append(f"Undo with: crm-desktop import undo {result.batch_id}")
    elif result.dry_run:
        lines.append("Nothing was written (dry run).")
    _emit(args, payload, "\n".join(lines))
    if result.errors and not (result.created or result.updated or result.skipped
                              or result.unchanged):  # fmt: skip
        return EXIT_ERROR  # nothing in the file could be imported
    return EXIT_PARTIAL if result.errors else EXIT_OK


def _export(context: AppContext, args: argparse.Namespace) -> int:
    from crm_desktop.domain.formatting import pluralise

    if args.what in ("contacts", "companies"):
        ids = None
        if getattr(args, "segment", None):
            ids = context.segments.ids(context.segments.find(args.segment).filter)
        service = context.exports.contacts if args.what == "contacts" else context.exports.companies
        count = service(args.file, ids)
        _emit(
            args,
            {"exported": count, "file": str(args.file)},
            f"Exported {count} {args.what} to {args.file}",
        )
        return EXIT_OK
    count = context.calendar.export_ics(args.file)
    _emit(
        args,
        {"exported": count, "file": str(args.file)},
        f"Exported {pluralise(count, 'activity')} to {args.file}",
    )
    return EXIT_OK


def _duplicates(context: AppContext, args: argparse.Namespace) -> int:
    groups = context.duplicates.scan(args.kind)
    payload = {
        "kind": args.kind,
        "groups": [
            {
                "ids": list(g.ids),
                "names": list(g.names),
                "score": g.score,
                "pairs": [dataclasses.asdict(p) for p in g.pairs],
            }
            for g in groups
        ],
    }
    records = sum(len(g.ids) for g in groups)
    lines = [f"{len(groups):,} groups of likely duplicate {args.kind} ({records:,} records)"]
    for g in groups:
        lines.append(f"[{g.score:>3}] {' · '.join(g.names)}")
        lines.append(f"      ids: {' '.join(g.ids)}")
        reasons = g.reasons
        lines += [f"      {reason}" for reason in reasons[:DUPLICATE_REASONS_SHOWN]]
        if len(reasons) > DUPLICATE_REASONS_SHOWN:
            lines.append(f"      … and {len(reasons) - DUPLICATE_REASONS_SHOWN} more reasons")
    _emit(args, payload, "\n".join(lines))
    return EXIT_OK


def _screenshot(context: AppContext, args: argparse.Namespace) -> int:
    from crm_desktop.gui.app import screenshots

    paths = screenshots(context, args.outdir)
    _emit(args, [str(p) for p in paths], "\n".join(str(p) for p in paths))
    return EXIT_OK


_RECOVERY_COMMANDS = ("doctor", "restore")
_COMMANDS: dict[str, Callable[[AppContext, argparse.Namespace], int]] = {
    "demo": _demo,
    "search": _search,
    "backup": _backup,
    "restore": _restore,
    "doctor": _doctor,
    "screenshot": _screenshot,
    "import": _import,
    "export": _export,
    "duplicates": _duplicates,
}
# Commands that can answer without opening the app's database layer (a fast start); they
# return None when they cannot, and the command runs the usual way.
_QUICK: dict[str, Callable[[argparse.Namespace], int | None]] = {"search": _quick_search}
