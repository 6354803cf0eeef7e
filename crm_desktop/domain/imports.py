"""Records of importing contacts and companies: the preview, the result, the batches."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from crm_desktop.domain.changes import ChangeSet


@dataclass(frozen=True)
class PreviewRow:
    line: int
    values: dict[str, str]  # field -> text as it will be imported
    problem: str = ""  # why this row would not import ("" if it would)


@dataclass(frozen=True)
class ImportPreview:
    path: Path
    format: str  # "csv" | "xlsx" | "vcard"
    kind: str  # "contacts" | "companies"
    preset: str  # the preset used (detected when asked for "auto")
    encoding: str
    delimiter: str
    headers: tuple[str, ...]
    mapping: dict[str, str]  # header -> field ("" = not imported); empty for vCard
    fields: dict[str, str]  # the fields one may map to: key -> label
    rows: tuple[PreviewRow, ...]  # the first rows, mapped
    total_rows: int
    problems: tuple[tuple[int, str], ...]  # (line, what) found while reading the file
    not_used: tuple[str, ...] = ()  # columns (or vCard properties) with data not imported


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    skipped: int  # duplicates skipped
    errors: tuple[tuple[int, str], ...]  # (line, reason) of rows not imported
    batch_id: str | None  # None for a dry run or when nothing was written
    unchanged: int = 0  # rows matching a record that already held their values
    companies_created: int = 0  # companies made for the company column
    warnings: tuple[tuple[int, str], ...] = ()  # imported, but something was left out
    not_used: tuple[str, ...] = ()  # columns (or vCard properties) with data not imported
    kind: str = "contacts"
    dry_run: bool = False
    changes: ChangeSet = field(default_factory=ChangeSet)


@dataclass(frozen=True)
class ImportBatch:
    id: str
    at: dt.datetime
    file: str
    kind: str
    created: int
    updated: int
    undone: bool
