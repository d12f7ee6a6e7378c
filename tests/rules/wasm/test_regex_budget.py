"""The replace-all work budget in the filter: the Zig matcher counts the same work as the reference
VM (docs/regex.md, Complexity), byte for byte, so both give up on exactly the same inputs."""
from __future__ import annotations

import random

import pytest

import kgw_rules
from kgw_rules.engines import outcome_difference, reference_engine
from kgw_rules.exchange import Request
from kgw_rules.harness import WasmEngine
from kgw_rules.regex import compile_regex, replace_all_budgeted, replace_budget

ENGINE = WasmEngine()

# Quadratic on a run of `a`, each with a different way for a search to stop: a scan to the end, a
# scan cut by a non-word byte or a negated class, empty matches, a lazy loop, `$`, captures, word
# boundaries, and (`-` in the padding) a match that no thread outranks, so the search stops right at
# its end (the case a matcher stopping one byte later would miscount).
PATTERNS = ["\\w*b|a", "a*c|a", "[ab]*c|(a)|b*", "a+c|a+?", "a*c|a|$", "[^-]*x|[^-]", "(a|b)*?c|a|\\B",
            "\\w*c|\\ba|a\\B|a", "\\w*b|a|-"]


def _excess(prog, data: bytes) -> int:
    """Work over the budget (negative: under it), counted by the reference matcher with no limit."""
    return replace_all_budgeted(prog, data, b"-", budget=1 << 62)[1] - replace_budget(len(data))


def _first(lo: int, hi: int, pred) -> int:
    while lo < hi:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _straddle(pattern: str) -> list[tuple[bytes, int]]:
    """Inputs `a`*k + tail + `-`*j whose work is within a few bytes of the budget, on both sides:
    k is the shortest run over the budget, then the `-` padding (which moves the budget by 4 a byte
    and the work by less, or more for `.`) is searched for the sign change nearest to zero."""
    prog = compile_regex(pattern)
    rng = random.Random(pattern)
    tail = bytes(rng.choice(b"ab -") for _ in range(16))
    k = _first(1, 2000, lambda k: _excess(prog, b"a" * k + tail) > 0)
    if _excess(prog, b"a" * k + tail + b"-") < _excess(prog, b"a" * k + tail):
        def make(j):
            return b"a" * k + tail + b"-" * j
        j = _first(0, 2000, lambda j: _excess(prog, make(j)) <= 0)
    else:  # the padding adds work faster than budget: pad the run one shorter, which is under
        def make(j):
            return b"a" * (k - 1) + tail + b"-" * j
        j = _first(0, 2000, lambda j: _excess(prog, make(j)) > 0)
    return [(make(j - 1), _excess(prog, make(j - 1))), (make(j), _excess(prog, make(j)))]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_both_engines_give_up_at_the_same_byte(pattern):
    blob = kgw_rules.compile(f'on request {{ set header x-r = replace(header("x"), r"{pattern}", "-") }}',
                             "budget.kgw").to_bytes(strip=True)
    pair = _straddle(pattern)
    excesses = sorted(e for _, e in pair)
    # one input just under or at the budget, one just over, a few bytes apart: a matcher whose stop
    # were one byte off on even a handful of the ~365 searches would land on the other side
    assert excesses[0] <= 0 < excesses[1] and excesses[1] - excesses[0] <= 8, excesses
    for data, excess in pair:
        req = Request(headers=[(b"x", data)])
        ref = reference_engine([blob], req, None)
        wasm = ENGINE.run([blob], req, None)
        assert outcome_difference(ref, wasm) == [], (pattern, excess)
        assert wasm.skipped == (["regex_budget"] if excess > 0 else []), (pattern, excess)
        got = dict(wasm.request.headers)[b"x-r"]
        assert (got == data) == (excess > 0), (pattern, excess)  # over budget: the value is kept
