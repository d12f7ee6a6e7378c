"""Differential tests: the Pike VM agrees with Python's re (bytes mode) on generated patterns."""
import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from regex_gen import INPUTS, PATTERNS

from kgw_rules.regex import compile_regex, replace_all, search

SETTINGS = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def python_groups(m, ngroups):
    if m is None:
        return None
    return [m.span(0)] + [None if m.start(k) < 0 else m.span(k) for k in range(1, ngroups + 1)]


@SETTINGS
@given(PATTERNS, INPUTS, st.integers(min_value=0, max_value=30))
def test_search_agrees_with_python_re(gen, data, pos):
    prog = compile_regex(gen.ours)
    oracle = re.compile(gen.py.encode("ascii"))
    assert prog.ngroups == oracle.groups
    assume(data or "\\B" not in gen.py)  # Python's \B never matches in an empty string; RE2's does
    got = search(prog, data, pos)
    want = python_groups(oracle.search(data, pos), oracle.groups) if pos <= len(data) else None
    assert got == want, (gen.ours, gen.py, data, pos)


@SETTINGS
@given(PATTERNS.filter(lambda g: not g.nullable), INPUTS, st.binary(max_size=3))
def test_replace_all_agrees_with_re_sub_when_no_empty_match(gen, data, repl):
    prog = compile_regex(gen.ours)
    oracle = re.compile(gen.py.encode("ascii"))
    assume(data or "\\B" not in gen.py)
    if oracle.search(b"") is not None or oracle.search(data) is not None and any(
            m.start() == m.end() for m in oracle.finditer(data)):
        return  # empty matches are where RE2 and Python differ; covered by the table tests
    assert replace_all(prog, data, repl) == oracle.sub(lambda _: repl, data), (gen.ours, data)


@settings(max_examples=150, deadline=None)
@given(PATTERNS)
def test_named_groups_are_reported_in_order(gen):
    prog = compile_regex(gen.ours)
    oracle = re.compile(gen.py.encode("ascii"))
    names = [None] * (oracle.groups + 1)
    for name, index in oracle.groupindex.items():
        names[index] = name
    assert list(prog.group_names) == names
