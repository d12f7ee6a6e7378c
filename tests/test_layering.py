"""What may import what (architecture.md, stated once, here).

- kgw_rules never imports kgw_controller: the SDK is usable alone.
- kgw_rules.regex and kgw_rules.runtime are leaves: pure functions that import no other kgw module,
  so the Zig filter's twins have one small, self-contained reference each.
- the controller uses kgw_rules only through its public API (the package root and a few named modules).
"""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
RULES_PUBLIC = {"kgw_rules", "kgw_rules.filter", "kgw_rules.harness", "kgw_rules.exchange", "kgw_rules.engines"}


def imports(folder: pathlib.Path, package: str):
    for path in folder.rglob("*.py"):
        rel = path.relative_to(folder).with_suffix("")
        module = ".".join([package, *rel.parts]).removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield module, alias.name
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".")
                    is_pkg = path.name == "__init__.py"
                    base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module
                yield module, target


def test_rules_sdk_never_imports_the_controller():
    bad = [(m, t) for m, t in imports(ROOT / "kgw_rules", "kgw_rules") if t.startswith("kgw_controller")]
    assert not bad


def test_regex_and_runtime_are_leaves():
    for leaf in ("regex", "runtime"):
        prefix = f"kgw_rules.{leaf}"
        bad = [(m, t) for m, t in imports(ROOT / "kgw_rules" / leaf, prefix)
               if t.startswith("kgw_") and not t.startswith(prefix)]
        assert not bad, bad


def test_controller_uses_only_the_public_rules_api():
    bad = [(m, t) for m, t in imports(ROOT / "controller", "kgw_controller")
           if t.startswith("kgw_rules") and t not in RULES_PUBLIC and not t.startswith("kgw_rules.cli")]
    assert not bad, bad
