"""Bounded work and no loss on hostile or unusual input: huge fields and lines, a contact
with 10,000 e-mails, NUL characters, formula-looking text."""

from __future__ import annotations

import csv
import io
import tracemalloc
from pathlib import Path

import openpyxl
import pytest

from crm_desktop.bootstrap import AppContext
from crm_desktop.cli import main
from crm_desktop.domain.errors import ValidationError
from crm_desktop.domain.records import CompanyDraft, ContactDraft, EmailEntry, ListQuery
from crm_desktop.exchange import tabular
from crm_desktop.services.exports import MAX_REPEATED_COLUMNS


def test_a_150_kb_note_survives_export_and_reimport(app: AppContext, tmp_path: Path) -> None:
    thread = "\n".join(
        f'> line {n} of a pasted mail thread, with commas, and "quotes"' for n in range(3000)
    )
    assert len(thread) > 150_000
    names = ["Anna", "Bernd", "Carla", "Dieter", "Emil"]
    for name in names:
        app.contacts.create(
            ContactDraft(
                first_name=name,
                emails=(EmailEntry(f"{name.lower()}@example.org"),),
                notes=thread if name == "Bernd" else "short",
            )
        )
    path = tmp_path / "contacts.csv"
    assert app.exports.contacts(path) == 5
    for contact in app.contacts.page(ListQuery()).rows:
        app.contacts.delete([contact.id])
    result = app.imports.run(path, on_duplicate="create")
    assert result.created == 5 and not result.errors
    rows = {r.display_name: r.id for r in app.contacts.page(ListQuery()).rows}
    assert sorted(rows) == names
    assert app.contacts.get(rows["Bernd"]).notes == thread


def test_a_50_mb_single_line_csv_is_refused_in_one_line_with_bounded_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = b"a," * (25 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(tabular.UnreadableFileError, match=r"first line is 52\.4 million"):
            tabular.read_csv(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * len(data)  # the text once, not millions of cells
    path = tmp_path / "one-line.csv"
    path.write_bytes(data)
    del data
    code = main(["--data-dir", str(tmp_path / "d"), "import", "contacts", str(path)])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "a table starts with a line of column names" in err


def test_a_header_wider_than_excel_is_refused() -> None:
    data = ",".join(f"c{n}" for n in range(20_000)).encode() + b"\r\nx\r\n"
    with pytest.raises(tabular.UnreadableFileError, match="20,000 columns"):
        tabular.read_csv(data)


def test_fields_larger_than_the_csv_modules_default_are_read() -> None:
    big = "x" * 1_000_000
    data = f'Name,Notes\r\nAnna,"{big}"\r\nBernd,short\r\n'.encode()
    sheet = tabular.read_csv(data)
    assert [r.cells[0] for r in sheet.rows] == ["Anna", "Bernd"]
    assert sheet.rows[0].cells[1] == big and sheet.unreadable == []


def test_a_contact_with_10000_emails_exports_to_xlsx(app: AppContext, tmp_path: Path) -> None:
    emails = tuple(EmailEntry(f"person{n}@example.org") for n in range(10_000))
    app.contacts.create(ContactDraft(first_name="Many", emails=emails))
    path = tmp_path / "many.xlsx"
    assert app.exports.contacts(path) == 1
    book = openpyxl.load_workbook(path, read_only=True)
    header, row = [list(r) for r in book.active.iter_rows(max_row=2, values_only=True)]
    book.close()
    assert len(header) < 16_384
    columns = dict(zip(header, row, strict=True))
    assert columns["E-mail"] == "person0@example.org"
    assert (
        columns[f"E-mail {MAX_REPEATED_COLUMNS}"] == f"person{MAX_REPEATED_COLUMNS - 1}@example.org"
    )
    assert columns["More e-mails"].startswith(f"person{MAX_REPEATED_COLUMNS}@example.org; ")
    csv_path = tmp_path / "many.csv"
    app.exports.contacts(csv_path)
    record = next(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert record["More e-mails"].split("; ")[-1] == "person9999@example.org"  # CSV: all


@pytest.mark.parametrize(
    "draft",
    [
        ContactDraft(first_name="An\x00na"),
        ContactDraft(last_name="Müller\x00"),
        ContactDraft(first_name="Anna", emails=(EmailEntry("anna\x00@example.org"),)),
    ],
)
def test_nul_characters_are_refused_in_names_and_emails(
    app: AppContext, draft: ContactDraft
) -> None:
    with pytest.raises(ValidationError, match=r"control characters|not a valid e-mail"):
        app.contacts.create(draft)
    with pytest.raises(ValidationError, match="control characters"):
        app.companies.create(CompanyDraft(name="ACME\x00"))


def test_nul_characters_are_removed_on_import(app: AppContext, tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"First name,E-mail\r\nAn\x00na,anna@exa\x00mple.org\r\n")
    result = app.imports.run(path)
    assert result.created == 1 and not result.errors
    [row] = app.contacts.page(ListQuery()).rows
    assert row.display_name == "Anna"
    assert app.contacts.get(row.id).emails[0].email == "anna@example.org"


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("-2+3", "'-2+3"),
        ("+2-3", "'+2-3"),
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-12.5", "-12.5"),
        ("+49 30 1234567", "+49 30 1234567"),
        ("+1-555-0100", "+1-555-0100"),
    ],
)
def test_formula_like_cells_are_neutralised(text: str, stored: str) -> None:
    assert tabular.neutralise(text) == stored
    assert tabular.restore_neutralised(stored) == text


def test_minus_two_plus_three_round_trips(app: AppContext, tmp_path: Path) -> None:
    app.contacts.create(ContactDraft(first_name="Sum", last_name="-2+3"))
    path = tmp_path / "c.csv"
    app.exports.contacts(path)
    record = next(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert record["Last name"] == "'-2+3"
    for contact in app.contacts.page(ListQuery()).rows:
        app.contacts.delete([contact.id])
    app.imports.run(path, on_duplicate="create")
    [row] = app.contacts.page(ListQuery()).rows
    assert app.contacts.get(row.id).last_name == "-2+3"
