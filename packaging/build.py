"""Build the one-folder app bundle for this OS into dist/crm-desktop.

    uv run python packaging/build.py [--icons-only] [--clean]

1. renders resources/icons/crm-desktop.svg to PNG in the hicolor sizes (Qt's QSvgRenderer,
   offscreen), plus a Windows .ico and, on macOS, an .icns made with `iconutil`;
2. runs PyInstaller on packaging/crm-desktop.spec;
3. on Linux, adds share/ (the .desktop file, the AppStream metainfo and the icons) beside
   the executable, laid out as under /usr, so `cp -r dist/crm-desktop/share ~/.local/`
   installs the launcher entry;
4. prints the bundle's size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
BUILD = ROOT / "build"
ICONS = BUILD / "icons"
DIST = ROOT / "dist"
APP_ID = "io.github.crm_desktop.CrmDesktop"
SVG = ROOT / "resources" / "icons" / "crm-desktop.svg"
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
# macOS iconset: (file name, pixels)
ICONSET = [
    (f"icon_{size}x{size}{suffix}.png", size * scale)
    for size in (16, 32, 128, 256, 512)
    for suffix, scale in (("", 1), ("@2x", 2))
]


def render_icons(target: Path = ICONS) -> list[Path]:
    """PNG icons in hicolor sizes (and .ico / .icns) from the app's SVG, drawn by Qt."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"build: cannot read {SVG}")

    def image(size: int) -> QImage:
        picture = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        picture.fill(Qt.GlobalColor.transparent)
        painter = QPainter(picture)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        return picture

    written: list[Path] = []

    def save(picture: QImage, path: Path, fmt: str = "PNG") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not picture.save(str(path), fmt):
            raise SystemExit(f"build: cannot write {path}")
        written.append(path)

    for size in HICOLOR_SIZES:
        save(image(size), target / "hicolor" / f"{size}x{size}" / "apps" / "crm-desktop.png")
    scalable = target / "hicolor" / "scalable" / "apps" / "crm-desktop.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SVG, scalable)
    save(image(256), target / "crm-desktop.ico", "ICO")
    if sys.platform == "darwin":
        iconset = target / "crm-desktop.iconset"
        for name, pixels in ICONSET:
            save(image(pixels), iconset / name)
        subprocess.run(
            ["iconutil", "-c", "icns", str(iconset), "-o", str(target / "crm-desktop.icns")],
            check=True,
        )
        written.append(target / "crm-desktop.icns")
    return written


def run_pyinstaller(clean: bool) -> None:
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        str(PACKAGING / "crm-desktop.spec"),
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(DIST),
        "--workpath",
        str(BUILD / "pyinstaller"),
    ]
    if clean:
        command.append("--clean")
    env = {**os.environ, "CRM_DESKTOP_ICONS": str(ICONS)}
    subprocess.run(command, check=True, cwd=ROOT, env=env)


def add_linux_share(bundle: Path) -> None:
    """share/applications, share/metainfo and share/icons/hicolor beside the executable."""
    share = bundle / "share"
    shutil.rmtree(share, ignore_errors=True)
    (share / "applications").mkdir(parents=True)
    (share / "metainfo").mkdir(parents=True)
    shutil.copy2(PACKAGING / "linux" / "crm-desktop.desktop", share / "applications")
    shutil.copy2(PACKAGING / "linux" / f"{APP_ID}.metainfo.xml", share / "metainfo")
    shutil.copytree(ICONS / "hicolor", share / "icons" / "hicolor")


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--icons-only", action="store_true", help="only render the icons")
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's cache first")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    icons = render_icons()
    print(f"icons: {len(icons)} files in {ICONS}")
    if args.icons_only:
        return 0
    run_pyinstaller(args.clean)
    bundle = DIST / "crm-desktop"
    if sys.platform.startswith("linux"):
        add_linux_share(bundle)
    built = DIST / "crm-desktop.app" if sys.platform == "darwin" else bundle
    size = folder_size(built) / 1_000_000
    print(f"built {built} ({size:.0f} MB) in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
