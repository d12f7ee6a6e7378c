"""env() and random_id() through the filter's WASI imports: the harness answers them from a HostContext,
the same one the reference VM takes, so both engines can be driven identically."""
from __future__ import annotations

import base64

import kgw_rules
from kgw_rules.engines import get_engine, outcome_difference, reference_engine
from kgw_rules.exchange import HostContext, Request
from kgw_rules.harness import FilterVM, WasmEngine, test_bundle
from kgw_rules.harness.engine import TEST_ROUTE_NAME

SOURCE = '''on request {
  set header x-env = default(env("K"), "unset")
  set header x-id1 = random_id()
  set header x-id2 = random_id()
}
'''
BLOB = kgw_rules.compile(SOURCE).to_bytes(strip=True)


def _counter() -> HostContext:
    """Random bytes 0, 1, 2, ... so the expected ids can be written down."""
    state = {"next": 0}

    def draw(n: int) -> bytes:
        out = bytes((state["next"] + i) % 256 for i in range(n))
        state["next"] += n
        return out

    return HostContext({b"K": b"v"}, draw)


def _ids(headers) -> tuple[bytes, bytes]:
    h = dict(headers)
    return h[b"x-id1"], h[b"x-id2"]


def test_the_environment_is_read_once_per_vm():
    vm = FilterVM(test_bundle([BLOB], b"r"), record=True, context=HostContext({b"K": b"v", b"KK": b"w"}))
    for _ in range(3):
        out = vm.exchange(Request(route=b"r"), None, xds_route_name=TEST_ROUTE_NAME)
        assert dict(out.request.headers)[b"x-env"] == b"v"
    calls = [entry[0] for entry in vm.host.transcript]
    assert calls.count("environ_sizes_get") == 1 and calls.count("environ_get") == 1


def test_random_id_is_one_16_byte_draw_written_as_base64url():
    vm = FilterVM(test_bundle([BLOB], b"r"), record=True, context=_counter())
    out = vm.exchange(Request(route=b"r"), None)
    assert [e for e in vm.host.transcript if e[0] == "random_get"] == [("random_get", 16), ("random_get", 16)]
    expected = tuple(base64.urlsafe_b64encode(bytes(range(i, i + 16))).rstrip(b"=") for i in (0, 16))
    assert _ids(out.request.headers) == expected
    assert _ids(reference_engine([BLOB], Request(), None, _counter()).request.headers) == expected


def test_a_refused_random_get_leaves_the_request_unchanged_and_says_why():
    vm = FilterVM(test_bundle([BLOB], b"r"), context=HostContext({}, lambda n: b""))  # the host gives nothing
    out = vm.exchange(Request(route=b"r"), None)
    assert b"x-id1" not in dict(out.request.headers)
    assert any("NoRandom" in m for _, m in vm.host.logs)


def test_engine_vms_follow_the_environment():
    engine = WasmEngine(fuel=False)
    for value in (b"a", b"b", b"a"):
        out = engine.run([BLOB], Request(), None, host=HostContext({b"K": value}))
        assert dict(out.request.headers)[b"x-env"] == value
    assert dict(engine.run([BLOB], Request(), None).request.headers)[b"x-env"] == b"unset"


def test_split_contexts_replay_one_stream_and_both_engines_agree():
    ref_host, wasm_host = HostContext({b"K": b"v"}).split()
    ref = reference_engine([BLOB], Request(), None, ref_host)
    wasm = WasmEngine(fuel=False).run([BLOB], Request(), None, host=wasm_host)
    assert outcome_difference(ref, wasm) == []
    a, b = _ids(ref.request.headers)
    assert a != b and len(a) == 22


def test_engine_both_gives_both_engines_the_same_random_stream():
    out = get_engine("both")([BLOB], Request(), None)  # raises EngineMismatch on any difference
    assert all(len(v) == 22 for v in _ids(out.request.headers))
