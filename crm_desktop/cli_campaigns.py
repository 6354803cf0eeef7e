"""Command line of campaigns: `campaigns`, `campaign create|members|preview|send|status`,
`mail-settings`."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crm_desktop.cli_edits import amount_cents, contact_id, emit
from crm_desktop.domain.campaigns import CAMPAIGN_PURPOSES, CHANNELS, MANUAL_STATUSES
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.formatting import format_money

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext
    from crm_desktop.services.campaigns import Transport

EXIT_OK, EXIT_PARTIAL = 0, 3


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a day is YYYY-MM-DD, not {text!r}") from None


def add_parsers(sub: Any) -> None:
    """The sub-commands of this module, on the command line's parser."""
    sub.add_parser("campaigns", help="list campaigns with members, cost, revenue and ROI")
    campaign = sub.add_parser("campaign", help="create a campaign, build its members, send it")
    verbs = campaign.add_subparsers(dest="verb", metavar="VERB", required=True)
    create = verbs.add_parser("create", help="a new campaign for a saved segment")
    create.add_argument("name")
    create.add_argument("--segment", required=True, help="the saved segment (name or id)")
    create.add_argument("--purpose", choices=CAMPAIGN_PURPOSES, default="newsletter")
    create.add_argument("--channel", choices=CHANNELS, default="email")
    create.add_argument("--subject", default="", help="may hold {{placeholders}}")
    body = create.add_mutually_exclusive_group()
    body.add_argument("--body", default="", help="the message (may hold {{placeholders}})")
    body.add_argument("--body-file", type=Path, help="the message from a UTF-8 text file")
    create.add_argument("--cost", type=amount_cents, default=0, help="e.g. 250 or 250.50")
    create.add_argument("--start", type=_day, help="first day, YYYY-MM-DD")
    create.add_argument("--end", type=_day, help="last day, YYYY-MM-DD")
    members = verbs.add_parser("members", help="take members from the segment; list them")
    members.add_argument("name")
    preview = verbs.add_parser("preview", help="the message one contact would get")
    preview.add_argument("name")
    preview.add_argument("contact", help="id, e-mail or a name that is unique")
    send = verbs.add_parser("send", help="send to every targeted member not sent yet")
    send.add_argument("name")
    where = send.add_mutually_exclusive_group(required=True)
    where.add_argument("--eml", type=Path, metavar="DIR", help="one .eml file per member")
    where.add_argument("--csv", type=Path, metavar="FILE", help="a CSV for another mail tool")
    where.add_argument("--smtp", action="store_true", help="through the mail-settings server")
    where.add_argument(
        "--letters", type=Path, metavar="FILE.pdf", help="one PDF, a letter per member"
    )
    send.add_argument("--paper", choices=("A4", "Letter"), default="A4", help="for --letters")
    labels = verbs.add_parser("labels", help="address labels of the members, as a PDF")
    labels.add_argument("name")
    labels.add_argument("file", type=Path, metavar="FILE.pdf")
    labels.add_argument(
        "--sheet",
        choices=("L7160", "L7163", "L7161", "5160", "5163"),
        default="L7160",
        help="A4: L7160 (3x7), L7163 (2x7), L7161 (3x6); Letter: 5160 (3x10), 5163 (2x5)",
    )
    status = verbs.add_parser("status", help="set a member's status by hand")
    status.add_argument("name")
    status.add_argument("contact")
    status.add_argument("status", choices=MANUAL_STATUSES)
    auto = sub.add_parser("automation", help="rules: when something happens, do something")
    auto_verbs = auto.add_subparsers(dest="verb", metavar="VERB", required=True)
    auto_verbs.add_parser("list", help="the rules")
    add = auto_verbs.add_parser("add", help="add or replace a rule (JSON, see the README)")
    add.add_argument("file", type=Path, metavar="RULE.json")
    remove = auto_verbs.add_parser("remove", help="remove a rule")
    remove.add_argument("name")
    runs = auto_verbs.add_parser(
        "run", help="run the rules (default: since their last run; the first time, a week)"
    )
    runs.add_argument("--since", type=_day, help="first day (default: the last run's day)")
    runs.add_argument("--until", type=_day, help="last day (default: today)")
    runs.add_argument("--rule", help="only this rule (even when disabled)")
    runs.add_argument(
        "--dry-run", action="store_true", help="write nothing: show what the rules would do"
    )
    log = sub.add_parser("log-email", help="log an .eml file on the timeline of its contacts")
    log.add_argument("file", type=Path, metavar="FILE.eml")
    log.add_argument("--contact", help="log it on this contact (default: by the addresses)")
    imap = sub.add_parser("imap-settings", help="the mailbox read for the timeline")
    imap.add_argument("--host", required=True)
    imap.add_argument("--port", type=int, default=993)
    imap.add_argument("--security", choices=("ssl", "starttls", "none"), default="ssl")
    imap.add_argument("--user", required=True)
    imap.add_argument("--folders", default="INBOX", help="comma-separated, e.g. INBOX,Sent")
    imap.add_argument("--password-stdin", action="store_true", help="the password (keyring)")
    sub.add_parser("mail-read", help="log the mailbox's new messages with known contacts")
    settings = sub.add_parser("mail-settings", help="the SMTP server campaigns send through")
    settings.add_argument("--host")
    settings.add_argument("--port", type=int)
    settings.add_argument("--security", choices=("starttls", "ssl", "none"))
    settings.add_argument("--user")
    settings.add_argument("--from", dest="sender", help='e.g. "Shop <shop@example.com>"')
    settings.add_argument("--per-minute", type=int, help="throttle (0: no limit)")
    settings.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (keyring)"
    )


