"""`kgw fmt`: the canonical layout, comments kept, the tree (and so the bytecode) unchanged, idempotent."""
import pathlib
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kgw_rules
from kgw_rules import CompileError
from kgw_rules.format import format_source
from kgw_rules.parser import parse
from kgw_rules.recovery import comments
from tests.golden import check_golden
from tests.rules.strategies import programs

ROOT = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).parent / "format"


def stripped(source: str) -> bytes:
    return kgw_rules.compile(source).to_bytes(strip=True)


def comment_texts(source: str) -> list[str]:
    return [source[a:b].rstrip() for a, b in comments(source)]


@pytest.mark.parametrize("path", sorted(HERE.glob("*.in.kgw")), ids=lambda p: p.name.split(".")[0])
def test_layout_golden(path):
    source = path.read_text()
    formatted = format_source(source)
    check_golden(path.with_name(path.name.replace(".in.", ".out.")), formatted)
    assert format_source(formatted) == formatted
    assert stripped(formatted) == stripped(source)
    assert comment_texts(formatted) == comment_texts(source)


def _messy(draw, source: str) -> str:
    """The same program laid out badly: odd indentation, blank lines, `;` joins, comments everywhere."""
    out: list[str] = []
    for line in source.split("\n"):
        line = line.strip()
        pad = " " * draw(st.integers(0, 5))
        if out and not out[-1].rstrip().endswith("{") and "#" not in out[-1] and line and not line.startswith("}") \
                and not out[-1].strip().startswith("}") and draw(st.booleans()):
            out[-1] += ";  " + line
            continue
        if draw(st.integers(0, 4)) == 0:
            out.append(pad + "# own line " + str(len(out)))
        if draw(st.integers(0, 4)) == 0:
            out.append("")
        out.append(pad + line + ("   # trailing " + str(len(out)) if draw(st.integers(0, 3)) == 0 else ""))
    return "\n".join(out)


@st.composite
def messy_programs(draw) -> str:
    return _messy(draw, draw(programs()))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_programs())
def test_formatting_is_idempotent_keeps_comments_and_never_changes_the_bytecode(source):
    formatted = format_source(source)
    assert format_source(formatted) == formatted
    assert stripped(formatted) == stripped(source)
    assert sorted(comment_texts(formatted)) == sorted(comment_texts(source))


def _rules_files() -> list[pathlib.Path]:
    return sorted((ROOT / "examples").rglob("*.kgw")) + sorted((ROOT / "tests" / "rules").rglob("*.kgw"))


@pytest.mark.parametrize("path", _rules_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_rules_file_in_the_repository_is_formatted(path):
    """`kgw fmt examples tests/rules` is a no-op; files with syntax errors (error goldens) are left alone."""
    source = path.read_text()
    if parse(source)[0] is None:
        assert path.parent.name == "errors"
        return
    if path.name.endswith(".in.kgw"):
        return  # formatter inputs are unformatted on purpose
    assert format_source(source) == source


def test_a_syntax_error_is_reported_not_formatted():
    with pytest.raises(CompileError) as err:
        format_source("on request {\n  set header x = lower(path\n}\n", "bad.kgw")
    assert "bad.kgw:2:23: error: this `(` is never closed" in str(err.value)


def _kgw(*args, stdin=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "kgw_controller.cli", *args], capture_output=True, text=True,
                          input=stdin, cwd=cwd, timeout=60)


def test_cli_check_rewrite_and_stdin(tmp_path):
    messy = tmp_path / "a.kgw"
    messy.write_text("on request {  set header x = \"1\"   # why\n}\n")
    neat = tmp_path / "b.kgw"
    neat.write_text("on request {\n  stop\n}\n")
    broken = tmp_path / "c.kgw"
    broken.write_text("on request {\n")

    r = _kgw("fmt", "--check", "--diff", str(tmp_path))
    assert r.returncode == 1
    assert f"would reformat {messy}" in r.stdout and str(neat) not in r.stdout
    assert '+  set header x = "1"  # why' in r.stdout
    assert "c.kgw:1:12: error: this `{` is never closed" in r.stderr
    assert messy.read_text().startswith("on request {  set")  # --check changes nothing

    r = _kgw("fmt", str(messy), str(neat))
    assert r.returncode == 0, r.stderr
    assert messy.read_text() == 'on request {\n  set header x = "1"  # why\n}\n'
    assert _kgw("fmt", "--check", str(messy), str(neat)).returncode == 0

    r = _kgw("fmt", "-", stdin="on response {set header x = \"2\"}")
    assert r.returncode == 0 and r.stdout == 'on response {\n  set header x = "2"\n}\n'
