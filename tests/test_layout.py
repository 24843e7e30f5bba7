"""Dependencies point one way: the layer table below says which package may
import which, and only app.py, serve.py and pages/ import streamlit.

Every module of the product is parsed (ast, nothing is imported or run) and
each `import x` / `from x import y` that names another package of this
repository is checked against the table. docs/architecture.md draws the same
table; change both together.
"""

import ast

import pytest

from tests.conftest import ROOT

# The shared vocabulary and the helpers every layer may use.
BOTTOM = ("model", "safety")
# The domain packages, each above the ones it may import.
DOMAIN = ("access", "sentiment", "publishing", "monitors", "incidents", "crisis", "delivery")

# package -> the packages of this repository it may import (its own modules always).
MAY_IMPORT: dict[str, tuple[str, ...]] = {
    "model": (),
    "safety": (),
    "scenarios": (),  # drill scenarios: data and the generators that make it
    "settings": ("model",),
    "store": (*BOTTOM, "settings"),
    "access": (*BOTTOM, "settings", "store"),
    "sentiment": (*BOTTOM, "settings", "store", "access"),
    "publishing": (*BOTTOM, "settings", "store", "access", "sentiment"),
    "monitors": (*BOTTOM, "settings", "publishing"),
    "incidents": (*BOTTOM, "settings", "store", "access", "publishing"),
    "crisis": (*BOTTOM, "settings", "store", "access", "sentiment", "publishing", "incidents"),
    "delivery": (*BOTTOM, "settings", "store", "access", "crisis", "incidents"),
    "worker": (*BOTTOM, "settings", "store", *DOMAIN, "scenarios"),
    "pages": (*BOTTOM, "settings", "store", *DOMAIN, "worker"),
    "app": ("pages",),
    "serve": ("pages",),
}
# Tools that drive the product from outside: they may import any of it.
TOOLS = ("bench", "docs", "tests")

# (module, package it imports) -> why it is allowed for now. Each must still be needed (see the last test).
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("crisis.snapshot", "delivery"): (
        "the overview's read model also lists failed alert deliveries; read models move above the domain "
        "with the thin pages of issue #19"
    ),
}


def product_modules():
    """(module name, path) of every Python file of the product (tools and the virtualenv left out)."""
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in (".venv", *TOOLS) or rel.parts[0].startswith("."):
            continue
        yield ".".join(rel.with_suffix("").parts), path


def imported_modules(path):
    """Every absolute import in `path`, as (line, module name), wherever it stands (functions, TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def package_of(module: str) -> str:
    return module.split(".")[0]


def layer_violations():
    """Every import the table does not allow, as readable lines, and the exceptions that were used."""
    offenders, used = [], set()
    for module, path in product_modules():
        own = package_of(module)
        allowed = MAY_IMPORT.get(own)
        if allowed is None:
            offenders.append(f"{path.relative_to(ROOT)}: package {own!r} is not in the layer table (MAY_IMPORT)")
            continue
        for line, name in imported_modules(path):
            target = package_of(name)
            if target == own or target not in (*MAY_IMPORT, *TOOLS) or target in allowed:
                continue  # its own package, the standard library or a third-party library, or allowed
            if (module, target) in EXCEPTIONS:
                used.add((module, target))
                continue
            offenders.append(
                f"{path.relative_to(ROOT)}:{line} imports {name}: {own} may import only "
                f"{', '.join(allowed) or 'nothing of this repository'}"
            )
    return offenders, used


def test_every_import_follows_the_layer_table():
    offenders, _ = layer_violations()
    assert not offenders, "imports against the layer table (tests/test_layout.py):\n" + "\n".join(offenders)


def test_every_exception_to_the_table_is_still_needed():
    _, used = layer_violations()
    assert set(EXCEPTIONS) - used == set(), "remove these from EXCEPTIONS: nothing needs them any more"


def test_the_table_has_no_cycle():
    """If a may import b, b may not (directly or through others) import a."""

    def reaches(start, goal, seen=()):
        return any(nxt == goal or (nxt not in seen and reaches(nxt, goal, (*seen, nxt))) for nxt in MAY_IMPORT[start])

    cycles = [package for package in MAY_IMPORT if reaches(package, package)]
    assert cycles == []


def test_the_store_depends_on_nothing_above_it():
    """The store keeps what the monitors and engines hand it, in types from model/."""
    assert set(MAY_IMPORT["store"]) <= {"model", "safety", "settings"}
    assert "access" not in MAY_IMPORT["settings"] and "settings" in MAY_IMPORT["access"]


@pytest.mark.parametrize(
    "module, source, complaint",
    [
        ("store.demo", "from monitors.base import PollResult\n", "store/demo.py:1 imports monitors.base: store may"),
        ("settings.demo", "def f():\n    import access.roles\n", "settings/demo.py:2 imports access.roles"),
    ],
)
def test_a_violation_is_named_with_file_line_and_what_is_allowed(tmp_path, monkeypatch, module, source, complaint):
    package, name = module.split(".")
    (tmp_path / package).mkdir()
    (tmp_path / package / f"{name}.py").write_text(source)
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    offenders, _ = layer_violations()
    assert len(offenders) == 1 and offenders[0].startswith(complaint), offenders


def test_a_package_missing_from_the_table_is_named(tmp_path, monkeypatch):
    (tmp_path / "newthing").mkdir()
    (tmp_path / "newthing" / "x.py").write_text("import json\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert layer_violations()[0] == ["newthing/x.py: package 'newthing' is not in the layer table (MAY_IMPORT)"]


def test_no_module_below_pages_imports_streamlit():
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        # pages/, app.py and serve.py (its server entry) are the UI; tests/ and bench/ drive it (AppTest).
        if rel.parts[0] in (".venv", "pages", "tests", "bench") or str(rel) in ("app.py", "serve.py"):
            continue
        if any(name == "streamlit" or name.startswith("streamlit.") for _, name in imported_modules(path)):
            offenders.append(str(rel))
    assert offenders == []


def test_the_check_sees_the_pages_that_do_import_streamlit():
    assert "streamlit" in {name for _, name in imported_modules(ROOT / "pages" / "wall.py")}


def test_ci_checks_types_before_it_runs_the_tests():
    """mypy (configured in pyproject.toml) is a CI step of its own, before pytest."""
    steps = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert "mypy" in steps and steps.index("mypy") < steps.index("python -m pytest")
