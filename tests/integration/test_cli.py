"""The command line contract of ARCHITECTURE.md: outputs, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm_desktop.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_then_search_json_is_machine_readable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "d")
    code, out, _ = run(
        capsys,
        "--data-dir",
        data,
        "--json",
        "demo",
        "--contacts",
        "200",
        "--seed",
        "3",
        "--today",
        "2026-11-22",
    )
    assert code == 0 and json.loads(out)["contacts"] == 200
    code, out, _ = run(capsys, "--data-dir", data, "--json", "search", "müller")
    hits = json.loads(out)
    assert code == 0 and hits
    assert all({"type", "id", "title", "subtitle"} <= set(h) for h in hits)
    assert any("Müller" in h["title"] for h in hits)
    code, out, _ = run(capsys, "--data-dir", data, "search", "muller")
    assert code == 0 and "Müller" in out


def test_doctor_backup_and_restore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    run(capsys, "--data-dir", data, "demo", "--contacts", "20")
    code, out, _ = run(capsys, "--data-dir", data, "doctor")
    assert code == 0 and "integrity" in out and "FAIL" not in out
    target = tmp_path / "manual.sqlite"
    code, out, _ = run(capsys, "--data-dir", data, "backup", str(target))
    assert code == 0 and target.exists()
    code, out, _ = run(capsys, "--data-dir", data, "--json", "restore", str(target))
    assert code == 0 and Path(json.loads(out)["safety_backup"]).exists()


def test_compact_removes_old_superseded_history_and_doctor_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "d")
    run(capsys, "--data-dir", data, "demo", "--contacts", "20")
    code, out, _ = run(capsys, "--data-dir", data, "--json", "compact", "--keep-days", "0")
    assert code == 0 and json.loads(out) == {"removed": 0, "keep_days": 0}
    code, out, _ = run(capsys, "--data-dir", data, "doctor")
    assert code == 0 and "history compacted" in out and "FAIL" not in out
    for bad in ("-1", "many", "99999"):
        with pytest.raises(SystemExit) as exc:
            main(["--data-dir", data, "compact", "--keep-days", bad])
        assert exc.value.code == 2
        assert "not a number of days from 0 to 36500" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["restore", "missing.sqlite"], "no such backup file"),
        (["backup", "{dir}/manual.sqlite", "backup-twice"], None),
    ],
)
def test_bad_input_gives_one_line_and_nonzero_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str | None
) -> None:
    made(tmp_path / "d")
    if message is None:
        target = tmp_path / "manual.sqlite"
        run(capsys, "--data-dir", str(tmp_path / "d"), "backup", str(target))
        code, _, err = run(capsys, "--data-dir", str(tmp_path / "d"), "backup", str(target))
        message = "already exists"
    else:
        code, _, err = run(capsys, "--data-dir", str(tmp_path / "d"), *args)
    assert code == 1
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def made(data_dir: Path) -> None:
    """A data folder with an empty database (commands other than demo and import need one)."""
    from crm_desktop.bootstrap import open_app

    open_app(data_dir).close()


def test_a_synced_data_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "OneDrive" / "crm"), "doctor")
    assert code == 1 and "synced folder" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--contacts", "0"])
    assert exc.value.code == 2


def test_report_monthly_writes_pdf_and_excel_with_the_services_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl
    import pypdf

    from crm_desktop.bootstrap import open_app
    from crm_desktop.domain.reportdoc import format_cell

    data = str(tmp_path / "d")
    run(
        capsys,
        "--data-dir",
        data,
        "demo",
        "--contacts",
        "300",
        "--seed",
        "5",
        "--today",
        "2026-11-22",
    )
    pdf, xlsx = tmp_path / "october.pdf", tmp_path / "october.xlsx"
    code, out, err = run(
        capsys,
        "--data-dir",
        data,
        "--json",
        "report",
        "monthly",
        "--month",
        "2026-10",
        "--pdf",
        str(pdf),
        "--xlsx",
        str(xlsx),
    )
    assert code == 0, err
    printed = json.loads(out)
    context = open_app(data)
    try:
        doc = context.reports.monthly("2026-10")
    finally:
        context.close()
    expected = {k.label: k.value for k in doc.kpis}
    kinds = {k.label: k.kind for k in doc.kpis}
    assert printed["period"] == "October 2026"
    for label, value in expected.items():  # money as exact decimal amounts with the currency
        if kinds[label] == "money":
            assert printed["kpis"][label] == {
                "amount": f"{value // 100}.{value % 100:02d}",
                "currency": "EUR",
            }
        else:
            assert printed["kpis"][label] == value, label
    assert expected["Deals won"] + expected["Deals lost"] > 0  # the demo closed deals then
    sheet = openpyxl.load_workbook(xlsx, read_only=True)["Summary"]
    in_excel = {
        row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0] in expected
    }
    for label, value in expected.items():
        if kinds[label] == "money":
            assert in_excel[label] == pytest.approx(value / 100), label
        elif value is not None:
            assert in_excel[label] == pytest.approx(value), label
    pages = [page.extract_text() for page in pypdf.PdfReader(pdf).pages]
    summary = " ".join(pages[:2])
    for kpi in doc.kpis:  # the summary's tables hold the month's figures
        if kpi.kind == "money":
            assert f"{kpi.value / 100:,.2f}" in summary, kpi.label  # type: ignore[operator]
        elif kpi.kind == "int":
            assert format_cell(kpi.value, "int") in summary, kpi.label
    assert "Deals that need attention" in " ".join(pages)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--month", "2026-13"], "YYYY-MM"),
        (["--month", "2026-10", "--xlsx", "{dir}/missing/r.xlsx"], "cannot write"),
        (["--month", "2026-10", "--owner", "Nobody"], "no owner named 'Nobody'"),
    ],
)
def test_report_monthly_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    args = [a.replace("{dir}", str(tmp_path)) for a in extra]
    made(tmp_path / "d")
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "d"), "report", "monthly", *args)
    assert code == 1
    assert message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_report_by_name_for_any_days(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import openpyxl

    data = str(tmp_path / "d")
    run(capsys, "--data-dir", data, "demo", "--contacts", "200", "--seed", "2")
    xlsx = tmp_path / "won.xlsx"
    args = ["--data-dir", data, "--json", "report", "won_lost", "--from", "2026-01-01"]
    code, out, err = run(capsys, *args, "--to", "2026-06-30", "--xlsx", str(xlsx))
    assert code == 0, err
    printed = json.loads(out)
    assert printed["period"] == "January to June 2026" and printed["month"] is None
    assert printed["tables"]["Won and lost, January to June 2026: By month"] == 6
    assert "Won and lost" in openpyxl.load_workbook(xlsx, read_only=True).sheetnames
    code, _, err = run(capsys, "--data-dir", data, "report", "monthly", "--from", "2026-01-01")
    assert code == 1 and "--month" in err


# ---- import and export of contacts ---------------------------------------------------------

DATA = Path(__file__).parent / "data"


def test_import_contacts_with_a_broken_card_exits_3_and_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "d")
    code, out, err = run(capsys, "--data-dir", data, "import", "contacts", str(DATA / "broken.vcf"))
    assert code == 3 and err == ""
    assert "3 created" in out  # the card with a line that is no property is kept
    assert "line 11 (imported, line 11 is not a vCard property" in out
    assert "line 14: card skipped: it has no END:VCARD" in out
    code, out, _ = run(
        capsys, "--data-dir", data, "--json", "import", "contacts", str(DATA / "broken.vcf")
    )
    payload = json.loads(out)
    assert code == 3 and (payload["created"], payload["skipped"]) == (0, 3)
    assert [e["line"] for e in payload["errors"]] == [14]


def test_import_dry_run_then_real_then_undo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "d")
    sheet = str(DATA / "outlook_de.csv")
    code, out, _ = run(
        capsys, "--data-dir", data, "--json", "import", "contacts", sheet, "--dry-run"
    )
    dry = json.loads(out)
    assert code == 0 and dry["created"] == 3 and dry["batch_id"] is None and dry["dry_run"]
    code, out, _ = run(capsys, "--data-dir", data, "search", "Müller")
    assert "no matches" in out
    code, out, _ = run(
        capsys, "--data-dir", data, "--json", "import", "contacts", sheet, "--preset", "outlook"
    )
    batch = json.loads(out)["batch_id"]
    assert code == 0 and batch
    code, out, _ = run(capsys, "--data-dir", data, "search", "Müller")
    assert "Jürgen Müller" in out
    code, out, _ = run(capsys, "--data-dir", data, "import", "undo", batch)
    assert code == 0 and "undone" in out
    code, out, _ = run(capsys, "--data-dir", data, "search", "Jürgen")
    assert "no matches" in out


def test_export_contacts_by_extension_and_reimport_as_updates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "d")
    run(capsys, "--data-dir", data, "import", "contacts", str(DATA / "google_contacts.csv"))
    for name in ("c.csv", "c.xlsx", "c.vcf"):
        code, out, _ = run(capsys, "--data-dir", data, "export", "contacts", str(tmp_path / name))
        assert code == 0 and out.startswith("Exported 3 contacts")
    code, out, _ = run(capsys, "--data-dir", data, "export", "companies", str(tmp_path / "f.csv"))
    assert code == 0 and "Exported 3 companies" in out
    code, out, _ = run(
        capsys, "--data-dir", data, "--json", "import", "contacts", str(tmp_path / "c.xlsx")
    )
    payload = json.loads(out)
    assert code == 0 and (payload["created"], payload["unchanged"]) == (0, 3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "contacts", "/nonexistent/contacts.csv"], "cannot read"),
        (["export", "contacts", "/tmp/contacts.pdf"], "cannot export to contacts.pdf"),
        (["import", "undo", "not-a-batch"], "no import with batch id"),
    ],
)
def test_import_export_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    made(tmp_path / "d")
    code, out, err = run(capsys, "--data-dir", str(tmp_path / "d"), *args)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_each_command_is_in_the_module_the_command_line_imports_for_it() -> None:
    import argparse
    import importlib

    from crm_desktop import cli

    everyone = set(cli._parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert everyone == set(cli._COMMANDS) | set(cli._MODULE_OF)
    assert not set(cli._COMMANDS) & set(cli._MODULE_OF)
    for module, names in cli._COMMAND_MODULES.items():
        parser = argparse.ArgumentParser()
        found = parser.add_subparsers()
        importlib.import_module(module).add_parsers(found)
        assert set(found.choices) == set(names), module
        assert set(importlib.import_module(module).COMMANDS) == set(names), module
    for name in everyone:
        own = cli._parser(name)._subparsers._group_actions[0].choices  # type: ignore[union-attr]
        assert name in own
    # The command is found where the parser finds it, whatever the global options.
    assert cli.command_of(["--data-dir", "search", "search", "x"]) == "search"
    assert cli.command_of(["--json", "--data-dir=d", "contacts", "tag", "x"]) == "contacts"
    assert cli.command_of(["--data-dir"]) is None
    assert cli.command_of(["nonsense"]) is None and cli.command_of([]) is None
