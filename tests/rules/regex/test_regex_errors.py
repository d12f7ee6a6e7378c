"""Pattern errors: exact message, character offset and length (for the compiler's caret)."""
import pytest

from kgw_rules.regex import (
    MAX_GROUPS,
    MAX_INSTRUCTIONS,
    MAX_NESTING,
    MAX_PATTERN_BYTES,
    RegexError,
    compile_regex,
)

LINEAR = "kgw regexes run in linear time (RE2 syntax)"

# (pattern, message, offset, length)
ERRORS = [
    ("a(?=b)", f"look-ahead is not supported: {LINEAR}", 1, 3),
    ("(?!x)", f"look-ahead is not supported: {LINEAR}", 0, 3),
    ("(?<=a)b", f"look-behind is not supported: {LINEAR}", 0, 4),
    ("x(?<!a)b", f"look-behind is not supported: {LINEAR}", 1, 4),
    ("(a)\\1", f"back-references (\\1) are not supported: {LINEAR}", 3, 2),
    ("(?P<x>a)\\k<x>", f"back-references (\\k) are not supported: {LINEAR}", 8, 2),
    ("(?P<x>a)(?P=x)", f"back-references ((?P=name)) are not supported: {LINEAR}", 8, 4),
    ("a(b", "missing closing ): this ( is not closed", 1, 1),
    ("((a)", "missing closing ): this ( is not closed", 0, 1),
    ("a)b", "unbalanced parenthesis: this ) has no matching (", 1, 1),
    ("a**", "invalid nested repetition operator `**`", 1, 2),
    ("a+*", "invalid nested repetition operator `+*`", 1, 2),
    ("a*??", "invalid nested repetition operator `*??`", 1, 3),
    ("a{2}{3}", "invalid nested repetition operator `{2}{3}`", 1, 6),
    ("*a", "missing argument to repetition operator `*`", 0, 1),
    ("a|*", "missing argument to repetition operator `*`", 2, 1),
    ("(+)", "missing argument to repetition operator `+`", 1, 1),
    ("x(?i)?", "missing argument to repetition operator `?`", 5, 1),
    ("{2}", "missing argument to repetition operator `{2}`", 0, 3),
    ("a{3,2}", "invalid repetition {3,2}: the minimum is greater than the maximum", 1, 5),
    ("a{1001}", "repetition count 1001 is over the limit of 1000", 1, 6),
    ("a{2,1001}", "repetition count 1001 is over the limit of 1000", 1, 8),
    ("(?P<x>a)(?P<x>b)", "duplicate capture group name `x`", 12, 1),
    ("(?P<1x>a)", "invalid capture group name `1x`", 4, 2),
    ("(?<a-b>a)", "invalid capture group name `a-b`", 3, 3),
    ("(?P<>a)", "invalid capture group name ``", 4, 1),
    ("(?P<x", "missing > after the group name", 0, 5),
    ("[]", "missing closing ] of the class", 0, 2),
    ("ab[cd", "missing closing ] of the class", 2, 3),
    ("[^\\x00-\\xff]", "empty class: it matches no byte", 0, 12),
    ("[^\\d\\D]", "empty class: it matches no byte", 0, 7),
    ("[z-a]", "invalid class range z-a: the end is below the start", 1, 3),
    ("[\\d-z]", "invalid class range: a class such as \\d cannot be a range end", 1, 4),
    ("[é]", "non-ASCII character in a class: kgw regexes match bytes", 1, 1),
    ("[[:foo:]]", "unknown POSIX class [:foo:]", 1, 7),
    ("[\\b]", "\\b is not allowed inside a class", 1, 2),
    ("\\q", "invalid escape \\q", 0, 2),
    ("ab\\", "trailing backslash at the end of the pattern", 2, 1),
    ("\\xZZ", "invalid escape \\x: expected two hex digits (\\x41) or \\x{41}", 0, 4),
    ("\\x{}", "invalid escape \\x{...}: expected hex digits and a closing }", 0, 4),
    ("\\x{4", "invalid escape \\x{...}: expected hex digits and a closing }", 0, 4),
    ("\\x{100}", "\\x{100} is above 0xFF: kgw regexes match bytes", 0, 7),
    ("\\Z", "\\Z is not supported: use \\z or $, which match only at the very end of the text", 0, 2),
    ("\\p{L}", "Unicode classes (\\p) are not supported: kgw regexes match bytes", 0, 2),
    ("(?z)", "unknown group syntax `(?z`", 0, 3),
    ("(?iz)", "unknown flag `(?iz`", 0, 4),
    ("(?#c)", "unknown group syntax `(?#`", 0, 3),
    ("(?m)a", "flag m (multi-line) is not supported: ^ and $ match only at the start and end of the text", 2, 1),
    ("(?)", "missing flag in a flag group", 0, 3),
    ("(?i-)", "missing flag in a flag group", 0, 5),
    ("(?i", "missing closing ): this ( is not closed", 0, 1),
]


