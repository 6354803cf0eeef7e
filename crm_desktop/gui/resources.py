"""The one place that finds `ui/` and `resources/`: inside the installed package
(`crm_desktop/_data`, mapped there at build time) or beside it in a source checkout."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import crm_desktop


@cache
def folder(kind: str) -> Path:
    """The `ui` or `resources` folder."""
    packaged = Path(str(resources.files("crm_desktop"))) / "_data" / kind
    if packaged.is_dir():
        return packaged
    return Path(crm_desktop.__file__).resolve().parent.parent / kind


def ui_file(name: str) -> Path:
    return folder("ui") / f"{name}.ui"


def resource(*parts: str) -> Path:
    return folder("resources").joinpath(*parts)
