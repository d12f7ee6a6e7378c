"""env() and random_id(): checking, compiling, the reference VM's host context, and case files
(`env:` and `matches:`)."""
import pytest

import kgw_rules
from kgw_rules.cases import CaseFileError, compare, load_cases
from kgw_rules.diagnostics import CompileError
from kgw_rules.engines import get_engine
from kgw_rules.exchange import HostContext, Request
from kgw_rules.testing import run_file
from kgw_rules.vm import run_exchange


@pytest.mark.parametrize("source, message", [
    ('let r = env("A")\non request { set header x = default(r, "") }',
     "top-level `let` must be a constant; `env()` depends on the filter's environment"),
    ('let r = random_id()\non request { set header x = r }',
     "top-level `let` must be a constant; `random_id()` depends on a random draw per request"),
    ('on request { set header x = default(env("A{path}"), "") }', "env() takes a literal"),
    ('on request { set header x = default(env("A=B"), "") }', "cannot contain `=`"),
    ('on request { set header x = default(env(""), "") }', "env() needs a non-empty name"),
    ('on request { set header x = random_id("a") }', "`random_id` takes 0 arguments, found 1"),
    ('on request { if env("A") { stop } }', "found string?"),  # absent when unset
])
def test_misuse_is_a_precise_error(source, message):
    with pytest.raises(CompileError) as err:
        kgw_rules.compile(source)
    assert message in str(err.value)


def test_opcodes_and_environment_names():
    program = kgw_rules.compile('on request {\n  set header x-a = default(env("B"), "") + random_id()\n}\n'
                                'on response { if exists(env("A")) and env("B") == "1" { stop } }')
    names = [line.split()[1] for line in program.disassemble().splitlines()[6:] if line.strip()]
    assert "ENV" in names and "RANDOM_ID" in names
    assert program.environment_names() == ["A", "B"]  # sorted, each once
    assert kgw_rules.compile('on request { set header x = "a" }').environment_names() == []


def test_the_reference_vm_reads_the_host_context():
    program = kgw_rules.compile('on request {\n  set header x-a = default(env("A"), "-")\n'
                                '  set header x-r = random_id()\n}')
    out = run_exchange([program], Request(), None, HostContext({b"A": b"1"}, lambda n: b"\xff" * n))
    assert out.request.headers == [(b"x-a", b"1"), (b"x-r", b"_" * 21 + b"w")]
    default = run_exchange([program], Request(), None)  # empty env, os.urandom
    assert dict(default.request.headers)[b"x-a"] == b"-" and len(dict(default.request.headers)[b"x-r"]) == 22


def test_seeded_and_split_streams_repeat():
    a, b = HostContext.seeded("case-1"), HostContext.seeded("case-1")
    assert a.random_bytes(16) == b.random_bytes(16) != HostContext.seeded("case-2").random_bytes(16)
    x, y = HostContext({b"K": b"v"}).split()
    first = x.random_bytes(5) + x.random_bytes(11)
    assert y.random_bytes(16) == first and x.env == y.env == {b"K": b"v"}


CASES = '''cases:
  - name: env and shape
    env: {GREETING: hello}
    expect:
      request:
        headers: {x-g: hello}
        matches: {x-id: "id-[A-Za-z0-9_-]{22}"}
  - name: shape mismatch is reported
    expect:
      request:
        matches: {x-id: "[0-9]+", x-none: "a"}
'''


def test_case_files_take_env_and_matches(tmp_path):
    rules = tmp_path / "r.kgw"
    rules.write_text('on request {\n  set header x-g = default(env("GREETING"), "-")\n'
                     '  set header x-id = "id-{random_id()}"\n}\n')
    (tmp_path / "r.test.yaml").write_text(CASES)
    for engine in ("ref", "both"):  # both: one random stream for the two engines, no mismatch
        report = run_file(rules, get_engine(engine))
        assert report.error is None
        ok, bad = report.results
        assert ok.passed, ok.mismatches
        assert bad.mismatches[0].startswith('request.headers.x-id: expected one value matching "[0-9]+", got "id-')
        assert bad.mismatches[1] == 'request.headers.x-none: expected one value matching "a", got absent'


def test_a_bad_matches_regex_is_a_load_error():
    with pytest.raises(CaseFileError, match=r"t.yaml:5:\d+: error: .*matches.x: bad regex"):
        load_cases("t.yaml", "cases:\n  - name: a\n    expect:\n      request:\n        matches: {x: \"(\"}\n")


def test_matches_needs_exactly_one_value():
    case = load_cases("t.yaml", 'cases:\n  - name: a\n    expect: {request: {matches: {x: "a"}}}\n')[0]
    two = kgw_rules.exchange.Outcome(Request(headers=[(b"x", b"a"), (b"x", b"a")]), None, None)
    assert compare(case, two) == ['request.headers.x: expected one value matching "a", got "a", "a"']
