"""What may import what (architecture.md, stated once, here).

- kgw_rules never imports kgw_controller: the SDK is usable alone.
- kgw_rules.wire (every byte format) imports nothing else of kgw_rules; kgw_rules.regex and
  kgw_rules.runtime are leaves above it: pure functions that import no other kgw module but the wire
  spec, so the Zig filter's twins have one small, self-contained reference each.
- the controller uses kgw_rules only through its public API (the package root and a few named modules).
- kgw_rules.harness (the filter under wasmtime) is test tooling: the controller never imports it, and no
  shipped module imports it at module level, so no control-plane process loads wasmtime. The one way
  to it outside tests/ and benchmarks/ is the lazy import behind `kgw test --engine wasm|both`.
- no import cycles between modules (an import inside a function counts; one under `if TYPE_CHECKING:`
  never runs, so it does not).
"""
from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator

ROOT = pathlib.Path(__file__).resolve().parents[1]
RULES_PUBLIC = {"kgw_rules", "kgw_rules.filter", "kgw_rules.wire", "kgw_rules.exchange", "kgw_rules.engines"}
# (folder, the package it installs as): the trees the cycle check covers
CYCLE_FREE = [(ROOT / "kgw_rules", "kgw_rules"), (ROOT / "controller", "kgw_controller")]
SHIPPED = [(ROOT / "kgw_rules", "kgw_rules"), (ROOT / "controller", "kgw_controller")]


def _modules(folder: pathlib.Path, package: str) -> Iterator[tuple[str, pathlib.Path]]:
    for path in sorted(folder.rglob("*.py")):
        rel = path.relative_to(folder).with_suffix("")
        yield ".".join([package, *rel.parts]).removesuffix(".__init__"), path


def _target(module: str, path: pathlib.Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if path.name == "__init__.py" else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING" or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


# Which import statements count: every one ("written"), those that can ever run ("runs": not under
# `if TYPE_CHECKING:`), or those that run when the module is imported ("on_import": not in functions either).
WRITTEN, RUNS, ON_IMPORT = "written", "runs", "on_import"


def _statements(body: list[ast.stmt], scope: str) -> Iterator[ast.stmt]:
    for node in body:
        yield node
        if scope == ON_IMPORT and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if scope != WRITTEN and isinstance(node, ast.If) and _is_type_checking(node):
            yield from _statements(node.orelse, scope)
            continue
        for field in ("body", "orelse", "finalbody", "handlers"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                yield from _statements([c for c in children if isinstance(c, ast.stmt | ast.excepthandler)], scope)


def imports(folder: pathlib.Path, package: str, scope: str = WRITTEN) -> Iterator[tuple[str, str]]:
    """(importing module, imported module) pairs; `from pkg import submodule` names the submodule."""
    known = {name for name, _ in _modules(folder, package)}
    for module, path in _modules(folder, package):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _statements(tree.body, scope):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield module, alias.name
            elif isinstance(node, ast.ImportFrom):
                target = _target(module, path, node)
                for alias in node.names:
                    yield module, f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components with more than one module, or with a self-import."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan; the graphs are a few hundred modules, recursion is fine
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph[v]:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_rules_sdk_never_imports_the_controller():
    bad = [(m, t) for m, t in imports(ROOT / "kgw_rules", "kgw_rules") if t.startswith("kgw_controller")]
    assert not bad


def test_the_wire_spec_imports_nothing_else_of_kgw_rules():
    bad = [(m, t) for m, t in imports(ROOT / "kgw_rules" / "wire", "kgw_rules.wire")
           if t.startswith("kgw_") and not t.startswith("kgw_rules.wire")]
    assert not bad, bad


def test_regex_and_runtime_are_leaves_above_the_wire_spec():
    for leaf in ("regex", "runtime"):
        prefix = f"kgw_rules.{leaf}"
        bad = [(m, t) for m, t in imports(ROOT / "kgw_rules" / leaf, prefix)
               if t.startswith("kgw_") and not t.startswith((prefix, "kgw_rules.wire"))]
        assert not bad, bad


def test_controller_uses_only_the_public_rules_api():
    bad = [(m, t) for m, t in imports(ROOT / "controller", "kgw_controller")
           if t.startswith("kgw_rules") and t not in RULES_PUBLIC and not t.startswith("kgw_rules.cli")]
    assert not bad, bad


def test_the_controller_never_imports_the_harness():
    bad = [(m, t) for m, t in imports(ROOT / "controller", "kgw_controller") if t.startswith("kgw_rules.harness")]
    assert not bad, bad


def test_no_shipped_module_imports_the_harness_on_import():
    bad = [(m, t) for folder, package in SHIPPED for m, t in imports(folder, package, ON_IMPORT)
           if t.startswith("kgw_rules.harness") and not m.startswith("kgw_rules.harness")]
    assert not bad, bad


def test_there_are_no_import_cycles():
    """A function-level import closes a cycle as surely as a top-level one (it only runs later)."""
    edges = {(m, t) for folder, package in CYCLE_FREE for m, t in imports(folder, package, RUNS)}
    assert cycles(edges) == []


def test_the_cycle_check_finds_cycles_and_skips_type_checking_imports(tmp_path):
    pkg = tmp_path / "p"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("from .c import f\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    assert cycles(set(imports(pkg, "p", RUNS))) == []
    (pkg / "c.py").write_text("def f():\n    import p.a\n")
    assert cycles(set(imports(pkg, "p", RUNS))) == [["p.a", "p.b", "p.c"]]
    assert cycles(set(imports(pkg, "p", ON_IMPORT))) == []
