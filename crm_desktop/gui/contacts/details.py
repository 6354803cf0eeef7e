"""What a contact's or a company's detail panel shows, as (label, HTML) facts. The company,
the people, the deals and the next activity are links the panel opens in the app."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from crm_desktop.domain.formatting import (
    format_address,
    format_date,
    format_datetime,
    format_money,
    pluralise,
)
from crm_desktop.domain.phones import display_phone
from crm_desktop.gui.views.detail import esc, link

if TYPE_CHECKING:
    from crm_desktop.bootstrap import AppContext
    from crm_desktop.domain.records import (
        CompanyRecord,
        ContactRecord,
        NextActivity,
        RelatedDeal,
        RoleEntry,
    )

Facts = list[tuple[str, str]]
# More than this many people or deals on a page: the first ones and "and n more".
SHOWN = 30


def _gray(text: str) -> str:
    return f"<span style='color:gray'>{esc(text)}</span>"


def _role(role: RoleEntry) -> str:
    company = link("company", role.company_id, role.company_name) if role.company_name else ""
    return " at ".join(p for p in (esc(role.title), company) if p)


def _more(shown: list[str], total: int, noun: str) -> str:
    if total > len(shown):
        shown = [*shown, _gray(f"and {pluralise(total - len(shown), noun)} more")]
    return "<br>".join(shown)


def deals_fact(deals: list[RelatedDeal]) -> str:
    """Each deal a link, with its stage and value: "Website relaunch · Proposal · €12,000"."""
    lines = [
        f"{link('deal', d.id, d.title)} "
        + _gray(f"· {d.stage} · {format_money(d.value_cents, d.currency)}")
        for d in deals[:SHOWN]
    ]
    return _more(lines, len(deals), "deal")


def next_activity_fact(found: NextActivity | None) -> str:
    if found is None:
        return ""
    when = format_date(found.start) if found.all_day else format_datetime(found.start)
    text = f"{found.kind.capitalize()}: {found.subject}" if found.subject else found.kind
    late = " <span style='color:#d64545'>overdue</span>" if found.overdue else ""
    return f"{link('activity', found.id, text)} {_gray(when)}{late}"


def conflict_fact(context: AppContext, entity: str, row_id: str) -> list[tuple[str, str]]:
    """A badge on a record someone else changed at the same time (team sharing)."""
    found = context.sync.conflicts_of(entity, row_id)
    if not found:
        return []
    fields = ", ".join(sorted({c.field.replace("_", " ") for c in found}))
    text = (
        f"<span style='color:#b3261e'>⚠ {esc(fields)}: changed here and on another "
        "computer</span> " + _gray("File › Team sharing… to keep one")
    )
    return [("Conflict", text)]


def contact_facts(context: AppContext, c: ContactRecord, now: dt.datetime | None = None) -> Facts:
    consent = "<br>".join(
        f"{esc(s.purpose.replace('_', ' '))}: "
        f"<b>{'✓ granted' if s.status == 'granted' else '✗ withdrawn'}</b> "
        + _gray(f"{s.lawful_basis} · {s.source} · {format_date(s.since)}")
        + (
            " " + link("withdraw", f"{c.id}/{s.purpose}", "withdraw")
            if s.status == "granted"
            else ""
        )
        for s in context.consents.current(c.id)
    )
    cadence = context.calendar.cadence(c.id)
    rfm = context.segments.rfm(c.id)
    timeline = context.timeline
    return [
        *conflict_fact(context, "contacts", c.id),
        ("Next activity", next_activity_fact(timeline.next_activity("contacts", c.id, now))),
        (
            "E-mail",
            "<br>".join(
                f"<a href='mailto:{esc(e.email)}'>{esc(e.email)}</a> {_gray(e.label)}"
                for e in c.emails
            ),
        ),
        (
            "Phone",
            "<br>".join(f"{esc(display_phone(p.number))} {_gray(p.label)}" for p in c.phones),
        ),
        ("Address", "<br>".join(esc(format_address(a)) for a in c.addresses)),
        ("Websites", "<br>".join(f"<a href='{esc(w)}'>{esc(w)}</a>" for w in c.websites)),
        ("Job title", esc(c.job_title)),
        ("Department", esc(c.department)),
        ("Role", esc(c.role)),
        ("Also at", "<br>".join(_role(r) for r in c.roles[1:])),
        ("Deals", deals_fact(timeline.deals_of("contacts", c.id))),
        ("Owner", esc(c.owner_name)),
        ("Lead source", esc(c.lead_source)),
        ("Birthday", esc(format_date(c.birthday))),
        ("Anniversary", esc(format_date(c.anniversary))),
        ("Nickname", esc(c.nickname)),
        ("Tags", esc(", ".join(c.tags))),
        ("Consent", consent),
        (
            "RFM",
            f"<b>{esc(rfm.name)}</b> "
            + _gray(f"recency {rfm.recency} · frequency {rfm.frequency} · monetary {rfm.monetary}")
            if rfm
            else "",
        ),
        ("Stay in touch", f"every {pluralise(cadence, 'day')}" if cadence else ""),
        ("Notes", esc(c.notes)),
    ]


def contact_subtitle(c: ContactRecord) -> str:
    """The first role as HTML: "CFO at <a>Harbor Media</a>" (the company opens)."""
    return _role(c.roles[0]) if c.roles else ""


def company_facts(context: AppContext, c: CompanyRecord, now: dt.datetime | None = None) -> Facts:
    people = [
        f"{link('contact', person_id, name)} {_gray(title)}"
        for person_id, name, title in c.people[:SHOWN]
    ]
    website = f"<a href='{esc(c.website)}'>{esc(c.website)}</a>" if c.website else ""
    timeline = context.timeline
    return [
        *conflict_fact(context, "companies", c.id),
        ("Next activity", next_activity_fact(timeline.next_activity("companies", c.id, now))),
        ("Industry", esc(c.industry)),
        ("Phone", esc(display_phone(c.phone))),
        ("E-mail", f"<a href='mailto:{esc(c.email)}'>{esc(c.email)}</a>" if c.email else ""),
        ("Website", website),
        ("Address", esc(format_address(c.address))),
        ("People", _more(people, len(c.people), "person")),
        ("Deals", deals_fact(timeline.deals_of("companies", c.id))),
        ("Owner", esc(c.owner_name)),
        ("Tags", esc(", ".join(c.tags))),
        ("Notes", esc(c.notes)),
    ]


def people_count(count: int) -> str:
    return pluralise(count, "person")
