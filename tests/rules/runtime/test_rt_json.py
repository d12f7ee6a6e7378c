"""Table tests for kgw_rules.runtime.jsonbody / jsontree (docs/runtime.md section 7)."""
import pytest

from kgw_rules.runtime import json_get, json_remove, json_set
from kgw_rules.runtime.jsontree import InvalidJson, parse, serialize

VALID = [
    b"0", b"-0", b"1.0E+2", b"1e-5", b"-12.5e10", b"1" * 400, b'"x"', b"true", b"false", b"null",
    b" \t\r\n{ } ", b"[]", b'{"a":[1,{"b":null}]}', b'"\\u0000"', b'"\\ud83d\\ude00"', b'"\\uD83D\\uDE00"',
    b'"\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9"', '"é😀"'.encode(), b'"\x7f"', b'{"a":1,"a":2}',
    b"[" * 64 + b"]" * 64, b'{"a":' * 64 + b"1" + b"}" * 64, b'{"":0}',
]
INVALID = [
    b"", b"   ", b"{", b"}", b"[1,]", b'{"a":1,}', b"[1 2]", b'{"a" 1}', b"{a:1}", b"'a'", b"01", b"+1",
    b".5", b"1.", b"1e", b"1e+", b"-", b"--1", b"NaN", b"Infinity", b"-Infinity", b"nul", b"True",
    b"tru", b"[1]x", b"1 2", b"/* c */1", b'"\\x"', b'"\\u12"', b'"\\U0041"', b'"a\x01"', b'"a\n"',
    b'"\\ud800"', b'"\\udc00"', b'"\\ud800x"', b'"\\ud800\\n"', b'"\\ud800\\ud800"', b'"\\ud800\\u0041"',
    b'"\xff"', b'"\xc0\xaf"', b'"\xed\xa0\x80"', b'"\xf4\x90\x80\x80"', b'"\xc3"', b"\xef\xbb\xbf{}",
    b"[" * 65 + b"]" * 65, b'{"a":' * 65 + b"1" + b"}" * 65, b"\x0b1", b"\x0c1", b'{"a":1}}', b'"',
]


@pytest.mark.parametrize("body", VALID)
def test_valid_documents(body):
    node = parse(body)
    assert serialize(node) == body.strip(b" \t\r\n").replace(b"{ }", b"{}")


@pytest.mark.parametrize("body", INVALID)
def test_invalid_documents(body):
    with pytest.raises(InvalidJson):
        parse(body)
    assert json_get(body, "a") is None
    assert json_set(body, "a", 1) is None
    assert json_remove(body, "a") is None


DOC = b'{"a": {"b": [1, "x\\u00e9\\n", 2.50]}}'


@pytest.mark.parametrize("body, path, out", [
    (DOC, "a.b[1]", "xé\n".encode()), (DOC, "a.b", b'[1,"x\\u00e9\\n",2.50]'),
    (DOC, "a", b'{"b":[1,"x\\u00e9\\n",2.50]}'), (DOC, "a.b[2]", b"2.50"),
    (b'{"a":1,"a":2}', "a", b"2"), (b'{"a":null}', "a", b"null"), (b'{"a":true}', "a", b"true"),
    (b'{"a":1}', "b", None), (b'{"a":1}', "a.b", None), (b'{"a":1}', "[0]", None),
    (b'{"a":1}', "a[0]", None), (b'{"a":[1]}', "a[1]", None), (b'{"a":{"0":1}}', "a[0]", None),
    (b'{"a":{"0":1}}', "a.0", b"1"), (b'[{"x":1}]', "[0].x", b"1"), (b'"s"', "a", None),
    (b'{"a":{"x":1,"x":{"y":2}}}', "a", b'{"x":1,"x":{"y":2}}'),
    (b'{"a":{"x":1,"x":{"y":2}}}', "a.x.y", b"2"),
    (b'{"a":"\\u0000\\"\\\\\\/"}', "a", b'\x00"\\/'), (b'{"a":"\\ud83d\\ude00"}', "a", "😀".encode()),
    (b'{"k\\u0041":1}', "kA", b"1"), (b'{"a":""}', "a", b""), (b'{"a":{}}', "a", b"{}"),
    (b'{"a":1}', "", None), (b'{"a":1}', "a.", None), (b'{"a.b":1}', "a.b", None),
    (b'{"a":1}', b"a", b"1"), (b'{"a":1}', b"a\xff", None), (b'{"a":1}', [b"a"], b"1"),
])
def test_json_get(body, path, out):
    assert json_get(body, path) == out


@pytest.mark.parametrize("body, path, value, out", [
    (b'{ "a" : 1, "b" : [1.0, 2] }', "b[0]", 5, b'{"a":1,"b":[5,2]}'),
    (b'{"a":1}', "x.y.z", b"v", b'{"a":1,"x":{"y":{"z":"v"}}}'),
    (b'{"a":1,"b":2,"a":3}', "a", True, b'{"b":2,"a":true}'),
    (b'{"a":1}', "a", None, b'{"a":null}'), (b'{"a":1}', "a", False, b'{"a":false}'),
    (b'{"a":1}', "a", -(2**63), b'{"a":-9223372036854775808}'),
    (b'{"k\\u0041":1}', "kA", 2, b'{"k\\u0041":2}'),
    (b'{"a":[1]}', "a[1]", 2, None), (b'{"a":[1]}', "a.b", 2, None), (b'{"a":[1]}', "a[0].b", 2, None),
    (b'{"a":1}', "x[0]", 2, None), (b'{"a":1}', "x.y[0]", 2, None), (b'{"a":null}', "a.b", 2, None),
    (b'{"a":{}}', "a[0]", 2, None),
    (b"[1,2]", "[1]", b"x", b'[1,"x"]'), (b"[1,2]", "[2]", b"x", None), (b"[1,2]", "a", 1, None),
    (b'"s"', "a", 1, None), (b"nope", "a", 1, None), (b"{}", "a", b'q"\n\x01\x7f',
                                                       b'{"a":"q\\"\\n\\u0001\\u007f"}'),
    (b"{}", "a", "é".encode(), '{"a":"é"}'.encode()), (b"{}", "a", b"\xff", None),
    (b"{}", "a\"b", 1, b'{"a\\"b":1}'), (b'{"a":1}', "a.", 1, None),
    (b'{"a":{"x":1},"a":{"y":2}}', "a.z", 3, b'{"a":{"x":1},"a":{"y":2,"z":3}}'),
    (b'{"a":{"x":1,"x":2}}', "a.x", 3, b'{"a":{"x":3}}'),
    (b"[" * 63 + b"{}" + b"]" * 63, "[0]" * 63 + ".k", 1, b"[" * 63 + b'{"k":1}' + b"]" * 63),
])
def test_json_set(body, path, value, out):
    assert json_set(body, path, value) == out


@pytest.mark.parametrize("body, path, out", [
    (b'{"a":1, "b":2, "a":3}', "a", b'{"b":2}'), (b'{"a":[1,2,3]}', "a[1]", b'{"a":[1,3]}'),
    (b'{"a":1}', "b", None), (b'{"a":1}', "a.b", None), (b'{"a":1}', "a[0]", None),
    (b'{"a":[1]}', "a[1]", None), (b'{"a":{"b":1}}', "a.b", b'{"a":{}}'), (b"[1]", "[0]", b"[]"),
    (b'{"a":{"b":1},"a":{"c":2}}', "a.c", b'{"a":{"b":1},"a":{}}'), (b'{"a":1}', "", None),
])
def test_json_remove(body, path, out):
    assert json_remove(body, path) == out
