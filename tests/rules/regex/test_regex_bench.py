"""1 MB searches with patterns that are exponential for backtracking engines.

Run with timings: pytest tests/rules/regex/test_regex_bench.py --benchmark-enable
(by default pytest-benchmark is disabled and each case runs once as a plain test).
"""
import pytest

from kgw_rules.regex import compile_regex, search

MB = 1 << 20


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("pattern,data,expected", [
    ("(a|aa)*b", b"a" * MB, None),
    ("(x+x+)+y", b"x" * MB, None),
    ("(a|aa)*$", b"a" * MB, [(0, MB), (MB - 1, MB)]),
])
def test_search_one_megabyte(benchmark, pattern, data, expected):
    prog = compile_regex(pattern)
    result = benchmark.pedantic(search, args=(prog, data), rounds=1, iterations=1)
    assert result == expected
