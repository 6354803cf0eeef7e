"""The packaging files agree with each other and with the app: AppStream metainfo shape,
the .desktop entry, the Flatpak manifest's id and permissions, the icons build.py renders,
and the Python packages the Flatpak module list would install."""

from __future__ import annotations

import configparser
import importlib.util
import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
APP_ID = "io.github.crm_desktop.CrmDesktop"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_metainfo_has_the_shape_appstream_asks_for() -> None:
    root = ET.parse(LINUX / f"{APP_ID}.metainfo.xml").getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    for tag in ("name", "summary", "metadata_license", "project_license"):
        assert (root.findtext(tag) or "").strip(), tag
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert len(root.findtext("summary") or "") < 80
    assert root.find("description/p") is not None
    launchable = root.find("launchable")
    assert launchable is not None and launchable.get("type") == "desktop-id"
    assert launchable.text == f"{APP_ID}.desktop"
    assert root.find("content_rating") is not None
    release = root.find("releases/release")
    assert release is not None and release.get("version") == VERSION
    assert [s.findtext("image") for s in root.iterfind("screenshots/screenshot")]


def test_desktop_entry_launches_the_app_with_its_icon() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(LINUX / "crm-desktop.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Exec"].split()[0] == "crm-desktop"
    assert entry["Icon"] == "crm-desktop" and entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";") and "Office" in entry["Categories"]
    # On X11 the window's class is the app name, on Wayland the desktop file name.
    assert entry["StartupWMClass"] == "crm-desktop"


def test_flatpak_manifest_names_the_app_and_asks_for_no_network() -> None:
    text = (LINUX / f"{APP_ID}.yml").read_text(encoding="utf-8")
    lines = {
        line.split(":", 1)[0]: line.split(":", 1)[1].strip()
        for line in text.splitlines()
        if line and not line.startswith((" ", "#", "-")) and ":" in line
    }
    assert lines["id"] == APP_ID and lines["base"] == "io.qt.PySide.BaseApp"
    assert lines["runtime"] == "org.kde.Platform"
    assert lines["runtime-version"] == lines["base-version"]
    assert lines["rename-desktop-file"] == "crm-desktop.desktop"
    assert lines["rename-icon"] == "crm-desktop"
    args = [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("- --")]
    assert "--share=network" not in args
    assert {"--socket=wayland", "--socket=fallback-x11", "--filesystem=home"} <= set(args)


def test_build_renders_the_icon_in_every_hicolor_size(tmp_path: Path, qapp: Any) -> None:
    from PySide6.QtGui import QImage

    build = _load(ROOT / "packaging" / "build.py")
    written = build.render_icons(tmp_path)
    for size in build.HICOLOR_SIZES:
        image = QImage(str(tmp_path / "hicolor" / f"{size}x{size}" / "apps" / "crm-desktop.png"))
        assert (image.width(), image.height()) == (size, size)
        assert image.pixelColor(size // 2, size // 2).alpha() == 255  # drawn, not empty
        assert image.pixelColor(0, 0).alpha() == 0  # the rounded corner stays transparent
    assert (tmp_path / "hicolor" / "scalable" / "apps" / "crm-desktop.svg").exists()
    assert (tmp_path / "crm-desktop.ico").stat().st_size > 1000
    assert len(written) == len(build.HICOLOR_SIZES) + 1


def test_flatpak_module_list_has_the_runtime_packages_but_not_pyside() -> None:
    deps = _load(LINUX / "flatpak_deps.py")
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    names = [p["name"] for p in deps.runtime_packages(lock)]
    assert {"sqlalchemy", "alembic", "reportlab", "openpyxl", "icalendar"} <= set(names)
    assert not {"pyside6", "shiboken6", "pytest", "pyinstaller", "crm-desktop"} & set(names)
    assert names.index("mako") < names.index("alembic")  # dependencies first


@pytest.mark.parametrize(
    ("tool", "args", "file"),
    [
        ("appstreamcli", ["validate", "--no-net"], f"{APP_ID}.metainfo.xml"),
        ("desktop-file-validate", [], "crm-desktop.desktop"),
    ],
)
def test_the_freedesktop_validators_accept_the_files(tool: str, args: list[str], file: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    command = [tool, *args, str(LINUX / file)]
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
