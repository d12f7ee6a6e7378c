"""proxy_on_configure: valid programs and bundles are accepted, any defect is refused with a reason."""
from __future__ import annotations

import pytest

from kgw_rules.exchange import Request
from kgw_rules.harness import ConfigRefused, FilterVM
from kgw_rules.wire import BundleRoute, encode_bundle

from .helpers import BLOBS, Configurer, with_crc

CFG = Configurer()


@pytest.mark.parametrize("name", sorted(BLOBS))
def test_compiled_programs_are_accepted_alone_and_in_a_bundle(name):
    assert CFG.configure(BLOBS[name])
    bundle = encode_bundle({name: BLOBS[name]}, [BundleRoute(b"r1", b"ns/r/0", (name,))])
    assert CFG.configure(bundle)


def test_program_with_line_table_is_accepted():
    import kgw_rules

    from .corpus import FIRST_PROGRAM

    assert CFG.configure(kgw_rules.compile(FIRST_PROGRAM, "api.kgw").to_bytes(strip=False))


@pytest.mark.parametrize("mutate, reason", [
    (lambda b: b"XGWB" + b[4:], "neither a program"),
    (lambda b: b[:-1] + bytes([b[-1] ^ 1]), "checksum mismatch"),
    (lambda b: b"KGW\x01" + b[4:], "neither a program"),  # an older program version: not this format
    (lambda b: with_crc(b[:4] + bytes([b[4] | 0x40]) + b[5:-2]), "unknown flags"),
    (lambda b: with_crc(b[:4] + bytes([b[4] | 0x20]) + b[5:-2]), "WIDE flag does not match the constants"),
    (lambda b: with_crc(b[:-2] + b"\x00"), "left over"),
    (lambda b: b[:9], "truncated"),
    (lambda b: b"", "neither a program"),
])
def test_defects_are_refused_with_the_reason_logged(mutate, reason):
    assert not CFG.configure(mutate(BLOBS["first"]))
    assert reason in CFG.last_error()


def test_refusals_are_counted_in_a_metric():
    before = CFG.host.metric("kgw.verifier_refusals")
    assert not CFG.configure(b"nonsense")
    assert CFG.host.metric("kgw.verifier_refusals") == before + 1


def test_bundle_defects_are_refused():
    good = encode_bundle({"a": BLOBS["first"]}, [BundleRoute(b"r", b"x", ("a",))])
    assert CFG.configure(good)
    assert not CFG.configure(good[:-1] + bytes([good[-1] ^ 0xFF]))
    dup_route = encode_bundle({"a": BLOBS["first"]}, [BundleRoute(b"r", b"x", ("a",)), BundleRoute(b"r", b"y", ("a",))])
    assert not CFG.configure(dup_route) and "duplicate route" in CFG.last_error()
    broken_program = encode_bundle({"a": BLOBS["first"][:-1] + b"\x00"}, [BundleRoute(b"r", b"x", ("a",))])
    assert not CFG.configure(broken_program) and "checksum" in CFG.last_error()


def test_refused_reconfigure_keeps_the_last_good_configuration():
    vm = FilterVM(encode_bundle({"a": BLOBS["headers"]}, [BundleRoute(b"kgw-test-route", b"x", ("a",))]), fuel=False)
    assert not vm.host.configure(vm.root_id, b"KGW\x02 broken")
    out = vm.exchange(Request(url=b"/p", headers=[(b"x-in", b"v")]), None)
    assert (b"x-a", b"v") in out.request.headers


def test_filter_vm_raises_config_refused():
    with pytest.raises(ConfigRefused, match="checksum"):
        FilterVM(BLOBS["first"][:-1] + b"\x00", fuel=False)


def test_bundle_routes_select_programs_by_xds_route_name():
    """Each Envoy route name gets its own ordered program list and `route` value; others pass through."""
    import kgw_rules

    def stamp(v: str) -> bytes:
        return kgw_rules.compile(f'on request {{ add header "x-p" = "{v}" + route }}', "s.kgw").to_bytes(strip=True)

    bundle = encode_bundle({"gw": stamp("gw:"), "rt": stamp("rt:")}, [
        BundleRoute(b"kgw-test-route", b"ns/one/0", ("gw", "rt")),
        BundleRoute(b"other", b"ns/two/1", ("rt",)),
    ])
    vm = FilterVM(bundle, fuel=False, record=True)
    out = vm.exchange(Request(url=b"/"), None)
    assert [v for k, v in out.request.headers if k == b"x-p"] == [b"gw:ns/one/0", b"rt:ns/one/0"]
    assert ("proxy_get_property", b"xds.route_name") in vm.host.transcript
    out = vm.exchange(Request(url=b"/"), None, xds_route_name=b"other")
    assert [v for k, v in out.request.headers if k == b"x-p"] == [b"rt:ns/two/1"]
    # an unlisted route name, or none at all: nothing runs, the request passes untouched
    for name in (b"unlisted", None):
        out = vm.exchange(Request(url=b"/", headers=[(b"a", b"b")]), None, xds_route_name=name)
        assert out.request.headers == [(b"a", b"b")]


def test_wildcard_route_needs_no_property_read():
    bundle = encode_bundle({"a": BLOBS["headers"]}, [BundleRoute(b"", b"ns/any/0", ("a",))])
    vm = FilterVM(bundle, fuel=False, record=True)
    out = vm.exchange(Request(url=b"/", headers=[(b"x-in", b"1")]), None)
    assert (b"x-a", b"1") in out.request.headers
    assert not any(t[0] == "proxy_get_property" and t[1] == b"xds.route_name" for t in vm.host.transcript)


def test_single_program_config_sees_the_route_name_as_route():
    import kgw_rules

    blob = kgw_rules.compile('on request { set header "x-r" = route }', "r.kgw").to_bytes(strip=True)
    vm = FilterVM(blob, fuel=False)
    out = vm.exchange(Request(url=b"/"), None)
    assert (b"x-r", b"kgw-test-route") in out.request.headers


@pytest.mark.parametrize("key, ok", [(b"tenant", True), (b"plan_2-x", True), (b"k" * 63, True), (b"Tenant", False),
                                     (b"-x", False), (b"a.b", False), (b"", False), (b"k" * 64, False)])
def test_descriptor_keys_are_checked_as_the_python_verifier_does(key, ok):
    from kgw_rules import Program
    from kgw_rules.wire.opcodes import BY_NAME

    code = bytes([BY_NAME["CONST"].code, 0, BY_NAME["SET_DESC"].code, 0])
    blob = Program(1, 0, [key], [], (code, b""), 0).to_bytes()
    assert CFG.configure(blob) is ok
    if not ok:
        assert "bad descriptor key" in CFG.last_error()
