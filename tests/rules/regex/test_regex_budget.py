"""The replace-all work budget (docs/regex.md, "Complexity"): where a search stops, the work a
replace-all counts, and the budget 4 * len(input) + 65536 that makes a pathological pattern give up
instead of running in quadratic time."""
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from regex_gen import INPUTS, PATTERNS

from kgw_rules.regex import (
    REPLACE_BUDGET_BASE,
    REPLACE_BUDGET_FACTOR,
    compile_regex,
    pike,
    replace_all,
    replace_all_budgeted,
    replace_budget,
    search,
    search_stop,
)
from kgw_rules.wire.regex import (
    ANY,
    ANY_NOT_NL,
    ASSERT,
    BYTE,
    BYTE_FOLD,
    CLASS,
    JMP,
    MATCH,
    NOT_WORD_BOUNDARY,
    SAVE,
    SPLIT,
    TEXT_END,
    TEXT_START,
    WORD_BOUNDARY,
)


# (pattern, input, start, group 0 or None, stop). Each stop follows from the definition: the first
# position, once a match is found, whose thread list cut at its first MATCH is empty; else the end.
@pytest.mark.parametrize("pattern,data,pos,span,stop", [
    ("a", b"aaaa", 0, (0, 1), 1),  # the MATCH thread is the only one left at 1
    ("a", b"aaaa", 2, (2, 3), 3),
    ("a+", b"aaab", 0, (0, 3), 4),  # the greedy loop outranks MATCH at 3 and dies on b: empty at 4
    ("a+", b"aaa", 0, (0, 3), 3),  # the loop is still alive at the end of the input
    ("a+?", b"aaa", 0, (0, 1), 1),  # lazy: MATCH outranks the loop, which is cut
    ("a*", b"bbbb", 0, (0, 0), 1),  # empty match at 0, the loop thread still steps over b
    ("a*", b"bbbb", 4, (4, 4), 4),
    ("a|ab", b"abab", 0, (0, 1), 1),  # leftmost-first: a's MATCH cuts the ab thread
    ("ab|a", b"ac", 0, (0, 1), 2),  # the ab thread outranks a's MATCH and dies on c
    ("a*c|a", b"aaaxaa", 0, (0, 1), 4),  # the a*c thread scans the run of a and dies on x
    ("\\w*b|a", b"aaaa", 1, (1, 2), 4),  # the \w*b thread lives to the end of the input
    ("x", b"abc", 0, None, 3),  # no match: the end, although the matcher skips ahead to x
    ("x", b"xbc", 1, None, 3),
    ("^a|^b", b"ab", 1, None, 2),  # no thread can start after 0: still the end
    ("^a", b"ab", 0, (0, 1), 1),
    ("b", b"aab", 0, (2, 3), 3),  # the first-byte skip lands on b; the stop is where it matched
    ("\\bfoo\\b", b"foo foobar foo", 1, (11, 14), 14),
])
def test_search_stop(pattern, data, pos, span, stop):
    prog = compile_regex(pattern)
    for _ in range(2):  # the second run goes through the step cache: same stop
        groups, got = search_stop(prog, data, pos)
        assert (None if groups is None else groups[0], got) == (span, stop)
        assert search(prog, data, pos) == groups


def _naive_search_stop(prog, data: bytes, pos: int):
    """docs/regex.md's search pseudocode, transcribed without caches, skips or captures; returns
    (group 0 or None, stop), stop by the definition the budget uses."""
    n = len(data)

    def is_word(i):
        return 0 <= i < n and (chr(data[i]).isascii() and chr(data[i]).isalnum() or data[i] == 0x5F)

    def holds(kind, p):
        return {TEXT_START: p == 0, TEXT_END: p == n, WORD_BOUNDARY: is_word(p - 1) != is_word(p),
                NOT_WORD_BOUNDARY: is_word(p - 1) == is_word(p)}[kind]

    def add(lst, seen, pc, start, p):
        stack = [pc]
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            op, a, b = prog.insts[pc]
            if op == JMP:
                stack.append(a)
            elif op == SPLIT:
                stack += [b, a]  # a first, completely, then b
            elif op == SAVE:
                stack.append(pc + 1)
            elif op == ASSERT:
                if holds(a, p):
                    stack.append(pc + 1)
            else:
                lst.append((pc, start))

    def consumes(pc, c):
        op, a, _ = prog.insts[pc]
        return (op == BYTE and a == c or op == CLASS and prog.classes[a] >> c & 1 or op == ANY
                or op == ANY_NOT_NL and c != 10 or op == BYTE_FOLD and c | 0x20 == a)

    clist, matched, p = [], None, pos
    add(clist, set(), 0, pos, pos)
    while True:
        nlist, seen, cut = [], set(), len(clist)
        for i, (pc, start) in enumerate(clist):
            if prog.insts[pc][0] == MATCH:
                matched, cut = (start, p), i
                break
            if p < n and consumes(pc, data[p]):
                add(nlist, seen, pc + 1, start, p + 1)
        if matched is not None and cut == 0:
            return matched, p
        if p == n:
            return matched, n
        if matched is None:
            add(nlist, seen, 0, p + 1, p + 1)
        clist, p = nlist, p + 1


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PATTERNS, INPUTS, st.integers(min_value=0, max_value=12))
def test_stop_agrees_with_a_plain_pike_vm(gen, data, pos):
    # the cached matcher (state interning, first-byte skip, anchored shortcut) reports the stop of
    # the textbook VM, which is what the Zig matcher runs
    prog = compile_regex(gen.ours)
    pos = min(pos, len(data))
    groups, stop = search_stop(prog, data, pos)
    assert (None if groups is None else groups[0], stop) == _naive_search_stop(prog, data, pos), (gen.ours, data, pos)


