"""Write python3-deps.json, the flatpak-builder module that installs crm-desktop's Python
dependencies: the run-time packages of uv.lock at their locked versions, in the shape
flatpak-pip-generator makes (one pip command over downloaded files, no network while
building). PySide6 and shiboken6 are left out: the PySide BaseApp provides them.

    uv run python packaging/linux/flatpak_deps.py [--python 3.12]

A package with a pure-Python wheel in uv.lock uses it (URL and hash from the lock, no
look-up). A compiled one needs wheels for the runtime's Python, which the lock (made for
3.11) does not list: those are looked up once on PyPI's JSON API for the locked version,
for x86_64 and aarch64 (`only-arches`).
"""

from __future__ import annotations

import argparse
import json
import re
import tomllib
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FROM_BASEAPP = {"pyside6", "pyside6-essentials", "pyside6-addons", "shiboken6"}
ARCHES = {"x86_64": "x86_64", "aarch64": "aarch64"}
PURE = re.compile(r"-py(2\.)?py3-none-any\.whl$|-py3-none-any\.whl$")


def runtime_packages(lock: dict[str, Any]) -> list[dict[str, Any]]:
    """The locked packages crm-desktop needs at run time on Linux, dependencies first."""
    by_name = {p["name"]: p for p in lock["package"]}
    wanted: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or name in FROM_BASEAPP:
            return
        seen.add(name)
        package = by_name[name]
        for dep in package.get("dependencies", []):
            marker = dep.get("marker", "")
            if "win32" in marker or "darwin" in marker or "extra ==" in marker:
                continue
            visit(dep["name"])
        if name != "crm-desktop":
            wanted.append(package)

    visit("crm-desktop")
    return wanted


def _pypi_files(name: str, version: str) -> list[dict[str, Any]]:
    url = f"https://pypi.org/pypi/{name}/{version}/json"
    with urllib.request.urlopen(url, timeout=30) as response:
        return list(json.load(response)["urls"])


def sources_for(package: dict[str, Any], python: str) -> list[dict[str, Any]]:
    for wheel in package.get("wheels", []):
        if PURE.search(wheel["url"]):
            return [{"type": "file", "url": wheel["url"], "sha256": _sha(wheel["hash"])}]
    tag = "cp" + python.replace(".", "")
    found = []
    files = _pypi_files(package["name"], package["version"])
    for arch, wheel_arch in ARCHES.items():
        matching = [
            f
            for f in files
            if f["filename"].endswith(".whl")
            and f"-{tag}-" in f["filename"]
            and "manylinux" in f["filename"]
            and wheel_arch in f["filename"]
        ]
        if not matching:
            raise SystemExit(f"no {tag} wheel of {package['name']} {package['version']} for {arch}")
        chosen = min(matching, key=lambda f: f["filename"])
        found.append(
            {
                "type": "file",
                "url": chosen["url"],
                "sha256": chosen["digests"]["sha256"],
                "only-arches": [arch],
            }
        )
    return found


def _sha(lock_hash: str) -> str:
    return lock_hash.removeprefix("sha256:")


def module(python: str) -> dict[str, Any]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    packages = runtime_packages(lock)
    sources = [s for p in packages for s in sources_for(p, python)]
    names = " ".join(f'"{p["name"]}=={p["version"]}"' for p in packages)
    return {
        "name": "python3-deps",
        "buildsystem": "simple",
        "build-commands": [
            "pip3 install --verbose --exists-action=i --no-index "
            '--find-links="file://${PWD}" --prefix=${FLATPAK_DEST} --no-build-isolation '
            f"--no-deps {names}"
        ],
        "sources": sources,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.12", help="the runtime's Python (default 3.12)")
    parser.add_argument(
        "--output", type=Path, default=Path(__file__).with_name("python3-deps.json")
    )
    args = parser.parse_args()
    args.output.write_text(json.dumps(module(args.python), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
