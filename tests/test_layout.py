"""Dependencies point one way: only app.py, serve.py and pages/ import streamlit."""

import ast

from tests.conftest import ROOT


def imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_no_module_below_pages_imports_streamlit():
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        # pages/, app.py and serve.py (its server entry) are the UI; tests/ and bench/ drive it (AppTest).
        if rel.parts[0] in (".venv", "pages", "tests", "bench") or str(rel) in ("app.py", "serve.py"):
            continue
        if any(name == "streamlit" or name.startswith("streamlit.") for name in imported_modules(path)):
            offenders.append(str(rel))
    assert offenders == []


def test_the_check_sees_the_pages_that_do_import_streamlit():
    assert "streamlit" in set(imported_modules(ROOT / "pages" / "wall.py"))
