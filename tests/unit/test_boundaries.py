"""No module of the package reaches into another module's private (_underscore) names,
and no service into the SQLAlchemy Session.

import-linter checks which modules import which, not which names they take, so this
test reads every module's imports with `ast`: `from crm_desktop.x import _name` from
another module fails, and so does `imported._name` (a private attribute of an imported
module or class, as `CompanyService._write_extras` once was). A private module
(`reports/_parts.py`) may be imported by the modules of its own package."""

from __future__ import annotations

import ast
from pathlib import Path

import crm_desktop

ROOT = Path(crm_desktop.__file__).parent
PACKAGE = "crm_desktop"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _is_package(module: str) -> bool:
    return (ROOT.parent / module.replace(".", "/") / "__init__.py").exists()


def _is_module(name: str) -> bool:
    return _is_package(name) or (ROOT.parent / f"{name.replace('.', '/')}.py").exists()


def _absolute(node: ast.ImportFrom, module: str, is_init: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    base = base if is_init else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _package_of(module: str) -> str:
    return module.rsplit(".", 1)[0]


def _violations(path: Path) -> list[str]:
    module = _module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    imported: set[str] = set()  # local names bound to our modules and their classes
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _absolute(node, module, path.name == "__init__.py")
            if not source.startswith(PACKAGE):
                continue
            for alias in node.names:
                imported.add(alias.asname or alias.name)
                if not _private(alias.name) or source == module:
                    continue
                inside = module.startswith(source + ".") or source == _package_of(module)
                if inside and _is_module(f"{source}.{alias.name}"):
                    continue  # a private module, used inside its package
                found.append(f"{module}: from {source} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE) and alias.asname:
                    imported.add(alias.asname)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in imported
        ):
            found.append(f"{module}: {node.value.id}.{node.attr}")
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    problems = [v for path in sorted(ROOT.rglob("*.py")) for v in _violations(path)]
    assert problems == []


def test_the_session_stays_inside_persistence() -> None:
    """Services reach the database through the unit of work's repositories and methods,
    never through its SQLAlchemy Session."""
    found = [
        f"{_module_name(path)}:{node.lineno}"
        for path in sorted((ROOT / "services").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "session"
    ]
    assert found == []
