"""Command line: a PostgreSQL server for teams that outgrow the folder.

    crm-desktop move-to postgresql://user@host/crm [--switch]   # copy this data up
    crm-desktop --database-url URL backup FILE.sqlite           # a server copy to a file
    crm-desktop --database-url URL server add-user NAME [--admin] [--password-stdin]
    crm-desktop server password postgresql://user@host/crm      # keep it in the keyring

Passwords never go into a settings file: a URL without one takes it from the operating
system's keyring (`server password` stores it there).
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import sys
from typing import TYPE_CHECKING, Any

from crm_desktop.cli_edits import emit

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext

EXIT_OK, EXIT_ERROR = 0, 1


def add_parsers(sub: Any) -> None:
    move = sub.add_parser(
        "move-to", help="copy this database with its history into an empty PostgreSQL database"
    )
    move.add_argument("url", help="postgresql://user@host:port/database")
    move.add_argument(
        "--switch", action="store_true", help="use the server from now on (remembered)"
    )
    server = sub.add_parser("server", help="accounts on a PostgreSQL server")
    verbs = server.add_subparsers(dest="verb", metavar="VERB", required=True)
    add = verbs.add_parser("add-user", help="a login role for one person (admin or member)")
    add.add_argument("name", help="the person's login name (letters, digits, _)")
    add.add_argument("--admin", action="store_true", help="may change pipelines, settings, users")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the new password from standard input"
    )
    password = verbs.add_parser("password", help="keep a server password in the keyring")
    password.add_argument("url", help="postgresql://user@host:port/database")
    password.add_argument("--password-stdin", action="store_true")


def _read_password(args: argparse.Namespace, prompt: str) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass(prompt)


def _move_to(context: AppContext, args: argparse.Namespace) -> int:
    from crm_desktop.services.databases import redact, without_password

    result = context.maintenance.move_to(args.url)
    payload = {"url": redact(args.url), "rows": result.counts, "total": result.total}
    lines = [f"Copied {result.total} rows to {redact(args.url)}; every count checked:"]
    lines += [f"  {table:<28} {count:>9}" for table, count in result.counts.items() if count]
    if args.switch:
        chosen = dataclasses.replace(context.preferences, database_url=without_password(args.url))
        chosen.save(context.paths.preferences)
        lines.append("From now on crm-desktop opens the server (Settings › Database).")
    else:
        lines.append(f"Open it with: crm-desktop --database-url {redact(args.url)}")
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def _server(context: AppContext, args: argparse.Namespace) -> int:
    from crm_desktop.services import databases

    if args.verb == "password":
        databases.remember_password(args.url, _read_password(args, "Password: "))
        emit(args, {"stored": True}, "Password kept in the keyring")
        return EXIT_OK
    secret = _read_password(args, f"Password for {args.name}: ")
    databases.add_user(context.database, args.name, secret, admin=args.admin)
    kind = "an admin" if args.admin else "a member"
    emit(args, {"user": args.name, "admin": args.admin}, f"{args.name} can sign in as {kind}")
    return EXIT_OK


COMMANDS = {"move-to": _move_to, "server": _server}
