"""benchmarks/wasm_fuel_segments.py splits a request's wasm fuel at the host calls: the pieces must add up to
the fuel the harness meters for the whole request, and name the calls the filter really makes."""
from __future__ import annotations

import kgw_rules
from benchmarks import dataplane_configs as cfg
from benchmarks.wasm_fuel_segments import segments
from kgw_rules.exchange import Request
from kgw_rules.harness import FilterVM, test_bundle
from kgw_rules.harness.engine import PhaseStats


def test_segments_add_up_to_the_metered_request_and_list_its_host_calls():
    wasm = kgw_rules.filter_wasm_path(kgw_rules.filter.wasm_variant_for(
        [kgw_rules.compile(cfg.RULES, "bench.kgw").to_bytes(strip=True)]).filename).read_bytes()
    parts = segments(cfg.RULES, cfg.URL, cfg.HEADERS, wasm)

    blob = kgw_rules.compile(cfg.RULES, "bench.kgw").to_bytes(strip=True)
    vm = FilterVM(test_bundle([blob], b"default/bench/0"), wasm=wasm, fuel=True)
    req = Request(url=cfg.URL.encode(), method=b"GET",
                  headers=[(k.encode(), v.encode()) for k, v in {"host": "127.0.0.1", **cfg.HEADERS}.items()])
    for _ in range(3):
        vm.exchange(req, None)
    stats = PhaseStats()
    vm.exchange(req, None, stats=stats)
    assert sum(f for _, _, f in parts) == stats.fuel
    calls = [what for cb, what, _ in parts if cb == "proxy_on_request_headers" and what != "end"]
    # the route-name read, the header map, two counters, then one call per edit (the rename is two)
    assert calls[:4] == ["proxy_get_property", "proxy_get_header_map_pairs", "proxy_increment_metric",
                         "proxy_increment_metric"]
    assert len(calls) == 4 + 7
