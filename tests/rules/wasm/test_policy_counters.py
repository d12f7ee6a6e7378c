"""Per-policy counters: in a bundle each (program, route) pair counts its runs, local responses, skipped
writes and runtime errors under a name that carries the program id and the route (kgw_rules/wire/stats.py),
beside the totals; defined once, on first use. The names and their Prometheus labels through real Envoy
are checked in tests/controller/e2e/test_observability_e2e.py."""
from __future__ import annotations

import pathlib
import re

import kgw_rules
from kgw_rules.exchange import Request, Response
from kgw_rules.harness.engine import TEST_ROUTE_NAME, FilterVM
from kgw_rules.wire import BundleRoute, encode_bundle
from kgw_rules.wire.stats import COUNTERS, POLICY_COUNTERS, TOTAL_PREFIX, policy_counter_name

SRC = pathlib.Path(__file__).resolve().parents[3] / "wasm_filter" / "src" / "metrics.zig"

GATE = 'on request {\n  if header("x-deny") == "1" { respond 403 "no" }\n}\n'
STAMP = 'on request {\n  set header x-v = query("v")\n}\non response {\n  set header x-s = "1"\n}\n'


def _vm() -> FilterVM:
    blob = {pid: kgw_rules.compile(src, pid).to_bytes(strip=True)
            for pid, src in (("TrafficPolicy/default/gate", GATE), ("RoutePolicy/team-a/stamp.v1", STAMP))}
    both = ("TrafficPolicy/default/gate", "RoutePolicy/team-a/stamp.v1")
    routes = [BundleRoute(TEST_ROUTE_NAME, b"team-a/api/0", both),
              BundleRoute(b"other", b"team-a/web/1", ("RoutePolicy/team-a/stamp.v1",))]
    return FilterVM(encode_bundle(blob, routes))


def _policy(vm: FilterVM, pid: str, counter: str, route: str = "team-a/api/0") -> int:
    return vm.host.metric(policy_counter_name(pid, route, counter))


def test_each_policy_on_each_route_counts_its_own_work():
    vm = _vm()
    vm.exchange(Request(url=b"/?v=ok"), Response(status=200))
    vm.exchange(Request(headers=[(b"x-deny", b"1")]), None)
    vm.exchange(Request(url=b"/?v=a%0Ab"), None)  # a header value with LF: skipped by the stamp policy
    gate, stamp = "TrafficPolicy/default/gate", "RoutePolicy/team-a/stamp.v1"
    assert _policy(vm, gate, "programs_run") == 3
    assert _policy(vm, gate, "local_responses") == 1
    assert _policy(vm, gate, "skipped_writes") == 0
    # the stamp policy ran both phases of the first exchange, the request phase of the third
    assert _policy(vm, stamp, "programs_run") == 3
    assert _policy(vm, stamp, "skipped_writes") == 1 and _policy(vm, stamp, "local_responses") == 0
    # totals count the same events once
    assert vm.host.metric("kgw.programs_run") == 6
    assert vm.host.metric("kgw.local_responses") == 1 and vm.host.metric("kgw.skipped_writes") == 1
    # nothing ran on the other route: its counters were never defined
    assert not [n for _, n, _ in vm.host.metrics.values() if "team-a/web/1" in n]


def test_a_pair_defines_all_its_counters_once_on_its_first_run():
    """All at once, so a dashboard's rate() sees 0 rather than no series until the first error."""
    vm = _vm()
    for _ in range(5):
        vm.exchange(Request(url=b"/?v=ok"), Response(status=200))
    defined = [n for _, n, _ in vm.host.metrics.values()]
    assert len(defined) == len(set(defined))
    per_policy = sorted(n for n in defined if n.startswith("kgw.rules."))
    assert per_policy == sorted(policy_counter_name(pid, "team-a/api/0", c) for c in POLICY_COUNTERS
                                for pid in ("TrafficPolicy/default/gate", "RoutePolicy/team-a/stamp.v1"))
    assert _policy(vm, "TrafficPolicy/default/gate", "runtime_errors") == 0


def test_single_program_configuration_has_totals_only():
    vm = FilterVM(kgw_rules.compile(GATE, "gate").to_bytes(strip=True))
    vm.exchange(Request(headers=[(b"x-deny", b"1")]), None)
    assert vm.host.metric("kgw.local_responses") == 1
    assert not [n for _, n, _ in vm.host.metrics.values() if n.startswith("kgw.rules.")]


def test_zig_counter_names_are_the_wire_spec():
    names = re.findall(r'"kgw\.([a-z_]+)"', SRC.read_text())
    assert names == list(COUNTERS) and TOTAL_PREFIX == "kgw."
    assert "verifier_refusals" not in POLICY_COUNTERS and set(POLICY_COUNTERS) < set(COUNTERS)
