"""Dependencies point one way: ``core`` imports no domain, packages form no cycle, no import hides in a function.

The graph is built from the source (AST), one node per package under ``lms/`` (the first name after ``lms.``).
The app's entry points (``lms/__init__.py``, ``cli.py``, ``celery_app.py``, ``models.py``) sit on top and may import
anything; ``config.py`` and ``extensions.py`` are the base every package builds on, one node with ``core``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "lms"
TOP = {"__init__", "cli", "celery_app", "models"}
BASE = {"core", "config", "extensions"}


def _modules() -> list[tuple[str, str, Path]]:
    """(dotted name, package, path) of every module under ``lms/``."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(("lms", *parts))
        if parts[-1] == "__init__":
            name = name.removesuffix(".__init__")
        found.append((name, "core" if parts[0] in BASE else parts[0], path))
    return found


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The ``lms...`` modules an import statement names."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - node.level + 1]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    if target == "lms":  # from lms import api, models
        return [f"lms.{alias.name}" for alias in node.names]
    return [target]


def _walk(node: ast.AST, in_function: bool = False):
    """Every import statement, with whether it sits inside a function."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, in_function
        yield from _walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                   ast.Lambda)))


def _graph():
    """{package: {imported package: [where]}} and the function-local ``lms`` imports."""
    edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    local: list[str] = []
    for module, package, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node, in_function in _walk(tree):
            for target in _imported(node, module, path.name == "__init__.py"):
                if target != "lms" and not target.startswith("lms."):
                    continue
                where = f"{path.relative_to(ROOT.parent)}:{node.lineno} imports {target}"
                if in_function:
                    local.append(where)
                imported = target.split(".")[1] if "." in target else "__init__"
                imported = "core" if imported in BASE else imported
                if imported != package:
                    edges[package][imported].append(where)
    return edges, local


def _cycle(edges) -> list[str] | None:
    """One cycle among the packages below the top, or None."""
    graph = {a: [b for b in targets if b not in TOP] for a, targets in edges.items() if a not in TOP}
    colour: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in colour and (found := visit(nxt)):
                return found
        stack.pop()
        colour[node] = 2
        return None

    for node in sorted(graph):
        if node not in colour and (found := visit(node)):
            return found
    return None


def test_core_imports_no_domain_package():
    edges, _ = _graph()
    wrong = [where for target, places in edges["core"].items() for where in places]
    assert not wrong, "core/config/extensions import domain packages:\n" + "\n".join(wrong)


def test_packages_form_no_cycle():
    edges, _ = _graph()
    cycle = _cycle(edges)
    if cycle:
        steps = [f"{a} -> {b}: {edges[a][b][0]}" for a, b in zip(cycle, cycle[1:], strict=False)]
        pytest.fail("import cycle between packages: " + " -> ".join(cycle) + "\n" + "\n".join(steps))


def test_no_function_local_lms_imports():
    _, local = _graph()
    assert not local, "imports inside functions (import at module level; break cycles by layering):\n" + \
        "\n".join(local)


def test_the_checker_sees_a_cycle_and_a_local_import():
    """The checks can fail: a made-up graph with a cycle is reported, and a local import is found."""
    assert _cycle({"a": {"b": ["x"]}, "b": {"c": ["y"]}, "c": {"a": ["z"]}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b": ["x"]}, "b": {"core": ["y"]}}) is None
    tree = ast.parse("def f():\n    from lms.x import y\n")
    assert [in_function for _, in_function in _walk(tree)] == [True]
    assert _imported(ast.parse("from ..models import A").body[0], "lms.a.b.c", False) == ["lms.a.models"]
