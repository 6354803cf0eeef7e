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


def test_a_synced_data_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "OneDrive" / "crm"), "doctor")
    assert code == 1 and "synced folder" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--contacts", "0"])
    assert exc.value.code == 2