@pytest.mark.parametrize("pattern,message,offset,length", ERRORS, ids=[e[0] for e in ERRORS])
def test_pattern_error(pattern, message, offset, length):
    with pytest.raises(RegexError) as info:
        compile_regex(pattern)
    err = info.value
    assert (err.message, err.offset, err.length) == (message, offset, length)
    assert str(err) == message
    assert err.offset >= 0 and err.offset + err.length <= len(pattern)


@pytest.mark.parametrize("pattern,hint", [
    ("a**", "to repeat a repetition, wrap it in (?:...)"),
    ("*", "escape it with a backslash to match it literally"),
    ("[é]", "use an alternation such as (?:é|è), or \\xHH for a single byte"),
    ("()" * (MAX_GROUPS + 1), "use (?:...) for groups that need no capture"),
])
def test_pattern_error_hint(pattern, hint):
    with pytest.raises(RegexError) as info:
        compile_regex(pattern)
    assert info.value.hint == hint


def test_offsets_count_characters_not_bytes():
    with pytest.raises(RegexError) as info:
        compile_regex("ééé(?=x)")
    assert (info.value.offset, info.value.length) == (3, 3)


def test_pattern_byte_limit_counts_utf8_bytes():
    compile_regex("x" * MAX_PATTERN_BYTES)
    with pytest.raises(RegexError) as info:
        compile_regex("é" * (MAX_PATTERN_BYTES // 2) + "x")
    assert info.value.message == f"regex pattern is {MAX_PATTERN_BYTES + 1} bytes; the limit is {MAX_PATTERN_BYTES}"
    assert (info.value.offset, info.value.length) == (0, MAX_PATTERN_BYTES // 2 + 1)


def test_instruction_limit_names_the_count():
    assert len(compile_regex("a{1000}b{1000}c{47}").insts) == MAX_INSTRUCTIONS
    with pytest.raises(RegexError) as info:
        compile_regex("a{1000}b{1000}c{48}")
    assert info.value.message == f"regex compiles to 2049 matcher instructions; the limit is {MAX_INSTRUCTIONS}"
    with pytest.raises(RegexError) as info:
        compile_regex("((a{100}){10}){3}")  # counted from the tree, never expanded
    assert info.value.message == f"regex compiles to 3067 matcher instructions; the limit is {MAX_INSTRUCTIONS}"


def test_group_limit():
    assert compile_regex("(a)" * MAX_GROUPS).ngroups == MAX_GROUPS
    with pytest.raises(RegexError) as info:
        compile_regex("(a)" * MAX_GROUPS + "(b)")
    assert info.value.message == f"too many capture groups: the limit is {MAX_GROUPS}"
    assert info.value.offset == 3 * MAX_GROUPS


def test_nesting_limit():
    compile_regex("(?:" * MAX_NESTING + ")" * MAX_NESTING)
    with pytest.raises(RegexError) as info:
        compile_regex("(?:" * (MAX_NESTING + 1) + ")" * (MAX_NESTING + 1))
    assert info.value.message == f"groups are nested too deeply: the limit is {MAX_NESTING}"
    assert info.value.offset == 3 * MAX_NESTING


def test_lone_surrogate_is_an_error():
    with pytest.raises(RegexError) as info:
        compile_regex("ab\ud800")
    assert info.value.offset == 2


def test_non_string_pattern_is_a_type_error():
    with pytest.raises(TypeError):
        compile_regex(b"abc")


@pytest.mark.parametrize("pattern", [
    "a{", "a{x}", "a{,3}", "}", "]", "a{1", "[[:alpha:]-]", "(?i)(?-i)a", "(?s-i:.)", "(?P<_x1>a)", "(?<Ab>a)",
    "\\ ", "\\#", "[\\-]", "[a\\]]", "(?:)", "|", "a||b", "()", "\\Q(\\E", "[[:^alpha:][:digit:]]", "[[a]",
])
def test_accepted_patterns(pattern):
    prog = compile_regex(pattern)
    assert prog.insts[-1][0] == 0  # ends with MATCH
