"""Command line of consent and data-subject requests: `consent grant|withdraw|history|
export CONTACT`, `anonymise CONTACT --yes`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crm_desktop.cli_edits import contact_id, emit
from crm_desktop.domain.consent import LAWFUL_BASES, PURPOSES
from crm_desktop.domain.errors import ValidationError

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext

EXIT_OK = 0


def add_parsers(sub: Any) -> None:
    """The sub-commands of this module, on the command line's parser."""
    consent = sub.add_parser("consent", help="the consent ledger and data-subject exports")
    verbs = consent.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb, text in (("grant", "record consent given"), ("withdraw", "record a withdrawal")):
        entry = verbs.add_parser(verb, help=f"{text} (appended to the ledger)")
        entry.add_argument("contact", help="id, e-mail or a name that is unique")
        entry.add_argument("purpose", choices=PURPOSES)
        entry.add_argument("--basis", choices=LAWFUL_BASES, default="consent")
        entry.add_argument("--source", default="Command line", help="where it came from")
        entry.add_argument("--evidence", default="", help="e.g. the signed form's reference")
    history = verbs.add_parser("history", help="a contact's whole consent ledger")
    history.add_argument("contact")
    export = verbs.add_parser("export", help="everything held on a person, as JSON or Excel")
    export.add_argument("contact")
    export.add_argument(
        "--out", type=Path, help="FILE.json or FILE.xlsx (default: CONTACT-ID.json here)"
    )
    anonymise = sub.add_parser(
        "anonymise", help="blank what identifies a person; their sales stay in the totals"
    )
    anonymise.add_argument("contact")
    anonymise.add_argument("--yes", action="store_true", help="really do it (cannot be undone)")


def _consent(context: AppContext, args: argparse.Namespace) -> int:
    person = contact_id(context, args.contact)
    if args.verb in ("grant", "withdraw"):
        status = "granted" if args.verb == "grant" else "withdrawn"
        saved = context.consents.record(
            person, args.purpose, status, args.basis, args.source, args.evidence
        )
        emit(
            args,
            {"id": saved.id, "contact": person, "purpose": args.purpose, "status": status},
            f"Consent {status} for {args.purpose.replace('_', ' ')} recorded",
        )
        return EXIT_OK
    if args.verb == "history":
        entries = context.consents.history(person)
        payload = [
            {
                "purpose": e.purpose,
                "status": e.status,
                "lawful_basis": e.lawful_basis,
                "source": e.source,
                "evidence": e.evidence,
                "recorded_at": e.recorded_at.isoformat(),
            }
            for e in entries
        ]
        lines = [
            f"{e.recorded_at:%Y-%m-%d %H:%M}  {e.purpose:<16} {e.status:<10} "
            f"{e.lawful_basis} · {e.source}"
            for e in entries
        ]
        emit(args, payload, "\n".join(lines) if lines else "no consent recorded")
        return EXIT_OK
    target = args.out or Path(f"{person}.json")
    data = context.privacy.export(person, target)
    records = sum(len(rows) for rows in data.sections.values())
    emit(
        args,
        {"contact": person, "file": str(target), "records": records},
        f"Everything held on {data.name or person} ({records} records) written to {target}",
    )
    return EXIT_OK


def _anonymise(context: AppContext, args: argparse.Namespace) -> int:
    person = contact_id(context, args.contact)
    if not args.yes:
        raise ValidationError("anonymising cannot be undone: add --yes to go ahead")
    context.privacy.anonymise(person)
    emit(args, {"anonymised": person}, f"Contact {person} anonymised; their sales are kept")
    return EXIT_OK


COMMANDS: dict[str, Callable[[Any, argparse.Namespace], int]] = {
    "consent": _consent,
    "anonymise": _anonymise,
}
