"""Table tests for kgw_rules.runtime.headers (docs/runtime.md section 5)."""
import pytest

from kgw_rules.runtime import add, get_all, get_first, get_joined, remove, rename, set_all, valid_header_value

H = [(b"a", b"1"), (b"x", b"1"), (b"b", b"2"), (b"x", b"2")]


def test_reads():
    assert get_first(H, b"x") == b"1" and get_first(H, b"z") is None
    assert get_all(H, b"x") == [b"1", b"2"] and get_all(H, b"z") == []
    assert get_joined(H, b"x", b",") == b"1,2" and get_joined(H, b"z", b",") is None
    assert get_joined([(b"x", b"a"), (b"x", b""), (b"x", b"b")], b"x", b", ") == b"a, , b"
    assert get_joined([(b"x", b"")], b"x", b",") == b""  # present but empty is not absent


def test_set_all():
    assert set_all(H, b"x", b"9") == [(b"a", b"1"), (b"b", b"2"), (b"x", b"9")]
    assert set_all(H, b"z", b"9") == [*H, (b"z", b"9")]
    assert set_all(H, b"x", None) == [(b"a", b"1"), (b"b", b"2")]
    assert set_all(H, b"x", b"") == [(b"a", b"1"), (b"b", b"2"), (b"x", b"")]


def test_add_and_remove():
    assert add(H, b"a", b"3") == [*H, (b"a", b"3")]  # at the very end, not next to the other a
    assert add(H, b"a", None) == H
    assert remove(H, b"x") == [(b"a", b"1"), (b"b", b"2")]
    assert remove(H, b"z") == H


def test_rename():
    h = [(b"n", b"0"), (b"o", b"1"), (b"a", b"2"), (b"o", b"3")]
    assert rename(h, b"o", b"n") == [(b"a", b"2"), (b"n", b"1"), (b"n", b"3")]
    assert rename(h, b"z", b"n") == h  # old absent: the existing new stays
    assert rename(h, b"o", b"o") == h
    assert rename(h, b"a", b"m") == [(b"n", b"0"), (b"o", b"1"), (b"o", b"3"), (b"m", b"2")]


def test_functions_do_not_mutate_their_input():
    h = list(H)
    for result in (set_all(h, b"x", b"9"), add(h, b"x", b"9"), remove(h, b"x"), rename(h, b"x", b"y")):
        assert result is not h
    assert h == H


@pytest.mark.parametrize("value, ok", [
    (b"", True), (b"a b\t\xff", True), (b"a\x7fb", False), (b"a\x1fb", False), (b"a\rb", False), (b"a\nb", False),
    (b"\x00", False),
])
def test_valid_header_value(value, ok):
    assert valid_header_value(value) is ok
