"""Import contacts and companies from CSV, Excel (.xlsx) and vCard files.

    preview = imports.preview(path)              # format, encoding, mapping, first rows
    result = imports.run(path, preview.mapping)  # one unit of work, with a batch id
    imports.undo(result.batch_id)                # created to the Trash, updates reverted

Rows that cannot be imported are reported with their line and reason; the rest import.
The whole import is one transaction: it is written completely or not at all. Duplicates
are found by e-mail (case-folded) and phone (E.164), in the database and in the file;
a row with the id of one of our exports updates that record (the round trip).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from crm_desktop.domain import import_mapping
from crm_desktop.domain.bulk import TrashEdit
from crm_desktop.domain.changes import ChangeSet
from crm_desktop.domain.errors import CrmError, NotFoundError, ValidationError
from crm_desktop.domain.import_rows import (
    ADDRESS_PARTS,
    Values,
    company_row,
    contact_row,
)
from crm_desktop.domain.imports import ImportBatch, ImportPreview, ImportResult, PreviewRow
from crm_desktop.domain.records import (
    CONTACT_EXTRAS,
    AddressEntry,
    CompanyDraft,
    ContactDraft,
    EmailEntry,
    PhoneEntry,
    RoleEntry,
)
from crm_desktop.exchange import tabular, vcard
from crm_desktop.persistence import bulk_edit, records_map
from crm_desktop.persistence.bulk import collector_paused
from crm_desktop.persistence.models import new_id
from crm_desktop.persistence.uow import UnitOfWork
from crm_desktop.services._common import UowFactory, now
from crm_desktop.services.imports.plan import Planner, Source
from crm_desktop.services.imports.write import CreatesWriter, in_plan_order

FORMATS = ("csv", "xlsx", "vcard")
ON_DUPLICATE = ("skip", "update", "create")
KINDS = ("auto", "contacts", "companies")
PREVIEW_ROWS = 20
_BATCH_KEY = "import-batch:"
_EXTENSIONS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv", ".tab": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx", ".vcf": "vcard", ".vcard": "vcard",
}  # fmt: skip
_STEP = 1_000  # rows between progress reports and cancel checks
_UNDO_CHUNK = 10_000  # records moved to the Trash per statement by an undo

Progress = Callable[[int, int], None]


class ImportCancelled(CrmError):
    """The person cancelled the import; nothing was written."""


# ---- reading the file --------------------------------------------------------------------


def _format_of(path: Path, data: bytes, wanted: str | None) -> str:
    if wanted:
        if wanted not in FORMATS:
            raise ValidationError(f"unknown format {wanted!r} (use {', '.join(FORMATS)})")
        return wanted
    if data.startswith(tabular.XLSX_MAGIC):
        return "xlsx"  # whatever its name says (a workbook saved as "contacts.csv")
    by_extension = _EXTENSIONS.get(path.suffix.lower())
    if by_extension:
        return by_extension
    head = data[:2048].replace(b"\x00", b"").upper()
    return "vcard" if b"BEGIN:VCARD" in head else "csv"


def _read(path: Path, format: str | None, preset: str, kind: str, mapping: Any) -> Source:
    if preset not in import_mapping.PRESETS:
        raise ValidationError(f"unknown preset {preset!r}")
    if kind not in KINDS:
        raise ValidationError(f"unknown kind {kind!r} (use contacts or companies)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CrmError(f"cannot read {path}: {exc.strerror or exc}") from exc
    fmt = _format_of(path, data, format)
    if fmt == "vcard":
        return _read_vcard(path, data)
    try:
        sheet = tabular.read_table(data, fmt)
    except tabular.UnreadableFileError as exc:
        raise CrmError(f"cannot read {path.name}: {exc}") from exc
    headers = _unique(sheet.headers)
    if kind == "auto":
        kind = import_mapping.detect_kind(headers)
    used = import_mapping.detect_preset(headers) if preset == "auto" else preset
    guessed = import_mapping.guess_mapping(headers, kind, used)
    wanted = guessed if mapping is None else {h: mapping.get(h, "") for h in headers}
    fields = import_mapping.COMPANY_FIELDS if kind == "companies" else import_mapping.CONTACT_FIELDS
    columns: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        if wanted.get(header) in fields:
            columns.setdefault(wanted[header], []).append(index)
    groups = [(key, tuple(indexes)) for key, indexes in columns.items()]
    width = len(headers)
    padding = [""] * width
    item_kind = "company" if kind == "companies" else "contact"
    items: list[tuple[int, str, Values]] = []
    append = items.append
    for line, raw in sheet.rows:
        cells = raw if len(raw) >= width else raw + padding[: width - len(raw)]
        append((line, item_kind, {key: [cells[i] for i in indexes] for key, indexes in groups}))
    unused = [
        header
        for index, header in enumerate(headers)
        if not wanted.get(header)
        and any(index < len(raw) and raw[index].strip() for _line, raw in sheet.rows)
    ]
    return Source(
        path, fmt, sheet.encoding, sheet.delimiter, headers, kind, used, wanted, items,
        list(sheet.problems), list(sheet.unreadable), unused,
    )  # fmt: skip


def _unique(headers: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    result = []
    for index, header in enumerate(headers):
        name = header or f"Column {index + 1}"
        seen[name] = seen.get(name, 0) + 1
        result.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return tuple(result)


def _read_vcard(path: Path, data: bytes) -> Source:
    cards, problems = vcard.read_cards(data)
    if not cards and not problems:
        raise ValidationError(f"{path.name} holds no vCard (no BEGIN:VCARD ... END:VCARD)")
    items: list[tuple[int, str, Values]] = []
    warnings: list[tuple[int, str]] = []
    not_used: dict[str, int] = {}
    for card in cards:
        values: dict[str, list[str]] = {
            "first_name": [card.first_name],
            "last_name": [card.last_name],
            "full_name": [card.formatted_name],
            "prefix": [card.prefix],
            "middle_name": [card.middle_name],
            "suffix": [card.suffix],
            "nickname": [card.nickname],
            "email": [e.email for e in card.emails],
            "email_labels_given": [e.label for e in card.emails],
            "phone": [p.number for p in card.phones],
            "phone_labels_given": [p.label for p in card.phones],
            "company": [card.organization, *card.other_organizations],
            "name": [card.organization],
            "title": [card.title],
            "department": [card.department],
            "role": [card.role],
            "birthday": [card.birthday.isoformat() if card.birthday else ""],
            "anniversary": [card.anniversary.isoformat() if card.anniversary else ""],
            "notes": [card.notes],
            "tags": [", ".join(card.tags)],
            "website": list(card.urls),
            "address_labels_given": [a.label for a in card.addresses],
        }
        for part in ADDRESS_PARTS:
            values[part] = [getattr(a, part) for a in card.addresses]
        items.append((card.line, "company" if card.kind == "org" else "contact", values))
        warnings += card.warnings
        for name in card.not_used:
            not_used[name] = not_used.get(name, 0) + 1
    used = [f"{name} ({count} {'card' if count == 1 else 'cards'})"
            for name, count in sorted(not_used.items())]  # fmt: skip
    return Source(path, "vcard", "", "", (), "contacts", "vcard", {}, items, warnings, problems,
                  used)  # fmt: skip


# ---- the service ------------------------------------------------------------------------------


class ImportService:
    def __init__(self, uow_factory: UowFactory, default_country: str = "DE") -> None:
        self._uow = uow_factory
        self._country = default_country

    def preview(
        self,
        path: Path,
        format: str | None = None,
        preset: str = "auto",
        kind: str = "auto",
        mapping: Mapping[str, str] | None = None,
    ) -> ImportPreview:
        """What the file holds and how it would import: format, encoding, delimiter,
        headers, the mapping guessed (or the one given) and the first rows mapped."""
        path = Path(path)
        source = _read(path, format, preset, kind, mapping)
        rows = []
        for line, item_kind, values in source.items[:PREVIEW_ROWS]:
            shown = {k: "; ".join(v for v in vs if v.strip()) for k, vs in values.items()}
            problem = ""
            try:
                if item_kind == "company":
                    company_row(values)
                else:
                    problem = "; ".join(contact_row(values).warnings)
            except ValidationError as exc:
                problem = str(exc)
            rows.append(PreviewRow(line, {k: v for k, v in shown.items() if v}, problem))
        fields = (
            import_mapping.COMPANY_FIELDS
            if source.kind == "companies"
            else import_mapping.CONTACT_FIELDS
        )
        return ImportPreview(
            path=path,
            format=source.format,
            kind=source.kind,
            preset=source.preset,
            encoding=source.encoding,
            delimiter=source.delimiter,
            headers=source.headers,
            mapping=dict(source.mapping),
            fields=dict(fields),
            rows=tuple(rows),
            total_rows=len(source.items),
            problems=tuple(sorted(source.problems + source.unreadable)),
            not_used=tuple(source.not_used),
        )

    def run(
        self,
        path: Path,
        mapping: Mapping[str, str] | None = None,
        preset: str = "auto",
        on_duplicate: str = "skip",
        dry_run: bool = False,
        progress: Progress | None = None,
        format: str | None = None,
        kind: str = "auto",
        cancelled: Callable[[], bool] | None = None,
    ) -> ImportResult:
        """Import the file in one unit of work (all or nothing) and record it as a batch
        that `undo` can take back. A dry run reports the same figures and writes nothing.
        `progress(done, total)` counts every row twice, read and written (called every
        thousand rows); when `cancelled()` turns true, between two calls, the import
        stops with ImportCancelled and nothing is written."""
        if on_duplicate not in ON_DUPLICATE:
            raise ValidationError(f"on_duplicate must be one of {', '.join(ON_DUPLICATE)}")
        path = Path(path)
        with collector_paused():  # many small lists and dicts, no cycles: see bulk.py
            return self._run(path, mapping, preset, on_duplicate, dry_run, progress, format,
                             kind, cancelled)  # fmt: skip

    def _run(
        self,
        path: Path,
        mapping: Mapping[str, str] | None,
        preset: str,
        on_duplicate: str,
        dry_run: bool,
        progress: Progress | None,
        format: str | None,
        kind: str,
        cancelled: Callable[[], bool] | None,
    ) -> ImportResult:
        source = _read(path, format, preset, kind, mapping)
        if source.format != "vcard" and not any(source.mapping.values()):
            shown = ", ".join(repr(h) for h in source.headers[:6])
            raise ValidationError(
                f"no column of {path.name} could be matched to a field (its columns: {shown}"
                f"{', ...' if len(source.headers) > 6 else ''}); map the columns first"
            )
        total = len(source.items)
        steps = 2 * total  # each row is a step when it is read and again when written

        def writing(done: int, of: int) -> None:
            _tick(progress, cancelled, total + (total * done // of if of else total), steps)

        with self._uow.read() if dry_run else self._uow() as uow:
            if not dry_run:
                # The WAL pages of a big import are copied into the database file by a
                # background thread after the commit (the import is committed and durable
                # in the WAL already), not by the commit itself while the person waits.
                uow.checkpoint_in_background()
            plan = Planner(uow, source, on_duplicate, self._country)
            # New records are written while the rest is planned (see write.py).
            writer = None if dry_run else CreatesWriter(uow, plan, now(), source.items)
            for done, (line, item_kind, values) in enumerate(in_plan_order(source.items)):
                if done % _STEP == 0:
                    _tick(progress, cancelled, done, steps)
                    if writer is not None and writer.due():
                        writer.write_planned()
                if item_kind == "company":
                    plan.company(line, values)
                else:
                    plan.contact(line, values)
            plan.settle_companies()
            plan.settle_contacts()
            _tick(progress, cancelled, total, steps)
            created = len(plan.creates) + len(plan.company_creates)
            updated = len(plan.updates) + len(plan.company_updates)
            batch_id: str | None = None
            changes = ChangeSet()
            if writer is not None and (created or updated or plan.linked):
                batch_id = new_id()
                self._write(uow, writer, batch_id, path, source.kind, writing)
                writing(1, 1)  # the last chance to cancel: after the commit it is done
                changes = uow.commit()
            if progress is not None:
                progress(2 * total, steps)
        return ImportResult(
            created=created,
            updated=updated,
            skipped=plan.skipped,
            errors=tuple(sorted(plan.errors)),
            batch_id=batch_id,
            unchanged=plan.unchanged,
            companies_created=len(plan.linked),
            warnings=tuple(sorted(plan.warnings)),
            not_used=tuple(source.not_used),
            kind=source.kind,
            dry_run=dry_run,
            changes=changes,
        )

    def _write(
        self,
        uow: UnitOfWork,
        writer: CreatesWriter,
        batch_id: str,
        path: Path,
        kind: str,
        progress: Progress,
    ) -> None:
        plan = writer.plan
        work = len(plan.creates) + len(plan.updates)
        writer.finish(lambda done, _of: progress(done, work))
        for done, (contact_id, draft) in enumerate(plan.updates.items(), len(plan.creates)):
            if done % _STEP == 0:
                progress(done, work)
            contact = uow.contacts.get(contact_id)
            if contact is None:
                raise NotFoundError(f"contact {contact_id} disappeared during the import")
            records_map.update_contact(uow, contact, draft)
        for company_id, company_draft in plan.company_updates.items():
            company = uow.companies.get(company_id)
            if company is None:
                raise NotFoundError(f"company {company_id} disappeared during the import")
            records_map.update_company(uow, company, company_draft)
        record = {
            "id": batch_id,
            "at": writer.stamp.isoformat(),
            "file": str(path),
            "kind": kind,
            "contacts": writer.contact_ids,
            "companies": [cid for cid, _ in plan.linked.values()]
            + [cid for cid, _ in plan.company_creates],
            "before": {cid: _dump_contact(d) for cid, d in plan.before.items()
                       if cid in plan.updates},
            "company_before": {cid: _dump_company(d) for cid, d in plan.company_before.items()
                               if cid in plan.company_updates},
            "undone": False,
        }  # fmt: skip
        uow.exchange.write_local(_BATCH_KEY + batch_id, json.dumps(record, ensure_ascii=False))

    # ---- undo ---------------------------------------------------------------------------

    def batches(self) -> list[ImportBatch]:
        """The imports made on this device, newest first."""
        with self._uow.read() as uow:
            found = []
            for key in uow.exchange.local_keys(_BATCH_KEY):
                data = json.loads(uow.exchange.read_local(key) or "{}")
                found.append(
                    ImportBatch(
                        id=data["id"],
                        at=dt.datetime.fromisoformat(data["at"]),
                        file=data["file"],
                        kind=data["kind"],
                        created=len(data["contacts"]) + len(data["companies"]),
                        updated=len(data["before"]) + len(data["company_before"]),
                        undone=bool(data["undone"]),
                    )
                )
        return sorted(found, key=lambda b: b.at, reverse=True)

    def undo(self, batch_id: str, progress: Progress | None = None) -> ChangeSet:
        """Take a whole import back, in one transaction (one step of the change log): the
        records it created go to the Trash, the records it updated get the values they had
        before it. `progress(done, total)` is called as it goes (from the worker thread
        when the window runs it in the background).

        The Trash is set-based: one UPDATE per chunk of ids and their change rows through
        the bulk path (persistence/bulk_edit.py), as a bulk move to the Trash does."""
        key = _BATCH_KEY + batch_id
        with collector_paused(), self._uow() as uow:
            raw = uow.exchange.read_local(key)
            if raw is None:
                raise NotFoundError(f"no import with batch id {batch_id}")
            data = json.loads(raw)
            if data["undone"]:
                raise ValidationError("this import has been undone already")
            uow.lock()  # the stamp after the write lock (see `UnitOfWork.lock`)
            stamp = now()
            updates = len(data["before"]) + len(data["company_before"])
            total = len(data["contacts"]) + len(data["companies"]) + updates
            done = 0
            for entity, ids in (("contacts", data["contacts"]), ("companies", data["companies"])):
                for start in range(0, len(ids), _UNDO_CHUNK):
                    chunk = tuple(ids[start : start + _UNDO_CHUNK])
                    bulk_edit.apply(uow, TrashEdit(entity, chunk, deleted=True), stamp)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
            self._undo_updates(uow, data, lambda n: progress(done + n, total) if progress else None)
            data["undone"] = True
            uow.exchange.write_local(key, json.dumps(data, ensure_ascii=False))
            changes = uow.commit()
            if progress is not None:
                progress(total, total)
            return changes

    def _undo_updates(
        self, uow: UnitOfWork, data: Mapping[str, Any], progress: Callable[[int], object]
    ) -> None:
        """The records an import updated get their values from before it back."""
        for done, (contact_id, before) in enumerate(data["before"].items()):
            if done % _STEP == 0:
                progress(done)
            contact = uow.contacts.get(contact_id, include_deleted=True)
            if contact is not None:
                draft = _load_contact(before)
                records_map.update_contact(uow, contact, draft)
        for company_id, before in data["company_before"].items():
            company = uow.companies.get(company_id, include_deleted=True)
            if company is not None:
                company_draft = _load_company(before)
                records_map.update_company(uow, company, company_draft)


def _tick(
    progress: Progress | None, cancelled: Callable[[], bool] | None, done: int, total: int
) -> None:
    if cancelled is not None and cancelled():
        raise ImportCancelled("the import was cancelled; nothing was imported")
    if progress is not None:
        progress(done, total)


# ---- what undo keeps --------------------------------------------------------------------------


def _dump_contact(d: ContactDraft) -> dict[str, Any]:
    return {
        "first_name": d.first_name,
        "last_name": d.last_name,
        "emails": [[e.email, e.label] for e in d.emails],
        "phones": [[p.number, p.label] for p in d.phones],
        "addresses": [
            [a.street, a.city, a.region, a.postcode, a.country, a.label] for a in d.addresses
        ],
        "roles": [[r.company_id, r.title] for r in d.roles],
        "birthday": d.birthday.isoformat() if d.birthday else None,
        "lead_source": d.lead_source,
        "owner_id": d.owner_id,
        "notes": d.notes,
        "tags": list(d.tags),
        "extras": {
            **{k: getattr(d, k) for k in CONTACT_EXTRAS if k not in ("anniversary", "websites")},
            "anniversary": d.anniversary.isoformat() if d.anniversary else None,
            "websites": list(d.websites),
        },
    }


def _load_extras(data: Mapping[str, Any]) -> dict[str, Any]:
    extras = dict(data.get("extras", {}))  # (an import recorded before these fields: none)
    if extras.get("anniversary"):
        extras["anniversary"] = dt.date.fromisoformat(extras["anniversary"])
    if "websites" in extras:
        extras["websites"] = tuple(extras["websites"])
    return extras


def _load_contact(data: Mapping[str, Any]) -> ContactDraft:
    return ContactDraft(
        first_name=data["first_name"],
        last_name=data["last_name"],
        emails=tuple(EmailEntry(e, label) for e, label in data["emails"]),
        phones=tuple(PhoneEntry(n, label) for n, label in data["phones"]),
        addresses=tuple(AddressEntry(*a) for a in data["addresses"]),
        roles=tuple(RoleEntry(c, t) for c, t in data["roles"]),
        birthday=dt.date.fromisoformat(data["birthday"]) if data["birthday"] else None,
        lead_source=data["lead_source"],
        owner_id=data["owner_id"],
        notes=data["notes"],
        tags=tuple(data["tags"]),
        **_load_extras(data),
    )


def _dump_company(d: CompanyDraft) -> dict[str, Any]:
    a = d.address
    return {
        "name": d.name, "domain": d.domain, "industry": d.industry, "phone": d.phone,
        "email": d.email, "website": d.website,
        "address": [a.street, a.city, a.region, a.postcode, a.country, a.label],
        "lead_source": d.lead_source, "owner_id": d.owner_id, "notes": d.notes,
        "tags": list(d.tags),
    }  # fmt: skip


def _load_company(data: Mapping[str, Any]) -> CompanyDraft:
    return CompanyDraft(
        name=data["name"],
        domain=data["domain"],
        industry=data["industry"],
        phone=data["phone"],
        email=data["email"],
        website=data["website"],
        address=AddressEntry(*data["address"]),
        lead_source=data["lead_source"],
        owner_id=data["owner_id"],
        notes=data["notes"],
        tags=tuple(data["tags"]),
    )
