"""Two people who installed apart each get the default Sales pipeline (same ids, same
times); joining one team folder then shows no conflicts for those rows."""

from __future__ import annotations

from pathlib import Path

from crm_desktop.bootstrap import open_app


def test_default_pipelines_made_apart_do_not_conflict(tmp_path: Path) -> None:
    team = tmp_path / "team"
    team.mkdir()
    devices = [open_app(tmp_path / name) for name in ("anna", "ben")]
    try:
        for device in devices:
            device.pipeline.ensure_default()
            device.sync.set_folder(team)
        for _ in range(2):
            for device in devices:
                device.sync.round()
        for device in devices:
            assert device.sync.conflict_count() == 0
            assert [p.name for p in device.pipeline.pipelines()] == ["Sales"]
    finally:
        for device in devices:
            device.close()
