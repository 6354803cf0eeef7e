"""Command line of reports: `report NAME [--month | --from/--to] [--pdf] [--xlsx]`."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crm_desktop.cli_edits import emit
from crm_desktop.domain.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext
    from crm_desktop.domain.reportdoc import Cell, ColumnKind
    from crm_desktop.domain.reports import ReportFilter

EXIT_OK = 0


class ReportNames(Sequence[str]):
    """The report names a command accepts, looked up when argparse checks or shows them:
    the report definitions are not imported by every command."""

    def _names(self) -> tuple[str, ...]:
        from crm_desktop.domain.reports import REPORTS

        return ("monthly", *REPORTS)

    def __getitem__(self, index: Any) -> Any:
        return self._names()[index]

    def __len__(self) -> int:
        return len(self._names())

    def __contains__(self, name: object) -> bool:
        return name in self._names()


def add_parsers(sub: Any) -> None:
    """The sub-commands of this module, on the command line's parser."""
    report = sub.add_parser("report", help="write a report (monthly: the owner's monthly report)")
    report.add_argument(
        "name", choices=ReportNames(), metavar="NAME", help="the report: %(choices)s"
    )
    report.add_argument("--month", help="YYYY-MM (default: last month)")
    report.add_argument("--from", dest="start", help="first day, YYYY-MM-DD (not for monthly)")
    report.add_argument("--to", dest="end", help="last day, YYYY-MM-DD (not for monthly)")
    report.add_argument("--owner", help="only this owner's records (name or id)")
    report.add_argument("--pipeline", help="only this pipeline's deals (name or id)")
    report.add_argument(
        "--segment", help="only a saved segment's contacts: their deals, orders, activities"
    )
    report.add_argument("--pdf", type=Path, help="write the report as PDF")
    report.add_argument("--xlsx", type=Path, help="write the report as an Excel workbook")


def _report(context: AppContext, args: argparse.Namespace) -> int:
    from crm_desktop.domain.reportdoc import format_cell
    from crm_desktop.domain.reports import default_month

    month = args.month or default_month()
    owner = _pick(args.owner, [(u.id, u.name) for u in context.users.list()], "owner")
    pipeline = _pick(
        args.pipeline, [(p.id, p.name) for p in context.pipeline.pipelines()], "pipeline"
    )
    if args.name == "monthly":
        if args.start or args.end:
            raise ValidationError("the monthly report takes --month, not --from/--to")
        if args.segment:
            raise ValidationError("the monthly report covers the whole business: no --segment")
        document = context.reports.export_monthly(month, args.pdf, args.xlsx, owner, pipeline)
    else:
        filters = _report_filter(args, month, owner, pipeline)
        if args.segment:
            segment = context.segments.find(args.segment)
            filters = dataclasses.replace(
                filters, segment=segment.filter, segment_name=segment.name
            )
        document = context.reports.document(filters, args.name)
        context.reports.export(document, args.pdf, args.xlsx)
    files = [str(p) for p in (args.pdf, args.xlsx) if p is not None]
    payload = {
        "report": args.name,
        "month": None if (args.start or args.end) else month,
        "period": document.period,
        "business": document.business,
        "currency": document.currency,
        "kpis": {k.label: json_cell(k.value, k.kind, document.currency) for k in document.kpis},
        "summary": {
            table.title: {
                "columns": [c.title for c in table.columns],
                "rows": [
                    {
                        c.title: json_cell(v, c.kind, document.currency)
                        for c, v in zip(table.columns, row, strict=False)
                    }
                    for row in (*table.rows, *([table.total_row] if table.total_row else []))
                ],
            }
            for section in document.summary
            for table in section.tables
        },
        "tables": {
            f"{section.title}: {table.title}": len(table.rows)
            for section in document.sections
            for table in section.tables
        },
        "filters": list(document.filters),
        "files": files,
    }
    lines = [
        f"{document.title}, {document.period}"
        + (f" ({document.business})" if document.business else ""),
        *(f"  {line}" for line in document.filters),
    ]
    lines += [
        f"  {k.label:<20} {format_cell(k.value, k.kind, document.currency)}"
        + (f"  ({k.hint})" if k.hint else "")
        for k in document.kpis
    ]
    if not document.kpis:
        lines += [
            f"  {section.title}: {table.title} ({len(table.rows)} rows)"
            for section in document.sections
            for table in section.tables
        ]
    lines += [f"Written to {f}" for f in files]
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def json_cell(value: Cell, kind: ColumnKind, currency: str) -> Any:
    """A report cell for --json: money as a decimal amount (text, exact) with its
    currency, dates as ISO text, the rest as they are."""
    from crm_desktop.domain.money import cents_to_decimal

    if kind == "money" and isinstance(value, int):
        return {"amount": str(cents_to_decimal(value)), "currency": currency}
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _report_filter(
    args: argparse.Namespace, month: str, owner: str | None, pipeline: str | None
) -> ReportFilter:
    """--from/--to, else --month (default: last month)."""
    from crm_desktop.domain.reports import ReportFilter

    if not (args.start or args.end):
        return ReportFilter.month(month, owner, pipeline)
    try:
        start = dt.date.fromisoformat(args.start or args.end)
        end = dt.date.fromisoformat(args.end or args.start)
    except ValueError as exc:
        raise ValidationError(f"a day is written YYYY-MM-DD: {exc}") from None
    return ReportFilter(start, end, owner, pipeline)


def _pick(wanted: str | None, choices: list[tuple[str, str]], what: str) -> str | None:
    """The id of the choice whose id or name (any case) is `wanted`."""
    if not wanted:
        return None
    for choice_id, name in choices:
        if wanted in (choice_id,) or wanted.casefold() == name.casefold():
            return choice_id
    raise NotFoundError(f"no {what} named {wanted!r}")


COMMANDS: dict[str, Callable[[Any, argparse.Namespace], int]] = {"report": _report}
