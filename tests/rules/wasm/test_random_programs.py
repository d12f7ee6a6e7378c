"""Hypothesis: random well-typed programs over random exchanges give identical outcomes on the wasm
filter and the reference VM; the pure functions agree with kgw_rules.runtime on random bytes."""
from __future__ import annotations

import hashlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kgw_rules
from kgw_rules import runtime as rt
from kgw_rules.engines import outcome_difference, reference_engine
from kgw_rules.exchange import Request
from kgw_rules.harness import WasmEngine

from ..strategies import host, programs, requests, responses

ENGINE = WasmEngine(fuel=False)
RUNS = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@RUNS
@given(programs(), requests(), responses())
def test_random_programs_agree(source, request, response):
    blob = kgw_rules.compile(source, "random.kgw").to_bytes(strip=True)
    ref = reference_engine([blob], request, response, host())
    assert outcome_difference(ref, ENGINE.run([blob], request, response, host=host())) == []


# One program applies every pure function to header x-in and writes each result to its own header.
# Absent results become the marker "ABSENT"; results that may hold CR/LF/NUL (decoders, json) are
# base64url-encoded first, or the write would be skipped and nothing compared.
_FUNCS = {
    "lower": "lower(s)", "upper": "upper(s)", "trim": "trim(s)", "len": "str(len(s))",
    "b64": "base64_encode(s)", "b64u": "base64url_encode(s)", "ue": "url_encode(s)", "sha": "sha256_hex(s)",
    "b64d": 'base64url_encode(default(base64_decode(s), "ABSENT"))',
    "b64ud": 'base64url_encode(default(base64url_decode(s), "ABSENT"))',
    "ud": 'base64url_encode(default(url_decode(s), "ABSENT"))',
    "int": 'str(default(int(s), 0))', "intx": 'str(exists(int(s)))',
    "je": "base64url_encode(json_escape(s))",
    "sub": "substr(s, 1, 3)", "split": 'split_part(s, "a", 1)',
    "q": 'base64url_encode(default(query("k"), "ABSENT"))', "ck": 'default(cookie("c"), "ABSENT")',
    "jg": 'base64url_encode(default(json("a.b"), "ABSENT"))',
}
_PROGRAM = "on request {\n let s = header(\"x-in\")\n" + "".join(
    f' set header "x-{k}" = {v}\n' for k, v in _FUNCS.items()) + "}\n"
_BLOB = kgw_rules.compile(_PROGRAM, "funcs.kgw").to_bytes(strip=True)
_header_safe = st.binary(max_size=30).filter(lambda v: not any(c in v for c in b"\r\n\0"))
_b64ish = st.text(alphabet="ABCDEFGHabcdefgh0123456789+/-_=", max_size=16).map(str.encode)
_urlish = st.text(alphabet="ab%2B0fFzZ+ ", max_size=12).map(str.encode)
_intish = st.from_regex(r"\A-?[0-9]{0,21}\Z").map(str.encode)


@RUNS
@given(st.one_of(_header_safe, _b64ish, _urlish, _intish), st.one_of(st.none(), st.binary(max_size=60), st.sampled_from(
    [b'{"a":{"b":"x\\u00e9\\ud83d\\ude00"}}', b'{"a":{"b":[1,2.50e+3,{"c":null}]}}', b'{"a":{"b":1},"a":{"b":2}}'])))
def test_pure_functions_agree_on_random_bytes(s, body):
    req = Request(method=b"POST", url=b"/p?k=" + s.replace(b"&", b"").replace(b"#", b""), headers=[
        (b"x-in", s), (b"cookie", b"c=" + s.replace(b";", b""))], body=body)
    ref = reference_engine([_BLOB], req, None)
    wasm = ENGINE.run([_BLOB], req, None)
    assert outcome_difference(ref, wasm) == []
    got = dict(wasm.request.headers)
    assert got[b"x-sha"] == hashlib.sha256(s).hexdigest().encode()  # against hashlib, not only the ref VM
    assert got[b"x-b64"] == rt.base64_encode(s)


@RUNS
@given(st.binary(max_size=200), st.sampled_from(["a", "a.b", "a[0]", "[1].x", "k\u00e9y", "a.b.c"]),
       st.one_of(st.none(), st.integers(-2**63, 2**63 - 1), st.booleans(),
                 st.text(alphabet="ab é\"\\{}/\u2603", max_size=5)))
def test_json_edits_agree_on_random_bodies(body, path, value):
    if value is None or isinstance(value, bool | int):
        lit = "none" if value is None else ("true" if value else "false") if isinstance(value, bool) else str(value)
    else:
        lit = '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("{", "{{").replace("}", "}}") + '"'
    src = (f'on request {{\n set json "{path}" = {lit}\n'
           f' set header "x-g" = base64url_encode(default(json("{path}"), "ABSENT"))\n remove json "a"\n}}')
    blob = kgw_rules.compile(src, "json.kgw").to_bytes(strip=True)
    req = Request(method=b"POST", url=b"/", body=body)
    assert outcome_difference(reference_engine([blob], req, None), ENGINE.run([blob], req, None)) == []


_JSON_DOCS = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=4)),
    lambda kids: st.one_of(st.lists(kids, max_size=3),
                           st.dictionaries(st.sampled_from(["a", "b", "c", "é"]), kids, max_size=3)),
    max_leaves=10)


@RUNS
@given(_JSON_DOCS, st.sampled_from(["a", "a.b", "a[0]", "b[1].c", "[0]", "c.a"]), st.booleans())
def test_json_edits_agree_on_valid_documents(doc, path, pretty):
    import json

    body = json.dumps(doc, indent=1 if pretty else None, ensure_ascii=False).encode()
    src = (f'on request {{\n set header "x-g" = base64url_encode(default(json("{path}"), "ABSENT"))\n'
           f' set json "{path}" = 5\n remove json "b"\n}}')
    blob = kgw_rules.compile(src, "json.kgw").to_bytes(strip=True)
    req = Request(method=b"POST", url=b"/", body=body)
    assert outcome_difference(reference_engine([blob], req, None), ENGINE.run([blob], req, None)) == []
