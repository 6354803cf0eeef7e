"""`crm-desktop screenshot OUTDIR` renders every main view with the current data."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from crm_desktop.cli import main


def test_screenshot_writes_a_picture_of_each_view(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "demo", "--contacts", "60", "--today", "2026-11-22"]) == 0
    assert main(["--data-dir", data, "screenshot", str(tmp_path / "shots")]) == 0
    names = {p.name for p in (tmp_path / "shots").glob("*.png")}
    assert names == {
        "1-contacts.png",
        "2-companies.png",
        "3-pipeline.png",
        "4-calendar.png",
        "5-reports.png",
        "6-settings.png",
        "7-contact-editor.png",
        "8-command-palette.png",
        "9-deal-editor.png",
        "10-deals-list.png",
        "11-calendar-month.png",
        "12-calendar-day.png",
        "13-activity-editor.png",
        "14-segment-builder.png",
        "15-campaigns.png",
        "16-automation-rules.png",
    }
    image = QImage(str(tmp_path / "shots" / "1-contacts.png"))
    assert image.width() >= 1200 and image.height() >= 700
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 29)
    }
    assert len(colours) > 20  # a drawn window, not a blank rectangle
    capsys.readouterr()
