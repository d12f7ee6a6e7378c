"""The harness behaves like Envoy's proxy-wasm host, and the filter uses it as designed: buffering
only when needed, held headers released, no work in response callbacks without a response phase."""
from __future__ import annotations

import struct

import pytest

import kgw_rules
from kgw_rules.exchange import Request, Response
from kgw_rules.harness import FilterVM, ProxyWasmHost, StreamStalled, test_bundle
from kgw_rules.harness.host import envoy_order, parse_pairs, serialize_pairs

from .corpus import FIRST_PROGRAM

FIRST = kgw_rules.compile(FIRST_PROGRAM, "api.kgw").to_bytes(strip=True)
REQ_ONLY = kgw_rules.compile('on request { set header "x-a" = "1" }', "a.kgw").to_bytes(strip=True)
BODY = kgw_rules.compile('on request { set body = upper(body) }\non response { set header "x-l" = str(len(body)) }',
                         "b.kgw").to_bytes(strip=True)


def _vm(blob: bytes) -> FilterVM:
    return FilterVM(test_bundle([blob], b"ns/r/0"), record=True)


def _results(vm: FilterVM) -> dict[str, list]:
    """Callback name -> results, from the transcript."""
    out: dict[str, list] = {}
    calls = [t for t in vm.host.transcript if t[0] == "call"]
    for t in calls:
        out.setdefault(t[1], [])
    return out


def _between(vm: FilterVM, callback: str) -> list[tuple]:
    """Host calls the filter made while running `callback` (the last time)."""
    t = vm.host.transcript
    start = max(i for i, e in enumerate(t) if e[:2] == ("call", callback))
    end = next((i for i in range(start + 1, len(t)) if t[i][0] == "call"), len(t))
    return t[start + 1:end]


def test_pairs_serialization_round_trip_and_envoy_order():
    pairs = [(b"X-B", b"2"), (b":path", b"/"), (b"a", b""), (b":method", b"GET")]
    ordered = envoy_order(pairs)
    assert ordered == [(b":path", b"/"), (b":method", b"GET"), (b"x-b", b"2"), (b"a", b"")]
    data = serialize_pairs(ordered)
    assert struct.unpack_from("<I", data)[0] == 4
    assert parse_pairs(data) == ordered


def test_get_header_map_value_gives_the_first_value():
    host = ProxyWasmHost(kgw_rules.filter_wasm_bytes(), fuel=False)
    host.state.maps[0] = [(b":path", b"/"), (b"x", b"1"), (b"x", b"2")]
    alloc = host.exports["proxy_on_memory_allocate"]
    key = alloc(host.store, 1)
    host._write(key, b"X")
    out = alloc(host.store, 8)
    assert host._proxy_get_header_map_value(0, key, 1, out, out + 4) == 0
    ptr, size = struct.unpack("<II", host._read(out, 8))
    assert host._read(ptr, size) == b"1"
    assert host._proxy_get_header_map_value(2, key, 1, out, out + 4) == 1  # no response map yet: NOT_FOUND


def test_buffer_rules_are_envoys():
    host = ProxyWasmHost(kgw_rules.filter_wasm_bytes(), fuel=False)
    alloc = host.exports["proxy_on_memory_allocate"]
    p = alloc(host.store, 2)
    host._write(p, b"XY")
    host.state.buffers[0] = b"abcd"
    assert host._proxy_set_buffer_bytes(0, 0, 0, p, 2) == 0 and host.state.buffers[0] == b"XYabcd"  # prepend
    assert host._proxy_set_buffer_bytes(0, 9, 0, p, 2) == 0 and host.state.buffers[0] == b"XYabcdXY"  # append
    assert host._proxy_set_buffer_bytes(0, 1, 2, p, 2) == 2  # in the middle: BAD_ARGUMENT
    assert host._proxy_set_buffer_bytes(0, 0, -1, p, 2) == 0 and host.state.buffers[0] == b"XY"  # replace all


def test_no_body_buffering_when_the_program_does_not_need_it():
    vm = _vm(FIRST)
    request = Request(method=b"POST", url=b"/v1/x", headers=[(b"authorization", b"t")], body=b"x" * 100)
    vm.exchange(request, None, chunk=10)
    results = [e for e in vm.host.transcript if e[:2] == ("call", "proxy_on_request_body")]
    assert len(results) == 10
    assert not any(e[0] == "proxy_get_buffer_bytes" and e[1] in (0, 1) for e in vm.host.transcript)


