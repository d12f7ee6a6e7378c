"""Benchmarks of the rules SDK (run: pytest tests/rules/test_benchmarks.py --benchmark-enable).

Without --benchmark-enable each runs once, as a smoke test. Numbers live in docs/performance.md.
"""
import pathlib

import kgw_rules
from benchmarks.rules_sources import statements_source
from kgw_rules.exchange import Request, Response
from kgw_rules.vm import run_exchange

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPEC_PROGRAM = (ROOT / "examples" / "rules" / "api.kgw").read_text()


def test_compile_1000_statements(benchmark):
    source = statements_source(1000)
    program = benchmark(kgw_rules.compile, source, "bench.kgw")
    assert len(program.code[0]) > 10_000


def test_reference_vm_per_request_spec_program(benchmark):
    program = kgw_rules.Program.from_bytes(kgw_rules.compile(SPEC_PROGRAM).to_bytes(strip=True))
    request = Request(url=b"/v1/users?id=3&debug=1", headers=[(b"authorization", b"Bearer t"),
                                                               (b"x-user-id", b" Alice "), (b"cookie", b"a=1")])
    response = Response(200, [(b"server", b"envoy")])
    outcome = benchmark(run_exchange, [program], request, response)
    assert outcome.request.url == b"/v2/users?id=3&lang=en"


def test_verify_spec_program(benchmark):
    blob = kgw_rules.compile(SPEC_PROGRAM).to_bytes(strip=True)
    assert benchmark(kgw_rules.Program.from_bytes, blob).to_bytes(strip=True) == blob
