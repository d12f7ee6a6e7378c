"""Table tests of matching semantics: captures, priorities, anchors, flags, bytes."""
import pytest

from kgw_rules.regex import compile_regex, search

# (pattern, input, expected search result: spans per group or None)
CASES = [
    # literals and leftmost match
    ("abc", b"xxabcabc", [(2, 5)]),
    ("abc", b"ab", None),
    ("", b"xyz", [(0, 0)]),
    # alternation: first alternative wins, not the longest
    ("a|ab", b"ab", [(0, 1)]),
    ("ab|a", b"ab", [(0, 2)]),
    ("(a|ab)(c|bcd)(d*)", b"abcd", [(0, 4), (0, 1), (1, 4), (4, 4)]),
    ("x(?:foo|foobar)", b"xfoobar", [(0, 4)]),
    # greedy versus lazy
    ("a+", b"aaa", [(0, 3)]),
    ("a+?", b"aaa", [(0, 1)]),
    ("a*?", b"aaa", [(0, 0)]),
    ("a??b", b"ab", [(0, 2)]),
    ("(a*?)(a*)", b"aaa", [(0, 3), (0, 0), (0, 3)]),
    ("<(.+)>", b"<a><b>", [(0, 6), (1, 5)]),
    ("<(.+?)>", b"<a><b>", [(0, 3), (1, 2)]),
    ("a{2,3}?", b"aaaa", [(0, 2)]),
    ("(?U)a+", b"aaa", [(0, 1)]),
    ("(?U)a+?", b"aaa", [(0, 3)]),
    # counted repetition
    ("a{3}", b"aaaa", [(0, 3)]),
    ("a{3}", b"aa", None),
    ("a{2,}", b"aaaaa", [(0, 5)]),
    ("a{1,2}b", b"aaab", [(1, 4)]),
    ("(ab){2}", b"ababab", [(0, 4), (2, 4)]),
    ("x{0}y", b"xy", [(1, 2)]),
    ("a{,2}", b"a{,2}", [(0, 5)]),  # not a valid repetition, so literal as in RE2
    # captures
    ("(?P<user>[a-z]+)@(?P<host>[a-z.]+)", b"mail bob@ex.org", [(5, 15), (5, 8), (9, 15)]),
    ("(?<y>\\d{4})-(\\d\\d)", b"on 2024-05", [(3, 10), (3, 7), (8, 10)]),
    ("(a)|(b)", b"b", [(0, 1), None, (0, 1)]),
    ("(?:(a)|b)+", b"ab", [(0, 2), (0, 1)]),  # a group keeps its last value across iterations
    ("(a*)*", b"b", [(0, 0), (0, 0)]),  # an empty iteration still sets the group, as in RE2/Go
    ("(a*)+", b"b", [(0, 0), (0, 0)]),
    ("(|a)*", b"aa", [(0, 0), (0, 0)]),
    ("(a|)*", b"aa", [(0, 2), (1, 2)]),
    ("()", b"x", [(0, 0), (0, 0)]),
    # anchors: ^ and $ are text start and very end only
    ("^abc", b"abc", [(0, 3)]),
    ("^abc", b"xabc", None),
    ("abc$", b"abc\n", None),
    ("abc$", b"xabc", [(1, 4)]),
    ("^$", b"", [(0, 0)]),
    ("^$", b"\n", None),
    ("\\Aa\\z", b"a", [(0, 1)]),
    ("a^b", b"ab", None),
    ("^*a", b"a", [(0, 1)]),
    # word boundaries (ASCII word bytes only)
    ("\\bfoo\\b", b"afoo foo", [(5, 8)]),
    ("\\Bo\\B", b"foo", [(1, 2)]),
    ("\\b", b"", None),
    ("\\B", b"", [(0, 0)]),
    ("\\b\\w+", b"  h\xc3\xa9llo", [(2, 3)]),
    ("foo\\b", b"foo\xc3\xa9", [(0, 3)]),
    # case-insensitive: ASCII letters only, scoped to the group
    ("(?i)hello", b"say HeLLo", [(4, 9)]),
    ("(?i:a)b", b"AB Ab", [(3, 5)]),
    ("a(?i)b|c", b"C", [(0, 1)]),  # the flag lasts to the end of the group, across |
    ("(?:(?i)a)a", b"AA Aa", [(3, 5)]),
    ("(?i)[^k]", b"Kk!", [(2, 3)]),
    ("(?i)[a-c]+", b"xAbC", [(1, 4)]),
    ("(?i)\\xc3\\xa9", b"\xc3\x89\xc3\xa9", [(2, 4)]),  # no folding above 0x7F
    ("(?i)k", b"\xe2\x84\xaa", None),  # the Kelvin sign is not folded to k
    ("(?i-i:a)", b"A", None),
    # classes and shorthands
    ("[a-c]+", b"xxabcd", [(2, 5)]),
    ("[^a-c]+", b"abc\nd", [(3, 5)]),  # a negated class matches newline
    ("[]a]+", b"x]a]", [(1, 4)]),
    ("[a-]+", b"x-a", [(1, 3)]),
    ("\\d+", b"ab123c", [(2, 5)]),
    ("\\D+", b"12ab3", [(2, 4)]),
    ("\\w+", b"-_aZ9-", [(1, 5)]),
    ("\\W+", b"ab-+cd", [(2, 4)]),
    ("\\s+", b"a \t\n\r\x0cb", [(1, 6)]),
    ("\\s", b"\x0b", None),  # \v is not \s in RE2
    ("\\S+", b"  ab ", [(2, 4)]),
    ("[\\d\\s]+", b"a1 2b", [(1, 4)]),
    ("[[:alpha:]]+", b"12abC3", [(2, 5)]),
    ("[[:^digit:]]+", b"12ab3", [(2, 4)]),
    ("[[:space:]]", b"\x0b", [(0, 1)]),
    ("[\\x00-\\x1f]", b"a\x01", [(1, 2)]),
    ("[.]", b"a.", [(1, 2)]),
    # dot and (?s)
    ("a.c", b"a\nc abc", [(4, 7)]),
    ("(?s)a.c", b"a\nc", [(0, 3)]),
    (".", b"\xff", [(0, 1)]),
    # escapes
    ("\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\", b".*+?()[]{}|^$\\", [(0, 14)]),
    ("\\x41\\x{42}", b"AB", [(0, 2)]),
    ("\\t\\n\\r\\f\\v\\a", b"\t\n\r\x0c\x0b\x07", [(0, 6)]),
    ("\\Q.*\\E+", b"..***", [(1, 5)]),
    ("a\\-b\\ c", b"a-b c", [(0, 5)]),
    # bytes >= 0x80: a non-ASCII character is its UTF-8 bytes, repeated as a unit
    ("é", b"caf\xc3\xa9", [(3, 5)]),
    ("é+", b"\xc3\xa9\xc3\xa9\xc3", [(0, 4)]),
    ("\\xe9", b"caf\xc3\xa9 caf\xe9", [(9, 10)]),
    ("[\\x80-\\xff]+", b"ab\xc3\xa9\xff!", [(2, 5)]),
    ("日本", b"x\xe6\x97\xa5\xe6\x9c\xac", [(1, 7)]),
]


@pytest.mark.parametrize("pattern,data,expected", CASES, ids=[f"{i}:{c[0]}" for i, c in enumerate(CASES)])
def test_search(pattern, data, expected):
    assert search(compile_regex(pattern), data) == expected


@pytest.mark.parametrize("pattern,data,pos,expected", [
    ("a", b"aXa", 1, [(2, 3)]),
    ("^a", b"aa", 1, None),  # ^ is the start of the text, not of the search
    ("\\ba", b"aa a", 1, [(3, 4)]),  # \b sees the byte before pos
    ("\\Ba", b"aa", 1, [(1, 2)]),
    ("", b"ab", 2, [(2, 2)]),
    ("", b"ab", 3, None),
    ("a$", b"aa", 1, [(1, 2)]),
])
def test_search_from_position(pattern, data, pos, expected):
    assert search(compile_regex(pattern), data, pos) == expected


def test_negative_position_is_rejected():
    with pytest.raises(ValueError):
        search(compile_regex("a"), b"a", -1)


def test_search_accepts_bytearray_and_memoryview():
    prog = compile_regex("b+")
    assert search(prog, bytearray(b"abbc")) == [(1, 3)]
    assert search(prog, memoryview(b"abbc")) == [(1, 3)]


@pytest.mark.parametrize("pattern,names", [
    ("a", (None,)),
    ("(a)(?P<x>b)(?:c)(?<y>d)", (None, None, "x", "y")),
])
def test_group_names_and_count(pattern, names):
    prog = compile_regex(pattern)
    assert prog.group_names == names
    assert prog.ngroups == len(names) - 1
