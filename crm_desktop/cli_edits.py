"""Command line: bulk edits of a selection and the quick actions on a contact.

    crm-desktop contacts tag VIP --search müller      # also untag, owner, delete, restore
    crm-desktop deals stage Won --ids ID... --reason "Best price"
    crm-desktop log-call anna@example.com "Wants a quote" --minutes 20
    crm-desktop note anna@example.com "Prefers e-mail"
    crm-desktop follow-up anna@example.com "Send the quote" --days 2

Each runs one service call (one transaction); the same calls back the window's menus.
Bad arguments exit 2 (argparse); a record not found or a rule broken exits 1 with one
line on stderr (cli.main); `--json` prints what was done.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from crm_desktop.domain.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext
    from crm_desktop.domain.bulk import BulkResult
    from crm_desktop.domain.records import Saved

EXIT_OK = 0
NOBODY = "none"


def emit(args: argparse.Namespace, payload: Any, text: str) -> None:
    """Print `text`, or `payload` as JSON with --json."""
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    else:
        print(text)


def add_parsers(sub: Any) -> None:
    """The sub-commands of this module, on the command line's parser."""
    for noun in ("contacts", "companies"):
        records = sub.add_parser(noun, help=f"bulk edits of {noun}: tag, untag, owner, Trash")
        verbs = records.add_subparsers(dest="verb", metavar="VERB", required=True)
        for verb in ("tag", "untag"):
            _selection(verbs.add_parser(verb, help=f"{verb} the selected {noun}"), noun)
            verbs.choices[verb].add_argument("name", metavar="TAG")
        _owner_parser(verbs, noun)
        _trash_parsers(verbs, noun)
    deals = sub.add_parser("deals", help="bulk edits of deals: stage, owner, Trash; a new deal")
    verbs = deals.add_subparsers(dest="verb", metavar="VERB", required=True)
    stage = verbs.add_parser("stage", help="move the selected deals to a stage (all or none)")
    stage.add_argument("stage", metavar="STAGE", help="the stage's name or id")
    stage.add_argument("--pipeline", help="the pipeline of the stage (name or id)")
    stage.add_argument("--reason", help="won or lost reason (label or id)")
    stage.add_argument("--note", default="", help="a note on why the deals closed")
    _selection(stage, "deals")
    _owner_parser(verbs, "deals")
    _trash_parsers(verbs, "deals")
    new = verbs.add_parser("new", help="a new deal with the usual defaults")
    new.add_argument("title")
    new.add_argument("--contact", help="the contact (id, e-mail or a name that is unique)")
    new.add_argument("--value", type=amount_cents, default=0, help="e.g. 1200 or 1200.50")
    new.add_argument("--pipeline", help="name or id (default: the first)")
    call = sub.add_parser("log-call", help="record a call with a contact, done")
    call.add_argument("contact", help="id, e-mail or a name that is unique")
    call.add_argument("outcome", help="what was said")
    call.add_argument("--minutes", type=_minutes, default=15, help="how long (default 15)")
    call.add_argument("--at", type=_local_time, help="when it started (default: just now)")
    note = sub.add_parser("note", help="put a note on a contact's timeline")
    note.add_argument("contact", help="id, e-mail or a name that is unique")
    note.add_argument("text")
    follow = sub.add_parser("follow-up", help="plan a follow-up with a contact")
    follow.add_argument("contact", help="id, e-mail or a name that is unique")
    follow.add_argument("subject", nargs="?", default="Follow up")
    when = follow.add_mutually_exclusive_group()
    when.add_argument("--days", type=int, help="due in N days at 10:00 (default 3)")
    when.add_argument("--due", type=_local_time, help="due at YYYY-MM-DD HH:MM (local time)")


def _selection(parser: argparse.ArgumentParser, noun: str) -> None:
    chosen = parser.add_mutually_exclusive_group(required=True)
    one = "company" if noun == "companies" else noun[:-1]
    chosen.add_argument("--ids", nargs="+", metavar="ID", help="ids ('-': read from stdin)")
    chosen.add_argument("--search", metavar="TEXT", help=f"every {one} that matches")
    if noun != "deals":  # deals carry no tags
        chosen.add_argument("--tagged", metavar="TAG", help=f"every {one} with this tag")
    if noun == "contacts":
        chosen.add_argument("--segment", metavar="NAME", help="every contact of a saved segment")