def _campaigns(context: AppContext, args: argparse.Namespace) -> int:
    records = context.campaigns.all()
    payload = [
        {
            "id": r.id,
            "name": r.name,
            "channel": r.channel,
            "purpose": r.purpose,
            "segment": r.segment_name,
            "members": dict(r.members),
            "cost_cents": r.cost_cents,
            "revenue_cents": r.revenue_cents,
            "roi": r.roi,
        }
        for r in records
    ]
    lines = [
        f"{r.name:<28} {r.channel:<7} {r.purpose:<16} "
        + " ".join(f"{k} {v}" for k, v in sorted(r.members.items()))
        + f"  cost {format_money(r.cost_cents, r.currency)}"
        + f"  revenue {format_money(r.revenue_cents, r.currency)}"
        + (f"  ROI {r.roi:.0%}" if r.roi is not None else "")
        for r in records
    ]
    emit(args, payload, "\n".join(lines) if lines else "no campaigns yet")
    return EXIT_OK


def _campaign(context: AppContext, args: argparse.Namespace) -> int:
    return _VERBS[args.verb](context, args)


def _create(context: AppContext, args: argparse.Namespace) -> int:
    body = args.body
    if args.body_file is not None:
        try:
            body = args.body_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"cannot read {args.body_file}: {exc}") from None
    saved = context.campaigns.create(
        args.name,
        args.segment,
        args.purpose,
        args.channel,
        args.subject,
        body,
        args.cost,
        args.start,
        args.end,
    )
    emit(args, {"id": saved.id, "name": args.name}, f"Campaign {args.name} created")
    return EXIT_OK


def _members(context: AppContext, args: argparse.Namespace) -> int:
    campaign = context.campaigns.find(args.name)
    summary = context.campaigns.build_members(campaign)
    members = context.campaigns.members(campaign)
    payload = {
        "targeted": summary.targeted,
        "excluded": summary.excluded,
        "already_sent": summary.already_sent,
        "reasons": dict(summary.reasons),
        "members": [
            {
                "contact_id": m.contact_id,
                "name": m.name,
                "email": m.email,
                "status": m.status,
                "reason": m.reason,
            }
            for m in members
        ],
    }
    lines = [
        f"{summary.targeted} to send, {summary.already_sent} sent before, "
        f"{summary.excluded} left out"
    ]
    lines += [f"  left out, {why}: {n}" for why, n in sorted(summary.reasons.items())]
    lines += [f"{m.status:<10} {m.name:<30} {m.email:<36} {m.reason}".rstrip() for m in members]
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def _preview(context: AppContext, args: argparse.Namespace) -> int:
    campaign = context.campaigns.find(args.name)
    message = context.campaigns.preview(campaign, contact_id(context, args.contact))
    emit(
        args,
        {
            "to": message.to_email,
            "name": message.to_name,
            "subject": message.subject,
            "body": message.body,
        },
        f"To: {message.to_name} <{message.to_email}>\nSubject: {message.subject}\n\n{message.body}",
    )
    return EXIT_OK


def _send(context: AppContext, args: argparse.Namespace) -> int:
    from crm_desktop.services.mail import EmlFolder, LetterPdf, MailCsv

    campaign = context.campaigns.find(args.name)
    settings = context.mail.settings()
    per_minute = 0
    transport: Transport
    if args.smtp:
        transport = context.mail.transport()
        per_minute = settings.per_minute
    elif args.eml is not None:
        transport = EmlFolder(args.eml, settings.sender or "crm-desktop@localhost")
    elif args.letters is not None:
        business = context.settings.get("business_name") or ""
        transport = LetterPdf(args.letters, (business,) if business else (), args.paper)
    else:
        transport = MailCsv(args.csv)
    result = context.campaigns.send(campaign, transport, per_minute=per_minute)
    where = "through " + settings.host if args.smtp else str(args.eml or args.csv or args.letters)
    payload = {
        "sent": result.sent,
        "failed": result.failed,
        "skipped": result.skipped,
        "excluded": result.excluded,
        "errors": [{"contact_id": c, "reason": r} for c, r in result.errors],
    }
    text = (
        f"Sent {result.sent} ({where}); {result.failed} bounced, "
        f"{result.skipped} sent before, {result.excluded} left out for consent"
    )
    emit(args, payload, text)
    for cid, why in result.errors:
        print(f"crm-desktop: {cid}: {why}", file=sys.stderr)
    return EXIT_PARTIAL if result.failed else EXIT_OK