def test_body_programs_hold_headers_buffer_chunks_and_fix_content_length():
    vm = _vm(BODY)
    body = b"abc" * 10
    out = vm.exchange(Request(method=b"POST", url=b"/", headers=[(b"content-length", b"30")], body=body),
                      Response(body=b"resp"), chunk=7)
    assert out.request.body == body.upper()
    assert (b"content-length", b"30") in out.request.headers
    assert dict(out.response.headers)[b"x-l"] == b"4"
    sets = [e for e in vm.host.transcript if e[0] == "proxy_set_buffer_bytes"]
    assert [e[4] for e in sets] == [body.upper()]
    # headers were held (StopIteration) and every non-final chunk buffered
    calls = [e for e in vm.host.transcript if e[0] == "call"]
    assert ("call", "proxy_on_request_body", calls[-1][2], 30, 1) in calls


def test_body_programs_run_on_bodies_that_end_with_trailers():
    vm = _vm(BODY)
    out = vm.exchange(Request(method=b"POST", url=b"/", body=b"abc"), Response(body=b"12345"), chunk=2, trailers=True)
    assert out.request.body == b"ABC"
    assert dict(out.response.headers)[b"x-l"] == b"5"
    body_calls = [e for e in vm.host.transcript if e[:2] == ("call", "proxy_on_request_body")]
    assert body_calls and all(e[-1] == 0 for e in body_calls)  # no data frame ended the stream
    assert any(e[:2] == ("call", "proxy_on_request_trailers") for e in vm.host.transcript)


def test_body_programs_without_a_body_run_on_the_headers():
    vm = _vm(BODY)
    out = vm.exchange(Request(url=b"/"), Response())  # no body: the phase runs on the headers
    assert out.request.body is None


def test_response_callbacks_do_no_work_without_a_response_phase():
    vm = _vm(REQ_ONLY)
    vm.exchange(Request(url=b"/"), Response(headers=[(b"a", b"b")], body=b"x"))
    assert _between(vm, "proxy_on_response_headers") == []
    assert _between(vm, "proxy_on_response_body") == []


def test_local_response_in_the_request_phase_skips_the_upstream():
    vm = _vm(FIRST)
    out = vm.exchange(Request(url=b"/v1/x"), Response())
    assert out.local_response.status == 401 and out.request is None and out.response is None
    sent = [e for e in vm.host.transcript if e[0] == "proxy_send_local_response"]
    assert sent == [("proxy_send_local_response", 401, b"missing credentials",
                     [(b"www-authenticate", b"Bearer"), (b"content-type", b"text/plain")])]
    assert not any(e[:2] == ("call", "proxy_on_response_headers") for e in vm.host.transcript)


def test_metrics_count_runs_local_responses_and_skips():
    vm = _vm(FIRST)
    skips = FilterVM(test_bundle([kgw_rules.compile('on request { set path = "nope" }', "s.kgw").to_bytes(strip=True)],
                                 b"r"))
    vm.exchange(Request(url=b"/v1/x", headers=[(b"authorization", b"t")]), Response())
    vm.exchange(Request(url=b"/v1/x"), Response())
    skips.exchange(Request(url=b"/"), None)
    assert vm.host.metric("kgw.programs_run") == 3  # request+response, then a request phase that responded
    assert vm.host.metric("kgw.local_responses") == 1
    assert skips.host.metric("kgw.skipped_writes") == 1
    assert {n for _, n, _ in vm.host.metrics.values()} >= {
        "kgw.programs_run", "kgw.local_responses", "kgw.skipped_writes", "kgw.verifier_refusals", "kgw.runtime_errors"}


def test_state_is_keyed_by_context_and_freed():
    """Two roots with different programs in one VM; deleting one leaves the other working."""
    vm = _vm(REQ_ONLY)
    other = test_bundle([FIRST], b"x")
    assert vm.host.configure(7, other)
    out = vm.exchange(Request(url=b"/"), None)
    assert (b"x-a", b"1") in out.request.headers
    vm.host.delete_context(7)
    assert (b"x-a", b"1") in vm.exchange(Request(url=b"/"), None).request.headers


def test_a_module_with_unknown_imports_is_rejected_by_the_host():
    wasm = kgw_rules.filter_wasm_bytes()
    import wasmtime

    bad = wasmtime.wat2wasm('(module (import "env" "proxy_call_foreign_function" (func)) (memory (export "memory") 1)'
                            ' (func (export "proxy_abi_version_0_2_1")))')
    with pytest.raises(ValueError, match="proxy_call_foreign_function"):
        ProxyWasmHost(bytes(bad))
    assert ProxyWasmHost(wasm)  # the filter's own imports are all provided


def test_stream_stalled_is_detected():
    import wasmtime

    # a module that always answers StopIteration on headers
    wat = '''(module (memory (export "memory") 1)
      (func (export "proxy_abi_version_0_2_1"))
      (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
      (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 1)))'''
    vm = FilterVM(b"", wasm=bytes(wasmtime.wat2wasm(wat)))
    with pytest.raises(StreamStalled):
        vm.exchange(Request(url=b"/"), None)
