"""Table tests for kgw_rules.runtime.strings (docs/runtime.md section 1)."""
import pytest

from kgw_rules.runtime import (
    contains,
    ends_with,
    int_of,
    lower,
    split_part,
    starts_with,
    substr,
    to_int,
    to_str,
    trim,
    upper,
    wrap_i64,
)

I64_MIN, I64_MAX = -(2**63), 2**63 - 1


@pytest.mark.parametrize("value, text", [
    (b"x y", b"x y"), (b"", b""), (True, b"true"), (False, b"false"), (0, b"0"), (-12, b"-12"),
    (I64_MIN, b"-9223372036854775808"), (I64_MAX, b"9223372036854775807"), (None, b""),
])
def test_to_str(value, text):
    assert to_str(value) == text


@pytest.mark.parametrize("value, n", [(7, 7), (-1, -1), (True, 0), (False, 0), (b"5", 0), (None, 0)])
def test_int_of(value, n):
    assert int_of(value) == n


@pytest.mark.parametrize("n, wrapped", [
    (0, 0), (I64_MAX, I64_MAX), (I64_MAX + 1, I64_MIN), (I64_MIN - 1, I64_MAX),
    (2 * I64_MAX + 2, 0), (-5, -5),
])
def test_wrap_i64(n, wrapped):
    assert wrap_i64(n) == wrapped


def test_lower_upper_ascii_only():
    assert lower("ÀB-c".encode()) == "Àb-c".encode()
    assert upper("àb-C\xff".encode("latin-1")) == "àB-C\xff".encode("latin-1")
    assert lower(bytes(range(256))) == bytes(c + 32 if 65 <= c <= 90 else c for c in range(256))
    assert upper(bytes(range(256))) == bytes(c - 32 if 97 <= c <= 122 else c for c in range(256))


@pytest.mark.parametrize("s, out", [
    (b" \t\x0b\x0ca b\r\n", b"a b"), (b"   ", b""), (b"", b""), (b"\x00a", b"\x00a"),
    (b"a\xa0", b"a\xa0"), (b"\xc2\x85a", b"\xc2\x85a"), (b"x", b"x"),
])
def test_trim(s, out):
    assert trim(s) == out


@pytest.mark.parametrize("args, out", [
    ((b"abcdef", 2, 3), b"cde"), ((b"abcdef", 2), b"cdef"), ((b"abcdef", -3, 2), b"ab"),
    ((b"abcdef", 4, 100), b"ef"), ((b"abcdef", 6), b""), ((b"abcdef", 99, 1), b""),
    ((b"abcdef", 1, -1), b""), ((b"abcdef", 1, 0), b""), ((b"abc", 1, I64_MAX), b"bc"),
    ((b"abc", I64_MIN, I64_MAX), b"abc"), ((b"", 0, 5), b""), ((b"abc", -1), b"abc"),
])
def test_substr(args, out):
    assert substr(*args) == out


@pytest.mark.parametrize("args, out", [
    ((b"a,b,c", b",", 1), b"b"), ((b"a,b,c", b",", 0), b"a"), ((b"a,b,c", b",", 2), b"c"),
    ((b"a,b,c", b",", 3), b""), ((b"a,b,c", b",", -1), b""), ((b",a,", b",", 0), b""),
    ((b",a,", b",", 1), b"a"), ((b",a,", b",", 2), b""), ((b"a::b", b"::", 1), b"b"),
    ((b"aaa", b"aa", 1), b"a"), ((b"abc", b"", 0), b"abc"), ((b"abc", b"", 1), b""),
    ((b"", b",", 0), b""), ((b"abc", b"x", 0), b"abc"), ((b"a,b", b",", I64_MAX), b""),
])
def test_split_part(args, out):
    assert split_part(*args) == out


def test_starts_ends_contains():
    assert starts_with(b"abc", b"ab") and not starts_with(b"abc", b"bc") and starts_with(b"", b"")
    assert ends_with(b"abc", b"bc") and not ends_with(b"abc", b"ab") and ends_with(b"abc", b"")
    assert contains(b"abc", b"b") and not contains(b"abc", b"ac") and contains(b"", b"")
    assert not starts_with(b"a", b"ab") and not ends_with(b"b", b"ab")


@pytest.mark.parametrize("s, n", [
    (b"0", 0), (b"-0", 0), (b"007", 7), (b"-12", -12), (b"9223372036854775807", I64_MAX),
    (b"-9223372036854775808", I64_MIN), (b"0" * 5000 + b"5", 5), (b"-" + b"0" * 30 + b"1", -1),
    (b"9223372036854775808", None), (b"-9223372036854775809", None), (b"1" * 5000, None),
    (b"", None), (b"-", None), (b" 1", None), (b"1 ", None), (b"+1", None), (b"1.0", None),
    ("١".encode(), None), (b"1_0", None), (b"--1", None), (b"0x10", None), (b"1\n", None),
])
def test_to_int(s, n):
    assert to_int(s) == n