def _labels(context: AppContext, args: argparse.Namespace) -> int:
    campaign = context.campaigns.find(args.name)
    count = context.campaigns.labels(campaign, args.file, args.sheet)
    emit(args, {"labels": count, "file": str(args.file)}, f"{count} labels written to {args.file}")
    return EXIT_OK


def _status(context: AppContext, args: argparse.Namespace) -> int:
    campaign = context.campaigns.find(args.name)
    person = contact_id(context, args.contact)
    context.campaigns.set_status(campaign, person, args.status)
    emit(args, {"contact_id": person, "status": args.status}, f"Member marked {args.status}")
    return EXIT_OK


def _log_email(context: AppContext, args: argparse.Namespace) -> int:
    person = contact_id(context, args.contact) if args.contact else None
    result = context.maillog.log_file(args.file, person)
    text = (
        f"{result.subject!r} was on the timeline already"
        if result.already
        else f"{result.subject!r} logged on {len(result.contacts)} contact(s)"
        + (
            f"; marked a response to {len(result.responded)} campaign(s)"
            if result.responded
            else ""
        )
    )
    emit(
        args,
        {
            "contacts": list(result.contacts),
            "already": result.already,
            "responded_campaigns": list(result.responded),
        },
        text,
    )
    return EXIT_OK


def _automation(context: AppContext, args: argparse.Namespace) -> int:
    service = context.automation
    if args.verb == "list":
        rules = service.rules()
        emit(
            args,
            [r.to_json() for r in rules],
            "\n".join(
                f"{r.name}: when {r.trigger} then {r.action} {dict(r.params)}"
                + ("" if r.enabled else " (disabled)")
                for r in rules
            )
            or "no rules yet",
        )
        return EXIT_OK
    if args.verb == "add":
        rule = service.save_rule(service.read_rule_file(args.file))
        emit(args, rule.to_json(), f"Rule {rule.name} saved")
        return EXIT_OK
    if args.verb == "remove":
        service.remove_rule(args.name)
        emit(args, {"removed": args.name}, f"Rule {args.name} removed")
        return EXIT_OK
    until = args.until or dt.date.today()
    since = args.since or min(service.last_run() or until - dt.timedelta(days=7), until)
    if args.since is None and args.until is None and args.rule is None and not args.dry_run:
        # What the window does by itself: since the last run, remembered for the next.
        outcomes = service.run_due(until, first=since)
    else:
        outcomes = service.run(since, until, dry_run=args.dry_run, only=args.rule)
    head = "Would do" if args.dry_run else "Done"
    emit(
        args,
        [
            {
                "rule": o.rule,
                "contact_id": o.contact_id,
                "contact": o.contact_name,
                "because": o.event,
                "action": o.action,
                "done": o.done,
            }
            for o in outcomes
        ],
        "\n".join(
            [f"{head}: {len(outcomes)} actions ({since} to {until})"]
            + [f"  {o.rule}: {o.contact_name}: {o.action} (because: {o.event})" for o in outcomes]
        ),
    )
    return EXIT_OK


def _imap_settings(context: AppContext, args: argparse.Namespace) -> int:
    from crm_desktop.domain.mail import ImapSettings

    folders = tuple(f.strip() for f in args.folders.split(",") if f.strip())
    settings = ImapSettings(args.host, args.port, args.security, args.user, folders)
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    context.imap.save_settings(settings, password)
    emit(
        args, {"host": args.host, "folders": list(folders)}, f"Mailbox {args.user}@{args.host} set"
    )
    return EXIT_OK


def _mail_read(context: AppContext, args: argparse.Namespace) -> int:
    result = context.imap.read()
    emit(
        args,
        dataclasses.asdict(result),
        f"{result.read} new messages: {result.logged} logged, {result.unknown} with nobody "
        f"known, {result.responses} campaign responses",
    )
    return EXIT_OK


def _mail_settings(context: AppContext, args: argparse.Namespace) -> int:
    from crm_desktop.domain.mail import SmtpSettings

    old = context.mail.settings()
    new = SmtpSettings(
        args.host if args.host is not None else old.host,
        args.port if args.port is not None else old.port,
        args.security or old.security,
        args.user if args.user is not None else old.user,
        args.sender if args.sender is not None else old.sender,
        args.per_minute if args.per_minute is not None else old.per_minute,
    )
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    context.mail.save_settings(new, password)
    emit(
        args,
        {"host": new.host, "port": new.port, "security": new.security, "user": new.user},
        f"Mail server {new.host}:{new.port} ({new.security})"
        + (f" as {new.user}" if new.user else "")
        + ("; password kept in the system keyring" if password is not None else ""),
    )
    return EXIT_OK


_VERBS: dict[str, Callable[[Any, argparse.Namespace], int]] = {
    "create": _create,
    "members": _members,
    "preview": _preview,
    "send": _send,
    "status": _status,
    "labels": _labels,
}
COMMANDS: dict[str, Callable[[Any, argparse.Namespace], int]] = {
    "campaigns": _campaigns,
    "campaign": _campaign,
    "mail-settings": _mail_settings,
    "log-email": _log_email,
    "imap-settings": _imap_settings,
    "mail-read": _mail_read,
    "automation": _automation,
}
