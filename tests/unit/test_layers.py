"""The web edge keeps to its layer: blueprints never import one another, views leave
queries (and the console's views audit entries and commits) to services, and no view module
grows past 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

VIEWS = Path(__file__).resolve().parents[2] / "hotline" / "views"
HANDLER_VIEWS = sorted(VIEWS.glob("handler_*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _imported(tree: ast.Module) -> set[str]:
    """Every module an `import` or `from … import` names, with `from pkg import mod` as
    `pkg.mod` too."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _makes_blueprint(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Blueprint"
        for node in ast.walk(tree)
    )


BLUEPRINTS = {
    f"hotline.views.{path.stem}" for path in VIEWS.glob("*.py") if _makes_blueprint(_tree(path))
}


def test_the_handler_console_is_split_by_concern() -> None:
    assert not (VIEWS / "handler.py").exists()
    stems = {path.stem for path in HANDLER_VIEWS}
    assert {"handler_signin", "handler_cases", "handler_files", "handler_json"} <= stems
    assert len(BLUEPRINTS) >= 10, sorted(BLUEPRINTS)  # the scan finds the blueprints


@pytest.mark.parametrize("module", sorted(BLUEPRINTS))
def test_no_blueprint_imports_another_view_module(module: str) -> None:
    path = VIEWS / f"{module.rsplit('.', 1)[1]}.py"
    others = (BLUEPRINTS - {module}) & _imported(_tree(path))
    assert not others, f"{module} imports {sorted(others)}: share code from outside views/"


@pytest.mark.parametrize("path", HANDLER_VIEWS, ids=lambda p: p.name)
def test_handler_views_leave_queries_audit_and_commits_to_services(path: Path) -> None:
    tree = _tree(path)
    imported = _imported(tree)
    assert not {n for n in imported if n.startswith("sqlalchemy")}, "queries belong in services"
    assert not {n for n in imported if n.startswith("hotline.models")}, "models belong in services"
    assert "hotline.services.audit" not in imported, "audit entries are written by services"
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not calls & {"commit", "rollback", "scalar", "scalars", "execute", "add"}, path.name


@pytest.mark.parametrize("path", sorted(VIEWS.glob("*.py")), ids=lambda p: p.name)
def test_no_view_queries_the_database(path: Path) -> None:
    """Every view (not only the console's) leaves queries to services: no SQLAlchemy, no
    query or write calls, no model looked up by id. Models' enums (e.g. Channel) may be named."""
    tree = _tree(path)
    assert not {n for n in _imported(tree) if n.startswith("sqlalchemy")}, path.name
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not calls & {"commit", "scalar", "scalars", "execute", "add", "merge"}, path.name
    session_gets = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and node.args
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id[:1].isupper()
    ]
    assert not session_gets, f"{path.name} looks a model up by id: ask a service"


@pytest.mark.parametrize("path", sorted(VIEWS.glob("*.py")), ids=lambda p: p.name)
def test_view_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 400, f"{path.name} has {lines} lines"


def test_no_module_in_the_app_or_the_browser_code_passes_400_lines() -> None:
    root = VIEWS.parents[1]
    paths = [p for p in (root / "hotline").rglob("*.py") if "migrations" not in p.parts]
    paths += list((root / "web" / "js").rglob("*.js"))
    long = {
        str(p.relative_to(root)): n
        for p in paths
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert len(paths) > 100 and not long, long


def test_no_view_cuts_an_id_short() -> None:
    for path in VIEWS.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "_id[:" not in text, f"{path.name} cuts an id: refuse it with 400 instead"
