"""replace_all follows RE2/Go: non-overlapping matches, and no empty match right after a match."""
import pytest

from kgw_rules.regex import compile_regex, replace_all


@pytest.mark.parametrize("pattern,data,repl,expected", [
    ("a*", b"baaaz", b"-", b"-b-z-"),  # the spec's example
    ("a*", b"", b"-", b"-"),
    ("a*", b"aaa", b"-", b"-"),
    ("a*", b"b", b"-", b"-b-"),
    ("x*", b"abc", b"-", b"-a-b-c-"),
    ("a|", b"aab", b"-", b"--b-"),
    ("", b"ab", b".", b".a.b."),
    ("\\b", b"ab cd", b"|", b"|ab| |cd|"),
    ("a*?", b"aa", b"-", b"-a-a-"),
    ("^", b"abc", b">", b">abc"),
    ("$", b"abc", b"<", b"abc<"),
    ("a", b"banana", b"o", b"bonono"),
    ("an", b"banana", b"", b"ba"),
    ("aa", b"aaaaa", b"b", b"bba"),  # matches do not overlap
    ("[0-9]+", b"a1b22c333", b"#", b"a#b#c#"),
    ("(?i)cat", b"Cat cAT dog", b"\\1$0", b"\\1$0 \\1$0 dog"),  # the replacement is literal bytes
    ("nomatch", b"text", b"x", b"text"),
    ("é", b"caf\xc3\xa9 \xc3\xa9t\xc3\xa9", b"e", b"cafe ete"),
    ("\\s+", b"  a \t b  ", b" ", b" a b "),
    ("^a", b"aaa", b"b", b"baa"),  # only the first position is the start of the text
])
def test_replace_all(pattern, data, repl, expected):
    assert replace_all(compile_regex(pattern), data, repl) == expected


def test_replace_all_on_a_large_body_is_quick():
    body = b"lorem ipsum dolor sit amet " * 4000
    out = replace_all(compile_regex("\\bipsum\\b"), body, b"IPSUM")
    assert out == body.replace(b"ipsum", b"IPSUM")
