"""The result type is the run's one face to the report: no import runs the other way."""

from __future__ import annotations

import ast
from pathlib import Path

import shopperlens

SRC = Path(shopperlens.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_report_reaches_the_run_through_its_result_only() -> None:
    for path in sorted((SRC / "report").rglob("*.py")):
        batch = {m for m in _imports(path) if m.startswith("shopperlens.batch")}
        assert batch <= {"shopperlens.batch.result", "shopperlens.batch.result.RunResult"}, path


def test_the_result_imports_no_report_and_no_step() -> None:
    imported = _imports(SRC / "batch" / "result.py")
    assert not {m for m in imported if m.startswith(("shopperlens.report", "shopperlens.batch"))}
