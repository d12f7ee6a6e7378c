"""Table and property tests for kgw_rules.runtime.query (docs/runtime.md section 3)."""
import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kgw_rules.runtime import query_get, query_remove, query_set, set_path, split_target


@pytest.mark.parametrize("url, parts", [
    (b"/a?b=1?c", (b"/a", b"b=1?c")), (b"/a?", (b"/a", b"")), (b"/a", (b"/a", None)),
    (b"/a#x?y", (b"/a#x", b"y")), (b"", (b"", None)),
])
def test_split_target(url, parts):
    assert split_target(url) == parts


@pytest.mark.parametrize("url, name, out", [
    (b"/p?a=1&b=2&a=3", b"a", b"1"), (b"/p?a=1&b=2&a=3", b"b", b"2"), (b"/p?a", b"a", b""),
    (b"/p?a=", b"a", b""), (b"/p?x=a+b%2Fc", b"x", b"a b/c"), (b"/p?a+b=1", b"a b", b"1"),
    (b"/p?a%20b=1", b"a b", b"1"), (b"/p?A=1", b"a", None), (b"/p?a=%zz&a=2", b"a", None),
    (b"/p?%zz=1&a=2", b"a", b"2"), (b"/p?&&a=1&", b"a", b"1"), (b"/p", b"a", None),
    (b"/p?", b"a", None), (b"/p?q=x?y", b"q", b"x?y"), (b"/p?t=a=b", b"t", b"a=b"),
    (b"/p?ab=1", b"a", None), (b"/p?a;b=1", b"a", None),
])
def test_query_get(url, name, out):
    assert query_get(url, name) == out


@pytest.mark.parametrize("url, name, value, out", [
    (b"/p", b"lang", b"en", b"/p?lang=en"), (b"/p?", b"lang", b"en", b"/p?lang=en"),
    (b"/p?a=1", b"lang", b"en", b"/p?a=1&lang=en"),
    (b"/p?a=1&lang=fr&b=%7e&lang=de", b"lang", b"en", b"/p?a=1&lang=en&b=%7e"),
    (b"/p?x=a+b&&y", b"q", b"a b&c", b"/p?x=a+b&y&q=a%20b%26c"),
    (b"/p?a+b=1", b"a b", b"2", b"/p?a%20b=2"), (b"/p?a=1&", b"a", b"", b"/p?a="),
    (b"/p?a=1&b=2", b"a", None, b"/p?b=2"), (b"/p?b=2", b"a", None, b"/p?b=2"),
    (b"/p?%zz=1", b"a", b"1", b"/p?%zz=1&a=1"),
])
def test_query_set(url, name, value, out):
    assert query_set(url, name, value) == out


@pytest.mark.parametrize("url, name, out", [
    (b"/p?debug=1&a=2&debug", b"debug", b"/p?a=2"), (b"/p?debug=1", b"debug", b"/p"),
    (b"/p?a=1&&debug=1&b=%41", b"debug", b"/p?a=1&b=%41"), (b"/p?a=1&&b", b"debug", b"/p?a=1&&b"),
    (b"/p", b"debug", b"/p"), (b"/p?", b"debug", b"/p?"), (b"/p?de%62ug=1&x", b"debug", b"/p?x"),
])
def test_query_remove(url, name, out):
    assert query_remove(url, name) == out


@pytest.mark.parametrize("url, new, out", [
    (b"/a?x=1", b"/b", b"/b?x=1"), (b"/a?", b"/b", b"/b?"), (b"/a", b"/b?c#d", b"/b%3Fc%23d"),
    (b"/a?x=1", b"b", None), (b"/a?x=1", b"", None), (b"/a", b"/b\r\n", None), (b"/a", b"/\x00", None),
    (b"/a", b"/", b"/"), (b"/a?q", b"/%3F a", b"/%3F a?q"),
])
def test_set_path(url, new, out):
    assert set_path(url, new) == out


# Properties: raw parameters made of safe bytes plus percent escapes, so any of them may be kept.
_raw = st.text(alphabet="abcxyz019%+=-._~", max_size=6).map(str.encode)
_name = st.text(alphabet="abcxyz _&=é", min_size=1, max_size=4).map(str.encode)


@given(st.lists(_raw, max_size=6), _name, st.binary(max_size=8))
def test_query_set_keeps_other_params_and_reads_back(segments, name, value):
    url = b"/p?" + b"&".join(segments)
    out = query_set(url, name, value)
    assert query_get(out, name) == value
    path, query = split_target(out)
    assert path == b"/p"
    others = [s for s in segments if s and not _names(s, name)]
    kept = [s for s in query.split(b"&") if not _names(s, name)]
    assert kept == others  # same raw bytes, same order


@given(st.lists(_raw, max_size=6), _name)
def test_query_remove_keeps_other_params(segments, name):
    url = b"/p?" + b"&".join(segments)
    out = query_remove(url, name)
    assert query_get(out, name) is None
    expected = [s for s in segments if s and not _names(s, name)]
    if len(expected) == len([s for s in segments if s]):
        assert out == url
    else:
        assert out == (b"/p?" + b"&".join(expected) if expected else b"/p")


def _names(segment: bytes, name: bytes) -> bool:
    """Whether a raw segment's decoded name is `name` (independent re-statement of the rule)."""
    raw = segment.split(b"=", 1)[0]
    if any(raw[i:i + 1] == b"%" and not _hex2(raw[i + 1:i + 3]) for i in range(len(raw))):
        return False  # malformed names match nothing
    return urllib.parse.unquote_to_bytes(raw.replace(b"+", b" ")) == name


def _hex2(b: bytes) -> bool:
    return len(b) == 2 and all(c in b"0123456789abcdefABCDEF" for c in b)