def _owner_parser(verbs: Any, noun: str) -> None:
    owner = verbs.add_parser("owner", help=f"give the selected {noun} to one owner")
    owner.add_argument("owner", metavar="OWNER", help="the user's name or id; 'none': nobody")
    _selection(owner, noun)


def _trash_parsers(verbs: Any, noun: str) -> None:
    for verb, text in (("delete", "move to the Trash"), ("restore", "bring back from the Trash")):
        _selection(verbs.add_parser(verb, help=f"{text} the selected {noun}"), noun)


def _local_time(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"a time is YYYY-MM-DD HH:MM, not {text!r}") from None
    return moment if moment.tzinfo else moment.astimezone()


def amount_cents(text: str) -> int:
    from decimal import Decimal, InvalidOperation

    try:
        amount = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"an amount is like 1200.50, not {text!r}") from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise argparse.ArgumentTypeError(f"an amount is positive, in cents at most: {text!r}")
    return int(amount * 100)


def whole_number(low: int, high: int, not_whole: str, outside: str) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high`. `not_whole` and `outside`
    are the messages for text that is no whole number and for one out of the range
    (`{text!r}` in them stands for what was given)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(not_whole.format(text=text)) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(outside.format(text=text))
        return value

    return parse


_minutes = whole_number(
    1, 24 * 60, "minutes are a whole number, not {text!r}", "a call lasts 1 to 1440 minutes"
)


# ---- the selection --------------------------------------------------------------------------


def _selected(context: AppContext, args: argparse.Namespace, entity: str) -> list[str]:
    """The ids the selection options name: --ids (or '-': one per line on stdin),
    --search TEXT, --tagged TAG or --segment NAME (in the Trash for `restore`)."""
    if args.ids:
        ids = args.ids
        if ids == ["-"]:
            ids = [line.strip() for line in sys.stdin if line.strip()]
        return list(dict.fromkeys(ids))
    from crm_desktop.domain.records import ListQuery, Trash

    trash = Trash.ONLY if args.verb == "restore" else Trash.EXCLUDE
    segment = context.segments.find(args.segment).filter if getattr(args, "segment", None) else None
    query = ListQuery(
        search=args.search or "", tag=getattr(args, "tagged", None), trash=trash, segment=segment
    )
    if entity == "contacts":
        ids = context.contacts.ids(query)
    elif entity == "companies":
        ids = context.companies.ids(query)
    else:
        ids = context.deals.ids(query)
    if not ids:
        raise NotFoundError(f"no {entity} match the selection")
    return ids


def _owner(context: AppContext, wanted: str) -> str | None:
    if wanted.casefold() == NOBODY:
        return None
    for user in context.users.list():
        if wanted in (user.id,) or wanted.casefold() == user.name.casefold():
            return user.id
    raise NotFoundError(f"no user named {wanted!r}")


def contact_id(context: AppContext, wanted: str) -> str:
    """A contact by id, by e-mail, or by a search that finds exactly one."""
    from crm_desktop.domain.records import ListQuery

    try:
        return context.contacts.get(wanted).id
    except NotFoundError:
        pass
    ids = context.contacts.ids(ListQuery(search=wanted))
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise NotFoundError(f"no contact matches {wanted!r}")
    raise ValidationError(f"{len(ids):,} contacts match {wanted!r}: give an id or an e-mail")


# ---- the commands ---------------------------------------------------------------------------


def _report(args: argparse.Namespace, operation: str, selected: int, result: BulkResult) -> int:
    payload = {
        "operation": operation,
        "entity": result.entity,
        "selected": selected,
        "changed": result.count,
        "ids": list(result.ids),
        "done": result.label,
    }
    unchanged = selected - result.count
    note = f" ({unchanged:,} already so)" if unchanged else ""
    emit(args, payload, f"{result.label}{note}")
    return EXIT_OK


def _records(context: AppContext, args: argparse.Namespace) -> int:
    entity = args.command
    ids = _selected(context, args, entity)
    bulk = context.bulk
    if args.verb == "tag":
        result = bulk.tag(entity, ids, args.name)
    elif args.verb == "untag":
        result = bulk.untag(entity, ids, args.name)
    elif args.verb == "owner":
        result = bulk.set_owner(entity, ids, _owner(context, args.owner))
    elif args.verb == "delete":
        result = bulk.delete(entity, ids)
    else:
        result = bulk.restore(entity, ids)
    return _report(args, args.verb, len(ids), result)


def _deals(context: AppContext, args: argparse.Namespace) -> int:
    if args.verb == "new":
        return _new_deal(context, args)
    if args.verb != "stage":
        return _records(context, args)
    ids = _selected(context, args, "deals")
    stage = _stage(context, args.stage, args.pipeline)
    reason = None
    if stage.kind in ("won", "lost"):
        if not args.reason:
            raise ValidationError(f"moving deals to {stage.name} needs --reason")
        reasons = context.pipeline.reasons(stage.kind)
        reason = next(
            (r.id for r in reasons if args.reason in (r.id,) or _same(args.reason, r.label)),
            None,
        )
        if reason is None:
            known = ", ".join(r.label for r in reasons) or "none yet"
            raise NotFoundError(f"no {stage.kind} reason {args.reason!r} (known: {known})")
    result = context.bulk.move_stage(ids, stage.id, reason, args.note)
    return _report(args, "stage", len(ids), result)


def _same(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _stage(
    context: AppContext, wanted: str, pipeline: str | None, pipeline_only: bool = False
) -> Any:
    """The stage by name or id (in the pipeline named, if one is); with `pipeline_only`,
    the id of the pipeline."""
    pipelines = [
        p
        for p in context.pipeline.pipelines()
        if not pipeline or pipeline == p.id or _same(pipeline, p.name)
    ]
    if pipeline and not pipelines:
        raise NotFoundError(f"no pipeline named {pipeline!r}")
    if pipeline_only:
        return pipelines[0].id
    found = [s for p in pipelines for s in p.stages if wanted == s.id or _same(wanted, s.name)]
    if not found:
        raise NotFoundError(f"no stage named {wanted!r}")
    if len(found) > 1:
        raise ValidationError(f"{len(found)} pipelines have a stage {wanted!r}: add --pipeline")
    return found[0]


def _new_deal(context: AppContext, args: argparse.Namespace) -> int:
    pipeline = None
    if args.pipeline:
        pipeline = next(
            (
                p.id
                for p in context.pipeline.pipelines()
                if args.pipeline in (p.id,) or _same(args.pipeline, p.name)
            ),
            None,
        )
        if pipeline is None:
            raise NotFoundError(f"no pipeline named {args.pipeline!r}")
    contact = contact_id(context, args.contact) if args.contact else None
    draft = context.deals.new_draft(pipeline, contact)
    draft = dataclasses.replace(draft, title=args.title, value_cents=args.value)
    saved = context.deals.create(draft)
    return _saved(args, "deal", saved, f"Deal {args.title!r} opened")


def _saved(args: argparse.Namespace, what: str, saved: Saved, text: str) -> int:
    emit(args, {"created": what, "id": saved.id}, f"{text} (id {saved.id})")
    return EXIT_OK


def _log_call(context: AppContext, args: argparse.Namespace) -> int:
    contact = contact_id(context, args.contact)
    saved = context.activities.log_call(contact, args.outcome, args.minutes, args.at)
    return _saved(args, "call", saved, "Call logged")


def _note(context: AppContext, args: argparse.Namespace) -> int:
    saved = context.activities.add_note(contact_id(context, args.contact), args.text)
    return _saved(args, "note", saved, "Note added")


def _follow_up(context: AppContext, args: argparse.Namespace) -> int:
    contact = contact_id(context, args.contact)
    saved = context.activities.schedule_follow_up(contact, args.subject, args.days, args.due)
    return _saved(args, "follow-up", saved, "Follow-up planned")


COMMANDS: dict[str, Callable[[AppContext, argparse.Namespace], int]] = {
    "contacts": _records,
    "companies": _records,
    "deals": _deals,
    "log-call": _log_call,
    "note": _note,
    "follow-up": _follow_up,
}
