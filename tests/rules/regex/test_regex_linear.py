"""Matching stays linear on inputs that make backtracking engines explode."""
import random
import re
import time

import pytest

from kgw_rules.regex import compile_regex, pike, search

SIZE = 100_000


@pytest.mark.timeout(60)
@pytest.mark.parametrize("pattern,data,expected", [
    ("(a|aa)*b", b"a" * SIZE, None),
    ("(x+x+)+y", b"x" * SIZE, None),
    ("(a|aa)*$", b"a" * SIZE, [(0, SIZE), (SIZE - 1, SIZE)]),
    ("(.*)(.*)(.*)(.*)(.*)z", b"ab" * (SIZE // 2), None),
    ("(?i)(\\w+\\s?)*!", b"word " * (SIZE // 5), None),
])
def test_pathological_patterns_finish_quickly(pattern, data, expected):
    start = time.perf_counter()
    assert search(compile_regex(pattern), data) == expected
    assert time.perf_counter() - start < 20


def test_state_cache_overflow_keeps_results_right(monkeypatch):
    # [ab]*a[ab]{10} visits thousands of distinct thread lists; a tiny cache forces many resets.
    monkeypatch.setattr(pike, "_MAX_STATES", 16)
    rng = random.Random(7)
    data = bytes(rng.choice(b"ab") for _ in range(3000))
    pattern = "([ab]*)a([ab]{10})b"
    prog = compile_regex(pattern)
    oracle = re.compile(pattern.encode())
    for pos in range(0, 3000, 150):
        m = oracle.search(data, pos)
        assert m is not None and search(prog, data, pos) == [m.span(0), m.span(1), m.span(2)]
    assert isinstance(prog.matcher, pike.Matcher) and len(prog.matcher.states) <= 16
