"""`crm-desktop --self-test`: every step runs and passes on a working install, and a broken
step is named with exit code 1."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from crm_desktop import selftest
from crm_desktop.cli import main


def test_self_test_passes_every_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], qapp: Any
) -> None:
    code = main(["--data-dir", str(tmp_path / "d"), "--self-test"])
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert code == 0, out
    assert lines[0].startswith("crm-desktop ") and "self-test" in lines[0]
    assert [line[:2] for line in lines[1:-1]] == ["ok"] * len(selftest.STEPS)
    assert lines[1].startswith("ok   open database")
    assert all(" s " in line for line in lines[1:-1])  # each step with its time
    assert "window" in out and "PDF" in out and "Excel" in out
    assert lines[-1].startswith("self-test passed")
    # Nothing was written to the data folder given on the command line except the log.
    assert not (tmp_path / "d" / "crm.sqlite").exists()
    assert (tmp_path / "d" / "logs" / "crm-desktop.log").exists()


def test_a_failing_step_is_named_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(state: Any) -> str:
        raise OSError("disk full")

    steps = dict(selftest.STEPS)
    steps["search"] = broken
    monkeypatch.setattr(selftest, "STEPS", tuple(steps.items()))
    out = io.StringIO()
    assert selftest.run(out) == 1
    text = out.getvalue()
    assert "FAIL search" in text and "OSError: disk full" in text
    assert text.strip().splitlines()[-1] == "self-test FAILED at step: search"
    assert "window" not in text  # it stops at the first failure
    assert "disk full" in capsys.readouterr().err  # the traceback, for a bug report
