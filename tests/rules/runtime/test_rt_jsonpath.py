"""Table tests for kgw_rules.runtime.jsonpath (docs/runtime.md section 6)."""
import pytest

from kgw_rules.runtime import JsonPathError, parse_path, parse_path_bytes


@pytest.mark.parametrize("path, segments", [
    ("user.id", [b"user", b"id"]), ("items[0].name", [b"items", 0, b"name"]),
    ("a[1][2]", [b"a", 1, 2]), ("[3].x", [3, b"x"]), ("a b.$c-d", [b"a b", b"$c-d"]),
    ("a.0", [b"a", b"0"]), ("a[999999999]", [b"a", 999999999]), ("é.\"q\"", ["é".encode(), b'"q"']),
    ("a." * 63 + "a", [b"a"] * 64), ("[0]", [0]),
])
def test_parse_path(path, segments):
    assert parse_path(path) == segments
    assert parse_path_bytes(path.encode()) == segments


@pytest.mark.parametrize("path, message, offset", [
    ("", "empty path", 0), (".a", "empty key", 0), ("a..b", "empty key", 2), ("a.", "empty key", 2),
    ("a.[0]", "empty key", 2), ("a]", "unexpected ']'", 1), ("]", "unexpected ']'", 0),
    ("a.b]", "unexpected ']'", 3), ("a.]", "unexpected ']'", 2),
    ("a[", "expected an array index", 2), ("a[x]", "expected an array index", 2),
    ("a[-1]", "expected an array index", 2), ("a[ 1]", "expected an array index", 2),
    ("a[]", "expected an array index", 2),
    ("a[01]", "array index has a leading zero", 2),
    ("a[1234567890]", "array index too large (at most 9 digits)", 2),
    ("a[1", "expected ']'", 3), ("a[1x]", "expected ']'", 3), ("a[1 ]", "expected ']'", 3),
    ("a[1]b", "expected '.' or '[' after ']'", 4), ("éé[1]b", "expected '.' or '[' after ']'", 5),
    ("a." * 64 + "a", "path deeper than 64 levels", 127),
    ("a" + "[0]" * 64, "path deeper than 64 levels", 190),
])
def test_parse_path_errors(path, message, offset):
    with pytest.raises(JsonPathError) as err:
        parse_path(path)
    assert (err.value.message, err.value.offset) == (message, offset)
    assert parse_path_bytes(path.encode()) is None


def test_invalid_utf8_path_is_invalid():
    assert parse_path_bytes(b"a.\xff") is None
