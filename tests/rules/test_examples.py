"""The example rules programs: their cases pass, and their disassembly is the golden listing."""
import pathlib

import pytest

import kgw_rules
from kgw_rules.engines import get_engine
from kgw_rules.testing import run_file
from tests.golden import check_golden

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "rules").glob("*.kgw"))
GOLDEN = pathlib.Path(__file__).parent / "golden"


def test_examples_exist():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_cases_pass_on_the_reference_vm(path):
    report = run_file(path, get_engine("ref"))
    assert report.error is None, report.error
    assert report.results and all(r.passed for r in report.results), [r.mismatches for r in report.results]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_disassembly_is_golden(path):
    program = kgw_rules.compile(path.read_text(), path.name)
    check_golden(GOLDEN / (path.stem + ".disasm"), program.disassemble())


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_compilation_is_deterministic(path):
    source = path.read_text()
    assert kgw_rules.compile(source, path.name).to_bytes() == kgw_rules.compile(source, path.name).to_bytes()


def test_the_spec_program_compiles_to_at_most_half_its_source():
    """The size target of docs/performance.md, for the specification's first program (the other
    examples' ratios are measured by benchmarks/bytecode_size.py)."""
    source = (ROOT / "examples" / "rules" / "api.kgw").read_bytes()
    blob = kgw_rules.compile(source.decode(), "api.kgw").to_bytes(strip=True)
    assert len(blob) <= len(source) / 2, (len(blob), len(source))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_bytecode_round_trips_through_the_verifier(path):
    program = kgw_rules.compile(path.read_text(), path.name)
    for strip in (False, True):
        blob = program.to_bytes(strip=strip)
        again = kgw_rules.Program.from_bytes(blob)
        assert again.to_bytes(strip=strip) == blob
        assert (again.lines is None) == strip
