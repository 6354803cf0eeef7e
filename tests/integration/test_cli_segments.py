"""`segments`, `segment save|show|delete`, `export contacts --segment`, `contacts tag
--segment`: outputs, exit codes and one-line errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from crm_desktop.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    folder = str(tmp_path / "d")
    code, _, _ = run(capsys, "--data-dir", folder, "demo", "--contacts", "200", "--seed", "5")
    assert code == 0
    return folder


def test_save_list_and_export_a_strict_subset(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "buyers.json"
    spec.write_text(
        json.dumps({"all": [{"field": "orders", "op": ">=", "value": 1}]}), encoding="utf-8"
    )
    code, out, _ = run(
        capsys, "--data-dir", data, "segment", "save", "Buyers", "--filter", str(spec)
    )
    assert code == 0 and "Segment Buyers saved" in out
    code, out, _ = run(capsys, "--data-dir", data, "--json", "segments")
    listed = json.loads(out)
    assert [s["name"] for s in listed] == ["Buyers"]
    members = listed[0]["contacts"]
    assert 0 < members < 200
    code, out, _ = run(capsys, "--data-dir", data, "segments")
    assert code == 0 and "Buyers" in out and "Number of orders >= 1" in out
    target = tmp_path / "buyers.csv"
    code, out, _ = run(
        capsys, "--data-dir", data, "export", "contacts", str(target), "--segment", "buyers"
    )
    assert code == 0
    with target.open(encoding="utf-8") as stream:
        exported = list(csv.DictReader(stream))
    assert len(exported) == members
    everyone = tmp_path / "all.csv"
    run(capsys, "--data-dir", data, "export", "contacts", str(everyone))
    with everyone.open(encoding="utf-8") as stream:
        all_rows = [tuple(r.values()) for r in csv.DictReader(stream)]
    assert {tuple(r.values()) for r in exported} < set(all_rows)  # a strict subset
    code, out, _ = run(capsys, "--data-dir", data, "--json", "segment", "show", "Buyers")
    assert code == 0 and json.loads(out)["contacts"] == members
    code, out, _ = run(
        capsys, "--data-dir", data, "--json", "contacts", "tag", "Buyer", "--segment", "Buyers"
    )
    assert code == 0
    tagged = tmp_path / "tagged.json"
    tagged.write_text('{"field": "tag", "op": "has", "value": "buyer"}', encoding="utf-8")
    code, out, _ = run(
        capsys, "--data-dir", data, "--json", "segment", "save", "T", "--filter", str(tagged)
    )
    assert code == 0 and json.loads(out)["contacts"] == members  # the bulk tag reached all
    run(capsys, "--data-dir", data, "segment", "delete", "T")
    code, out, _ = run(capsys, "--data-dir", data, "segment", "delete", "Buyers")
    assert code == 0
    code, out, _ = run(capsys, "--data-dir", data, "segments")
    assert "no segments yet" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "is not JSON"),
        ('{"all": [{"field": "shoe", "op": "is", "value": 1}]}', "unknown field 'shoe'"),
        ('{"all": []}', "a segment of everyone"),
    ],
)
def test_bad_filter_files_are_one_line(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    spec = tmp_path / "f.json"
    if content is not None:
        spec.write_text(content, encoding="utf-8")
    code, _, err = run(capsys, "--data-dir", data, "segment", "save", "X", "--filter", str(spec))
    assert code == 1 and message in err and err.count("\n") == 1
    assert "Traceback" not in err and "unexpected" not in err


def test_an_unknown_segment_is_one_line(
    data: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "--data-dir", data, "export", "contacts", str(tmp_path / "x.csv"), "--segment", "no"
    )
    assert code == 1 and "no segment named 'no'" in err
    assert not (tmp_path / "x.csv").exists()
