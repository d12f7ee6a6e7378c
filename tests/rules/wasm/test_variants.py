"""The builds of the wasm filter that export fewer callbacks (kgw_rules.wire.variants): each is under
64 KiB, exports exactly its callbacks, accepts exactly the programs it covers (the Python rule and the
filter's configure agree), and gives the same outcomes as the reference VM."""
from __future__ import annotations

import pytest
import wasmtime

import kgw_rules
from kgw_rules import build_filter
from kgw_rules.engines import outcome_difference, reference_engine
from kgw_rules.filter import filter_wasm_bytes, wasm_variant_for
from kgw_rules.harness import FilterVM, ProxyWasmHost, test_bundle
from kgw_rules.wire.program import decode_program
from kgw_rules.wire.variants import FULL, VARIANTS, program_needs

from .corpus import PROGRAMS, requests
from .helpers import BLOBS

OPTIONAL = {"proxy_on_request_body", "proxy_on_request_trailers", "proxy_on_response_headers",
            "proxy_on_response_body", "proxy_on_response_trailers"}
ALWAYS = {"proxy_abi_version_0_2_1", "proxy_on_memory_allocate", "proxy_on_vm_start", "proxy_on_configure",
          "proxy_on_context_create", "proxy_on_request_headers", "proxy_on_delete", "memory", "__stack_pointer"}


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_each_build_is_small_and_exports_only_its_callbacks(variant):
    data = filter_wasm_bytes(variant.filename)
    assert len(data) < 64 * 1024, f"{variant.filename} is {len(data)} bytes"
    exports = {e.name for e in wasmtime.Module(wasmtime.Engine(), data).exports}
    e = variant.exports
    want = ALWAYS | ({"proxy_on_request_body", "proxy_on_request_trailers"} if e.request_body else set()) \
        | ({"proxy_on_response_headers"} if e.response else set()) \
        | ({"proxy_on_response_body", "proxy_on_response_trailers"} if e.response_body else set())
    assert exports == want


def _accepts(variant, blob: bytes) -> tuple[bool, str]:
    host = ProxyWasmHost(filter_wasm_bytes(variant.filename), fuel=False, record=False)
    ok = host.configure(1, test_bundle([blob], b"ns/r/0"))
    errors = [m for lvl, m in host.logs if lvl == "error"]
    return ok, errors[-1] if errors else ""


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_configure_accepts_exactly_the_programs_a_build_covers(name):
    needs = program_needs(decode_program(BLOBS[name]))
    for variant in VARIANTS:
        ok, why = _accepts(variant, BLOBS[name])
        assert ok == variant.covers(needs), (variant.name, needs, why)
        if not ok:
            assert why.startswith("kgw: configuration refused: a program needs the ") and variant.filename in why


def test_the_smallest_covering_build_is_chosen():
    only_request = kgw_rules.compile('on request { set header x = "1" }', "a").to_bytes(strip=True)
    request_body = kgw_rules.compile('on request { set body = "x" }', "b").to_bytes(strip=True)
    response = kgw_rules.compile('on response { set header x = "1" }', "c").to_bytes(strip=True)
    response_body = kgw_rules.compile('on response { set body = upper(body) }', "d").to_bytes(strip=True)
    assert wasm_variant_for([only_request]).name == "request"
    assert wasm_variant_for([request_body]).name == "request_body"
    assert wasm_variant_for([only_request, response]).name == "response"
    assert wasm_variant_for([response_body]).name == "response_body"
    assert wasm_variant_for([request_body, response]) == FULL


@pytest.mark.parametrize("variant", VARIANTS[:-1], ids=lambda v: v.name)
def test_each_build_agrees_with_the_reference_vm_on_what_it_covers(variant):
    checked = 0
    for name, blob in BLOBS.items():
        if not variant.covers(program_needs(decode_program(blob))):
            continue
        vm = FilterVM(test_bundle([blob], b"default/test/0"), filter_wasm_bytes(variant.filename), fuel=False)
        for label, req, resp in requests():
            assert outcome_difference(reference_engine([blob], req, resp), vm.exchange(req, resp)) == [], \
                (variant.name, name, label)
            checked += 1
    assert checked > 0, f"no corpus program fits {variant.name}"


@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS[:-1], ids=lambda v: v.name)
def test_each_build_is_reproducible(variant, tmp_path):
    pytest.importorskip("ziglang")
    fresh = build_filter.build(tmp_path / variant.filename, variant=variant)
    assert fresh == build_filter.variant_path(variant).read_bytes(), "stale: run python -m kgw_rules.build_filter"
