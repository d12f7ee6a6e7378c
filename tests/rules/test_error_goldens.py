"""Every error program renders exactly its golden diagnostics (file:line:col, source line, caret, hint)."""
import pathlib

import pytest

from kgw_rules import compile_with_diagnostics
from kgw_rules.diagnostics import render_all
from tests.golden import check_golden

HERE = pathlib.Path(__file__).parent / "errors"
PROGRAMS = sorted(HERE.glob("*.kgw"))


def test_there_are_at_least_forty_error_programs():
    assert len([p for p in PROGRAMS if not p.stem.startswith("warning_")]) >= 40


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.stem)
def test_rendered_diagnostics(path):
    source = path.read_text(encoding="utf-8")
    program, diags = compile_with_diagnostics(source, path.name)
    severities = {d.severity for d in diags}
    if path.stem.startswith("warning_"):
        assert program is not None and severities == {"warning"}
    else:
        assert program is None and "error" in severities
    check_golden(path.with_suffix(".err"), render_all(diags, path.name, source) + "\n")


def test_an_and_too_long_to_jump_over_is_reported_at_the_and():
    """The `and`/`or` twin of limit_if_body: generated, since such a file would be one 80 KB line."""
    terms = " and ".join(["n == 1"] * 8400)
    source = f"on request {{\n  let n = len(path)\n  let ok = {terms}\n}}\n"
    program, diags = compile_with_diagnostics(source, "and.kgw")
    assert program is None
    assert [(d.span.line, d.span.col, d.message.split(" compiles")[0]) for d in diags] == [(3, 12, "`and`")]
    assert "the limit is 65536 per phase" in diags[0].message