def test_stop_survives_cache_resets(monkeypatch):
    # a tiny state cache is cleared over and over mid-search: the stops must not move
    rng = random.Random(11)
    data = bytes(rng.choice(b"ab") for _ in range(2000))
    pattern = "[ab]*a[ab]{6}b|a"
    want = [_naive_search_stop(compile_regex(pattern), data, p) for p in range(0, 2000, 97)]
    monkeypatch.setattr(pike, "_MAX_STATES", 8)
    prog = compile_regex(pattern)
    got = [search_stop(prog, data, p) for p in range(0, 2000, 97)]
    assert [(None if g is None else g[0], s) for g, s in got] == want


@pytest.mark.parametrize("pattern,data,result,work", [
    ("a", b"aaaa", b"----", 4),  # one byte per match, the last (failed) search starts at the end
    ("a+", b"aaab", b"-b", 5),  # 0..4, then 3..4 finds nothing
    ("a*", b"bbbb", b"-b-b-b-b-", 4),  # empty matches: one byte each
    ("x", b"abc", b"abc", 3),  # a failed search counts to the end
    ("\\w*b|a", b"a" * 10, b"-" * 10, 55),  # 10 + 9 + ... + 1: quadratic
    ("a*c|a", b"a" * 10, b"-" * 10, 55),
    ("\\w*b|a", b"aaaaz", b"----z", 5 + 4 + 3 + 2 + 1),  # each search scans to the end (z is \w)
    # the space ends each scan: 0..5, 1..5, 2..5, 3..5, then from 4 the match at 5 scans to the end
    ("\\w*b|a", b"aaaa aaaa", b"---- ----", (5 + 4 + 3 + 2) + (5 + 3 + 2 + 1)),
])
def test_replace_work(pattern, data, result, work):
    assert replace_all_budgeted(compile_regex(pattern), data, b"-") == (result, work)


def test_budget_rule():
    assert (REPLACE_BUDGET_FACTOR, REPLACE_BUDGET_BASE) == (4, 65536)
    assert replace_budget(0) == 65536
    assert replace_budget(1 << 20) == 4 * (1 << 20) + 65536


def test_budget_boundary_is_exact():
    prog = compile_regex("\\w*b|a")
    # on a run of n a's the work is n(n+1)/2: 365 bytes fit in 4n + 65536, 366 do not
    assert replace_budget(365) >= 365 * 366 // 2 and replace_budget(366) < 366 * 367 // 2
    assert replace_all_budgeted(prog, b"a" * 365, b"-") == (b"-" * 365, 365 * 366 // 2)
    out, work = replace_all_budgeted(prog, b"a" * 366, b"-")
    assert out is None and work > replace_budget(366)
    # an explicit budget: exactly enough passes, one byte less gives up
    assert replace_all_budgeted(prog, b"a" * 50, b"-", budget=1275) == (b"-" * 50, 1275)
    assert replace_all_budgeted(prog, b"a" * 50, b"-", budget=1274)[0] is None


def test_giving_up_is_checked_after_each_search():
    # real work stays under budget + len(input): the search that crosses the budget is the last
    prog = compile_regex("\\w*b|a")
    n = 100_000
    out, work = replace_all_budgeted(prog, b"a" * n, b"-")
    assert out is None
    assert replace_budget(n) < work <= replace_budget(n) + n


def test_short_inputs_are_never_cut():
    # any pattern: the work is at most n(n+1)/2, within 4n + 65536 for n <= 365
    worst = compile_regex("\\w*b|a")
    for n in (0, 1, 100, 365):
        assert replace_all_budgeted(worst, b"a" * n, b"-")[0] == b"-" * n


@pytest.mark.parametrize("pattern", [
    "\\d+", "\\s+", "secret-\\d+", "\\bfoo\\b", "[A-Z][a-z]+", "\"password\":\"[^\"]*\"", "a*", "(?i)bearer [\\w.-]+",
    "x", "\\w+@\\w+\\.com",
])
def test_normal_patterns_use_about_one_pass(pattern):
    # the budget is meant for pathological patterns: ordinary ones step over each byte about once
    rng = random.Random(pattern)
    words = [b"foo", b"Bar", b"12345", b"secret-42", b"bearer abc.def", b"a@b.com", b'"password":"x"', b"\t", b"aaa"]
    data = b" ".join(rng.choice(words) for _ in range(20_000))
    out, work = replace_all_budgeted(compile_regex(pattern), data, b"#")
    assert out == replace_all(compile_regex(pattern), data, b"#")
    assert work <= 1.5 * len(data), work / len(data)
