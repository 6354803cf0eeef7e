from pathlib import Path

import pytest

from crm_desktop.config import AppPaths, Preferences, check_local_folder, synced_folder_reason
from crm_desktop.domain.errors import UnsafeLocationError


@pytest.mark.parametrize("marker", [".dropbox", ".stfolder", ".tmp.drivedownload"])
def test_a_folder_kept_by_a_sync_client_is_refused(tmp_path: Path, marker: str) -> None:
    (tmp_path / marker).mkdir()
    data = tmp_path / "crm" / "data"
    with pytest.raises(UnsafeLocationError, match="sync client"):
        check_local_folder(data)


@pytest.mark.parametrize("name", ["Dropbox", "OneDrive - Contoso", "Google Drive", "iCloud Drive"])
def test_well_known_synced_folders_are_refused_by_name(tmp_path: Path, name: str) -> None:
    assert synced_folder_reason(tmp_path / name / "crm") is not None


def test_network_paths_are_refused() -> None:
    assert "network path" in (synced_folder_reason(Path("//server/share/crm")) or "")


def test_a_plain_local_folder_is_fine(tmp_path: Path) -> None:
    check_local_folder(tmp_path / "data")


def test_data_dir_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CRM_DESKTOP_DATA_DIR", str(tmp_path / "env"))
    assert AppPaths.resolve().data_dir == (tmp_path / "env").resolve()
    assert AppPaths.resolve(tmp_path / "arg").data_dir == (tmp_path / "arg").resolve()


def test_preferences_fall_back_to_defaults_on_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "preferences.json"
    path.write_text("{not json", encoding="utf-8")
    assert Preferences.load(path) == Preferences()
    Preferences(default_country="FR").save(path)
    assert Preferences.load(path).default_country == "FR"
