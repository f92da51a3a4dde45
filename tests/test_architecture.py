"""Architecture rules checked on the source itself: import cycles, sizes, self-containment.

These read the repository's files with ``ast`` and regular expressions; nothing is
imported or run, so they take well under a second.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = "shopperlens"

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    found = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    """True for ``if TYPE_CHECKING:`` and ``if typing.TYPE_CHECKING:``."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except those under ``if TYPE_CHECKING:``."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)  # the else branch runs; the body never does
            continue
        stack.extend(ast.iter_child_nodes(node))


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute dotted name a (possibly relative) ``from ... import`` refers to."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """The package module a dotted name lives in (longest module prefix), or None."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _import_graph() -> dict[str, set[str]]:
    """module -> the package modules it imports at run time (function-level included).

    ``from a.b import c`` depends on ``a.b.c`` when that is a module, else on ``a.b``.
    The implicit import of parent packages is not an edge: a package's ``__init__``
    importing its own submodules would otherwise make every package a circle.
    """
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in _runtime_imports(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _absolute(node, module, is_package)
                targets = [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                owner = _owner(target, modules)
                if owner is not None and owner != module:
                    graph[module].add(owner)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def _circle(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """One concrete circle through a component's first module (breadth-first)."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & members):
            if child == start:
                return paths[node] + [start]
            if child not in paths:
                paths[child] = paths[node] + [child]
                queue.append(child)
    return component  # unreachable for a real component


def test_graph_sees_function_level_imports_and_skips_type_checking() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import a\nelse:\n    import b\n"
        "def f():\n    import c\n"
    )
    seen = sorted(
        node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
        for node in _runtime_imports(tree)
    )
    assert seen == ["b", "c", "typing"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle() -> None:
    graph = _import_graph()
    assert len(graph) > 50 and graph["shopperlens.cli"], "the import graph looks empty"
    cycles = _cycles(graph)
    described = []
    for component in cycles:
        members = set(component)
        edges = "\n      ".join(
            f"{m} -> {', '.join(sorted(graph[m] & members))}" for m in component
        )
        described.append(
            f"{len(component)} modules, e.g. {' -> '.join(_circle(component, graph))}; "
            f"their imports of each other:\n      {edges}"
        )
    assert not cycles, (
        "import circle(s) among src/shopperlens modules (function-level imports count; "
        "move the shared type to a module both can import, or import under "
        "TYPE_CHECKING for annotations only):\n  " + "\n  ".join(described)
    )


def test_no_module_over_500_lines() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            offenders.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not offenders, (
        f"modules over {MAX_MODULE_LINES} lines (split them by responsibility):\n  "
        + "\n  ".join(offenders)
    )


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """A function's lines from ``def`` to its end, its docstring left out (documentation
    is not what makes a function long to read)."""
    length = (node.end_lineno or node.lineno) - node.lineno + 1
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(
        first.value.value, str
    ):
        length -= (first.end_lineno or first.lineno) - first.lineno + 1
    return length


def test_function_length_leaves_out_the_docstring() -> None:
    tree = ast.parse('def f():\n    """Doc.\n\n    More.\n    """\n    a = 1\n    return a\n')
    assert _code_lines(tree.body[0]) == 3  # type: ignore[arg-type]


def test_no_function_over_60_lines() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = _code_lines(node)
                if length > MAX_FUNCTION_LINES:
                    offenders.append(
                        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length} lines"
                    )
    assert not offenders, (
        f"functions over {MAX_FUNCTION_LINES} lines, docstring not counted (extract steps):\n  "
        + "\n  ".join(offenders)
    )


# A path that leaves the repository for the team's notes: ../shared, /work/shared, a
# "shared" path component built in code, or a citation of a note such as shared/design.md.
_OUTSIDE = re.compile(
    r"(\.\./|/work/)shared\b"
    r"|[\"']shared(/[^\"'\s]*)?[\"']"
    r"|\bshared/(design|style|data-contract)\.md"
    r"|\bshared/datasets\b"
)
_TEXT_SUFFIXES = {".py", ".md", ".toml", ".cfg", ".ini", ".txt", ".sh", ".yml", ".yaml"}


def test_no_file_refers_outside_the_repository() -> None:
    this = Path(__file__).resolve()
    files = [ROOT / "README.md", ROOT / "pyproject.toml", *sorted((ROOT / ".ci").glob("*"))]
    for folder in ("src", "tests", "bench", "docs"):
        files += [p for p in sorted((ROOT / folder).rglob("*")) if p.suffix in _TEXT_SUFFIXES]
    offenders = []
    for path in files:
        if path == this or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, (
        "the repository must be self-contained: these lines refer to the team's shared "
        "folder outside it (vendor the data under tests/data, cite docs/ instead):\n  "
        + "\n  ".join(offenders)
    )
