"""Table and property tests for kgw_rules.runtime.encoding (docs/runtime.md section 2)."""
import base64
import hashlib
import json
import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kgw_rules.runtime import (
    base64_decode,
    base64_encode,
    base64url_decode,
    base64url_encode,
    json_escape,
    sha256_hex,
    url_decode,
    url_encode,
)


@pytest.mark.parametrize("s, std, url", [
    (b"", b"", b""), (b"a", b"YQ==", b"YQ"), (b"ab", b"YWI=", b"YWI"), (b"abc", b"YWJj", b"YWJj"),
    (b"\xfb\xff", b"+/8=", b"-_8"), (b"\x00\x00\x00\x00", b"AAAAAA==", b"AAAAAA"),
])
def test_base64_encode_vectors(s, std, url):
    assert base64_encode(s) == std
    assert base64url_encode(s) == url


@pytest.mark.parametrize("s, out", [
    (b"YWI=", b"ab"), (b"YWI", b"ab"), (b"YQ==", b"a"), (b"YQ", b"a"), (b"", b""),
    (b"+/8=", b"\xfb\xff"), (b"+/8", b"\xfb\xff"), (b"YWJj", b"abc"),
    (b"YQ=", None), (b"YQ===", None), (b"Y===", None), (b"====", None), (b"=", None),
    (b"YR==", None), (b"YR", None), (b"YWJ=", None), (b"YWJ", None),
    (b"Y", None), (b"YWJjZ", None), (b"YW I=", None), (b"YWI=\n", None), (b"YQ==YQ==", None),
    (b"Y=Q=", None), (b"-_8", None), (b"YW\x00I", None),
])
def test_base64_decode_vectors(s, out):
    assert base64_decode(s) == out


@pytest.mark.parametrize("s, out", [
    (b"-_8", b"\xfb\xff"), (b"-_8=", b"\xfb\xff"), (b"YQ", b"a"), (b"YQ==", b"a"), (b"", b""),
    (b"+/8=", None), (b"+/8", None), (b"YQ=", None), (b"YR", None), (b"Y", None), (b"YQ ", None),
])
def test_base64url_decode_vectors(s, out):
    assert base64url_decode(s) == out


@given(st.binary(max_size=64))
def test_base64_round_trip_matches_python(s):
    std = base64_encode(s)
    assert std == base64.b64encode(s)
    assert base64_decode(std) == s
    assert base64_decode(std.rstrip(b"=")) == s  # unpadded standard input is accepted too
    url = base64url_encode(s)
    assert url == base64.urlsafe_b64encode(s).rstrip(b"=")
    assert base64url_decode(url) == s
    assert base64url_decode(base64.urlsafe_b64encode(s)) == s


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
               max_size=24))
def test_base64_decode_accepts_exactly_the_canonical_spellings(s):
    # Anything we accept re-encodes to the same text (up to padding): one spelling per byte string.
    raw = s.encode()
    out = base64_decode(raw)
    if out is not None:
        assert base64_encode(out).rstrip(b"=") == raw.rstrip(b"=")
        assert out == base64.b64decode(raw.rstrip(b"=") + b"=" * (-len(raw.rstrip(b"=")) % 4),
                                       validate=True)


@pytest.mark.parametrize("s, out", [
    (b"", b""), ("a b/é".encode(), b"a%20b%2F%C3%A9"), (b"AZaz09-._~", b"AZaz09-._~"),
    (b"+&=?%#\x00\xff", b"%2B%26%3D%3F%25%23%00%FF"),
])
def test_url_encode_vectors(s, out):
    assert url_encode(s) == out


@pytest.mark.parametrize("s, out", [
    (b"a+b%20c%2b%2B", b"a b c++"), (b"%41%6a%6A", b"Ajj"), (b"", b""), (b"%2541", b"%41"),
    (b"a/b?c=d\xff", b"a/b?c=d\xff"), (b"%00%ff", b"\x00\xff"),
    (b"%zz", None), (b"%4", None), (b"100%", None), (b"%", None), (b"%g0", None), (b"a%2", None),
])
def test_url_decode_vectors(s, out):
    assert url_decode(s) == out


@given(st.binary(max_size=64))
def test_url_round_trip(s):
    enc = url_encode(s)
    assert url_decode(enc) == s
    assert enc == urllib.parse.quote(s, safe="-._~").encode()  # Python agrees on the encoder
    assert set(enc) <= set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%")


@given(st.binary(max_size=64))
def test_url_decode_matches_python_on_valid_input(s):
    out = url_decode(s)
    if out is not None:
        assert out == urllib.parse.unquote_to_bytes(s.replace(b"+", b" "))


def test_sha256_hex():
    assert sha256_hex(b"") == b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256_hex(b"abc") == hashlib.sha256(b"abc").hexdigest().encode()


@pytest.mark.parametrize("s, out", [
    (b"", b'""'), (b'a"b\\', b'"a\\"b\\\\"'),
    (b"\x08\x0c\n\r\t", b'"\\b\\f\\n\\r\\t"'), (b"\x00\x01\x1f\x7f", b'"\\u0000\\u0001\\u001f\\u007f"'),
    ("/é".encode(), '"/é"'.encode()), (b"\xff", b'"\xff"'), (b"\x1b", b'"\\u001b"'),
])
def test_json_escape_vectors(s, out):
    assert json_escape(s) == out


@given(st.text(max_size=40).filter(lambda t: not any(0xD800 <= ord(c) <= 0xDFFF for c in t)))
def test_json_escape_is_valid_json(t):
    assert json.loads(json_escape(t.encode()).decode()) == t
